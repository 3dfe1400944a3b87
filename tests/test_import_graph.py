"""No import cycle anywhere in ivr: every import counts, at module level, inside functions
and under TYPE_CHECKING (a cycle hidden from import time is still one in the design)."""

from __future__ import annotations

import grimp

import ivr


def _graph() -> grimp.ImportGraph:
    return grimp.build_graph("ivr", include_external_packages=False, cache_dir=None)


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, directly or not (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def test_the_cycle_finder_finds_cycles_and_nothing_else() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": {"e"}, "e": {"d"}, "f": {"a"}}
    assert sorted(strongly_connected(edges)) == [["a", "b", "c"], ["d", "e"]]
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_the_graph_holds_every_kind_of_import() -> None:
    graph = _graph()
    assert len(graph.modules) > 150 and ivr.__name__ in graph.modules
    assert "ivr.web.voice" in graph.find_modules_directly_imported_by("ivr")  # in create_app
    assert "ivr.menu.parsing" in graph.find_modules_directly_imported_by("ivr.nodes.base")  # typing


def test_no_import_cycle_in_ivr() -> None:
    graph = _graph()
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    cycles = strongly_connected(edges)
    shown = []
    for group in sorted(cycles, key=len, reverse=True):
        members = set(group)
        links = [f"{m} -> {n} (line {graph.get_import_details(importer=m, imported=n)[0]['line_number']})"
                 if graph.get_import_details(importer=m, imported=n) else f"{m} -> {n}"
                 for m in group for n in sorted(edges[m] & members)]
        shown.append(f"{len(group)} modules: {', '.join(group)}\n    " + "\n    ".join(links))
    assert not cycles, f"{len(cycles)} import cycle(s) in ivr:\n" + "\n".join(shown)
