"""Searching the demo catalogues by voice: blind queries, and 100,000 items in SQL.

Quality — benchmarks/data/search/dev/search_{en,fr,ro}.jsonl (and, with --final only,
.../test/...), one query a line: {"catalogue": "library", "query": "...", "expect":
["L0001"], "kind": "title"}. They were written from the catalogue rows alone by someone
who had not seen the search code (benchmarks/data/search/README.md). Each query goes
through what a call does: ``query_words`` (the project's speech normalisation) and the
demo menu's catalogue (its node's fields and weights, the CSV in menus/data).
What is scored is what a caller hears (``ivr.search.answer``: the node's catalogue
``attributes`` and ``terms`` files, what matches what was named, "not found" or which
attribute is missing):
  found      one of the first three items read is in ``expect`` (the alternative offered
             after "not found" counts as read); for a query that should find nothing
             (``expect`` empty, kind "absent" or "none"), "not found" (or "we have it,
             but not in ...") was said before any item was read
  not_found  of the queries that should find nothing, the share that heard "not found"
             first (the same as their ``found``, reported apart)
  false_nf   of the queries that should find something, the share that heard "not found"
             (or a missing attribute) first, whatever was offered after
  contra     of the queries with an ``attrs`` object ({"colour": "black", "size": "M",
             "format": "audiobook", "language": "fr"}), the share where an item read
             contradicts one of them (such a query is not ``found`` then)
  p50/p99    milliseconds per query, wall clock and this thread's CPU time

Scale (--scale N, default 100,000; 0 skips it; the dev half's library queries, whatever
the half measured for quality) — the library catalogue with generated
works added until it holds N items, imported with the import command's code into a
fresh SQLite file and a fresh PostgreSQL database (when reachable, IVR_TEST_POSTGRES_URL),
searched through the read-only engines calls use, for the 50 best items with how well
each matched, as a call's search asks. The baseline, measured in the same
run and interleaved query by query, is a plain indexed lookup of one item by its key
(``SqlCatalogue.item``). Reported: p50/p99 of each, the ratio of the medians, and
found-in-top-3 of the library queries among the N items. The in-memory index (CSV
catalogues) at N items is measured the same way.

Writes benchmarks/results/search.json.
Run: .venv/bin/python benchmarks/bench_search.py [--final] [--scale N] [--no-postgres] [-v]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ivr.menu.loader import load_menu  # noqa: E402
from ivr.nodes.search import SearchNode  # noqa: E402
from ivr.search.answer import (  # noqa: E402
    FOUND,
    WIDE,
    Decision,
    decide,
    parts,
    ranked_for,
    search_words,
    understand,
    vocabulary,
)
from ivr.search.config import CatalogueConfig  # noqa: E402
from ivr.search.forms import warm  # noqa: E402
from ivr.search.live import read_terms  # noqa: E402
from ivr.search.match import CatalogueIndex, query_words  # noqa: E402
from ivr.search.sources import CsvCatalogue, read_rows  # noqa: E402
from ivr.search.terms import EMPTY, Terms  # noqa: E402

DATA = ROOT / "benchmarks" / "data" / "search"
RESULTS = ROOT / "benchmarks" / "results" / "search.json"
MENUS = {"library": ROOT / "menus" / "library.yaml", "shop": ROOT / "menus" / "shop.yaml"}
LANGS = ("en", "fr", "ro")
TOP = 3
POSTGRES_URL = os.environ.get("IVR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def read(half: str, data: Path = DATA) -> list[dict[str, Any]]:
    """Every query of one half (dev or test), with its language from the file name."""
    rows = []
    for lang in LANGS:
        path = data / half / f"search_{lang}.jsonl"
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                row["lang"] = lang
                rows.append(row)
    return rows


def demo_config(catalogue: str) -> CatalogueConfig:
    """The catalogue of the demo menu's search node (its file, fields and weights)."""
    menu = load_menu(MENUS[catalogue])
    for node in menu.nodes.values():
        if isinstance(node, SearchNode) and node.catalogue is not None:
            return node.catalogue
    raise SystemExit(f"{MENUS[catalogue].name} has no search node")


