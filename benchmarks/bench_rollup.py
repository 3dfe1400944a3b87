"""What writing one journey line costs the journey writer, by how long its call already is.

A call's lines are written a batch at a time, as the journey writer flushes them; each
batch brings the call's analytics rollups up to date. For each call length (lines
already written) this times a further one-line batch (the line insert plus the rollup
refresh), in CPU seconds of this process (steadier than wall time on a shared machine;
the database server's own CPU is not included), median of --repeat. A step's cost
should not grow with the length of its call.

Then (--batches N) the batches the writer sees under load: 40 callers each going
through calls of 5 to 7 steps, a batch holding the next 5 lines of each (200 lines),
with the starts of the calls begun and the statuses of the calls ended; CPU µs per
journey line of the whole write_batch, median of N batches. The rollups written are
then checked against a rebuild from the journeys.

Run: .venv/bin/python benchmarks/bench_rollup.py [--lengths 10 100 400] [--repeat 30]
     [--batches 40] [--postgres URL]  (an admin URL: a scratch database is created, then dropped)
Writes benchmarks/results/rollup.json.
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


class Callers:
    """Callers going through calls one after another, as under load: ``batch`` gives the
    next lines of every caller, the starts of the calls begun and the statuses of those ended."""

    def __init__(self, callers: int, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.clock = START
        self.calls: list[tuple[str, int, int]] = [self._new() for _ in range(callers)]

    def _new(self) -> tuple[str, int, int]:
        return f"CA{self.rng.getrandbits(128):032x}", self.rng.randint(5, 7), 0

    def batch(self, per_caller: int) -> tuple[list[dict[str, Any]], ...]:
        starts: list[dict[str, Any]] = []
        steps: list[dict[str, Any]] = []
        statuses: list[dict[str, Any]] = []
        self.clock += timedelta(seconds=1)
        for slot, (sid, length, done) in enumerate(self.calls):
            for _ in range(per_caller):
                at = self.clock + timedelta(milliseconds=10 * done)
                if done == 0:
                    starts.append({"call_sid": sid, "account_sid": "AC1",
                                   "from_number": "+40721234567", "to_number": "+15005550001",
                                   "menu": "mini", "started_at": at})
                steps.append({**line(sid, done), "at": at})
                done += 1
                if done == length:
                    statuses.append({"call_sid": sid, "account_sid": "AC1",
                                     "from_number": "+40721234567",
                                     "to_number": "+15005550001", "status": "completed",
                                     "status_seq": 3, "duration": 5 * length, "updated_at": at})
                    sid, length, done = self._new()
            self.calls[slot] = (sid, length, done)
        return starts, steps, statuses


def rollup_rows(engine: Any) -> dict[str, list[tuple[Any, ...]]]:
    import sqlalchemy as sa

    from ivr.data.rollup import ROLLUPS

    with engine.connect() as conn:
        return {table.name: sorted(tuple(row) for row in conn.execute(sa.select(table)))
                for table in ROLLUPS}


def run_batches(name: str, store: Any, batches: int, callers: int = 40,
                per_caller: int = 5) -> dict[str, Any]:
    """CPU per journey line of realistic batches (median of ``batches``), and the rollups
    they left checked against a rebuild."""
    import sqlalchemy as sa

    from ivr.data.rollup import ROLLUPS, rebuild

    source = Callers(callers)
    samples = []
    lines = 0
    for _ in range(batches + 2):  # the first two warm up (and start every caller's call)
        starts, steps, statuses = source.batch(per_caller)
        before = time.process_time()
        store.write_batch(starts, steps, statuses)
        samples.append((time.process_time() - before) / len(steps))
        lines += len(steps)
    per_line = round(statistics.median(samples[2:]) * 1e6, 1)
    folded = rollup_rows(store.engine)
    with store.engine.begin() as conn:
        for table in ROLLUPS:
            conn.execute(table.delete())
    rebuild(store.engine)
    if rollup_rows(store.engine) != folded:
        raise SystemExit(f"{name}: the rollups folded batch by batch differ from a rebuild")
    with store.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT count(*) FROM journey_steps")).scalar_one()
    print(f"{name}: batches of {callers * per_caller} lines ({callers} callers): "
          f"{per_line:>7} µs CPU per line (rollups match a rebuild)", flush=True)
    return {"lines_per_batch": callers * per_caller, "callers": callers,
            "batches": batches, "cpu_us_per_line": per_line, "lines_written": lines,
            "journey_steps_stored": stored}


def run(name: str, url: str, lengths: list[int], repeat: int, batches: int) -> dict[str, Any]:
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
    if batches:
        result["batch"] = run_batches(name, store, batches)
    store.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[10, 100, 400])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--batches", type=int, default=40,
                        help="realistic batches timed (0: none)")
    parser.add_argument("--postgres", default=os.environ.get("IVR_BENCH_POSTGRES_URL"),
                        help="an admin PostgreSQL URL (a scratch database is created, then dropped)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "rollup.json"))
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("IVR_INSTANCE_DIR", tmp)
        results.append(run("sqlite", f"sqlite:///{tmp}/bench.sqlite3", args.lengths, args.repeat,
                           args.batches))
    if args.postgres:
        import psycopg

        name = f"ivr_bench_rollup_{secrets.token_hex(3)}"
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = f"{args.postgres.rsplit('/', 1)[0]}/{name}".replace(
            "postgresql://", "postgresql+psycopg://", 1)
        try:
            results.append(run("postgresql", url, args.lengths, args.repeat,
                           args.batches))
        finally:
            with psycopg.connect(args.postgres, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    out = {"benchmark": "rollup", "load_average": [round(x, 1) for x in os.getloadavg()],
           "results": results}
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
