"""The queue benchmark runs (tiny mode): every waiting caller's wait URL answers wait TwiML."""

from __future__ import annotations

import importlib.util

from tests.conftest import ROOT


def test_the_queue_benchmark_runs_in_tiny_mode() -> None:
    spec = importlib.util.spec_from_file_location("bench_queue",
                                                  ROOT / "benchmarks" / "bench_queue.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    figures = bench.main(["--tiny"])
    assert figures["callers"] == 20 and figures["requests"] == 40
    assert figures["not_waiting"] == 0  # every answer kept its caller waiting, with a Gather
    assert 0 < figures["p50_ms"] <= figures["p99_ms"] <= figures["max_ms"]
