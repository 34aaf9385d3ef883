"""The package reads as the design: the simulation core stands alone, and no module grows into a god object."""

import ast
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = ROOT / "model"
LAYERS_ABOVE_CORE = ("model.runs", "model.outputs", "model.cli")
MAX_LINES = 420            # "no module over ~400 lines"


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def dotted(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """Every module a file imports, at any depth (lazy imports inside functions count too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:                      # relative: resolve against this file's package
                base = dotted(path).split(".")
                base = base[: len(base) - node.level + (path.name == "__init__.py")]
                names.add(".".join(base + ([node.module] if node.module else [])))
            else:
                names.add(node.module)
    return names


def core_modules() -> list[Path]:
    return [p for p in modules() if not dotted(p).startswith(LAYERS_ABOVE_CORE)]


def test_the_core_is_what_the_design_says():
    names = {dotted(p) for p in core_modules()}
    assert {"model.corridor", "model.scenario", "model.policy", "model.flows", "model.metrics",
            "model.world.geography", "model.world.routing", "model.agents.cartel", "model.agents.gang",
            "model.agents.enforcement", "model.agents.migrant"} <= names


@pytest.mark.parametrize("path", core_modules(), ids=dotted)
def test_the_simulation_core_imports_no_runner_output_or_cli(path):
    above = sorted(n for n in imported(path) if n.startswith(LAYERS_ABOVE_CORE))
    assert not above, f"{path.relative_to(ROOT)} imports {above}"


def test_outputs_never_import_the_command_line():
    for path in PACKAGE.glob("outputs/**/*.py"):
        assert not [n for n in imported(path) if n.startswith("model.cli")], path


@pytest.mark.parametrize("path", modules(), ids=dotted)
def test_no_module_is_a_god_object(path):
    n = len(path.read_text().splitlines())
    assert n <= MAX_LINES, f"{path.relative_to(ROOT)} has {n} lines (at most {MAX_LINES}): split it by what it does"
