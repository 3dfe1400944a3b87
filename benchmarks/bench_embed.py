"""Semantic matching: does the hybrid (lexical + sentence embeddings) beat the lexical matcher?

Two measurements, every matcher configuration in the same run:

* Callers' utterances to the demo menus (the DEV half of the blind caller set: JSON lines
  {"menu", "lang", "at", "text", "expect"} in --dev, default benchmarks/data/callers/dev):
  per language, the destination top-1 of the menu-wide directory
  (``directory(menu, lang)``, built from ``directory_entries``), top-3, and the
  milliseconds of a whole spoken step through the engine (``core.step`` at the node the
  caller is at, menus made ready at load by ``warm_menu``, the utterance never seen
  before by the encoder). The test half is never read here.
* Banking77 (PolyAI, CC BY 4.0; Casanueva et al., ACL 2020 NLP for ConvAI workshop):
  the first K train phrases per intent indexed (K = 5, 10, 30), every test utterance
  routed, top-1. Weights and thresholds were tuned on train only (bench_speech.py --tune).

Configurations: ``lexical``; ``hybrid:per-language`` (no IVR_EMBED_MODEL: all-MiniLM-L6-v2
for English, multilingual e5-small for fr/ro); ``hybrid:<model>`` with one model for
every language (IVR_EMBED_MODEL=<model>).

Writes benchmarks/results/embed.json and prints a table.
Run: .venv/bin/python benchmarks/bench_embed.py [--models e5-small-q4,minilm-l6-int8] [--quick]
     [--banking77-configs lexical,hybrid:per-language,hybrid:e5-small-q4]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_speech import load, split_train  # noqa: E402

from ivr.engine import core  # noqa: E402
from ivr.engine.types import Enter, Input  # noqa: E402
from ivr.menu.loader import load_menu  # noqa: E402
from ivr.menu.model import Menu  # noqa: E402
from ivr.nodes.routing import directory, directory_entries  # noqa: E402
from ivr.nodes.warmup import warm_menu  # noqa: E402
from ivr.speech import PhraseIndex, use_matcher  # noqa: E402

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
RESULTS = ROOT / "benchmarks" / "results" / "embed.json"
LANGS = ("en", "fr", "ro")
KS = (5, 10, 30)


def _first_existing(*candidates: Path) -> Path:
    """The first folder that exists (else the first candidate, for the error message)."""
    return next((c for c in candidates if c.is_dir()), candidates[0])


def read_dev(folder: Path) -> list[dict[str, str]]:
    """Every utterance of the dev half, in file order (refuses a folder named test)."""
    if folder.name == "test" or "test" in folder.parts[-2:]:
        raise SystemExit("the test half is measured only at the end, not by this benchmark")
    rows: list[dict[str, str]] = []
    for path in sorted(folder.glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            rows.extend(json.loads(line) for line in fh if line.strip())
    return rows


def configure(config: str) -> None:
    """Make ``config`` the live matcher: lexical, hybrid:per-language or hybrid:<model>."""
    if config == "lexical":
        use_matcher("lexical")
        return
    model = config.split(":", 1)[1]
    if model == "per-language":
        os.environ.pop("IVR_EMBED_MODEL", None)
    else:
        os.environ["IVR_EMBED_MODEL"] = model
    if use_matcher("hybrid") != "hybrid":
        raise SystemExit(f"{config}: the embeddings extra is not installed")
    from ivr.speech.encoders import encoders

    for enc in encoders.values():
        enc.forget_recent()  # every utterance is new to the encoder, as on a real call


def step_ms(menu: Menu, at: str, lang: str, text: str) -> tuple[float, float]:
    """Wall and CPU milliseconds of one spoken step at node ``at`` (its entry is not timed).

    The CPU time is this thread's own (both models run one thread, on the caller's): what
    the step costs on an idle machine, whatever the neighbours on a shared one are doing.
    """
    started = core.start(menu, NOW)
    assert started.state is not None
    state = replace(started.state, node=at, lang=lang, path=(menu.main, at))
    entered = core.step(menu, state, Enter(), NOW)
    assert entered.state is not None
    began, cpu = time.perf_counter(), time.thread_time()
    core.step(menu, entered.state, Input(speech=text, confidence=0.9), NOW)
    return (time.perf_counter() - began) * 1000.0, (time.thread_time() - cpu) * 1000.0


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def dev_records(config: str, rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Per-language figures of one configuration on the dev half."""
    configure(config)
    menus: dict[str, Menu] = {}
    warm_ms = 0.0
    for name in sorted({r["menu"] for r in rows}):
        menus[name] = load_menu(ROOT / "menus" / f"{name}.yaml")
        began = time.perf_counter()
        warm_menu(menus[name])
        warm_ms += (time.perf_counter() - began) * 1000.0
    records = []
    for lang in LANGS:
        mine = [r for r in rows if r["lang"] == lang]
        if not mine:
            continue
        top1 = top3 = reachable = reachable_top1 = 0
        times = []
        cpu_times = []
        misses = []
        for row in mine:
            menu = menus[row["menu"]]
            listed = any(t == row["expect"] for t, _ in directory_entries(menu, lang))
            # The step first: its encoder has not seen the words yet.
            wall, cpu = step_ms(menu, row["at"], lang, row["text"])
            times.append(wall)
            cpu_times.append(cpu)
            ranked = [s.target for s in directory(menu, lang).rank(row["text"], limit=3)]
            top1 += bool(ranked) and ranked[0] == row["expect"]
            top3 += row["expect"] in ranked
            reachable += listed
            reachable_top1 += listed and bool(ranked) and ranked[0] == row["expect"]
            if not ranked or ranked[0] != row["expect"]:
                misses.append(f"{row['menu']}: {row['text']!r} -> {ranked[:2]} (expected {row['expect']})")
        n = len(mine)
        records.append({
            "dataset": f"callers-dev-{lang}", "matcher": config, "n": n,
            "top1": round(top1 / n, 4), "top3": round(top3 / n, 4),
            # Only the utterances whose destination the directory lists (a hang-up or a
            # person is reached another way): the matcher's own share.
            "n_listed": reachable, "top1_listed": round(reachable_top1 / max(reachable, 1), 4),
            "step_p50_ms": round(statistics.median(times), 3), "step_p99_ms": round(pct(times, 0.99), 3),
            "step_cpu_p50_ms": round(statistics.median(cpu_times), 3),
            "step_cpu_p99_ms": round(pct(cpu_times, 0.99), 3),
            "warm_ms_all_menus": round(warm_ms, 1), "misses": misses,
        })
    return records


