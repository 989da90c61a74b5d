"""The shape of the house: imports point one way (pipeline -> report -> analysis -> data -> the shared modules),
no import cycles (imports inside functions count), no module over 600 lines, CONTRIBUTING's map matches the tree,
and the README stays a short user's guide."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from helpers.paths import PROJECT_ROOT

HELPERS = PROJECT_ROOT / "helpers"
# Each layer may import itself and every layer after it in this list, never one before it.
LAYERS = ("pipeline", "report", "analysis", "data", "shared")
SHARED = {"helpers", "helpers.paths", "helpers.errors", "helpers.params", "helpers.atomic"}
ENTRY_POINTS = {"helpers.run"}  # `python -m helpers.run`: the runner's command line, above every layer
MAX_LINES = 600


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(HELPERS.rglob("*.py"))}


def layer(module: str) -> str:
    if module in SHARED:
        return "shared"
    if module in ENTRY_POINTS:
        return "entry"
    return module.split(".")[1]


def imported(path: Path) -> set[str]:
    """The project modules ``path`` imports, anywhere in it (inside functions too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            # `from helpers.data import io` imports the module helpers.data.io; `from helpers.data.io import x`
            # imports helpers.data.io
            names = [f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in MODULES else node.module
                     for alias in node.names]
        else:
            continue
        found.update(name for name in names if name in MODULES)
    return found


GRAPH = {name: imported(path) - {name} for name, path in MODULES.items()}


def test_the_layers_exist():
    assert {layer(m) for m in MODULES} == {*LAYERS, "entry"}


def test_imports_point_one_way():
    order = {name: i for i, name in enumerate(LAYERS)}
    upward = [f"{m} ({layer(m)}) imports {d} ({layer(d)})" for m, deps in GRAPH.items() for d in sorted(deps)
              if layer(m) != "entry" and (layer(d) == "entry" or order[layer(d)] < order[layer(m)])]
    assert upward == []


def test_there_is_no_import_cycle():
    # Tarjan's strongly connected components: a component of two or more modules is a cycle
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in GRAPH:
        if v not in index:
            visit(v)
    assert cycles == []


def test_the_cycle_check_finds_a_cycle(monkeypatch):
    # the check above must be able to fail: two modules importing each other form one component
    monkeypatch.setitem(GRAPH, "helpers.data.io", GRAPH["helpers.data.io"] | {"helpers.data.checksums"})
    monkeypatch.setitem(GRAPH, "helpers.data.checksums", GRAPH["helpers.data.checksums"] | {"helpers.data.io"})
    with pytest.raises(AssertionError):
        test_there_is_no_import_cycle()


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_is_over_600_lines(name):
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{MODULES[name].relative_to(PROJECT_ROOT)}: {lines} lines"


def test_contributing_maps_every_module_and_only_existing_ones():
    text = (PROJECT_ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = text[text.index("## Layout"):text.index("\n## ", text.index("## Layout") + 1)]
    named = set(re.findall(r"`(helpers/[\w/]+\.py)`", section))
    on_disk = {p.relative_to(PROJECT_ROOT).as_posix() for p in HELPERS.rglob("*.py") if p.name != "__init__.py"}
    assert sorted(named - on_disk) == [], "CONTRIBUTING names modules that do not exist"
    assert sorted(on_disk - named) == [], "modules missing from CONTRIBUTING's map"


def test_the_readme_is_a_short_users_guide():
    lines = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 150
    first_commands = [ln.split("#")[0].strip() for ln in lines if ln.startswith("make ")][:2]
    assert first_commands == ["make reproduce", "make test"]
