"""`ivr check` for search nodes: the catalogue's file and columns, and the templates' fields."""

from __future__ import annotations

import csv
from pathlib import Path

from ivr.menu.model import Menu
from ivr.menu.source import Problems, Where


def lint_searches(menu: Menu, problems: Problems) -> None:
    """A missing CSV file, searched or spoken columns it lacks, and holds that lead
    nowhere useful."""
    from ivr.nodes.lookup import LookupNode
    from ivr.nodes.search import SearchNode

    for node in menu.nodes.values():
        if isinstance(node, SearchNode) and node.hold is not None:
            target = menu.nodes.get(node.hold.node)
            if target is not None and not (isinstance(target, LookupNode) and target.action):
                problems.error(node.hold.where, f"{node.id!r} hold goes to {target.id!r}, which "
                               "is not a lookup node with an 'action' (it would identify the "
                               "caller and run it)")
        if isinstance(node, LookupNode) and node.action and not any(
                isinstance(n, SearchNode) and n.hold and n.hold.node == node.id
                for n in menu.nodes.values()):
            problems.warning(node.where, f"{node.id!r} runs action {node.action!r} on a chosen "
                             "item, but no search node's hold leads to it: callers would hear "
                             "that no item was chosen")
        if not isinstance(node, SearchNode) or node.catalogue is None:
            continue
        config = node.catalogue
        if not Path(menu.file).is_file():
            continue  # a menu not read from a file we can see (tests, display names)
        if config.terms:
            _lint_terms(menu, node.id, config.terms, config.where, problems)
        if node.catalogue.kind != "csv":
            continue  # an SQL catalogue's columns are known only once it is imported
        path = Path(menu.file).parent / config.file
        try:
            with path.open(newline="", encoding="utf-8-sig") as handle:
                columns = set(next(csv.reader(handle), []))
        except (OSError, UnicodeDecodeError, csv.Error):
            problems.error(config.where, f"catalogue of {node.id!r}: file {config.file} not "
                           f"found (or not UTF-8 CSV) next to {Path(menu.file).name}")
            continue
        known = ", ".join(sorted(columns))
        attribute_columns = [c for columns in config.attributes.values() for c in columns]
        stock = [config.in_stock] if config.in_stock else []
        for name in (config.key, *config.fields, *attribute_columns, *stock):
            if name not in columns:
                problems.error(config.where, f"catalogue of {node.id!r}: {config.file} has no "
                               f"column {name!r} (columns: {known})")
        for name, where in node.fields_used().items():
            if name not in columns:
                problems.error(where, f"{node.id!r} uses {{{name}}} but {config.file} has only "
                               f"{known}")


def _lint_terms(menu: Menu, node: str, pattern: str, where: Where, problems: Problems) -> None:
    """Each declared language's terms file: there (a warning: search works without it)
    and of the format (an error: it would be ignored)."""
    from ivr.search.live import read_terms
    from ivr.search.terms import TermsError

    for lang in menu.languages:
        path = Path(menu.file).parent / pattern.replace("{lang}", lang)
        if not path.is_file():
            problems.warning(where, f"catalogue of {node!r}: no terms file {path.name} for "
                             f"{lang!r} (callers in it get no everyday names)")
            continue
        try:
            read_terms(path)
        except TermsError as exc:
            problems.error(where, f"catalogue of {node!r}: {path.name}: {exc}")
