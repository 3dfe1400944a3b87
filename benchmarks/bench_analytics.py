"""The analytics overview over 1,000,000 journey steps: from the rollups vs from the steps.

Generates calls to two menus over 30 days (about 15 journey lines a call: languages,
menus, answers, lookups, transfers, voicemails, callbacks, silences, spoken requests
with their rankings), writes them, builds the rollups with the same code the journey
writer runs, then measures, per database:

  overview        the dashboard's overview of 30 days for one menu and for every menu,
                  read from call_facts (what the page does)
  steps_baseline  the same figures computed from the journey lines themselves (every
                  line of the range read and summed per call): what the page would cost
                  without rollups, measured in the same run
  dropoff, words  the drop-off and not-understood pages' queries
  write           a journey batch written with its rollups refreshed vs the same lines
                  inserted alone (the cost of keeping the rollups, off the caller's path)

Medians of --runs; results in benchmarks/results/analytics.json.
Run: .venv/bin/python benchmarks/bench_analytics.py [--steps 1000000] [--postgres URL]
(the PostgreSQL URL is an admin connection: a scratch database is created and dropped).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ivr.analytics import report  # noqa: E402
from ivr.analytics.wording import group, missed  # noqa: E402
from ivr.data.facts import summarize  # noqa: E402
from ivr.data.rollup import rebuild  # noqa: E402
from ivr.data.store import Store  # noqa: E402
from ivr.data.tables import calls, journey_steps  # noqa: E402
from ivr.migrations import upgrade  # noqa: E402

ZONE = ZoneInfo("Europe/Bucharest")
FIRST_DAY = date(2026, 10, 1)
DAYS = 30
MENUS = ("shop", "library")
ANSWERS = ("delivery_times", "tracking", "refund_time", "opening_hours", "fees")
WORDS = ("where is my parcel", "I want my money back", "talk to someone", "blah",
         "my card does not work", "when do you open", "cancel it", "the thing I bought")


def _line(node: str, kind: str, event: str, input: str = "", outcome: str = "",
          entered: str = "", lang: str = "en") -> dict[str, Any]:
    return {"node": node, "kind": kind, "event": event, "input": input, "outcome": outcome,
            "entered": entered, "lang": lang}


def journey(rng: random.Random) -> list[dict[str, Any]]:
    """One generated call's lines."""
    lang = rng.choices(("en", "fr", "ro"), (6, 2, 2))[0]
    out = [_line("welcome", "language", "call", "", "menu:x", "welcome/language", lang),
           _line("welcome", "language", "language", rng.choice("123"), f"lang:{lang}",
                 "main/menu", lang)]
    for _ in range(rng.randint(1, 4)):
        roll = rng.random()
        if roll < 0.25:
            out.append(_line("main", "menu", "silence", "", "try 1/3", "main/menu", lang))
        elif roll < 0.5:
            said = rng.choice(WORDS)
            target = rng.choice(ANSWERS)
            out.append(_line("main", "menu", "speech", said,
                             f"nothing | {target}=0.31,orders=0.22", "", lang))
            out.append(_line("main", "menu", "nothing_found", said, "try 1/3", "main/menu", lang))
        else:
            out.append(_line("main", "menu", "choice", "1", "go:orders", "orders/menu", lang))
            out.append(_line("orders", "menu", "key", "#", "global:back", "main/menu", lang))
    end = rng.random()
    if end < 0.45:
        answer = rng.choice(ANSWERS)
        out.append(_line("main", "menu", "speech", "where is my order", f"jump:{answer}:0.82 | "
                         f"{answer}=0.82,orders=0.41", f"{answer}/message", lang))
        out.append(_line(answer, "message", "done", "", "go:main", "main/menu", lang))
    elif end < 0.6:
        out.append(_line("main", "menu", "choice", "4", "go:order_status", "order_status/lookup",
                         lang))
        out.append(_line("order_status", "lookup", "lookup_entry", "10****1", "entered", "", lang))
        found = rng.choice(("found:go:main", "not_found", "failed:timeout"))
        out.append(_line("order_status", "lookup", "lookup", "10****1", found, "main/menu", lang))
    elif end < 0.75:
        out.append(_line("main", "menu", "key", "0", "global:person", "", lang))
        out.append(_line("person", "hours", "hours", "", "open:go:agent", "", lang))
        out.append(_line("agent", "transfer", "transfer", "", "dial:+1*******06",
                         "person/hours,agent/transfer", lang))
        if rng.random() < 0.6:
            out.append(_line("agent", "transfer", "dial", "completed", "hangup", "", lang))
        else:
            out.append(_line("agent", "transfer", "dial", "no-answer", "go:leave_message",
                             "leave_message/voicemail", lang))
            out.append(_line("leave_message", "voicemail", "voicemail", "#", "recorded:RE1:20s",
                             "", lang))
    elif end < 0.8:
        out.append(_line("main", "menu", "speech", "call me back", "jump:call_me_back:0.9",
                         "call_me_back/callback", lang))
        out.append(_line("call_me_back", "callback", "callback", "", "requested", "", lang))
    elif end < 0.9:
        out.append(_line("main", "menu", "choice", "6", "go:goodbye", "goodbye/hangup", lang))
        out.append(_line("goodbye", "hangup", "hangup", "", "", "", lang))
    return out


