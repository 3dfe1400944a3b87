"""How many concurrent calls 2 workers carry: open-loop arrival rates, p99 per rate.

Starts the service as benchmarks/bench_load.py does (the Procfile's web line: 2 workers ×
4 threads, production settings, a fresh SQLite and/or PostgreSQL database, the demo menus
open around the clock) and sends call steps at FIXED arrival rates: each request leaves
at its planned time whatever the answers (benchmarks/open_loop.py), so a server that
falls behind meets a growing queue, as it would with real callers. The calls are real
demo calls (benchmarks/capacity_calls.py): a caller picks a language, answers 2 to 7
menus and hangs up, one request every --think seconds (6 by default); new calls start
all the time (a Poisson process), so every rate runs a warm-up (not measured, by default
the span of the 90th percentile call) that builds up the calls in progress before the
measured window (20 s). The client runs at a raised priority while it sends, where
allowed: callers' requests come from outside the machine.

Two mixes: "keyed" (keys, silence now and then, transfers, status callbacks) and
"spoken" (the same with a fifth of all requests spoken in natural wording in en/fr/ro,
from the callers' dev half).

Per rate: the server time of each request from gunicorn's access log (its duration:
reading the request to the answer written, not counting the wait for a free thread),
and the answer time: from the moment the client wrote the request to the moment
gunicorn logged its answer, which includes the wait for a thread; p50 and p99 of each.
A rate is carried when the answer time's p99 is <= 100 ms (so the server time's is
too), every answer is a 2xx, the run was not stopped early (more requests outstanding
than half a second of arrivals) and the client kept to its schedule (its own lag p99 <=
20 ms, reported). Rates are tried upward until one is not carried, then bisected.

In the spoken mix the spoken requests' own server time (p50/p99) and answer time (p99)
are reported too, on a line under the rate's: the spoken step's budget (p99 <= 60 ms at
half the keyed capacity: run `--mix spoken --rates R` with R half the keyed capacity).

The capacity is the arrival rate measured in the window of the highest rate carried; at
one step every 6 s per call it carries capacity × 6 concurrent calls (goal: 6,000 on the
keyed mix). The output ends with a table (one row per rate, as measured) and one line
beginning "CAPACITY". "Half the keyed capacity"
is the fixed rate at which the other latency figures are quoted (bench_online.py
--rate half-keyed reads it from the JSON this writes).

The machine is shared: the load average is printed with every rate.
Writes benchmarks/results/capacity.json (not with --tiny, unless --out says where).
Run: make bench-capacity [BENCH_CAPACITY_ARGS="--db sqlite --mix keyed"]
     .venv/bin/python benchmarks/bench_capacity.py [--db sqlite|postgres|both]
         [--mix keyed|spoken|both] [--rates 200 400 ...] [--seconds 20] [--think 6]
         [--bisect 2] [--tiny]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_load import (  # noqa: E402
    PUBLIC_URL,
    ROOT,
    TOKEN,
    close_app,
    cpu_seconds,
    gunicorn,
    postgres_database,
    release_and_seed,
    service_env,
    web_command,
)
from capacity_calls import Step, Walker, replay  # noqa: E402
from load_mix import open_menus  # noqa: E402
from open_loop import OpenLoop, client_first  # noqa: E402
from server_times import AccessLog, timings  # noqa: E402

P99_LIMIT_MS = 100.0
LAG_LIMIT_MS = 20.0
SECONDS_PER_STEP = 6  # a caller's pace: one request every 6 s
GOAL_CALLS = 6000
SPOKEN_SHARE = 0.2
RESULTS = ROOT / "benchmarks" / "results" / "capacity.json"


def measure_rate(calls: list[list[Step]], rate: float, args: argparse.Namespace, base: str,
                 master: int, log: AccessLog, prefix: str) -> dict[str, Any]:
    """One fixed arrival rate: send, read the access log, summarise."""
    host, port = base.removeprefix("http://").split(":")
    planned = replay(calls, rate, args.warmup, args.seconds, args.think, TOKEN, PUBLIC_URL,
                     f"{host}:{port}", prefix)
    load_before = os.getloadavg()[0]
    cpu_before = cpu_seconds(master)
    # A quarter of a second of arrivals in idle connections: a request finds one free unless
    # the server is already far behind (the client never waits on a connect while it keeps
    # up), and each is used again well within gunicorn's 2 s keep-alive.
    connections = min(512, max(args.connections, int(rate / 4)))
    with client_first():
        run = OpenLoop(host, int(port), planned, connections=connections).run()
    server_cpu = cpu_seconds(master) - cpu_before
    times = timings(planned, run, log)
    measured = len(times.lag)
    row = {"rate": rate, "measured": measured, "sent_per_s": round(measured / args.seconds, 1),
           "spoken_share": round(times.spoken / max(1, len(times.server)), 3),
           **times.figures(), "stopped_early": run.aborted, "retries": run.retries,
           "connect_errors": run.extra.get("connect_errors", 0),
           "connections": run.connections,
           "server_cpu_us_per_request": round(server_cpu * 1e6 / max(1, len(planned))),
           "client_cpu_us_per_request": round(run.client_cpu_s * 1e6 / max(1, len(planned))),
           "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)]}
    row["carried"] = (not run.aborted and row["errors"] == 0 and measured > 0
                      and row["answer_p99_ms"] <= P99_LIMIT_MS
                      and row["client_lag_p99_ms"] <= LAG_LIMIT_MS)
    return row


def search(calls: list[list[Step]], label: str, args: argparse.Namespace, base: str,
           master: int, log: AccessLog) -> dict[str, Any]:
    """Rates upward until one is not carried, then bisected: the highest rate carried."""
    rows: list[dict[str, Any]] = []

    def attempt(rate: float) -> bool:
        row = measure_rate(calls, rate, args, base, master, log,
                           f"{label}-{int(rate)}-{len(rows)}-")
        rows.append(row)
        print_row(label, row)
        time.sleep(args.pause)  # the journey writer's last batches, before the next rate
        return bool(row["carried"])

    best, failed = 0.0, None
    for rate in sorted(args.rates):
        if attempt(rate):
            best = rate
        else:
            failed = rate
            break
    for _ in range(args.bisect if failed is not None else 0):
        middle = round((best + failed) / 2 / 10) * 10
        if middle in (best, failed) or middle <= 0:
            break
        if attempt(middle):
            best = middle
        else:
            failed = middle
    # The capacity is what arrived in the measured window at the best rate carried (a
    # Poisson schedule sends a little more or less than its nominal rate).
    carried = [row["sent_per_s"] for row in rows if row["carried"] and row["rate"] == best]
    capacity = float(carried[-1]) if carried else 0.0
    return {"mix": label.split("/")[1], "rates": rows, "nominal_rate_carried": best,
            "capacity_steps_per_s": capacity, "all_rates_carried": failed is None,
            "concurrent_calls": int(capacity * SECONDS_PER_STEP)}


HEADER = (f"{'database/mix':<18} {'rate':>6} {'sent/s':>7} {'server p50':>10} {'p99':>7} "
          f"{'answer p50':>10} {'p99':>7} {'rtt p99':>8} {'lag p99':>8} {'errors':>6} "
          f"{'cpu us':>7} {'load':>11}  carried")


def print_row(label: str, row: dict[str, Any]) -> None:
    """One rate, as soon as it is measured."""
    load = "{:.1f}-{:.1f}".format(*row["load_average"])
    verdict = "yes" if row["carried"] else ("no, stopped early" if row["stopped_early"] else "no")
    print(f"{label:<18} {row['rate']:>6.0f} {row['sent_per_s']:>7.0f} "
          f"{row['server_p50_ms']:>10.1f} {row['server_p99_ms']:>7.1f} "
          f"{row['answer_p50_ms']:>10.1f} {row['answer_p99_ms']:>7.1f} "
          f"{row['round_trip_p99_ms']:>8.1f} {row['client_lag_p99_ms']:>8.1f} {row['errors']:>6} "
          f"{row['server_cpu_us_per_request']:>7} {load:>11}  {verdict}", flush=True)
    if row.get("spoken_samples"):
        print(f"{'':<18} {'spoken':>6} {row['spoken_samples']:>7} "
              f"{row['spoken_server_p50_ms']:>10.1f} {row['spoken_server_p99_ms']:>7.1f} "
              f"{'':>10} {row['spoken_answer_p99_ms']:>7.1f}", flush=True)


def measure(db_name: str, url: str, work: Path, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Walk the calls, start gunicorn, search each mix's capacity on one database."""
    env = service_env(db_name, url, work, args.workers)
    env["IVR_LOG_FORMAT"] = "json"  # production's own format: access lines with ids
    app = release_and_seed(env)
    catalog = app.extensions["ivr"].catalog
    numbers = sorted({n for menu in catalog.menus.values() for n in menu.numbers})
    mixes: dict[str, list[list[Step]]] = {}
    walked: dict[str, float] = {}
    for mix in args.mixes:
        walker = Walker(app, TOKEN, env["IVR_PUBLIC_URL"], numbers,
                        SPOKEN_SHARE if mix == "spoken" else 0.0)
        mixes[mix] = walker.calls(args.calls)
        walked[mix] = round(walker.spoken / walker.requests, 3)
        print(f"{db_name}/{mix}: {args.calls} calls walked, {walker.requests} requests "
              f"({walker.requests / args.calls:.1f} a call), {walker.spoken / walker.requests:.0%}"
              " spoken", flush=True)
    close_app(app)
    if args.warmup is None:  # long enough for nine calls in ten to start and end in it
        lengths = sorted(len(call) for calls in mixes.values() for call in calls)
        args.warmup = round((lengths[int(0.9 * (len(lengths) - 1))] - 1) * args.think, 1)
        print(f"warm-up {args.warmup:g} s per rate (a call of {lengths[-1]} requests at most, "
              f"one every {args.think:g} s)", flush=True)
    results = []
    log_path = work / f"gunicorn-{db_name}.log"
    with gunicorn("app:app", env, log_path) as (base, master):
        log = AccessLog(log_path)
        print(HEADER, flush=True)
        for mix, calls in mixes.items():
            found = search(calls, f"{db_name}/{mix}", args, base, master, log)
            results.append({"database": db_name, "walked_spoken_share": walked[mix], **found})
    return results


