"""The package's import graph is layered: no module imports one from a layer above it.

model <- config <- resolver <- project <- context <- flow <- rules <- engine <- front ends. Every import counts,
including those inside functions and under ``TYPE_CHECKING`` (a cycle there is still a cycle in the design).
"""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "src" / "flake8_jobstate"

# lower number = lower layer; a module may import only modules of a strictly lower layer
LAYERS = {
    "model": 0,
    "errors": 0,
    "reads": 0,
    "text": 0,
    "config": 1,
    "paths": 1,
    "prefilter": 2,
    "guard": 2,
    "resolver": 2,
    "project": 3,
    "placement": 3,
    "context": 4,
    "flow": 5,
    "rules.base": 6,
    "rules.values": 7,
    "rules.machine": 7,
    "rules": 8,
    "engine": 9,
}
FRONT = 10  # every other module: front ends and their helpers (settings, files, notebook, cli, ...)


def _name(path: Path) -> str:
    rel = path.relative_to(PKG).with_suffix("")
    parts = [p for p in rel.parts if p != "__init__"]
    return ".".join(parts)


def _imports(path: Path, name: str) -> set[str]:
    """The package modules ``path`` imports (relative or absolute), wherever the import statement is."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_pkg = path.name == "__init__.py"
    base = name.split(".") if is_pkg else name.split(".")[:-1]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = anchor + (node.module.split(".") if node.module else [])
            elif node.module and node.module.split(".")[0] == "flake8_jobstate":
                target = node.module.split(".")[1:]
            else:
                continue
            for alias in node.names:
                sub = ".".join(target + [alias.name])
                out.add(sub if (PKG / Path(*sub.split("."))).with_suffix(".py").exists() else ".".join(target))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "flake8_jobstate":
                    out.add(".".join(alias.name.split(".")[1:]))
    out.discard("")
    out.discard(name)
    return out


def _graph() -> dict[str, set[str]]:
    return {_name(p): _imports(p, _name(p)) for p in sorted(PKG.rglob("*.py")) if _name(p)}


def test_every_import_goes_down_a_layer():
    wrong = [
        f"{mod} (layer {LAYERS.get(mod, FRONT)}) imports {dep} (layer {LAYERS.get(dep, FRONT)})"
        for mod, deps in _graph().items()
        for dep in sorted(deps)
        if LAYERS.get(mod, FRONT) <= LAYERS.get(dep, FRONT) and LAYERS.get(mod, FRONT) < FRONT
    ]
    assert not wrong, "\n".join(wrong)


def test_front_ends_import_no_cycle():
    graph = _graph()
    state: dict[str, int] = {}
    cycles: list[str] = []

    def visit(mod: str, trail: list[str]) -> None:
        state[mod] = 1
        for dep in sorted(graph.get(mod, ())):
            if state.get(dep) == 1:
                cycles.append(" -> ".join(trail[trail.index(dep):] + [dep]) if dep in trail else f"{mod} -> {dep}")
            elif dep not in state:
                visit(dep, trail + [dep])
        state[mod] = 2

    for mod in sorted(graph):
        if mod not in state:
            visit(mod, [mod])
    assert not cycles, "\n".join(cycles)


def test_the_graph_is_read():
    graph = _graph()
    assert "context" in graph["flow"] and "resolver" in graph["context"]
    assert {"rules", "context", "resolver"} <= graph["engine"]
