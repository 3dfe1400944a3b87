"""Benchmark the ivr.speech phrase matcher on Banking77 (few-shot intent routing).

Dataset: PolyAI Banking77, CC BY 4.0 -- Casanueva et al., "Efficient Intent Detection
with Dual Sentence Encoders", NLP for ConvAI workshop, ACL 2020. Expected at
<repo>/../shared/data/banking77/ (train.csv, test.csv with columns text,category);
override with --banking77 DIR.

For K in (5, 10, 30) an index is built whose 77 targets carry the FIRST K train.csv
phrases of each intent (file order); every test.csv utterance is then routed. Decision
thresholds are the module defaults, tuned with --tune on train.csv only (the train
utterances beyond the first K per intent, plus intents left out of the index as
out-of-domain callers). The test split is never used for tuning.

Usage:
    .venv/bin/python benchmarks/bench_speech.py            # full run, writes results
    .venv/bin/python benchmarks/bench_speech.py --quick    # K=10, 500 test utterances
    .venv/bin/python benchmarks/bench_speech.py --tune     # train-only threshold search
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz, process  # noqa: E402

from ivr.speech import Decision, PhraseIndex, Scored, decide_from_ranking  # noqa: E402
from ivr.speech import index as speech_index  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "banking77"
RESULTS = Path(__file__).resolve().parent / "results" / "speech.json"
CITATION = (
    "PolyAI Banking77, CC BY 4.0; Casanueva et al., 'Efficient Intent Detection with Dual "
    "Sentence Encoders', NLP for ConvAI workshop, ACL 2020"
)

Example = tuple[str, str]  # (text, category)
Ranker = Callable[[str, int], list[Scored]]


def load(path: Path) -> list[Example]:
    """Read a Banking77 CSV as (text, category) pairs in file order."""
    with path.open(newline="", encoding="utf-8") as fh:
        return [(row["text"], row["category"]) for row in csv.DictReader(fh)]


def split_train(train: Sequence[Example], k: int) -> tuple[list[tuple[str, list[str]]], list[Example]]:
    """First K phrases per intent (file order) as index entries; the rest as held-out."""
    phrases: dict[str, list[str]] = defaultdict(list)
    rest: list[Example] = []
    for text, cat in train:
        if len(phrases[cat]) < k:
            phrases[cat].append(text)
        else:
            rest.append((text, cat))
    return list(phrases.items()), rest


class FuzzyBaseline:
    """Baseline: nearest example phrase by rapidfuzz token_set_ratio on lowercased text."""

    def __init__(self, entries: Sequence[tuple[str, Sequence[str]]]) -> None:
        """Flatten phrases, remembering each one's target."""
        self.texts = [p.lower() for _, ps in entries for p in ps]
        self.owner = [t for t, ps in entries for _ in ps]

    def rank(self, utterance: str, limit: int = 3) -> list[Scored]:
        """Best targets by their best phrase's token_set_ratio / 100."""
        best: dict[str, float] = {}
        for _, s, i in process.extract(
            utterance.lower(), self.texts, scorer=fuzz.token_set_ratio, limit=None
        ):
            t = self.owner[i]
            if s > best.get(t, -1.0):
                best[t] = s
        top = sorted(best.items(), key=lambda kv: -kv[1])[:limit]
        return [Scored(t, s / 100.0) for t, s in top]


def evaluate(
    rank: Ranker, tests: Sequence[Example], decide: Callable[[list[Scored]], Decision]
) -> dict[str, float]:
    """Route every utterance; return accuracy, refinement and latency figures."""
    top1 = top3 = refine = resolved = 0
    lat: list[float] = []
    for text, gold in tests:
        t0 = time.perf_counter()
        ranked = rank(text, 3)
        dec = decide(ranked)
        lat.append((time.perf_counter() - t0) * 1000.0)
        ids = [s.target for s in ranked]
        top1 += bool(ids) and ids[0] == gold
        top3 += gold in ids[:3]
        offered = [c.target for c in dec.candidates]
        if dec.kind == "refine":
            refine += 1
            resolved += gold in offered
        elif dec.kind == "confident":
            resolved += offered[0] == gold
    n = len(tests)
    lat.sort()
    return {
        "top1": round(top1 / n, 4),
        "top3": round(top3 / n, 4),
        "refine_share": round(refine / n, 4),
        "resolved": round(resolved / n, 4),
        "p50_ms": round(statistics.median(lat), 3),
        "p99_ms": round(lat[min(n - 1, int(0.99 * n))], 3),
        "n": n,
    }


