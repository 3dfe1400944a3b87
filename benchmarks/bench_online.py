"""Server time of the help desk online: a help page, a typed question, a text answered.

Measures, in-process through Flask's test client (no network, so only our code), the
time to answer:
  page     GET /help/shop?lang=en (every topic and answer, hours, the search box)
  search   GET /help/shop/search?lang=xx&q=... (a question routed as a spoken request)
  text     POST /sms, signed, "opening hours" and its fr/ro equivalents (the same
           understanding, the conversation kept, the opt-out and caps checked)
Requests are paced at ``--rate`` per second (default 40), one after another in one
thread, so the figures are server time at a fixed rate, not time spent in a queue. This
is not the load test (bench_load: gunicorn and wrk at half the keyed capacity); it says
what one answer costs. Prints a table and writes
benchmarks/results/online.json (not with --tiny). Budget: p99 <= 60 ms each.

--gunicorn serves the same requests from gunicorn started as the Procfile's web line
(its workers and threads, production settings, a fresh SQLite database), sent over HTTP
at the same fixed rate, one after another; the time is then the server's own, each
request's duration in gunicorn's access log (not the client's round trip), and the
figures go to benchmarks/results/online_gunicorn.json.
Run: .venv/bin/python benchmarks/bench_online.py [--requests 600] [--rate 40] [--tiny]
     [--gunicorn]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ivr import create_app  # noqa: E402
from ivr.migrations import upgrade  # noqa: E402

TOKEN = "c" * 32
BUDGET_MS = 60.0
QUESTIONS = [("en", "where is my parcel"), ("fr", "où est mon colis"),
             ("ro", "unde este coletul"), ("en", "how long does delivery take")]
TEXTS = [("+447400123456", "opening hours"), ("+33612345678", "horaires"),
         ("+40712345678", "program"), ("+447400123457", "menu")]


def percentile(samples: list[float], q: float) -> float:
    """The q-quantile (0..1) of samples, nearest rank."""
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, int(round(q * len(ordered))) - 1))]


def paced(n: int, rate: float, request: Callable[[int], int]) -> list[float]:
    """Milliseconds per request for ``n`` requests started ``1/rate`` seconds apart."""
    out: list[float] = []
    gap = 1.0 / rate if rate > 0 else 0.0
    next_at = time.perf_counter()
    for i in range(n):
        wait = next_at - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        start = time.perf_counter()
        status = request(i)
        out.append((time.perf_counter() - start) * 1000)
        assert status == 200, status
        next_at += gap
    return out


def run(url: str, n: int, rate: float) -> dict[str, Any]:
    """Measure page, search and text on one database."""
    upgrade(url)
    app = create_app({"IVR_ENV": "test", "TWILIO_AUTH_TOKEN": TOKEN, "DATABASE_URL": url,
                      "SECRET_KEY": "bench", "IVR_MENUS_DIR": str(ROOT / "menus"),
                      "IVR_SMS_REPLY_COUNTRIES": "*", "IVR_SMS_REPLY_SENDER_LIMIT": "1000000/hour",
                      "IVR_SMS_REPLY_LINE_LIMIT": "1000000/hour"})
    client = app.test_client()
    validator = RequestValidator(TOKEN)

    def page(_: int) -> int:
        return int(client.get("/help/shop?lang=en").status_code)

    def search(i: int) -> int:
        lang, words = QUESTIONS[i % len(QUESTIONS)]
        return int(client.get(f"/help/shop/search?lang={lang}&q={words}").status_code)

    def text(i: int) -> int:
        sender, body = TEXTS[i % len(TEXTS)]
        params = {"MessageSid": "SM" + secrets.token_hex(16), "AccountSid": "AC" + "1" * 32,
                  "From": sender, "To": "+15005550006", "Body": body, "NumSegments": "1",
                  "NumMedia": "0"}
        signature = validator.compute_signature("http://localhost/sms", params)
        response = client.post("/sms", data=params, headers={"X-Twilio-Signature": signature})
        assert b"<Message>" in response.data, response.data[:200]
        return int(response.status_code)

    result: dict[str, Any] = {"requests": n, "rate_per_s": rate, "budget_ms": BUDGET_MS}
    for name, request in (("page", page), ("search", search), ("text", text)):
        paced(min(30, n), 0, request)  # warm up (indexes, templates, connections)
        samples = paced(n, rate, request)
        result[name] = {"p50_ms": round(percentile(samples, 0.5), 2),
                        "p99_ms": round(percentile(samples, 0.99), 2),
                        "max_ms": round(max(samples), 2)}
        result[name]["within_budget"] = result[name]["p99_ms"] <= BUDGET_MS
    app.extensions["ivr"].lookups.close()
    app.extensions["ivr"].recorder.close()
    app.extensions["online"].writer.close()
    app.extensions["ivr"].store.dispose()
    return result


def run_gunicorn(work: Path, n: int, rate: float) -> dict[str, Any]:
    """Measure page, search and text served by gunicorn: server time from its access log."""
    import urllib.parse
    import urllib.request

    from benchmarks.bench_load import gunicorn

    url = f"sqlite:///{work}/bench.sqlite3"
    upgrade(url)
    public = "https://ivr.example.org"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "TWILIO_AUTH_TOKEN": TOKEN, "IVR_ENV": "production", "IVR_PUBLIC_URL": public,
           "DATABASE_URL": url, "IVR_INSTANCE_DIR": str(work / "instance"),
           "IVR_MENUS_DIR": str(ROOT / "menus"), "IVR_LOG_FORMAT": "json",
           "IVR_SMS_REPLY_COUNTRIES": "*", "IVR_SMS_REPLY_SENDER_LIMIT": "1000000/hour",
           "IVR_SMS_REPLY_LINE_LIMIT": "1000000/hour", "IVR_WORKER_IN_APP": "false"}
    env.pop("WEB_CONCURRENCY", None)  # the Procfile's default
    validator = RequestValidator(TOKEN)
    log = work / "gunicorn.log"
    result: dict[str, Any] = {"requests": n, "rate_per_s": rate, "budget_ms": BUDGET_MS,
                              "server": "gunicorn (the Procfile's web line)"}
    with gunicorn("app:app", env, log) as (base, _pid):

        def get(path: str) -> int:
            with urllib.request.urlopen(f"{base}{path}", timeout=30) as response:
                response.read()
                return int(response.status)

        def page(_: int) -> int:
            return get("/help/shop?lang=en")

        def search(i: int) -> int:
            lang, words = QUESTIONS[i % len(QUESTIONS)]
            return get(f"/help/shop/search?lang={lang}&q={urllib.parse.quote(words)}")

        def text(i: int) -> int:
            sender, body = TEXTS[i % len(TEXTS)]
            params = {"MessageSid": "SM" + secrets.token_hex(16), "AccountSid": "AC" + "1" * 32,
                      "From": sender, "To": "+15005550006", "Body": body, "NumSegments": "1",
                      "NumMedia": "0"}
            signature = validator.compute_signature(f"{public}/sms", params)
            request = urllib.request.Request(f"{base}/sms", urllib.parse.urlencode(params).encode(),
                                             headers={"X-Twilio-Signature": signature})
            with urllib.request.urlopen(request, timeout=30) as response:
                assert b"<Message>" in response.read()
                return int(response.status)

        measured: dict[str, tuple[int, int]] = {}
        sent = 0
        for name, request in (("page", page), ("search", search), ("text", text)):
            paced(min(30, n), 0, request)  # warm up both workers
            sent += min(30, n)
            first = _logged(log, sent)
            paced(n, rate, request)
            sent += n
            measured[name] = (first, _logged(log, sent))
    times = _access_times(log)
    for name, (first, last) in measured.items():
        samples = [ms for _path, ms in times[first:last]]
        result[name] = {"p50_ms": round(percentile(samples, 0.5), 2),
                        "p99_ms": round(percentile(samples, 0.99), 2),
                        "max_ms": round(max(samples), 2), "samples": len(samples)}
        result[name]["within_budget"] = result[name]["p99_ms"] <= BUDGET_MS
    return result


def _logged(log: Path, sent: int) -> int:
    """How many requests gunicorn logged, once every request sent is (its workers write
    their access lines a moment after answering)."""
    deadline = time.monotonic() + 10
    while (count := len(_access_times(log))) < sent and time.monotonic() < deadline:
        time.sleep(0.05)
    if count != sent:
        raise SystemExit(f"gunicorn logged {count} requests, {sent} were sent")
    return count


def _access_times(log: Path) -> list[tuple[str, float]]:
    """(path, server milliseconds) of every request gunicorn logged, in order."""
    found = []
    for line in log.read_text(errors="replace").splitlines():
        if '"duration_ms"' not in line:
            continue
        try:
            item = json.loads(line)
        except ValueError:
            continue
        fields = item.get("fields", item)
        if fields.get("path", "") != "/healthz" and "duration_ms" in fields:
            found.append((str(fields["path"]), float(fields["duration_ms"])))
    return found


def main() -> None:
    """Run on SQLite and print (and keep) the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--rate", type=float, default=40.0, help="requests per second")
    parser.add_argument("--tiny", action="store_true", help="40 requests each, unpaced, "
                        "nothing written: a check that runs in seconds")
    parser.add_argument("--out", help="where to write the figures (default: benchmarks/results/"
                                      "online.json, not written by --tiny)")
    parser.add_argument("--gunicorn", action="store_true",
                        help="serve from gunicorn (the Procfile's web line) over HTTP; server "
                             "time from its access log")
    args = parser.parse_args()
    n, rate = (40, 0.0) if args.tiny else (args.requests, args.rate)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("IVR_INSTANCE_DIR", tmp)
        result = (run_gunicorn(Path(tmp), n, rate) if args.gunicorn
                  else run(f"sqlite:///{tmp}/bench.sqlite3", n, rate))
    print(f"{'what':<8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  budget {BUDGET_MS:.0f} ms")
    for name in ("page", "search", "text"):
        r = result[name]
        print(f"{name:<8} {r['p50_ms']:>8} {r['p99_ms']:>8} {r['max_ms']:>8}  "
              f"{'ok' if r['within_budget'] else 'OVER'}")
    if args.out or not args.tiny:
        name = "online_gunicorn.json" if args.gunicorn else "online.json"
        out = Path(args.out) if args.out else ROOT / "benchmarks" / "results" / name
        out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
