"""MODEL.md: the seven ODD elements, and a parameter table that matches the schema."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import parameter_table  # noqa: E402

from model.scenario import parameter_table as schema_rows  # noqa: E402

MODEL_MD = ROOT / "MODEL.md"
ODD_ELEMENTS = [
    "Purpose and patterns",
    "Entities, state variables and scales",
    "Process overview and scheduling",
    "Design concepts",
    "Initialisation",
    "Input data",
    "Submodels",
]


def test_model_md_has_the_seven_odd_elements_in_order():
    text = MODEL_MD.read_text(encoding="utf-8")
    headings = re.findall(r"^## (\d)\. (.+)$", text, flags=re.M)
    assert headings == [(str(i), name) for i, name in enumerate(ODD_ELEMENTS, 1)]
    assert "### Individual decision-making (ODD+D)" in text


def test_parameter_table_in_model_md_matches_the_schema():
    text = MODEL_MD.read_text(encoding="utf-8")
    assert parameter_table.current_table(text) == parameter_table.render(), (
        "MODEL.md's parameter table is out of date; run: python tools/parameter_table.py")


def test_table_lists_every_schema_parameter_once():
    table = parameter_table.render()
    names = re.findall(r"^\| `([^`]+)` \|", table, flags=re.M)
    assert names == [r["parameter"] for r in schema_rows()]


def test_a_hand_edit_of_the_table_is_caught(tmp_path):
    doc = tmp_path / "MODEL.md"
    text = MODEL_MD.read_text(encoding="utf-8")
    edited = text.replace("| `routing.risk_threshold` | events/month | 0.43 |",
                          "| `routing.risk_threshold` | events/month | 0.5 |")
    assert edited != text
    doc.write_text(edited, encoding="utf-8")
    assert parameter_table.current_table(edited) != parameter_table.render()
    tool = [sys.executable, str(ROOT / "tools" / "parameter_table.py"), "--file", str(doc)]
    check = subprocess.run(tool + ["--check"], capture_output=True, text=True)
    assert check.returncode == 1 and "out of date" in check.stderr
    assert doc.read_text(encoding="utf-8") == edited          # --check writes nothing
    assert subprocess.run(tool, capture_output=True, text=True).returncode == 0
    assert doc.read_text(encoding="utf-8") == parameter_table.splice(text, parameter_table.render())


def test_a_schema_change_changes_the_table(monkeypatch):
    before = parameter_table.render()
    rows = schema_rows()
    rows[0] = dict(rows[0], default=rows[0]["default"] + 1)
    monkeypatch.setattr(parameter_table, "parameter_table", lambda: rows)
    assert parameter_table.render() != before


@pytest.mark.parametrize("limits, shown", [
    ({"ge": 0, "le": 1}, "[0, 1]"),
    ({"gt": 0, "le": 100}, "(0, 100]"),
    ({"ge": 0, "lt": 2**63}, "[0, 2^63)"),
    ({"ge": 1}, "[1, ∞)"),
    ({}, ""),
])
def test_bounds_in_interval_notation(limits, shown):
    assert parameter_table.interval(limits) == shown


def test_splice_needs_both_markers():
    with pytest.raises(ValueError):
        parameter_table.splice("no markers here", "| table |\n")
    text = f"a\n{parameter_table.BEGIN}\nold\n{parameter_table.END}\nb\n"
    assert parameter_table.splice(text, "new\n") == f"a\n{parameter_table.BEGIN}\nnew\n{parameter_table.END}\nb\n"
