"""Write the parameter table of MODEL.md from the scenario schema.

The table between the two marker comments in MODEL.md is generated from
`model.scenario.parameter_table()` (the rows `corridor validate --explain` prints), so the
description cannot drift from the schema:

    python tools/parameter_table.py            # rewrite the table in MODEL.md
    python tools/parameter_table.py --check    # exit 1 if MODEL.md is out of date
    python tools/parameter_table.py --print    # print the table only
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from model.scenario import JURISDICTION_DEFAULTS, parameter_table, parse_scenario, read_scenario_dict  # noqa: E402

MODEL_MD = ROOT / "MODEL.md"
BASELINE = ROOT / "scenarios" / "baseline.toml"
BEGIN = "<!-- parameters:begin -->"
END = "<!-- parameters:end -->"
JURISDICTION_PREFIX = "jurisdictions.<code>."
NO_SOURCE = "set by hand"


def _num(x) -> str:
    """A bound or default as a short number: 1200, 0.43, 1e+05, 2^63."""
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, int) and x >= 2**31:
        e = math.log2(x)
        return f"2^{int(e)}" if e.is_integer() else f"{x:.3g}"
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e5:
        return str(int(x))
    if isinstance(x, float):
        return f"{x:g}"
    return str(x)


def interval(limits: dict) -> str:
    """Bounds in interval notation: [0, 1], (0, 100], [1, ∞)."""
    if not limits:
        return ""
    if "ge" in limits:
        lo = f"[{_num(limits['ge'])}"
    elif "gt" in limits:
        lo = f"({_num(limits['gt'])}"
    else:
        lo = "(-∞"
    if "le" in limits:
        hi = f"{_num(limits['le'])}]"
    elif "lt" in limits:
        hi = f"{_num(limits['lt'])})"
    else:
        hi = "∞)"
    return f"{lo}, {hi}"


def default(row: dict) -> str:
    name, value = row["parameter"], row["default"]
    if value is None and name.startswith(JURISDICTION_PREFIX):
        built_in = JURISDICTION_DEFAULTS.get(name[len(JURISDICTION_PREFIX):])
        if built_in is not None:
            return f"{_num(built_in)} (built in)"
    if value is None:
        return "required" if name.endswith("agents_per_step") else "none"
    return _num(value)


def _values_at(obj, parts: list[str]) -> list:
    """Every value a dotted schema name (with `[]` and `<code>`) takes in a scenario dict."""
    if not parts:
        return [] if obj is None else [obj]
    head, rest = parts[0], parts[1:]
    if head == "<code>":
        return [v for item in obj.values() for v in _values_at(item, rest)]
    if head.endswith("[]"):
        return [v for item in (obj.get(head[:-2]) or []) for v in _values_at(item, rest)]
    return _values_at(obj.get(head), rest) if isinstance(obj, dict) else []


def baseline_values(name: str, scenario: dict) -> str:
    """What scenarios/baseline.toml uses: one value, a few, or a range over cartels, gangs, ..."""
    values = sorted(set(_values_at(scenario, name.split("."))))
    if not values:
        return ""
    if len(values) <= 4:
        return ", ".join(_num(v) for v in values)
    return f"{_num(values[0])}–{_num(values[-1])}"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def calibrated_paths() -> set[str]:
    """Scenario fields the shipped calibration (experiments/history/calibration) fitted."""
    manifest = ROOT / "experiments" / "history" / "calibration" / "manifest.json"
    if not manifest.is_file():
        return set()
    params = json.loads(manifest.read_text())["parameters"]
    return {q for p in params for q in ([p["path"]] if isinstance(p["path"], str) else p["path"])}


def render() -> str:
    """The Markdown table of every numeric parameter in the schema, with the values
    scenarios/baseline.toml gives it (every scenario file extends the baseline)."""
    base = parse_scenario(read_scenario_dict(BASELINE), BASELINE).model_dump(mode="json")
    calibrated = calibrated_paths()
    lines = ["| parameter | unit | default | baseline | bounds | meaning | source |",
             "|---|---|---|---|---|---|---|"]
    for row in parameter_table():
        cells = [f"`{row['parameter']}`", row["unit"], default(row), baseline_values(row["parameter"], base),
                 interval(row.get("limits", {})), row["meaning"], row["source"] or NO_SOURCE]
        if row["parameter"] in calibrated:
            cells[-1] += "; baseline value calibrated to the 1996-2011 record (§7.20)"
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def splice(text: str, table: str) -> str:
    """MODEL.md's text with the block between the markers replaced by `table`."""
    if text.count(BEGIN) != 1 or text.count(END) != 1 or text.index(BEGIN) > text.index(END):
        raise ValueError(f"MODEL.md needs one '{BEGIN}' line followed by one '{END}' line")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{table}{END}{tail}"


def current_table(text: str) -> str:
    """The block now between the markers."""
    return text.split(BEGIN, 1)[1].split(END, 1)[0].lstrip("\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if MODEL.md's table is out of date")
    ap.add_argument("--print", dest="print_only", action="store_true", help="print the table only")
    ap.add_argument("--file", type=Path, default=MODEL_MD, help="the file to rewrite (default MODEL.md)")
    args = ap.parse_args(argv)
    table = render()
    if args.print_only:
        sys.stdout.write(table)
        return 0
    text = args.file.read_text(encoding="utf-8")
    try:
        new = splice(text, table)
    except ValueError as exc:
        print(f"parameter_table: {args.file}: {exc}", file=sys.stderr)
        return 2
    if args.check:
        if new != text:
            print(f"parameter_table: {args.file} is out of date with the scenario schema; "
                  "run: python tools/parameter_table.py", file=sys.stderr)
            return 1
        return 0
    if new != text:
        tmp = args.file.with_name(f".{args.file.name}.tmp")
        tmp.write_text(new, encoding="utf-8")
        tmp.replace(args.file)
        print(f"wrote {table.count(chr(10)) - 2} parameters to {args.file}")
    else:
        print(f"{args.file} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