def run_benchmark(data: Path, ks: Sequence[int], limit: int | None) -> list[dict[str, object]]:
    """Evaluate our index and the baseline for each K on the test split."""
    train, test = load(data / "train.csv"), load(data / "test.csv")
    if limit:
        test = test[:limit]
    records: list[dict[str, object]] = []
    for k in ks:
        entries, _ = split_train(train, k)
        t0 = time.perf_counter()
        idx = PhraseIndex(entries, "en")
        build_ms = (time.perf_counter() - t0) * 1000.0
        base = FuzzyBaseline(entries)
        matchers: list[tuple[str, Ranker, float | None]] = [
            ("phrase_index", idx.rank, build_ms),
            ("baseline_rapidfuzz_token_set", base.rank, None),
        ]
        for name, rank, bms in matchers:
            rec: dict[str, object] = {"dataset": "banking77", "k": k, "matcher": name}
            rec.update(evaluate(rank, test, decide_from_ranking))
            if bms is not None:
                rec["build_ms"] = round(bms, 1)
            rec["source"] = CITATION
            records.append(rec)
    return records


def print_table(records: Sequence[dict[str, object]]) -> None:
    """Print a fixed-width results table."""
    cols = ["k", "matcher", "top1", "top3", "refine_share", "resolved", "p50_ms", "p99_ms", "n"]
    print(" | ".join(f"{c:>12}" if c != "matcher" else f"{c:<30}" for c in cols))
    for r in records:
        print(" | ".join(f"{r[c]!s:>12}" if c != "matcher" else f"{r[c]!s:<30}" for c in cols))


# Cost of each outcome for threshold tuning: misrouting a caller is worst, an extra
# refinement turn is cheap, refusing an in-domain caller costs about one failed turn.
COST_IN = {"confident_ok": 0.0, "confident_bad": 3.0, "refine_ok": 0.25, "refine_bad": 1.5, "none": 1.0}
COST_OOD = {"confident": 2.0, "refine": 0.5, "none": 0.0}
# Each option read out beyond the first lengthens the prompt a little.
EXTRA_OPTION = 0.03


def _heldout(rest: Sequence[Example], per_intent: int) -> list[Example]:
    """First `per_intent` held-out train utterances of each intent (deterministic)."""
    seen: dict[str, int] = defaultdict(int)
    out: list[Example] = []
    for text, cat in rest:
        if seen[cat] < per_intent:
            seen[cat] += 1
            out.append((text, cat))
    return out


def _cost(
    rankings_in: list[tuple[list[Scored], str]],
    rankings_ood: list[list[Scored]],
    th: tuple[float, ...],
) -> tuple[float, float, float]:
    """Mean outcome cost, in-domain resolved share and refine share for thresholds."""
    cost = 0.0
    resolved = refine = 0
    for ranked, gold in rankings_in:
        d = decide_from_ranking(ranked, *th)
        ids = [c.target for c in d.candidates]
        if d.kind == "confident":
            ok = ids[0] == gold
            cost += COST_IN["confident_ok" if ok else "confident_bad"]
        elif d.kind == "refine":
            refine += 1
            ok = gold in ids
            cost += COST_IN["refine_ok" if ok else "refine_bad"] + EXTRA_OPTION * (len(ids) - 1)
        else:
            ok = False
            cost += COST_IN["none"]
        resolved += ok
    for ranked in rankings_ood:
        d = decide_from_ranking(ranked, *th)
        cost += COST_OOD[d.kind] + EXTRA_OPTION * max(len(d.candidates) - 1, 0)
    n = len(rankings_in)
    return cost / (n + len(rankings_ood)), resolved / n, refine / n


def _tuning_rankings(
    train: Sequence[Example], k: int, per_intent: int
) -> tuple[list[tuple[list[Scored], str]], list[list[Scored]]]:
    """Rankings of held-out train utterances: in-domain (all intents) and out-of-domain.

    Out-of-domain callers are simulated by leaving every 7th intent out of a second index
    and routing that intent's held-out utterances against it.
    """
    entries, rest = split_train(train, k)
    held = _heldout(rest, per_intent)
    ood_cats = {c for i, (c, _) in enumerate(sorted(entries)) if i % 7 == 0}
    idx = PhraseIndex(entries, "en")
    idx_in = PhraseIndex([(c, ps) for c, ps in entries if c not in ood_cats], "en")
    rin = [(idx.rank(t, 3), c) for t, c in held]
    rood = [idx_in.rank(t, 3) for t, c in held if c in ood_cats]
    return rin, rood