def pct(values: Sequence[float], q: float) -> float:
    """The q-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def timed(task: Callable[[], Any]) -> tuple[Any, float, float]:
    """(result, wall ms, this thread's CPU ms)."""
    began, cpu = time.perf_counter(), time.thread_time()
    out = task()
    return out, (time.perf_counter() - began) * 1000, (time.thread_time() - cpu) * 1000


# An ``attrs`` key of the query sets -> the demo catalogues' column holding it.
ATTRIBUTE_COLUMNS = {"colour": "colour", "color": "colour", "size": "sizes_in_stock",
                     "format": "formats", "language": "language"}


def contradicts(item: dict[str, Any], attrs: dict[str, Any]) -> bool:
    """Whether an item read has another value than one the caller stated."""
    for name, wanted in attrs.items():
        column = ATTRIBUTE_COLUMNS.get(name)
        if column is None or column not in item:
            continue
        have = parts(item.get(column))
        want = parts(wanted)
        if want and not any(w in have or w.rstrip("s") in have for w in want):
            return True
    return False


def terms_of(config: CatalogueConfig, menu: Path, lang: str) -> Terms:
    """The demo catalogue's terms file for ``lang``, as the webhooks read it."""
    path = menu.parent / config.terms.replace("{lang}", lang) if config.terms else None
    return read_terms(path) if path is not None and path.is_file() else EMPTY


_KNOWN: dict[tuple[int, int], Any] = {}


def answer(catalogue: Any, terms: Terms, query: str, lang: str) -> Decision:
    """What a caller hears for ``query``: as ``LiveCatalogues.search`` does it (the values
    to look for built once per catalogue and terms file, as there: a CSV catalogue's own
    values and the terms file's, for an imported one the terms file's alone)."""
    config = catalogue.config
    rows = catalogue.index().rows if isinstance(catalogue, CsvCatalogue) else []
    key = (id(catalogue), id(terms))
    if key not in _KNOWN:
        _KNOWN[key] = vocabulary(config.attributes, rows, terms)
    asked = understand(query, lang, _KNOWN[key])
    words = search_words(asked, query, lang)
    if not words:
        return Decision("not_found")
    return decide(catalogue.search(words, ranked_for(asked)), asked, config.attributes, TOP, lang,
                  terms, config.in_stock)


def heard_ids(decision: Decision, key: str) -> list[str]:
    """The items read, in order; "not found" first when it is said."""
    ids = [str(i.get(key, "")) for i in decision.items]
    return ids if decision.verdict == FOUND else ["NOT_FOUND", *ids]


def is_found(ids: Sequence[str], expect: Sequence[str]) -> bool:
    """One of the first three read is expected; or, when nothing is expected, nothing
    read or "not found" said first."""
    if not expect:
        return not ids or ids[0] == "NOT_FOUND"
    return any(i in expect for i in [i for i in ids if i != "NOT_FOUND"][:TOP])


def summary(outcomes: list[tuple[bool, float, float]]) -> dict[str, Any]:
    """n, found-in-top-3 and p50/p99 of a group of queries."""
    walls = [o[1] for o in outcomes]
    cpus = [o[2] for o in outcomes]
    return {"n": len(outcomes), "found_top3": round(sum(o[0] for o in outcomes) / len(outcomes), 3),
            "p50_ms": round(pct(walls, 50), 2), "p99_ms": round(pct(walls, 99), 2),
            "cpu_p50_ms": round(pct(cpus, 50), 2), "cpu_p99_ms": round(pct(cpus, 99), 2)}


# ---- quality on the demo catalogues ----------------------------------------------------

def run_quality(queries: list[dict[str, Any]], verbose: bool) -> dict[str, Any]:
    """Found-in-top-3, "not found" first and contradicted attributes per language and
    catalogue, per kind, and time per query."""
    catalogues: dict[str, Any] = {}
    terms: dict[tuple[str, str], Terms] = {}
    for name in sorted({q["catalogue"] for q in queries}):
        if name == GUTENBERG:
            catalogues[name] = gutenberg_catalogue()
            for lang in LANGS:
                terms[name, lang] = terms_of(catalogues[name].config, MENUS["library"], lang)
            continue
        config = demo_config(name)
        catalogues[name] = CsvCatalogue(config, MENUS[name].parent / config.file)
        catalogues[name].index()  # built as when the menu loads
        for lang in LANGS:
            terms[name, lang] = terms_of(config, MENUS[name], lang)
    warm()  # the lemma tables load with the menus, not on a caller's search
    groups: dict[str, list[tuple[bool, float, float]]] = defaultdict(list)
    kinds: dict[str, list[tuple[bool, float, float]]] = defaultdict(list)
    absent: dict[str, list[bool]] = defaultdict(list)
    false_nf: dict[str, list[bool]] = defaultdict(list)
    contra: dict[str, list[bool]] = defaultdict(list)
    misses = []
    for q in queries:
        catalogue = catalogues[q["catalogue"]]
        decision, wall, cpu = timed(lambda c=catalogue, q=q: answer(
            c, terms[q["catalogue"], q["lang"]], q["query"], q["lang"]))
        ids = heard_ids(decision, catalogue.config.key)
        found = is_found(ids, q["expect"])
        bad = bool(q.get("attrs")) and any(contradicts(i, q["attrs"]) for i in decision.items)
        found = found and not bad
        outcome = (found, wall, cpu)
        for group in (f"{q['lang']}/{q['catalogue']}", q["lang"], "all"):
            groups[group].append(outcome)
            if not q["expect"]:
                absent[group].append(found)
            else:
                false_nf[group].append(decision.verdict != FOUND)
            if q.get("attrs"):
                contra[group].append(bad)
        kinds[f"{q['lang']}/{q.get('kind', '?')}"].append(outcome)
        if not found:
            misses.append({"lang": q["lang"], "catalogue": q["catalogue"], "kind": q.get("kind"),
                           "query": q["query"], "expect": q["expect"], "got": ids})
            if verbose:
                titles = [str(i.get("title") or i.get("name_en") or "") for i in decision.items]
                print(f"  miss {q['lang']} {q['catalogue']:7} {q.get('kind', ''):10} "
                      f"{q['query']!r} expect {q['expect'][:4]} got {ids} {titles} "
                      f"{decision.missing or ''}")
    out = {}
    for name, outcomes in sorted(groups.items()):
        row = summary(outcomes)
        row["absent"] = len(absent[name])
        row["not_found_first"] = round(sum(absent[name]) / len(absent[name]), 3) \
            if absent[name] else None
        row["false_not_found"] = round(sum(false_nf[name]) / len(false_nf[name]), 3) \
            if false_nf[name] else None
        row["with_attrs"] = len(contra[name])
        row["contradicted"] = round(sum(contra[name]) / len(contra[name]), 3) \
            if contra[name] else None
        out[name] = row
    return {"groups": out, "kinds": {k: summary(v) for k, v in sorted(kinds.items())},
            "misses": misses}


# ---- the second catalogue: Project Gutenberg's export, imported as an operator would ----

GUTENBERG = "gutenberg"
GUTENBERG_EXPORT = ROOT / "benchmarks" / "data" / "gutenberg" / "pg_catalog_subset.csv"
_GUTENBERG_DB = tempfile.TemporaryDirectory()


def gutenberg_catalogue() -> Any:
    """The committed subset of Project Gutenberg's catalogue export read by the import
    command's code (``--format gutenberg``: its default fields and headings, nothing
    added by hand) into a fresh SQLite file, and searched as a menu's ``type: sql``
    catalogue would be. Its search node declares the language as an attribute and reuses
    the demo library's terms files (how callers name languages): a menu an operator
    writes from the docs."""
    import csv

    import sqlalchemy as sa

    from ivr.lookup.readonly import catalogue_engine
    from ivr.migrations import upgrade
    from ivr.search.formats import FORMATS
    from ivr.search.sql import SqlCatalogue, import_catalogue

    with GUTENBERG_EXPORT.open(newline="", encoding="utf-8-sig") as handle:
        raw = list(csv.DictReader(handle))
    _needed, convert, fields, headings = FORMATS[GUTENBERG]
    rows = convert(raw)
    url = f"sqlite:///{Path(_GUTENBERG_DB.name) / 'gutenberg.sqlite3'}"
    upgrade(url)
    writer = sa.create_engine(url)
    import_catalogue(writer, GUTENBERG, rows, dict(fields), "id", frozenset(headings))
    writer.dispose()
    library = demo_config("library")
    config = CatalogueConfig("sql", library.where, dict(fields), "id", name=GUTENBERG,
                             headings=frozenset(headings),
                             attributes={"language": ("language",)}, terms=library.terms)
    return SqlCatalogue(config, catalogue_engine(url, 10.0))


# ---- scale: generated works -------------------------------------------------------------

SYLLABLES = ("ba be bi bo bu da de di do ka ke ki ko la le li lo lu ma me mi mo na ne ni no "
             "ra re ri ro ru sa se si so ta te ti to va ve vi an en in on ar er ir or el al "
             "ul st tr br gr pl cr").split()


def invented(rng: random.Random) -> str:
    """A made-up word (a place, a name) such as a large catalogue is full of."""
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3, 3, 4))))