def generate(total_steps: int, seed: int = 15) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """(call row, its journey lines) until ``total_steps`` lines are made."""
    rng = random.Random(seed)
    made = n = 0
    start = datetime.combine(FIRST_DAY, datetime.min.time(), ZONE).astimezone(UTC)
    while made < total_steps:
        n += 1
        sid = f"CA{n:032d}"
        at = start + timedelta(seconds=rng.randrange(DAYS * 86400))
        menu = MENUS[n % 2]
        lines = journey(rng)
        steps = [{"call_sid": sid, "at": at + timedelta(seconds=8 * i), "menu": menu,
                  "request_token": f"R{n}-{i}", "part": 0, **row} for i, row in enumerate(lines)]
        call = {"call_sid": sid, "account_sid": "AC1", "from_number": "+40721234567",
                "to_number": "+15005550006", "menu": menu, "started_at": at,
                "status": "completed", "status_seq": 9, "duration": 8 * len(lines) + 5,
                "updated_at": at}
        made += len(steps)
        yield call, steps


def fill(store: Store, total_steps: int) -> tuple[int, int, float]:
    """Write the generated calls and build their rollups; (calls, steps, seconds to roll up)."""
    n_calls = n_steps = 0
    call_rows: list[dict[str, Any]] = []
    step_rows: list[dict[str, Any]] = []

    def flush() -> None:
        with store.engine.begin() as conn:
            conn.execute(calls.insert(), call_rows)
            conn.execute(journey_steps.insert(), step_rows)
        call_rows.clear()
        step_rows.clear()

    for call, steps in generate(total_steps):
        call_rows.append(call)
        step_rows.extend(steps)
        n_calls += 1
        n_steps += len(steps)
        if len(step_rows) >= 20_000:
            flush()
    if step_rows:
        flush()
    started = time.perf_counter()
    rebuild(store.engine)
    took = time.perf_counter() - started
    # Statistics and the visibility map as the database's own upkeep (autovacuum) keeps them.
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE" if store.engine.dialect.name == "postgresql"
                             else "ANALYZE"))
    return n_calls, n_steps, took


def steps_baseline(engine: sa.Engine, period: report.Period) -> dict[str, int]:
    """The overview's counts computed from the journey lines (no rollups)."""
    s = journey_steps.c
    first, after = period.bounds
    query = (sa.select(s.call_sid, s.at, s.node, s.event, s.input, s.outcome, s.lang, s.kind,
                       s.entered).where(s.at >= first, s.at < after)
             .order_by(s.call_sid, s.at, s.part, s.id))
    if period.menu:
        query = query.where(s.menu == period.menu)
    totals = {"calls": 0, "contained": 0, "abandoned": 0, "transferred": 0, "voicemail": 0,
              "callback": 0}
    current: list[dict[str, Any]] = []
    sid = None

    def close() -> None:
        if not current:
            return
        facts = summarize(str(sid), current)
        totals["calls"] += 1
        totals["contained"] += facts.contained
        totals["abandoned"] += facts.abandoned
        totals["transferred"] += facts.transferred
        totals["voicemail"] += facts.voicemail
        totals["callback"] += facts.callback

    with engine.connect() as conn:
        for row in conn.execution_options(stream_results=True, yield_per=20_000).execute(query):
            if row.call_sid != sid:
                close()
                current, sid = [], row.call_sid
            current.append(dict(row._mapping))
    close()
    return totals


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """Median milliseconds of ``runs`` calls, and the last result."""
    out, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        out.append((time.perf_counter() - start) * 1000)
    return statistics.median(out), result