def tune(data: Path, ks: Sequence[int], per_intent: int, weights: bool) -> None:
    """Search score weights (optional), then decision thresholds, on train.csv only."""
    train = load(data / "train.csv")
    if weights:
        tune_weights(train, ks, per_intent)
    _tune_thresholds(train, ks, per_intent)


def tune_weights(train: Sequence[Example], ks: Sequence[int], per_intent: int) -> None:
    """Print held-out train top-1/top-3 for a small grid of score-view weights."""
    grid = [
        (0.35, 0.15, 0.15, 0.35),
        (0.4, 0.2, 0.1, 0.3),
        (0.3, 0.1, 0.1, 0.5),
        (0.25, 0.15, 0.1, 0.5),
        (0.4, 0.1, 0.2, 0.3),
        (0.3, 0.2, 0.2, 0.3),
        (0.45, 0.15, 0.15, 0.25),
    ]
    saved = (speech_index.W_TARGET, speech_index.W_PHRASE, speech_index.W_FUZZY, speech_index.W_BAYES)
    for w in grid:
        speech_index.W_TARGET, speech_index.W_PHRASE, speech_index.W_FUZZY, speech_index.W_BAYES = w
        out = []
        for k in ks:
            ranked, _ = _tuning_rankings(train, k, per_intent)
            top1 = sum(bool(r) and r[0].target == g for r, g in ranked) / len(ranked)
            top3 = sum(g in [s.target for s in r] for r, g in ranked) / len(ranked)
            out.append(f"K={k} top1={top1:.4f} top3={top3:.4f}")
        print(f"weights (target, phrase, fuzzy, bayes)={w}: " + "; ".join(out), flush=True)
    speech_index.W_TARGET, speech_index.W_PHRASE, speech_index.W_FUZZY, speech_index.W_BAYES = saved


def _tune_thresholds(train: Sequence[Example], ks: Sequence[int], per_intent: int) -> None:
    """Grid-search decision thresholds minimising the outcome cost on held-out train."""
    rin: list[tuple[list[Scored], str]] = []
    rood: list[list[Scored]] = []
    for k in ks:  # pool K values so one set of thresholds serves small and large menus
        a, b = _tuning_rankings(train, k, per_intent)
        rin += a
        rood += b
    best: tuple[float, tuple[float, ...], float, float] | None = None
    for cs in [x / 100 for x in range(20, 71, 5)]:
        for cm in [x / 100 for x in range(9, 40, 3)]:
            for rs in [x / 100 for x in range(10, 41, 5)]:
                for tg in (0.1, 0.2, 1.0):
                    for ratio in (0.0, 0.1, 0.2, 0.3):
                        th: tuple[float, ...] = (cs, cm, rs, tg, ratio)
                        c, res, ref = _cost(rin, rood, th)
                        if best is None or c < best[0]:
                            best = (c, th, res, ref)
    assert best is not None
    c, th, res, ref = best
    print(f"in-domain n={len(rin)}, out-of-domain n={len(rood)}")
    print(
        f"best (confident_score, confident_margin, refine_score, third_gap, offer_ratio)={th} cost={c:.4f} "
        f"resolved={res:.4f} refine_share={ref:.4f}"
    )
    defaults = (
        speech_index.CONFIDENT_SCORE,
        speech_index.CONFIDENT_MARGIN,
        speech_index.REFINE_SCORE,
        speech_index.THIRD_GAP,
        speech_index.OFFER_RATIO,
    )
    print(f"current defaults {defaults}: (cost, resolved, refine_share)={_cost(rin, rood, defaults)}")


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--banking77", type=Path, default=DEFAULT_DATA, help="Banking77 directory")
    ap.add_argument("--quick", action="store_true", help="K=10 only, first 500 test utterances")
    ap.add_argument("--tune", action="store_true", help="tune on train.csv only; print, write nothing")
    ap.add_argument("--tune-weights", action="store_true", help="with --tune: also grid the weights")
    ap.add_argument("--tune-k", type=int, nargs="+", default=[5, 10, 30])
    ap.add_argument("--tune-per-intent", type=int, default=20)
    ap.add_argument("--out", type=Path, default=RESULTS, help="results JSON (not written with --quick)")
    args = ap.parse_args(argv)
    data = args.banking77.resolve()
    if args.tune:
        tune(data, args.tune_k, args.tune_per_intent, args.tune_weights)
        return 0
    ks, limit = ((10,), 500) if args.quick else ((5, 10, 30), None)
    records = run_benchmark(data, ks, limit)
    print_table(records)
    if not args.quick:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