def generated_rows(real: list[dict[str, str]], total: int, seed: int = 14) -> list[dict[str, str]]:
    """``real`` plus generated works up to ``total``: titles and authors recombined from the
    real ones' words, so that generated items compete with real ones for a caller's words,
    and made-up names, so that the vocabulary grows as a real catalogue's does."""
    rng = random.Random(seed)
    by_lang: dict[str, list[str]] = defaultdict(list)
    firsts: dict[str, list[str]] = defaultdict(list)
    lasts: dict[str, list[str]] = defaultdict(list)
    for row in real:
        by_lang[row["language"]] += [w for w in row["title"].split() if len(w) > 2]
        names = row["author"].split()
        firsts[row["language"]] += names[:-1] or names
        lasts[row["language"]].append(names[-1])
    rows = list(real)
    while len(rows) < total:
        model = rng.choice(real)
        lang = model["language"]
        words = rng.sample(by_lang[lang], rng.choice((1, 2, 2, 3, 3)))
        if rng.random() < 0.5:
            words.insert(rng.randrange(len(words) + 1), invented(rng))
        last = rng.choice(lasts[lang]) if rng.random() < 0.6 else invented(rng).title()
        copies = [rng.choice((0, 1, 1, 2, 3)) for _ in range(3)]
        rows.append({**model, "id": f"G{len(rows):06d}", "title": " ".join(words).title(),
                     "other_titles": "",
                     "author": f"{rng.choice(firsts[lang])} {last}", "copies": str(sum(copies)),
                     "copies_central": str(copies[0]), "copies_north": str(copies[1]),
                     "copies_riverside": str(copies[2])})
    rng.shuffle(rows)  # real works are not first in the index (ties keep index order)
    return rows


