"""`corridor brief`: the real command writes a valid PDF (and HTML) with the headline sentences."""

import re

import numpy as np
import pytest
from conftest import SCENARIOS, corridor_cli

pypdf = pytest.importorskip("pypdf")


def test_brief_pdf_and_html(tmp_path):
    out = tmp_path / "handout" / "brief.pdf"
    r = corridor_cli("brief", SCENARIOS / "mexico_crackdown.toml", "--replications", "2", "--steps", "40",
                     "--seed", "7", "--out", out, "--quiet")
    assert r.returncode == 0, r.stderr
    reader = pypdf.PdfReader(out)
    # headlines + 4 chart pages for the scenario + what the model does not capture
    assert len(reader.pages) == 6
    assert "6 pages" in r.stdout
    first = " ".join(reader.pages[0].extract_text().split())
    assert "What the policy did, in the model" in first
    assert re.search(r"Cocaine crossing \w+ (rose|fell) by [\d.]+% \(range [\d.]+–[\d.]+% over 2 seeds\), while "
                     r"cocaine delivered to the United States", first) or "rose from" in first
    assert re.search(r"Cocaine moving through Mexico \(its territory and waters\) (rose|fell|barely changed)", first)
    assert "The share of cocaine loads crossing Central America went from" in first
    last = reader.pages[-1].extract_text()
    assert "What the model does not capture" in last and "not a forecast" in last
    html = out.with_suffix(".html").read_text()
    assert html.count("data:image/png;base64,") == 4 and "Cocaine moving through Mexico" in html
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]       # no temporary leftovers


def test_brief_rejects_a_scenario_without_policy(tmp_path):
    r = corridor_cli("brief", SCENARIOS / "baseline.toml", "--out", tmp_path / "b.pdf", "--steps", "2")
    assert r.returncode == 2
    assert "field 'policy'" in r.stderr and r.stderr.count("\n") == 1
    assert not (tmp_path / "b.pdf").exists()


def test_brief_out_must_be_pdf(tmp_path):
    r = corridor_cli("brief", SCENARIOS / "mexico_crackdown.toml", "--out", tmp_path / "b.docx")
    assert r.returncode == 2 and "--out" in r.stderr


def test_replication_seeds_are_spawned_from_the_root():
    from model.runs.seeds import replication_seeds

    a = replication_seeds(7, 3)
    assert a == replication_seeds(7, 3) and len(set(a)) == 3 and replication_seeds(7, 2) == a[:2]
    assert a != replication_seeds(8, 3)


def test_change_phrase():
    from model.outputs.brief_numbers import change_phrase

    assert change_phrase([41.0, 33.0, 50.0]) == "rose by 41% (range 33–50% over 3 seeds)"
    assert change_phrase([-4.0]) == "fell by 4.0% (one seed)"
    assert "direction differs" in change_phrase([-3.0, 2.0, 5.0])
    assert change_phrase([np.nan]).startswith("could not be compared")