def summary(results: list[dict[str, Any]]) -> str:
    """One line: the keyed and spoken capacities per database, and the goal."""
    parts, keyed = [], []
    for r in results:
        at_least = ">=" if r["all_rates_carried"] else ""
        parts.append(f"{r['database']} {r['mix']} {at_least}{r['capacity_steps_per_s']:.0f} "
                     f"steps/s = {at_least}{r['concurrent_calls']:,} calls")
        if r["mix"] == "keyed":
            keyed.append(r["concurrent_calls"])
    goal = ("goal met" if keyed and min(keyed) >= GOAL_CALLS else "goal NOT met") if keyed \
        else "no keyed mix measured"
    return (f"CAPACITY at p99 <= {P99_LIMIT_MS:.0f} ms, one step every {SECONDS_PER_STEP} s a "
            f"call: {'; '.join(parts)} (keyed goal {GOAL_CALLS:,} calls: {goal})")


def main() -> None:
    """Measure, print the table and one summary line, write the JSON."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop gunicorn, remove files
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--mix", choices=["keyed", "spoken", "both"], default="both")
    parser.add_argument("--rates", type=float, nargs="+",
                        default=[200, 400, 600, 800, 1000, 1200], help="steps/s, tried upward")
    parser.add_argument("--bisect", type=int, default=2, help="halvings after the first miss")
    parser.add_argument("--seconds", type=float, default=20, help="measured window per rate")
    parser.add_argument("--think", type=float, default=SECONDS_PER_STEP,
                        help="seconds between a call's requests")
    parser.add_argument("--warmup", type=float, default=None,
                        help="seconds before the window, not measured (default: the span of "
                             "the 90th percentile call, so calls in progress build up)")
    parser.add_argument("--calls", type=int, default=400, help="calls walked per mix")
    parser.add_argument("--connections", type=int, default=4,
                        help="connections opened first, at least (a quarter second of arrivals)")
    parser.add_argument("--pause", type=float, default=3.0, help="seconds between rates")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--tiny", action="store_true",
                        help="two low rates, seconds each, SQLite unless --db says: a check")
    parser.add_argument("--out", help=f"where the JSON goes (default {RESULTS.relative_to(ROOT)}"
                                      ", not written by --tiny)")
    args = parser.parse_args()
    if args.tiny:
        args.rates, args.bisect, args.seconds, args.think = [10, 20], 0, 1.5, 0.25
        args.warmup = 0.5
        args.calls, args.pause, args.connections = 12, 0.2, 4
        if "--db" not in sys.argv:
            args.db = "sqlite"
    args.mixes = ["keyed", "spoken"] if args.mix == "both" else [args.mix]
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores "
          "(open-loop latency is sensitive to other work on the machine)", flush=True)
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="ivr-capacity-") as tmp:
        work = Path(tmp)
        open_menus(ROOT / "menus", work / "menus")
        if args.db in ("sqlite", "both"):
            results += measure("sqlite", f"sqlite:///{work / 'capacity.sqlite3'}", work, args)
        if args.db in ("postgres", "both"):
            with postgres_database() as url:
                if url is None:
                    raise SystemExit("PostgreSQL is not reachable (IVR_TEST_POSTGRES_URL)")
                results += measure("postgresql", url, work, args)
    line = summary(results)
    print(line)
    keyed = {r["database"]: r["capacity_steps_per_s"] for r in results if r["mix"] == "keyed"}
    out = {"machine": {"cpus": os.cpu_count(), "procfile_web": web_command("app:app"),
                       "load_average_end": os.getloadavg()},
           "settings": {k: getattr(args, k) for k in ("rates", "bisect", "seconds", "think",
                                                       "warmup", "calls", "connections")},
           "p99_limit_ms": P99_LIMIT_MS, "seconds_per_step": SECONDS_PER_STEP,
           "keyed_capacity_steps_per_s": keyed,
           "half_keyed_capacity_steps_per_s": {k: v / 2 for k, v in keyed.items()},
           "summary": line, "results": results}
    if args.out or not args.tiny:
        Path(args.out or RESULTS).write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
