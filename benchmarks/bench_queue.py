"""Callers waiting in a queue: the server time of the <Enqueue> wait URL under its real rate.

Puts N callers in one queue through the real signed webhooks (dial, language, 0), then
asks each caller's wait URL as Twilio does, every INTERVAL seconds per caller, spread
evenly (500 callers every 10 s: 50 requests a second), for a few rounds. Each request's
server time is measured in-process through Flask's test client (no network: only our
code, the database and the agents' states), next to a bare Flask route answering
constant TwiML at the same moments (the machine's own tail, on a shared machine).
Prints p50/p95/p99/max in milliseconds and writes benchmarks/results/queue.json (not in
--tiny mode, which a test runs in seconds).

Run: .venv/bin/python benchmarks/bench_queue.py [--callers 500] [--interval 10] [--rounds 3]
     [--postgres URL]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ivr import create_app  # noqa: E402
from ivr.migrations import upgrade  # noqa: E402
from ivr.simulator import FlaskTransport, Phone  # noqa: E402

TOKEN = "q" * 32
LINE = "+15005550050"
MENU = f"""\
menu: bench
name: Queue benchmark
numbers: ["{LINE}"]
languages:
  en: {{locale: en-US, voice: Polly.Joanna}}
  fr: {{locale: fr-FR, voice: Polly.Lea}}
  ro: {{locale: ro-RO, voice: Polly.Carmen}}
start: welcome
main: main
defaults: {{fallback: bye}}
nodes:
  welcome:
    type: language
    say: {{en: "English 1.", fr: "Français 2.", ro: "Română 3."}}
    options:
      - {{key: "1", language: en}}
      - {{key: "2", language: fr}}
      - {{key: "3", language: ro}}
    next: main
  main:
    type: menu
    say: {{en: "For a person press 0.", fr: "Conseiller: 0.", ro: "Operator: 0."}}
    options:
      - {{key: "0", go: line}}
  line:
    type: queue
    agents: ["+15551230101", "+15551230102", "+15551230103"]
    max_wait: 3600
    max_size: 1000
    leave: bye
    messages:
      - {{en: "Thank you for waiting.", fr: "Merci de patienter.", ro: "Vă mulțumim."}}
      - {{en: "Our website has answers too.", fr: "Notre site répond aussi.", ro: "Vedeți site-ul."}}
  bye:
    type: hangup
"""


def percentile(values: list[float], share: float) -> float:
    """The ``share`` percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def run(callers: int, interval: float, rounds: int, database: str | None = None) -> dict[str, Any]:
    """Queue ``callers`` and time their wait URLs; the figures."""
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        (tmp / "menus").mkdir()
        (tmp / "menus" / "bench.yaml").write_text(MENU, encoding="utf-8")
        url = database or f"sqlite:///{tmp / 'bench.sqlite3'}"
        upgrade(url)
        app = create_app({"IVR_ENV": "test", "TWILIO_AUTH_TOKEN": TOKEN, "DATABASE_URL": url,
                          "IVR_MENUS_DIR": str(tmp / "menus"), "SECRET_KEY": "bench",
                          "IVR_PROMPTS_DIR": str(ROOT / "prompts"), "IVR_LOG_LEVEL": "ERROR",
                          "IVR_INSTANCE_DIR": str(tmp / "instance")})
        try:
            return _measure(app, callers, interval, rounds, url)
        finally:
            app.extensions["ivr"].recorder.close()
            app.extensions["ivr"].catalog.close()
            app.extensions["ivr"].store.dispose()


def _measure(app: Any, callers: int, interval: float, rounds: int, url: str) -> dict[str, Any]:
    phones = []
    for n in range(callers):
        phone = Phone(FlaskTransport(app), TOKEN, called=LINE, caller=f"+1555{n:07d}")
        phone.dial()
        phone.press("123"[n % 3])
        phone.press("0")
        if phone.enqueued is None:
            raise RuntimeError(f"caller {n} was not queued: {phone.exchanges[-1].body[:200]}")
        phones.append(phone)
    client = app.test_client()
    bare = _bare_app().test_client()  # the machine's own tail, measured alongside
    validator = RequestValidator(TOKEN)
    times: list[float] = []
    floor: list[float] = []
    leaves = 0
    start = time.monotonic()
    gap = interval / max(1, callers)
    for round_ in range(rounds):
        for n, phone in enumerate(phones):
            due = start + round_ * interval + n * gap
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            wait = phone.wait_url
            params = {**phone.base_params(), "QueueSid": phone.queue_sid,
                      "QueuePosition": str(n + 1), "QueueTime": str(int(round_ * interval)),
                      "AvgQueueTime": "240", "CurrentQueueSize": str(callers),
                      "MaxQueueSize": "1000"}
            headers = {"X-Twilio-Signature": validator.compute_signature(wait, params)}
            parts = urllib.parse.urlsplit(wait)
            began = time.perf_counter()
            response = client.post(f"{parts.path}?{parts.query}", data=params, headers=headers)
            times.append((time.perf_counter() - began) * 1000)
            body = response.get_data(as_text=True)
            if response.status_code != 200 or "<Gather" not in body:
                leaves += 1
            began = time.perf_counter()
            bare.post("/voice/queue/wait", data=params)
            floor.append((time.perf_counter() - began) * 1000)
    return {"callers": callers, "interval_s": interval, "rounds": rounds,
            "database": url.split(":", 1)[0], "requests": len(times), "not_waiting": leaves,
            "p50_ms": round(statistics.median(times), 2), "p95_ms": round(percentile(times, 0.95), 2),
            "p99_ms": round(percentile(times, 0.99), 2), "max_ms": round(max(times), 2),
            "bare_flask_p50_ms": round(statistics.median(floor), 2),
            "bare_flask_p99_ms": round(percentile(floor, 0.99), 2),
            "load_average_1min": round(os.getloadavg()[0], 1), "cpus": os.cpu_count()}


def _bare_app() -> Any:
    """A Flask route answering constant wait TwiML: the floor of any answer on this machine."""
    from flask import Flask, Response

    bare = Flask("bare")
    constant = ('<?xml version="1.0" encoding="UTF-8"?><Response><Gather input="dtmf" '
                'numDigits="1"><Say>You are number 2.</Say></Gather><Redirect>/w</Redirect>'
                '</Response>')

    @bare.post("/voice/queue/wait")
    def wait() -> Any:
        return Response(constant, mimetype="text/xml")

    return bare


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark from the command line; the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callers", type=int, default=500)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", help="a PostgreSQL URL to run on instead of SQLite")
    parser.add_argument("--tiny", action="store_true", help="20 callers, no pacing, 2 rounds")
    parser.add_argument("--out", help="where to write the figures (default: benchmarks/results/"
                                      "queue.json, not written by --tiny)")
    args = parser.parse_args(argv)
    if args.tiny:
        args.callers, args.interval, args.rounds = 20, 0.0, 2
    figures = run(args.callers, args.interval, args.rounds, args.postgres)
    print(json.dumps(figures, indent=2))
    if args.out or not args.tiny:
        out = Path(args.out) if args.out else ROOT / "benchmarks" / "results" / "queue.json"
        out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return figures


if __name__ == "__main__":
    main()
