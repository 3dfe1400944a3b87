"""How much a call step costs compared with a bare Flask endpoint, in the same run.

Measures, in-process through Flask's test client (no network, so only our code):
  bare      a Flask route returning constant TwiML (the floor)
  step      a full signed call step: signature check, engine, TwiML, journey queued
  step_sync the same, but writing the journey synchronously after every step
            (the naive design the batching recorder replaces)
Prints a table and writes benchmarks/results/step.json: per database, the median
and p99 microseconds per request and the ratio of step to bare throughput.
Run: .venv/bin/python benchmarks/bench_step.py [--requests 2000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from flask import Flask, Response
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ivr import create_app  # noqa: E402
from ivr.migrations import upgrade  # noqa: E402

TOKEN = "b" * 32
CONSTANT = ('<?xml version="1.0" encoding="UTF-8"?><Response><Gather input="dtmf speech" '
            'numDigits="1"><Say>Hello</Say></Gather><Redirect>/x</Redirect></Response>')


def bare_app() -> Flask:
    """The baseline: Flask answering constant TwiML."""
    app = Flask("bare")

    @app.post("/voice/step")
    def step() -> Response:
        return Response(CONSTANT, mimetype="text/xml")

    return app


def timed(client: Any, path: str, data: dict[str, str], headers: dict[str, str], n: int,
          after: Any = None) -> list[float]:
    """Per-request microseconds for ``n`` identical POSTs."""
    out = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.post(path, data=data, headers=headers)
        if after is not None:
            after()
        out.append((time.perf_counter() - start) * 1e6)
        assert response.status_code == 200, response.status_code
    return out


def summary(samples: list[float]) -> dict[str, float]:
    """Median and p99 of microsecond samples."""
    ordered = sorted(samples)
    return {"p50_us": round(statistics.median(ordered), 1),
            "p99_us": round(ordered[int(len(ordered) * 0.99) - 1], 1)}


def run(db_name: str, url: str, n: int, menus: str) -> dict[str, Any]:
    """Measure bare, step and step_sync on one database."""
    upgrade(url)
    app = create_app({"IVR_ENV": "test", "TWILIO_AUTH_TOKEN": TOKEN, "DATABASE_URL": url,
                      "SECRET_KEY": "bench", "IVR_MENUS_DIR": menus})
    svc = app.extensions["ivr"]
    menu = svc.catalog.for_number("")  # the default menu
    assert menu is not None, f"no default menu in {menus}"
    key = next(o.key for o in menu.nodes[menu.main].options if o.key)  # type: ignore[attr-defined]
    path = (f"/voice/step?m={menu.id}&n={menu.main}&l=en&t=0&p={menu.main}"
            f"&s={int(time.time())}&v={menu.version}&e=in")
    params = {"CallSid": "CA" + "3" * 32, "AccountSid": "AC" + "4" * 32, "From": "+15551230000",
              "To": "+15005550006", "CallStatus": "in-progress", "ApiVersion": "2010-04-01",
              "Direction": "inbound", "Digits": key, "FinishedOnKey": "", "msg": "Gather End"}
    headers = {"X-Twilio-Signature":
               RequestValidator(TOKEN).compute_signature(f"http://localhost{path}", params)}
    bare_client = bare_app().test_client()
    client = app.test_client()
    for c in (bare_client, client):  # warm up
        timed(c, path, params, headers, 50)
    svc.recorder.flush()
    rounds: dict[str, list[float]] = {"bare": [], "step": [], "step_sync": []}
    # Interleave the variants in rounds so machine noise hits them alike.
    for _ in range(5):
        rounds["bare"] += timed(bare_client, path, params, headers, n // 5)
        rounds["step"] += timed(client, path, params, headers, n // 5)
        svc.recorder.flush()
        rounds["step_sync"] += timed(client, path, params, headers, n // 5,
                                     after=svc.recorder.flush)
    result: dict[str, Any] = {"database": db_name, "requests": n}
    for name, samples in rounds.items():
        result[name] = summary(samples)
    result["step_vs_bare"] = round(result["bare"]["p50_us"] / result["step"]["p50_us"], 3)
    result["sync_vs_bare"] = round(result["bare"]["p50_us"] / result["step_sync"]["p50_us"], 3)
    result["rows_written"] = svc.store.count_steps()
    svc.store.dispose()
    return result


def main() -> None:
    """Run on SQLite (and PostgreSQL if given) and print the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--postgres", default=os.environ.get("IVR_BENCH_POSTGRES_URL"),
                        help="a PostgreSQL URL of a scratch database (tables are created)")
    parser.add_argument("--menus", default=str(ROOT / "menus"), help="menus folder")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "step.json"))
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("IVR_INSTANCE_DIR", tmp)
        results.append(run("sqlite", f"sqlite:///{tmp}/bench.sqlite3", args.requests, args.menus))
    if args.postgres:
        url = args.postgres.replace("postgresql://", "postgresql+psycopg://", 1)
        results.append(run("postgresql", url, args.requests, args.menus))
    print(f"{'database':<11} {'variant':<10} {'p50 us':>9} {'p99 us':>9} {'vs bare':>8}")
    for r in results:
        for name in ("bare", "step", "step_sync"):
            ratio = {"bare": 1.0, "step": r["step_vs_bare"], "step_sync": r["sync_vs_bare"]}[name]
            print(f"{r['database']:<11} {name:<10} {r[name]['p50_us']:>9} {r[name]['p99_us']:>9} "
                  f"{ratio:>8}")
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
