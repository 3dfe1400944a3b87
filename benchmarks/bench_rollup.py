"""What writing one journey line costs the journey writer, by how long its call already is.

A call's lines are written a batch at a time, as the journey writer flushes them; each
batch brings the call's analytics rollups up to date. For each call length (lines
already written) this times a further one-line batch (the line insert plus the rollup
refresh), in CPU seconds of this process (steadier than wall time on a shared machine;
the database server's own CPU is not included), median of --repeat. A step's cost
should not grow with the length of its call.

Run: .venv/bin/python benchmarks/bench_rollup.py [--lengths 10 100 400] [--repeat 30]
     [--postgres URL]  (an admin URL: a scratch database is created, then dropped)
Writes benchmarks/results/rollup.json.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
LOOP = [  # (node, event, input, outcome, entered, kind): a caller going round the menus
    ("main", "choice", "1", "go:hours_info", "hours_info/message", "menu"),
    ("hours_info", "done", "", "go:back", "main/menu", "message"),
    ("main", "speech", "blah", "nothing", "", "menu"),
    ("main", "nothing_found", "blah", "try 1/3", "main/menu", "menu"),
]


def line(sid: str, i: int) -> dict[str, Any]:
    node, event, given, outcome, entered, kind = LOOP[i % len(LOOP)]
    return {"call_sid": sid, "at": START + timedelta(seconds=5 * i), "menu": "mini",
            "node": node, "event": event, "input": given, "outcome": outcome, "lang": "en",
            "kind": kind, "entered": entered, "request_token": f"{sid}-{i}", "part": 0}


def run(name: str, url: str, lengths: list[int], repeat: int) -> dict[str, Any]:
    from ivr.data.store import Store
    from ivr.migrations import upgrade

    upgrade(url)
    store = Store(url)
    result: dict[str, Any] = {"database": name, "cpu_us_per_line": {}}
    for length in lengths:
        sid = f"CA{secrets.token_hex(16)}"
        store.write_batch([{"call_sid": sid, "account_sid": "AC1", "from_number": "+40721234567",
                            "to_number": "+15005550001", "menu": "mini", "started_at": START}],
                          [], [])
        for start in range(0, length, 50):  # the call so far, 50 lines a batch
            store.write_batch([], [line(sid, i) for i in range(start, min(start + 50, length))],
                              [])
        samples = []
        for i in range(length, length + repeat):
            before = time.process_time()
            store.write_batch([], [line(sid, i)], [])
            samples.append(time.process_time() - before)
        result["cpu_us_per_line"][str(length)] = round(statistics.median(samples) * 1e6)
        print(f"{name}: a line at {length:>5} lines into its call: "
              f"{result['cpu_us_per_line'][str(length)]:>7} µs CPU", flush=True)
    costs = list(result["cpu_us_per_line"].values())
    result["longest_vs_shortest"] = round(costs[-1] / max(1, costs[0]), 2)
    store.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[10, 100, 400])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--postgres", default=os.environ.get("IVR_BENCH_POSTGRES_URL"),
                        help="an admin PostgreSQL URL (a scratch database is created, then dropped)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "rollup.json"))
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("IVR_INSTANCE_DIR", tmp)
        results.append(run("sqlite", f"sqlite:///{tmp}/bench.sqlite3", args.lengths, args.repeat))
    if args.postgres:
        import psycopg

        name = f"ivr_bench_rollup_{secrets.token_hex(3)}"
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = f"{args.postgres.rsplit('/', 1)[0]}/{name}".replace(
            "postgresql://", "postgresql+psycopg://", 1)
        try:
            results.append(run("postgresql", url, args.lengths, args.repeat))
        finally:
            with psycopg.connect(args.postgres, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    out = {"benchmark": "rollup", "load_average": [round(x, 1) for x in os.getloadavg()],
           "results": results}
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