def banking_records(config: str, data: Path, limit: int | None) -> list[dict[str, Any]]:
    """Banking77 test top-1 for K = 5, 10, 30 (English) with one configuration."""
    configure(config)
    train, test = load(data / "train.csv"), load(data / "test.csv")
    if limit:
        test = test[:limit]
    records = []
    for k in KS:
        entries, _ = split_train(train, k)
        if config == "lexical":
            index: Any = PhraseIndex(entries, "en")
        else:
            from ivr.speech.embed import HybridIndex

            index = HybridIndex(entries, "en")
        times = []
        top1 = 0
        for text, gold in test:
            began = time.perf_counter()
            ranked = index.rank(text, 1)
            times.append((time.perf_counter() - began) * 1000.0)
            top1 += bool(ranked) and ranked[0].target == gold
        records.append({
            "dataset": "banking77", "k": k, "matcher": config, "n": len(test),
            "top1": round(top1 / len(test), 4),
            "p50_ms": round(statistics.median(times), 3), "p99_ms": round(pct(times, 0.99), 3),
        })
    return records


def main() -> None:
    """Run every configuration, print the tables, write the JSON results."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--dev", type=Path, default=ROOT / "benchmarks" / "data" / "callers" / "dev")
    ap.add_argument("--banking77", type=Path, default=_first_existing(
        ROOT.parent / "shared" / "data" / "banking77", ROOT.parents[1] / "shared" / "data" / "banking77"))
    ap.add_argument("--models", default="e5-small-q4,minilm-l6-int8",
                    help="models tried alone for every language, besides per-language")
    ap.add_argument("--quick", action="store_true", help="500 Banking77 test utterances")
    ap.add_argument("--misses", action="store_true", help="print every utterance routed wrong")
    ap.add_argument("--banking77-configs", default="lexical,hybrid:per-language",
                    help="configurations also run on Banking77 (English; empty: none)")
    args = ap.parse_args()
    configs = ["lexical", "hybrid:per-language", *(f"hybrid:{m}" for m in args.models.split(",") if m)]
    rows = read_dev(args.dev)
    records: list[dict[str, Any]] = []
    for config in configs:
        records += dev_records(config, rows)
        if config in args.banking77_configs.split(","):
            records += banking_records(config, args.banking77, 500 if args.quick else None)
    use_matcher("lexical")
    print(f"{'dataset':<16} {'matcher':<26} {'n':>5} {'top1':>6} {'top3':>6} {'listed':>6} "
          f"{'p50 ms':>7} {'p99 ms':>7} {'cpu p50':>7} {'cpu p99':>7}")
    for r in records:
        print(f"{r['dataset'] + (' K=' + str(r['k']) if 'k' in r else ''):<16} {r['matcher']:<26} "
              f"{r['n']:>5} {r['top1']:>6} {r.get('top3', ''):>6} {r.get('top1_listed', ''):>6} "
              f"{r.get('step_p50_ms', r.get('p50_ms')):>7} {r.get('step_p99_ms', r.get('p99_ms')):>7} "
              f"{r.get('step_cpu_p50_ms', ''):>7} {r.get('step_cpu_p99_ms', ''):>7}")
    for lang in LANGS:
        lex = next((r for r in records
                    if r["dataset"] == f"callers-dev-{lang}" and r["matcher"] == "lexical"), None)
        for r in records:
            if lex and r["dataset"] == lex["dataset"] and r["matcher"] != "lexical":
                r["top1_minus_lexical"] = round(r["top1"] - lex["top1"], 4)
                r["step_p50_ratio_to_lexical"] = round(r["step_p50_ms"] / lex["step_p50_ms"], 2)
    if args.misses:
        for r in records:
            for miss in r.get("misses", ()):
                print(f"    {r['dataset']} {r['matcher']}: {miss}")
    for r in records:
        r.pop("misses", None)  # printed with --misses; the results file keeps the figures
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    if RESULTS.exists():  # a partial run (--no-banking77, --models) keeps the other records
        fresh = {(r["dataset"], r.get("k"), r["matcher"]) for r in records}
        records = [r for r in json.loads(RESULTS.read_text(encoding="utf-8"))["records"]
                   if (r["dataset"], r.get("k"), r["matcher"]) not in fresh] + records
    RESULTS.write_text(json.dumps({"measured": datetime.now(UTC).isoformat(timespec="seconds"),
                                   "cpus": os.cpu_count(), "load_average_at_end": os.getloadavg(),
                                   "records": records},
                                  indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
