"""Model vs record and scenario effects (experiments/validation/record_table.py,
scenario_effects.py): the measures by hand on toy tables, and the generated sections."""

import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "experiments" / "validation"))
import record_table  # noqa: E402
import scenario_effects  # noqa: E402

from cases import GENERATED_MD, spread  # noqa: E402


def test_firearms_joining_a_stock_are_read_back_from_the_stock_and_its_depreciation():
    # deliveries 100, 50, 0 with 10% lost a month: stock 100, 140, 126
    ts = pd.DataFrame({"arms_stock_MX": [100.0, 140.0, 126.0]})
    assert record_table.delivered_to(ts, "MX", 0.1).tolist() == pytest.approx([100.0, 50.0, 0.0])


def test_a_years_rate_is_its_homicides_over_its_mean_population():
    months = [f"2011-{m:02d}" for m in range(1, 13)] + ["2012-01"]
    ts = pd.DataFrame({"month": months, "homicides_HN": [50.0] * 12 + [999.0],
                       "population_HN": [7_500_000.0] * 6 + [8_500_000.0] * 6 + [1.0]})
    # 600 homicides over a mean of 8,000,000 people: 7.5 per 100,000
    assert record_table.year_rate(ts, "HN", 2011) == pytest.approx(7.5)


def test_a_six_month_window_includes_both_ends():
    ts = pd.DataFrame({"month": ["2008-08", "2008-09", "2009-02", "2009-03"],
                       "migrants_kidnapped_MX": [1.0, 2.0, 3.0, 4.0]})
    assert record_table.observe(ts, "migrants_kidnapped", "MX", "2008-09", "2009-02") == 5.0


def test_every_row_has_a_source_and_a_band_and_is_judged_on_a_run_that_is_made():
    for key, quantity, record, source, band, judged, note in record_table.ROWS:
        assert source and record and band[0] <= band[1], key
        assert judged in ("baseline", "crackdown"), key


def fake_record(mean: float) -> dict:
    """El Salvador's 2011 rate (band 62.1-75.9, judged on the crackdown), the baseline at 10."""
    row = record_table.judge({"key": "homicide_SV_2011", "baseline": spread([10.0, 10.0]),
                              "crackdown": spread([mean, mean])})
    return {"seeds": [1, 2], "date": "2026-12-02", "rows": [row]}


@pytest.mark.parametrize("mean,verdict,count", [(70.0, "| yes |", "**1 of 1"), (50.0, "| **no** |", "**0 of 1")])
def test_the_section_says_within_or_not_and_counts_the_rows_within(tmp_path, mean, verdict, count):
    rec = fake_record(mean)
    assert rec["rows"][0]["within_baseline"] is False and rec["rows"][0]["within"] == (mean == 70.0)
    path = tmp_path / "t.md"
    record_table.write_section(rec, path)
    text = path.read_text()
    assert "| crackdown | ±10% |" in text and count in text
    row = next(line for line in text.split("\n") if line.startswith("| homicides per 100,000, El Salvador"))
    assert row.count("**no**") == (1 if mean == 70.0 else 2)             # the baseline's 10 is out of band
    assert verdict in row
    assert ("Off the record (tested rows, the run judged on): none." in text) == (mean == 70.0)


def test_the_generated_sections_are_kept_in_validation_md():
    names = {p.name for p in GENERATED_MD}
    assert names == {"calibrated.md", "record_table.md", "scenario_effects.md"}
    assert record_table.HERE == scenario_effects.HERE == GENERATED_MD[0].parent


@pytest.mark.parametrize("lo,hi,word", [(0.1, 0.2, "below"), (0.9, 1.2, "above"), (0.5, 1.0, "includes")])
def test_a_scenario_effect_is_set_against_the_record_over_every_seed(lo, hi, word):
    said = scenario_effects._against({"mean": (lo + hi) / 2, "min": lo, "max": hi}, 0.8)
    assert word in said and "+80%" in said
