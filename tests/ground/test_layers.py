"""No import cycles: no two modules of the project import each other, directly or through others.

The layer contracts (which layer may import which) are import-linter's, in pyproject.toml, run by
`make lint`; this test reads the same graph (grimp, import-linter's library) for cycles."""

from __future__ import annotations

from graphlib import CycleError, TopologicalSorter

import grimp

ROOT_PACKAGES = ("api", "services", "activities", "workflows", "models", "pledgeflow")


def _imports() -> dict[str, set[str]]:
    """Each module of the project and the modules of the project it imports."""
    graph = grimp.build_graph(*ROOT_PACKAGES, include_external_packages=False)
    return {module: set(graph.find_modules_directly_imported_by(module)) for module in graph.modules}


def test_no_two_modules_import_each_other_through_a_cycle():
    try:
        TopologicalSorter(_imports()).prepare()
    except CycleError as cycle:
        path = " -> ".join(cycle.args[1])
        raise AssertionError(f"an import cycle: {path}") from None


def test_a_cycle_is_found_and_named():
    """The check itself: a graph with a cycle is refused, naming each module on it."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as cycle:
        assert set(cycle.args[1]) == {"a", "b", "c"}
    else:
        raise AssertionError("the cycle a -> b -> c -> a was not found")
