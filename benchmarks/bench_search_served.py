"""Voice searches of a 100,000-item catalogue, served: capacity, then p99 at half of it.

Starts the service as benchmarks/bench_capacity.py does (the Procfile's web line: 2
workers × 4 threads, production settings, a fresh SQLite or PostgreSQL database) with the
demo library's search node reading a catalogue of ``--items`` works from the database
(``type: sql``, imported by the import command's code; the demo's real works plus works
generated from their words and made-up names, as ``bench_search.py --scale`` builds them).
The requests are the search node's webhook with the caller's words: the dev halves'
library queries (benchmarks/data/search/*/dev, never a test half) in en/fr/ro, each walked
once in process to the search node and replayed as a new call, signed again, at FIXED
arrival rates, open loop (benchmarks/open_loop.py, Poisson arrivals).

Per rate, the server time of each search from gunicorn's access log (reading the request
to the answer written) and the answer time (from the request written to the answer
logged, which counts the wait for a worker thread); a rate is carried as in the capacity
benchmark (answer p99 <= 100 ms, every answer a 2xx, the client on schedule). Rates are
tried upward until one is not carried, then bisected: the search capacity. Then one more
run at half that capacity, where the goal is read: **server p99 <= 50 ms**.

Writes benchmarks/results/search_served.json (not with --tiny, unless --out says where).
Run: .venv/bin/python benchmarks/bench_search_served.py [--db sqlite|postgres|both]
         [--items 100000] [--rates 25 50 100 200 400] [--seconds 15] [--tiny]
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import secrets
import signal
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

import yaml
from twilio.request_validator import RequestValidator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_capacity import HEADER as CAPACITY_HEADER  # noqa: E402
from bench_capacity import measure_rate, print_row, search  # noqa: E402
from bench_load import (  # noqa: E402
    ROOT,
    TOKEN,
    close_app,
    gunicorn,
    postgres_database,
    release_and_seed,
    service_env,
    web_command,
)
from bench_search import demo_config, generated_rows  # noqa: E402
from capacity_calls import LANG_KEYS, Step  # noqa: E402
from load_mix import open_menus  # noqa: E402
from server_times import AccessLog  # noqa: E402

from ivr.search.sources import read_rows  # noqa: E402
from ivr.simulator import FlaskTransport, Phone, SimulatorError  # noqa: E402

SERVER_P99_GOAL_MS = 50.0
CATALOGUE = "library-served"
CHECKED = 20  # walked searches replayed in process first, to check a new call hears the same
SEARCH_KEY = "7"  # the demo library's main menu: the catalogue search
DEV_SETS = ROOT / "benchmarks" / "data" / "search"
RESULTS = ROOT / "benchmarks" / "results" / "search_served.json"


def dev_queries(limit: int) -> list[tuple[str, str]]:
    """(language, words) of the library queries of every set's dev half."""
    out: list[tuple[str, str]] = []
    for path in sorted(DEV_SETS.glob("**/dev/search_*.jsonl")):
        lang = path.stem.rsplit("_", 1)[-1]
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                if row["catalogue"] == "library":
                    out.append((lang, row["query"]))
    return out[:limit]


def served_menu(menus: Path) -> None:
    """The copied library menu's search node reading the catalogue from the database."""
    path = menus / "library.yaml"
    menu = yaml.safe_load(path.read_text(encoding="utf-8"))
    catalogue = menu["nodes"]["catalogue_search"]["catalogue"]
    catalogue.pop("file", None)
    catalogue.update({"type": "sql", "name": CATALOGUE})
    path.write_text(yaml.safe_dump(menu, allow_unicode=True, sort_keys=False, width=1000),
                    encoding="utf-8")


def import_works(url: str, items: int) -> int:
    """The demo works and generated ones, imported as ``ivr catalogue import`` does."""
    import sqlalchemy as sa

    from ivr.migrations import upgrade
    from ivr.search.sql import import_catalogue

    config = demo_config("library")
    rows = generated_rows(read_rows(ROOT / "menus" / config.file, config), items)
    upgrade(url)
    engine = sa.create_engine(url)
    try:
        return import_catalogue(engine, CATALOGUE, rows, config.fields, config.key,
                                config.headings)
    finally:
        engine.dispose()


def walked_searches(app: Any, number: str, public_url: str,
                    queries: list[tuple[str, str]]) -> list[list[Step]]:
    """Each query said at the search node of a call walked there: that one request, as a
    one-request call to replay."""
    out = []
    for lang, words in queries:
        phone = Phone(FlaskTransport(app, public_url), TOKEN, base_url=public_url, called=number)
        try:
            phone.dial()
            phone.press(LANG_KEYS[lang])
            phone.press(SEARCH_KEY)
            gather = phone.listening
            if gather is None or "speech" not in (gather.get("input") or ""):
                raise SystemExit(f"key {SEARCH_KEY} in {lang} did not reach the search node")
            phone.say(words, confidence=0.9)
        except SimulatorError as exc:
            raise SystemExit(f"a search call could not be walked: {exc}") from exc
        last = phone.exchanges[-1]
        if last.status != 200 or "SpeechResult" not in last.params:
            raise SystemExit(f"{words!r} answered {last.status}")
        if len(out) < CHECKED:  # replayed as a new call, the caller hears the same answer
            params = {**last.params, "CallSid": "CA" + secrets.token_hex(16)}
            signature = RequestValidator(TOKEN).compute_signature(last.url, params)
            status, body = phone.transport.post(last.url, params,
                                                {"X-Twilio-Signature": signature})
            if status != 200 or said(body) != said(last.body) or not said(body):
                raise SystemExit(f"{words!r} replayed as a new call answered {status}: "
                                 f"{said(body)!r}, not {said(last.body)!r}")
        parts = urllib.parse.urlsplit(last.url)
        out.append([Step(parts.path + (f"?{parts.query}" if parts.query else ""),
                         dict(last.params), True)])
    return out


