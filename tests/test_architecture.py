"""The package's structure: data flows one way (source -> schema -> store -> select -> render or export),
so no import runs back up these tiers and no import cycle exists, function-level imports included."""

from __future__ import annotations

import ast
from fnmatch import fnmatch
from pathlib import Path

from geo import settings

# Bottom to top. A module may import modules of its own tier or below, never above.
TIERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("definitions", ("geo", "geo.settings", "geo.errors", "geo.layers", "geo.text", "geo.gauge", "geo.palette")),
    ("schema and wire format", ("geo.schema", "geo.wire", "geo.ratelimit", "geo.areas")),
    ("storage and statistics", ("geo.store", "geo.stats")),
    ("reference data", ("geo.countries", "geo.policies", "geo.search")),
    ("sources", ("geo.sources", "geo.sources.*", "geo.crossings")),
    ("selection", ("geo.select", "geo.levels", "geo.seed_ports", "geo.policy_views", "geo.network")),
    ("views, files and builds", ("geo.view", "geo.export", "geo.tiles", "geo.build", "geo.route", "geo.snapshot")),
    ("the map", ("geo.render",)),
    ("use cases", ("geo.usecases",)),
    ("interfaces", ("geo.cli", "geo.__main__", "app")),
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(settings.REPO_DIR).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """{module: the project modules it imports anywhere in its code}, for geo/ and app.py."""
    files = [*sorted(settings.PACKAGE_DIR.rglob("*.py")), settings.REPO_DIR / "app.py"]
    names = {_module_name(path): path for path in files}
    graph: dict[str, set[str]] = {}
    for name, path in names.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets.add(node.module)
                targets |= {f"{node.module}.{alias.name}" for alias in node.names}
        graph[name] = {target for target in targets if target in names and target != name}
    return graph


def tier_of(module: str) -> int:
    for rank, (_, patterns) in enumerate(TIERS):
        if any(fnmatch(module, pattern) for pattern in patterns):
            return rank
    raise AssertionError(f"{module} belongs to no tier: place it in TIERS of {__file__}")


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import cycle found by a depth-first search, each as the modules along it."""
    found, state, stack = [], {}, []

    def visit(module: str) -> None:
        state[module] = "open"
        stack.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                found.append([*stack[stack.index(target) :], target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module)
    return found


def test_every_module_has_a_tier():
    for module in import_graph():
        tier_of(module)


def test_no_import_runs_back_up_the_tiers():
    upward = [
        f"{module} ({TIERS[tier_of(module)][0]}) imports {target} ({TIERS[tier_of(target)][0]})"
        for module, targets in import_graph().items()
        for target in sorted(targets)
        if tier_of(target) > tier_of(module)
    ]
    assert upward == []


def test_no_import_cycles():
    assert cycles(import_graph()) == []


def test_the_checks_see_cycles_and_upward_imports():
    """The checks above would fail on a cycle or an upward import (here planted in a copy of the graph)."""
    graph = import_graph()
    assert graph["geo.usecases"] >= {"geo.view", "geo.render"} and "geo.wire" in graph["geo.render"]
    planted = {module: set(targets) for module, targets in graph.items()}
    planted["geo.wire"].add("geo.render")
    assert any({"geo.wire", "geo.render"} <= set(cycle) for cycle in cycles(planted))
    assert tier_of("geo.wire") < tier_of("geo.render")
