"""What callers say to the demo menus, in English, French and Romanian, through the engine.

Data: benchmarks/data/callers/dev/*.jsonl (and, with --final only, .../test/*.jsonl),
one line per utterance: {"menu": "shop", "lang": "en", "at": "main", "text": "...",
"expect": "tracking"}. They were written by someone who had seen the menus' prompts and
answers but never their phrases, in the style of phone speech recognition output
(lower case, no punctuation). The dev half is for tuning; the test half is measured
once, at the end, and reported apart.

Every utterance goes through the real engine (core.step with Input(speech=...,
confidence=0.9)) at the node `at`: prompt words, requests for a person, the node's
options and every destination of the menu, refinements. Outcomes:
  top1          went straight to `expect`
  resolved      straight to `expect`, or `expect` among the refinement offered
                (a mini-menu, or "Did you mean ...?")
  wrong         went straight somewhere else
  nothing       nothing offered ("couldn't find anything", or the main topics read out)
  refine        share answered with a mini-menu or a confirmation
p50/p99: CPU milliseconds per spoken step (this thread's CPU time, so other processes on a
shared machine do not inflate it), routing indexes built beforehand (as when a menu
version loads). Writes benchmarks/results/callers.json.
Run: .venv/bin/python benchmarks/bench_menus.py [--final] [--matcher lexical|hybrid] [-v]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ivr.engine import core  # noqa: E402
from ivr.engine.types import Enter, Input, Turn  # noqa: E402
from ivr.menu.loader import load_menu  # noqa: E402
from ivr.menu.model import Menu  # noqa: E402

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # a Tuesday, desks open
DATA = ROOT / "benchmarks" / "data" / "callers"
RESULTS = ROOT / "benchmarks" / "results" / "callers.json"
LANGS = ("en", "fr", "ro")
STRAIGHT = ("match", "jump", "prompt", "person", "confirm")


def read(half: str, limit: int | None = None) -> list[dict[str, str]]:
    """Every utterance of one half (dev or test), in file order; at most ``limit`` a file."""
    rows = []
    for path in sorted((DATA / half).glob("*.jsonl")):
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        rows += [json.loads(line) for line in lines[:limit]]
    return rows


def _decided(turn: Turn) -> str | None:
    """Where the engine sent the caller this step (before any hours/transfer hops)."""
    for step in turn.steps:
        head, _, rest = step.outcome.partition(":")
        if step.event == "speech" and head in STRAIGHT:
            return rest.split(":", 1)[0]
        if step.event == "choice" and head == "go":
            return rest
        if step.event == "key" and head == "global":
            return rest
    return None


def route(menu: Menu, at: str, lang: str, text: str) -> tuple[str, list[str], float]:
    """(kind, targets, milliseconds): kind is straight, refine or nothing."""
    start = core.start(menu, NOW)
    assert start.state is not None
    state = replace(start.state, node=at, lang=lang, path=(menu.main, at))
    entered = core.step(menu, state, Enter(), NOW)
    assert entered.state is not None
    began = time.thread_time()  # CPU time: other processes on a shared machine do not count
    turn = core.step(menu, entered.state, Input(speech=text, confidence=0.9), NOW)
    elapsed = (time.thread_time() - began) * 1000
    pending = turn.state.pending if turn.state is not None else ""
    kind, _, rest = pending.partition(":")
    if kind in ("refine", "confirm"):
        return "refine", rest.split(","), elapsed
    if kind == "topics":
        return "nothing", [], elapsed
    target = _decided(turn)
    if target is not None:
        return "straight", [target], elapsed
    return "nothing", [], elapsed


def warm(menu: Menu) -> None:
    """Build the routing indexes as a menu version does when it loads."""
    try:
        from ivr.nodes.directory import warm as build
    except ImportError:  # an older engine builds them on first use: one untimed request each
        for node in menu.nodes.values():
            if node.kind in ("menu", "question"):
                for lang in menu.languages:
                    route(menu, node.id, lang, "hello")
        return
    build(menu)


def evaluate(rows: Sequence[dict[str, str]], half: str) -> list[dict[str, Any]]:
    """Figures per language for one half."""
    menus = {name: load_menu(ROOT / "menus" / f"{name}.yaml") for name in {r["menu"] for r in rows}}
    for menu in menus.values():
        warm(menu)
    by_lang: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_lang[row["lang"]].append(row)
    records = []
    for lang in [code for code in LANGS if code in by_lang]:
        counts: dict[str, int] = defaultdict(int)
        times, misses = [], []
        for row in by_lang[lang]:
            kind, targets, ms = route(menus[row["menu"]], row["at"], lang, row["text"])
            times.append(ms)
            right = row["expect"]
            counts[kind] += 1
            if kind == "straight" and targets[0] == right:
                counts["top1"] += 1
            elif kind == "straight":
                counts["wrong"] += 1
            if right in targets:
                counts["resolved"] += 1
            if not (kind == "straight" and targets[0] == right):
                misses.append(f"{row['menu']}/{row['at']}: {row['text']!r} -> {kind} "
                              f"{','.join(targets)} (expected {right})")
        n = len(by_lang[lang])
        ordered = sorted(times)
        records.append({
            "dataset": f"callers-{half}-{lang}", "n": n,
            "top1": round(counts["top1"] / n, 4), "resolved": round(counts["resolved"] / n, 4),
            "wrong_straight": round(counts["wrong"] / n, 4),
            "nothing_found": round(counts["nothing"] / n, 4),
            "refine_share": round(counts["refine"] / n, 4),
            "p50_ms": round(statistics.median(ordered), 3),
            "p99_ms": round(ordered[min(n - 1, int(n * 0.99))], 3),
            "misses": misses,
        })
    return records


def main(argv: Sequence[str] | None = None) -> int:
    """Evaluate, print a table per half, write the results."""
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--final", action="store_true", help="also measure the test half")
    ap.add_argument("--matcher", default="auto", help="auto (live default), lexical or hybrid")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--limit", type=int, default=None,
                    help="the first N utterances of each file (a smoke run, as the tests do)")
    args = ap.parse_args(argv)
    from ivr.speech import use_matcher

    matcher = use_matcher(args.matcher)
    halves = ["dev", "test"] if args.final else ["dev"]
    records: list[dict[str, Any]] = []
    for half in halves:
        rows = read(half, args.limit)
        if not rows:
            print(f"no utterances in {DATA / half}")
            continue
        records += evaluate(rows, half)
    print(f"matcher: {matcher}")
    print(f"{'dataset':<18} {'n':>4} {'top1':>6} {'resolved':>9} {'wrong':>6} {'nothing':>8} "
          f"{'refine':>7} {'p50 ms':>7} {'p99 ms':>7}")
    for r in records:
        print(f"{r['dataset']:<18} {r['n']:>4} {r['top1']:>6} {r['resolved']:>9} "
              f"{r['wrong_straight']:>6} {r['nothing_found']:>8} {r['refine_share']:>7} "
              f"{r['p50_ms']:>7} {r['p99_ms']:>7}")
        if args.verbose:
            for miss in r["misses"]:
                print(f"    {miss}")
    clean = [{**{k: v for k, v in r.items() if k != "misses"}, "matcher": matcher}
             for r in records]
    existing = json.loads(args.out.read_text()) if args.out.exists() else []
    done = {(r["dataset"], r["matcher"]) for r in clean}
    kept = [r for r in existing if (r.get("dataset"), r.get("matcher")) not in done]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(kept + clean, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