def write_cost(store: Store, runs: int) -> dict[str, float]:
    """One recorder-sized batch (40 calls' lines) with rollups vs inserted alone, median ms."""
    batches = []
    for i, (call, steps) in enumerate(generate(40 * 15 * (2 * runs), seed=99)):
        call = {**call, "call_sid": f"W{i:08d}"}
        batches.append(([call], [{**s, "call_sid": call["call_sid"]} for s in steps]))
    with_rollups, alone = [], []
    for k in range(runs):
        for bucket, writer in ((with_rollups, "rollups"), (alone, "alone")):
            chunk = batches[(2 * k + (bucket is alone)) * 40:(2 * k + (bucket is alone)) * 40 + 40]
            starts = [c for cs, _ in chunk for c in cs]
            lines = [s for _, ss in chunk for s in ss]
            began = time.perf_counter()
            if writer == "rollups":
                store.write_batch(starts, lines, [])
            else:
                with store.engine.begin() as conn:
                    conn.execute(calls.insert(), starts)
                    conn.execute(journey_steps.insert(), lines)
            bucket.append((time.perf_counter() - began) * 1000)
    return {"batch_with_rollups_ms": round(statistics.median(with_rollups), 2),
            "batch_lines_alone_ms": round(statistics.median(alone), 2),
            "ratio": round(statistics.median(with_rollups) / statistics.median(alone), 2)}


def run(name: str, url: str, total_steps: int, runs: int) -> dict[str, Any]:
    """Everything measured on one database."""
    upgrade(url)
    store = Store(url)
    print(f"[{name}] writing about {total_steps:,} journey lines...", flush=True)
    n_calls, n_steps, rollup_s = fill(store, total_steps)
    one = report.Period(FIRST_DAY, FIRST_DAY + timedelta(days=DAYS - 1), ZONE, "shop")
    every = report.Period(FIRST_DAY, FIRST_DAY + timedelta(days=DAYS - 1), ZONE)
    engine = store.engine
    result: dict[str, Any] = {"database": name, "calls": n_calls, "steps": n_steps,
                              "rollup_build_s": round(rollup_s, 1)}
    for label, period in (("one_menu", one), ("every_menu", every)):
        ms, figures = timed(lambda p=period: report.overview(engine, p), runs)
        base_ms, base = timed(lambda p=period: steps_baseline(engine, p), max(1, runs // 2))
        assert base["calls"] == figures.total.calls and base["contained"] == figures.total.contained
        assert base["abandoned"] == figures.total.abandoned
        result[label] = {"calls": figures.total.calls, "overview_ms": round(ms, 1),
                         "steps_baseline_ms": round(base_ms, 1),
                         "speedup": round(base_ms / ms, 1)}
        print(f"[{name}] overview {label}: {ms:.0f} ms (from the steps: {base_ms:.0f} ms)",
              flush=True)
    ms, _ = timed(lambda: report.dropoff(engine, one), runs)
    result["dropoff_ms"] = round(ms, 1)
    ms, groups = timed(lambda: group(missed(report.spoken_steps(engine, one))), runs)
    result["not_understood_ms"] = round(ms, 1)
    result["write"] = write_cost(store, runs)
    print(f"[{name}] drop-off {result['dropoff_ms']} ms, not understood {ms:.0f} ms "
          f"({len(groups)} groups), write {result['write']}", flush=True)
    store.dispose()
    return result


def main() -> None:
    """Run on SQLite (and PostgreSQL if given) and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres", default=os.environ.get("IVR_BENCH_POSTGRES_URL"),
                        help="an admin PostgreSQL URL (a scratch database is created, then dropped)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "analytics.json"))
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        results.append(run("sqlite", f"sqlite:///{tmp}/bench.sqlite3", args.steps, args.runs))
    if args.postgres:
        import psycopg

        name = f"ivr_bench_analytics_{secrets.token_hex(3)}"
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = f"{args.postgres.rsplit('/', 1)[0]}/{name}".replace(
            "postgresql://", "postgresql+psycopg://", 1)
        try:
            results.append(run("postgresql", url, args.steps, args.runs))
        finally:
            with psycopg.connect(args.postgres, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    out = {"benchmark": "analytics", "steps": args.steps, "runs": args.runs,
           "python": platform.python_version(), "cpus": os.cpu_count(), "results": results}
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