@contextmanager
def postgres_database() -> Iterator[str | None]:
    """A fresh, migrated PostgreSQL database (dropped afterwards), or None when unreachable."""
    try:
        import psycopg

        with psycopg.connect(POSTGRES_URL, connect_timeout=3, autocommit=True) as conn:
            name = f"ivr_bench_search_{secrets.token_hex(4)}"
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # noqa: BLE001 - no PostgreSQL: the SQLite half still runs
        print(f"PostgreSQL not reachable ({type(exc).__name__}): SQLite only")
        yield None
        return
    url = POSTGRES_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield f"{url}/{name}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def measure(search: Callable[[list[str]], list[dict[str, Any]]],
            item: Callable[[str], Any] | None, queries: list[dict[str, Any]], keys: list[str],
            rounds: int) -> dict[str, Any]:
    """Search every query ``rounds`` times, each followed by one baseline key lookup."""
    walls: list[float] = []
    cpus: list[float] = []
    base: list[float] = []
    found: list[bool] = []
    for r in range(rounds):
        for n, q in enumerate(queries):
            items, wall, cpu = timed(lambda q=q: search(
                query_words(q["query"], q["lang"])))
            walls.append(wall)
            cpus.append(cpu)
            if r == 0:
                found.append(is_found([str(i.get("id")) for i in items], q["expect"]))
            if item is not None:
                key = keys[(n * 7919 + r) % len(keys)]
                base.append(timed(lambda k=key: item(k))[1])
    out: dict[str, Any] = {"queries": len(walls), "found_top3": round(sum(found) / len(found), 3),
                           "p50_ms": round(pct(walls, 50), 2), "p99_ms": round(pct(walls, 99), 2),
                           "max_ms": round(max(walls), 2),
                           "cpu_p50_ms": round(pct(cpus, 50), 2),
                           "cpu_p99_ms": round(pct(cpus, 99), 2)}
    if base:
        out.update({"baseline_p50_ms": round(pct(base, 50), 3),
                    "baseline_p99_ms": round(pct(base, 99), 3),
                    "ratio_p50": round(statistics.median(walls) / statistics.median(base), 1)})
    return out


