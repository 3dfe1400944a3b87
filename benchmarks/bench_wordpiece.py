"""Time to tokenize one utterance for MiniLM: ivr.speech.wordpiece vs the tokenizers package.

Banking77's train utterances (never its test split), one at a time as a caller's words
come: the plain-Python tokenizer with no word cache (every word looked up anew), with
its cache warmed by one pass (words seen before: the usual case on a live menu), and
tokenizers' BertWordPieceTokenizer (Rust, the `test` extra) set up as MiniLM used it;
beside them, a MiniLM run (its tokenizing included) for scale. Also counts ids that differ.

    python benchmarks/bench_wordpiece.py [--banking77 DIR] [--limit N] [--out FILE]
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ivr.speech.minilm import MAX_TOKENS, VOCAB  # noqa: E402
from ivr.speech.wordpiece import WordPiece  # noqa: E402

# The shared data folder beside the checkout (or one level further up, from a worktree).
DEFAULT_DATA = next((p for p in (ROOT.parents[n] / "shared" / "data" / "banking77" for n in (0, 1))
                     if p.is_dir()), ROOT.parent / "shared" / "data" / "banking77")
RESULTS = ROOT / "benchmarks" / "results" / "wordpiece.json"


def per_call(run: Callable[[str], Any], texts: Sequence[str], rounds: int) -> dict[str, float]:
    """Mean, median and p99 microseconds of run(text), each text once per round."""
    times = []
    for _ in range(rounds):
        for text in texts:
            started = time.perf_counter()
            run(text)
            times.append(time.perf_counter() - started)
    times.sort()
    return {"mean_us": round(statistics.fmean(times) * 1e6, 1),
            "median_us": round(times[len(times) // 2] * 1e6, 1),
            "p99_us": round(times[int(len(times) * 0.99)] * 1e6, 1)}


def main() -> int:
    """Measure, print a table, write the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--banking77", type=Path, default=DEFAULT_DATA, help="Banking77 directory")
    ap.add_argument("--limit", type=int, default=0, help="first N utterances only (0: all)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--model-limit", type=int, default=300, help="utterances MiniLM runs on")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()

    with (args.banking77 / "train.csv").open(encoding="utf-8", newline="") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)]
    if args.limit:
        texts = texts[: args.limit]
    figures: dict[str, Any] = {"utterances": len(texts), "rounds": args.rounds}

    cold = WordPiece(VOCAB, max_tokens=MAX_TOKENS, cache=0)
    figures["wordpiece_no_cache"] = per_call(cold.encode, texts, args.rounds)
    warm = WordPiece(VOCAB, max_tokens=MAX_TOKENS)
    for text in texts:
        warm.encode(text)
    figures["wordpiece_warm_cache"] = per_call(warm.encode, texts, args.rounds)
    try:
        from tokenizers import BertWordPieceTokenizer
    except ImportError:
        print("tokenizers is not installed (the test extra): no comparison", file=sys.stderr)
    else:
        rust = BertWordPieceTokenizer(str(VOCAB), lowercase=True)
        rust.enable_truncation(MAX_TOKENS)
        rust.no_padding()
        figures["tokenizers_rust"] = per_call(lambda text: rust.encode(text).ids, texts, args.rounds)
        figures["ids_differ"] = sum(rust.encode(t).ids != warm.encode(t) for t in texts)
    try:
        from ivr.speech.minilm import MiniLMEncoder

        model = MiniLMEncoder()
    except ImportError as exc:
        print(f"MiniLM not measured: {exc}", file=sys.stderr)
    else:
        figures["minilm_quantized"] = model.quantized
        figures["minilm_model_run"] = per_call(lambda text: model([text]), texts[: args.model_limit], 1)

    for name, value in figures.items():
        print(f"{name:22} {value}")
    args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
