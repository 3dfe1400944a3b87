"""Spoken requests against the demo menus, in English, French and Romanian, through the engine.

Each row of benchmarks/data/eval_{en,fr,ro}.csv is something a caller says at a node
(`at`) of a demo menu and the option it should lead to (`expected`). The utterances
were written by hand for this project, apart from the menus' phrases (none equals a
menu phrase) and are never used for tuning. Every utterance goes through the real
engine (core.step with Input(speech=..., confidence=0.9)), so the figures include
the node's own options, jumps to the menu's directory and the refinement decisions.

A route counts as correct when the caller lands on `expected` or on an answer one
level inside it (a jump straight to the answer is at least as good).
  top1         the engine's first choice is correct (a confident route, the first
               candidate offered, or the one it asks to confirm)
  top3         the correct one is among the first three it considers
  refine_share share of utterances answered with a mini-menu or a confirmation
  resolved     correct directly, or offered within that one refinement
Writes its records into benchmarks/results/speech.json (replacing earlier demo-* ones).
Run: .venv/bin/python benchmarks/bench_menus.py
"""

from __future__ import annotations

import csv
import json
import statistics
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ivr.engine import core  # noqa: E402
from ivr.engine.types import Enter, Input  # noqa: E402
from ivr.menu.loader import load_menu  # noqa: E402
from ivr.menu.model import Menu  # noqa: E402
from ivr.nodes.menu import destination_index  # noqa: E402

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def inside(menu: Menu, expected: str) -> set[str]:
    """``expected`` and the nodes its options lead to directly."""
    node = menu.nodes[expected]
    return {expected, *(target for target, _ in node.option_phrases("en"))}


def route(menu: Menu, at: str, lang: str, utterance: str) -> tuple[list[str], str, float]:
    """(targets in the order the engine considers them, decision kind, milliseconds)."""
    start = core.start(menu, NOW)
    assert start.state is not None
    state = replace(start.state, node=at, lang=lang, path=(menu.main, at))
    entered = core.step(menu, state, Enter(), NOW)
    assert entered.state is not None
    began = time.perf_counter()
    turn = core.step(menu, entered.state, Input(speech=utterance, confidence=0.9), NOW)
    elapsed = (time.perf_counter() - began) * 1000
    assert turn.state is not None
    pending = turn.state.pending
    if pending.startswith("refine:"):
        return pending.split(":", 1)[1].split(","), "refine", elapsed
    if pending.startswith("confirm:"):
        return [pending.split(":", 1)[1]], "refine", elapsed
    if turn.state.node != at:
        return [turn.state.node], "confident", elapsed
    # Nothing chosen: what would the node's own options have ranked?
    call = core.Call(menu, entered.state, NOW)
    ranked = destination_index(call, at, menu.nodes[at].options).rank(  # type: ignore[attr-defined]
        utterance, limit=3) if hasattr(menu.nodes[at], "options") else []
    return [r.target for r in ranked], "none", elapsed


def evaluate(lang: str) -> dict[str, Any]:
    """Figures for one language's evaluation set."""
    rows = list(csv.DictReader(open(ROOT / "benchmarks" / "data" / f"eval_{lang}.csv",
                                    encoding="utf-8")))
    menus = {m: load_menu(ROOT / "menus" / f"{m}.yaml") for m in {r["menu"] for r in rows}}
    top1 = top3 = refine = resolved = 0
    times = []
    misses = []
    for row in rows:
        menu = menus[row["menu"]]
        good = inside(menu, row["expected"])
        targets, kind, ms = route(menu, row["at"], lang, row["utterance"])
        times.append(ms)
        first_ok = bool(targets) and targets[0] in good
        top1 += first_ok
        top3 += any(t in good for t in targets[:3])
        refine += kind == "refine"
        ok = (kind == "confident" and first_ok) or (kind == "refine" and
                                                     any(t in good for t in targets[:3]))
        resolved += ok
        if not ok:
            misses.append(f"{row['menu']}/{row['at']}: {row['utterance']!r} -> {kind} {targets}"
                          f" (expected {row['expected']})")
    n = len(rows)
    ordered = sorted(times)
    return {
        "dataset": f"demo-{lang}", "k": None, "matcher": "phrase_index+engine",
        "top1": round(top1 / n, 4), "top3": round(top3 / n, 4),
        "refine_share": round(refine / n, 4), "resolved": round(resolved / n, 4),
        "p50_ms": round(statistics.median(ordered), 3),
        "p99_ms": round(ordered[max(0, int(n * 0.99) - 1)], 3), "n": n,
        "misses": misses,
    }


def main() -> None:
    """Evaluate every language, print a table, merge the records into speech.json."""
    records = [evaluate(lang) for lang in ("en", "fr", "ro")]
    print(f"{'dataset':<10} {'n':>4} {'top1':>6} {'top3':>6} {'refine':>7} {'resolved':>9} "
          f"{'p50 ms':>7} {'p99 ms':>7}")
    for r in records:
        print(f"{r['dataset']:<10} {r['n']:>4} {r['top1']:>6} {r['top3']:>6} "
              f"{r['refine_share']:>7} {r['resolved']:>9} {r['p50_ms']:>7} {r['p99_ms']:>7}")
        for miss in r["misses"]:
            print(f"    miss: {miss}")
    out = ROOT / "benchmarks" / "results" / "speech.json"
    existing = json.loads(out.read_text()) if out.exists() else []
    kept = [r for r in existing if not str(r.get("dataset", "")).startswith("demo-")]
    clean = [{k: v for k, v in r.items() if k != "misses"} for r in records]
    out.write_text(json.dumps(kept + clean, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(clean))


if __name__ == "__main__":
    main()