def run_scale(total: int, queries: list[dict[str, Any]], postgres: bool,
              rounds: int) -> dict[str, Any]:
    """p50/p99 per query at ``total`` items: in memory, SQLite, PostgreSQL."""
    import sqlalchemy as sa

    from ivr.lookup.readonly import catalogue_engine
    from ivr.migrations import upgrade
    from ivr.search.sql import SqlCatalogue, import_catalogue

    config = demo_config("library")
    real = read_rows(MENUS["library"].parent / config.file, config)
    rows = generated_rows(real, total)
    keys = [r["id"] for r in rows]
    library = [q for q in queries if q["catalogue"] == "library"]
    out: dict[str, Any] = {"items": len(rows), "library_queries": len(library), "rounds": rounds}

    index, build_ms, _ = timed(lambda: CatalogueIndex(rows, config.fields, config.key,
                                                           headings=config.headings))
    out["distinct_words"] = len(index.vocabulary.words)
    print(f"  {len(rows)} items, {out['distinct_words']} distinct words", flush=True)
    out["memory"] = {"build_s": round(build_ms / 1000, 1),
                     **measure(lambda w: index.search(w, WIDE), index.get, library, keys, rounds)}
    print(f"  in memory: {out['memory']}", flush=True)

    sql_config = CatalogueConfig("sql", config.where, config.fields, config.key,
                                 name="bench-library", headings=config.headings)

    def one(url: str) -> dict[str, Any]:
        upgrade(url)
        writer = sa.create_engine(url)
        _, import_ms, _ = timed(lambda: import_catalogue(writer, "bench-library", rows,
                                                         config.fields, config.key,
                                                         config.headings))
        writer.dispose()
        engine = catalogue_engine(url, 10.0)  # read-only, as for a call
        catalogue = SqlCatalogue(sql_config, engine)
        try:
            for q in library[:20]:  # connections open, caches warm
                catalogue.search(query_words(q["query"], q["lang"]), WIDE)
            return {"import_s": round(import_ms / 1000, 1),
                    **measure(lambda w: catalogue.search(w, WIDE), catalogue.item, library,
                              keys, rounds)}
        finally:
            engine.dispose()

    with tempfile.TemporaryDirectory() as folder:
        out["sqlite"] = one(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        print(f"  SQLite: {out['sqlite']}", flush=True)
    if postgres:
        with postgres_database() as url:
            if url is not None:
                out["postgresql"] = one(url)
                print(f"  PostgreSQL: {out['postgresql']}", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--final", action="store_true",
                        help="measure the test half (once, at the end) instead of the dev half")
    parser.add_argument("--scale", type=int, default=100_000,
                        help="items for the scale run (0: skip it)")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the queries at scale")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--data", type=Path, default=DATA, help="folder with dev/ and test/")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    half = "test" if args.final else "dev"
    queries = read(half, args.data)
    if not queries:
        raise SystemExit(f"no queries in {args.data / half}")
    load = os.getloadavg()
    print(f"{len(queries)} {half} queries; load average {load[0]:.1f}", flush=True)
    result: dict[str, Any] = {"when": datetime.now(UTC).isoformat(timespec="seconds"),
                              "half": half, "load_average": [round(x, 1) for x in load],
                              "quality": run_quality(queries, args.verbose)}
    print(f"{'group':16} {'n':>4} {'found@3':>8} {'absent':>6} {'nf 1st':>6} {'false nf':>8} "
          f"{'attrs':>5} {'contra':>6} {'p50 ms':>7} {'p99 ms':>7} {'cpu p99':>7}")

    def share(value: float | None) -> str:
        return "-" if value is None else f"{value:.3f}"

    for name, row in result["quality"]["groups"].items():
        print(f"{name:16} {row['n']:4} {row['found_top3']:8.3f} {row['absent']:6} "
              f"{share(row['not_found_first']):>6} {share(row['false_not_found']):>8} "
              f"{row['with_attrs']:5} {share(row['contradicted']):>6} {row['p50_ms']:7.2f} "
              f"{row['p99_ms']:7.2f} {row['cpu_p99_ms']:7.2f}")
    if args.verbose:
        for name, row in result["quality"]["kinds"].items():
            print(f"  kind {name:20} {row['n']:4} {row['found_top3']:.3f}")
    if args.scale:  # a measure of time: always the dev half's queries
        print(f"scale: {args.scale} items", flush=True)
        result["scale"] = run_scale(args.scale, read("dev", args.data), not args.no_postgres,
                                    args.rounds)
    result["load_average_after"] = [round(x, 1) for x in os.getloadavg()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")


if __name__ == "__main__":
    main()