def said(twiml: str) -> list[str]:
    """What a TwiML answer says, in order."""
    return [html.unescape(text) for text in re.findall(r"<Say[^>]*>(.*?)</Say>", twiml, re.S)]


def measure(db_name: str, url: str, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Import, walk, start gunicorn; the search capacity, then half of it."""
    began = time.monotonic()
    imported = import_works(url, args.items)
    print(f"{db_name}: {imported} works imported in {time.monotonic() - began:.0f} s",
          flush=True)
    env = service_env(db_name, url, work, args.workers)
    env["IVR_LOG_FORMAT"] = "json"  # production's own format: access lines with ids
    app = release_and_seed(env)
    numbers = app.extensions["ivr"].catalog.menus["library"].numbers
    calls = walked_searches(app, sorted(numbers)[0], env["IVR_PUBLIC_URL"],
                            dev_queries(args.queries))
    close_app(app)
    print(f"{db_name}: {len(calls)} searches walked", flush=True)
    log_path = work / f"gunicorn-{db_name}.log"
    with gunicorn("app:app", env, log_path) as (base, master):
        log = AccessLog(log_path)
        print(CAPACITY_HEADER, flush=True)
        found = search(calls, f"{db_name}/search", args, base, master, log)
        half = round(found["capacity_steps_per_s"] / 2, 1)
        half_of = "capacity"
        if half == 0 and args.tiny:  # a check on a busy machine: the lowest rate's half
            half, half_of = min(args.rates) / 2, "the lowest rate tried (none carried)"
        at_half = None
        if half > 0:
            at_half = measure_rate(calls, half, args, base, master, log,
                                   f"{db_name}-half-{int(half)}-")
            print_row(f"{db_name}/half", at_half)
    result = {"database": db_name, "items": imported, "searches_walked": len(calls),
              "capacity_searches_per_s": found["capacity_steps_per_s"],
              "all_rates_carried": found["all_rates_carried"], "rates": found["rates"],
              "half_capacity_rate": half, "half_of": half_of, "at_half": at_half}
    if at_half is not None:
        result["goal_met"] = (at_half["server_p99_ms"] <= SERVER_P99_GOAL_MS
                              and at_half["errors"] == 0)
    return result


def main() -> None:
    """Measure each database, print the rates and one line per database, write the JSON."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop gunicorn, remove files
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=600, help="dev queries walked, at most")
    parser.add_argument("--rates", type=float, nargs="+", default=[25, 50, 100, 200, 400],
                        help="searches/s, tried upward")
    parser.add_argument("--bisect", type=int, default=2, help="halvings after the first miss")
    parser.add_argument("--seconds", type=float, default=15, help="measured window per rate")
    parser.add_argument("--warmup", type=float, default=3, help="seconds sent, not measured")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--pause", type=float, default=2.0, help="seconds between rates")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--tiny", action="store_true",
                        help="2,000 works, one low rate and half of it, seconds each, SQLite, "
                             "one worker: a check")
    parser.add_argument("--out", help=f"where the JSON goes (default {RESULTS.relative_to(ROOT)}"
                                      ", not written by --tiny)")
    args = parser.parse_args()
    if args.tiny:
        args.items, args.queries, args.rates, args.bisect = 2000, 20, [10], 0
        args.seconds, args.warmup, args.pause = 1.5, 0.5, 0.2
        args.workers = args.workers or 1
        if "--db" not in sys.argv:
            args.db = "sqlite"
    args.think = 1.0  # one request a call: never used
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores",
          flush=True)
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="ivr-search-served-") as tmp:
        work = Path(tmp)
        open_menus(ROOT / "menus", work / "menus")
        served_menu(work / "menus")
        if args.db in ("sqlite", "both"):
            results.append(measure("sqlite", f"sqlite:///{work / 'served.sqlite3'}", work,
                                   args))
        if args.db in ("postgres", "both"):
            with postgres_database() as url:
                if url is None:
                    raise SystemExit("PostgreSQL is not reachable (IVR_TEST_POSTGRES_URL)")
                results.append(measure("postgresql", url, work, args))
    for r in results:
        half = r["at_half"] or {}
        verdict = "met" if r.get("goal_met") else "NOT met"
        print(f"SEARCH {r['database']}: {r['items']:,} items, capacity "
              f"{'>=' if r['all_rates_carried'] else ''}{r['capacity_searches_per_s']:.0f} "
              f"searches/s; at half ({r['half_capacity_rate']:g}/s) server p99 "
              f"{half.get('server_p99_ms', float('nan')):.1f} ms, answer p99 "
              f"{half.get('answer_p99_ms', float('nan')):.1f} ms (goal server p99 <= "
              f"{SERVER_P99_GOAL_MS:.0f} ms: {verdict})")
    out = {"machine": {"cpus": os.cpu_count(), "procfile_web": web_command("app:app"),
                       "load_average_end": os.getloadavg()},
           "settings": {k: getattr(args, k) for k in ("items", "queries", "rates", "bisect",
                                                       "seconds", "warmup", "connections")},
           "server_p99_goal_ms": SERVER_P99_GOAL_MS, "results": results}
    if args.out or not args.tiny:
        Path(args.out or RESULTS).write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
