"""Server time of the help desk online: a help page, a typed question, a text answered.

Measures, in-process through Flask's test client (no network, so only our code), the
time to answer:
  page     GET /help/shop?lang=en (every topic and answer, hours, the search box)
  search   GET /help/shop/search?lang=xx&q=... (a question routed as a spoken request)
  text     POST /sms, signed, "opening hours" and its fr/ro equivalents (the same
           understanding, the conversation kept, the opt-out and caps checked)
Requests are paced at ``--rate`` per second (default 40), one after another in one
thread, so the figures are server time at a fixed rate, not time spent in a queue: what
one answer costs. Prints a table and writes
benchmarks/results/online.json (not with --tiny). Budget: p99 <= 60 ms each.

--gunicorn serves them from gunicorn started as the Procfile's web line (2 workers × 4
threads, production settings, a fresh SQLite or, with --db postgres, PostgreSQL
database) at a FIXED arrival rate, open loop (benchmarks/open_loop.py: each request
leaves at its planned time whatever the answers, Poisson arrivals), each kind alone at
that rate after 3 s of warm-up: pages in en/fr/ro; questions and texts in people's own
words (the callers' dev half at the shop's main menu, with a filler word, so the models
run as for new words), texts from many senders of GB/FR/RO. The time is the server's,
from gunicorn's access log by X-Request-Id: its duration (p50/p99/max), and the answer
time, from the request written to the answer logged, which counts the wait for a worker
thread (benchmarks/server_times.py); the budget is judged on the answer time.
--cpu measures, in process, the CPU of one text answer and one typed question per
language, in words never seen (benchmarks/results/online_cpu.json): what decides the
rate 2 cores can carry.
--rate half-keyed takes half the keyed capacity benchmarks/bench_capacity.py measured
on the same database (benchmarks/results/capacity.json): the rate at which latency is
quoted. Figures go to benchmarks/results/online_gunicorn[_postgresql].json.
Run: .venv/bin/python benchmarks/bench_online.py [--requests 600] [--rate 40] [--tiny]
     .venv/bin/python benchmarks/bench_online.py --gunicorn --rate half-keyed
         [--db sqlite|postgres]
     .venv/bin/python benchmarks/bench_online.py --cpu [--requests N]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from open_loop import Planned  # noqa: E402

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


def in_process_app(url: str) -> Any:
    """The service on a migrated database, in process, texts answered without caps."""
    upgrade(url)
    return create_app({"IVR_ENV": "test", "TWILIO_AUTH_TOKEN": TOKEN, "DATABASE_URL": url,
                       "SECRET_KEY": "bench", "IVR_MENUS_DIR": str(ROOT / "menus"),
                       "IVR_SMS_REPLY_COUNTRIES": "*",
                       "IVR_SMS_REPLY_SENDER_LIMIT": "1000000/hour",
                       "IVR_SMS_REPLY_LINE_LIMIT": "1000000/hour"})


def close_app(app: Any) -> None:
    """Stop what an in-process app runs and holds (writers, lookups, database pools)."""
    app.extensions["ivr"].lookups.close()
    app.extensions["ivr"].recorder.close()
    app.extensions["online"].writer.close()
    app.extensions["ivr"].store.dispose()


def run(url: str, n: int, rate: float) -> dict[str, Any]:
    """Measure page, search and text on one database."""
    app = in_process_app(url)
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
    close_app(app)
    return result


def cpu_per_answer(url: str, n: int) -> dict[str, Any]:
    """CPU of one answer (the whole process: request, understanding, background writers),
    per kind and language, each typed question or text in words the service has not seen
    (each of the callers' dev wordings once, so no embedding comes from a cache); in
    process, one at a time. With the keyed capacity (capacity.json), says how many texts a
    second the machine's cores could answer at most, against half that capacity."""
    app = in_process_app(url)
    client = app.test_client()
    validator = RequestValidator(TOKEN)
    people = texters(300)

    def text(sender: str, words: str) -> None:
        params = {"MessageSid": "SM" + secrets.token_hex(16), "AccountSid": "AC" + "1" * 32,
                  "From": sender, "To": "+15005550006", "Body": words, "NumSegments": "1",
                  "NumMedia": "0", "FromCountry": sender_country(sender)}
        signature = validator.compute_signature("http://localhost/sms", params)
        response = client.post("/sms", data=params, headers={"X-Twilio-Signature": signature})
        assert b"<Message>" in response.data, response.data[:200]

    def search(lang: str, words: str) -> None:
        query = urllib.parse.quote(words)
        assert client.get(f"/help/shop/search?lang={lang}&q={query}").status_code == 200

    for _ in range(5):  # warm up: indexes, templates, connections
        text(people[0][0], "opening hours")
        search("en", "opening hours")
    fresh = unseen_words()
    result: dict[str, Any] = {"requests_per_language": n, "cores": os.cpu_count()}
    for kind in ("text", "search"):
        result[kind] = {}
        for lang, words in fresh.items():
            senders = [number for number, said in people if said == lang]
            cpu = []
            # Texts and searches get different wordings: none reaches an embedding cache.
            for i, words_said in enumerate(words[kind == "search"::2][:n]):
                began = time.process_time()
                if kind == "text":
                    text(senders[i % len(senders)], words_said)
                else:
                    search(lang, words_said)
                cpu.append((time.process_time() - began) * 1000)
            result[kind][lang] = {"n": len(cpu), "cpu_mean_ms": round(sum(cpu) / len(cpu), 2),
                                  "cpu_p50_ms": round(percentile(cpu, 0.5), 2),
                                  "cpu_p99_ms": round(percentile(cpu, 0.99), 2)}
    mean = sum(r["cpu_mean_ms"] for r in result["text"].values()) / len(result["text"])
    result["text_cpu_mean_ms_all_languages"] = round(mean, 2)
    result["most_texts_per_s_on_these_cores"] = round((os.cpu_count() or 1) * 1000 / mean, 1)
    close_app(app)
    return result


def unseen_words(seed: int = 5) -> dict[str, list[str]]:
    """Per language, every distinct wording of the callers' dev half at any node of the
    shop, once, with a filler word: words no request has sent before."""
    from capacity_calls import dev_utterances, natural

    rng = random.Random(seed)
    out: dict[str, list[str]] = {}
    for (menu, lang, _node), texts in sorted(dev_utterances().items()):
        if menu == "shop":
            out.setdefault(lang, []).extend(texts)
    return {lang: [natural(text, lang, rng) for text in dict.fromkeys(texts)]
            for lang, texts in out.items()}


def typed_words(seed: int = 9) -> dict[str, list[str]]:
    """What visitors and texters ask the shop, per language: the callers' dev half at the
    shop's main menu (never the test half), each with a filler word, so that the words
    are rarely ones the server has just embedded (people seldom repeat each other)."""
    from capacity_calls import dev_utterances, natural

    rng = random.Random(seed)
    found = dev_utterances()
    return {lang: [natural(text, lang, rng) for text in found[("shop", lang, "main")]
                   for _ in range(3)] for lang in ("en", "fr", "ro")}


def texters(count: int, seed: int = 3) -> list[tuple[str, str]]:
    """(number, language) of ``count`` people texting the shop, a third in each language,
    each a mobile number of their country (so every counter and conversation is a
    texter's own, as with real people; the line's counter is shared by all)."""
    rng = random.Random(seed)
    prefixes = {"en": "+4474001", "fr": "+336123", "ro": "+407123"}
    return [(prefixes[lang] + "".join(rng.choice("0123456789") for _ in range(5)), lang)
            for lang in ("en", "fr", "ro") * (count // 3 + 1)][:count]


def online_requests(kind: str, n: int, rate: float, warmup: float, host: str,
                    validator: RequestValidator, public: str) -> list[Planned]:
    """``n`` measured requests of one kind arriving at ``rate`` a second (Poisson), after
    ``warmup`` seconds of the same arrivals that are not measured. Questions and texts
    are people's own words (``typed_words``); a texter now and then asks for the menu."""
    rng = random.Random(17)
    people = texters(max(30, int(rate * 60)))
    asked = typed_words()
    planned: list[Planned] = []
    at = 0.0
    while len([p for p in planned if p.measured]) < n:
        at += rng.expovariate(rate)
        tag = f"{kind}-{len(planned):x}"
        head = f"Host: {host}\r\nX-Request-Id: {tag}\r\nUser-Agent: bench\r\n"
        if kind == "text":
            sender, lang = rng.choice(people)
            words = "menu" if rng.random() < 0.1 else rng.choice(asked[lang])
            params = {"MessageSid": "SM" + secrets.token_hex(16), "AccountSid": "AC" + "1" * 32,
                      "From": sender, "To": "+15005550006", "Body": words, "NumSegments": "1",
                      "NumMedia": "0", "FromCountry": sender_country(sender)}
            body = urllib.parse.urlencode(params).encode()
            signature = validator.compute_signature(f"{public}/sms", params)
            payload = (f"POST /sms HTTP/1.1\r\n{head}X-Twilio-Signature: {signature}\r\n"
                       "Content-Type: application/x-www-form-urlencoded\r\n"
                       f"Content-Length: {len(body)}\r\n\r\n").encode() + body
        else:
            lang = rng.choice(("en", "fr", "ro"))
            if kind == "page":
                path = f"/help/shop?lang={lang}"
            else:
                words = urllib.parse.quote(rng.choice(asked[lang]))
                path = f"/help/shop/search?lang={lang}&q={words}"
            payload = f"GET {path} HTTP/1.1\r\n{head}\r\n".encode()
        planned.append(Planned(at, payload, tag, at >= warmup))
    return planned


def sender_country(number: str) -> str:
    """The country code Twilio sends as FromCountry for our test numbers."""
    return {"+44": "GB", "+33": "FR", "+40": "RO"}.get(number[:3], "US")


def run_gunicorn(work: Path, url: str, n: int, rate: float, warmup: float,
                 abort_seconds: float = 0.5, workers: int | None = None) -> dict[str, Any]:
    """Measure page, search and text served by gunicorn at a fixed arrival rate, open loop:
    server time from its access log."""
    from bench_load import cpu_seconds, gunicorn
    from open_loop import OpenLoop, client_first
    from server_times import AccessLog, timings

    upgrade(url)
    public = "https://ivr.example.org"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "TWILIO_AUTH_TOKEN": TOKEN, "IVR_ENV": "production", "IVR_PUBLIC_URL": public,
           "DATABASE_URL": url, "IVR_INSTANCE_DIR": str(work / "instance"),
           "IVR_MENUS_DIR": str(ROOT / "menus"), "IVR_LOG_FORMAT": "json",
           "IVR_SMS_REPLY_COUNTRIES": "*", "IVR_SMS_REPLY_SENDER_LIMIT": "1000000/hour",
           "IVR_SMS_REPLY_LINE_LIMIT": "1000000/hour", "IVR_WORKER_IN_APP": "false"}
    env.pop("WEB_CONCURRENCY", None)  # the Procfile's default, unless told
    if workers is not None:
        env["WEB_CONCURRENCY"] = str(workers)
    validator = RequestValidator(TOKEN)
    log_path = work / "gunicorn.log"
    result: dict[str, Any] = {"requests": n, "rate_per_s": rate, "budget_ms": BUDGET_MS,
                              "database": url.split(":", 1)[0].split("+")[0],
                              "server": "gunicorn (the Procfile's web line)",
                              "load_average_start": round(os.getloadavg()[0], 2)}
    with gunicorn("app:app", env, log_path) as (base, master):
        log = AccessLog(log_path)
        host, port = base.removeprefix("http://").split(":")
        for name in ("page", "search", "text"):
            planned = online_requests(name, n, rate, warmup, f"{host}:{port}", validator, public)
            load = os.getloadavg()[0]
            cpu = cpu_seconds(master)
            with client_first():
                run = OpenLoop(host, int(port), planned, connections=16,
                               abort_seconds=abort_seconds).run()
            cpu = cpu_seconds(master) - cpu
            figures = timings(planned, run, log).figures()
            result[name] = {"p50_ms": figures["server_p50_ms"], "p99_ms": figures["server_p99_ms"],
                            "max_ms": figures["server_max_ms"], **figures,
                            "stopped_early": run.aborted,
                            "cpu_us_per_request": round(cpu * 1e6 / len(planned)),
                            "load_average": [round(load, 2), round(os.getloadavg()[0], 2)]}
            result[name]["within_budget"] = (not run.aborted and figures["errors"] == 0
                                             and figures["answer_p99_ms"] <= BUDGET_MS)
    return result


def half_keyed(db: str) -> float:
    """Half the keyed capacity bench_capacity.py measured on this database."""
    source = ROOT / "benchmarks" / "results" / "capacity.json"
    try:
        found = json.loads(source.read_text())["half_keyed_capacity_steps_per_s"][db]
    except (OSError, KeyError, ValueError) as exc:
        raise SystemExit(f"no keyed capacity for {db} in {source}: run "
                         f"benchmarks/bench_capacity.py --mix keyed first ({exc!r})") from exc
    return float(found)


def main() -> None:
    """Run on one database and print (and keep) the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=None,
                        help="measured requests of each kind (default: 600 in process; "
                             "15 s of arrivals with --gunicorn, at least 600)")
    parser.add_argument("--rate", default="40", help="requests per second, or half-keyed: half "
                        "the keyed capacity in benchmarks/results/capacity.json")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--tiny", action="store_true", help="40 requests each, nothing "
                        "written: a check that runs in seconds")
    parser.add_argument("--out", help="where to write the figures (default: benchmarks/results/"
                                      "online.json, not written by --tiny)")
    parser.add_argument("--cpu", action="store_true",
                        help="CPU of one answer per kind and language, words never seen, in "
                             "process (the cost that decides what rate 2 cores can carry)")
    parser.add_argument("--gunicorn", action="store_true",
                        help="serve from gunicorn (the Procfile's web line) over HTTP at a fixed "
                             "arrival rate, open loop; server time from its access log")
    args = parser.parse_args()
    db = "postgresql" if args.db == "postgres" else "sqlite"
    rate = half_keyed(db) if args.rate == "half-keyed" else float(args.rate)
    if args.tiny:
        n, rate = 40, (40.0 if args.gunicorn else 0.0)
    else:
        n = args.requests or (max(600, int(rate * 15)) if args.gunicorn else 600)
    if args.cpu:
        cpu_main(args, db)
        return
    print(f"{db}, {rate:g} requests a second, load average {os.getloadavg()[0]:.2f} on "
          f"{os.cpu_count()} cores", flush=True)
    from bench_load import postgres_database

    with tempfile.TemporaryDirectory() as tmp, \
            (postgres_database() if db == "postgresql" else nullcontext()) as pg_url:
        if db == "postgresql" and pg_url is None:
            raise SystemExit("PostgreSQL is not reachable (IVR_TEST_POSTGRES_URL)")
        url = pg_url or f"sqlite:///{tmp}/bench.sqlite3"
        os.environ.setdefault("IVR_INSTANCE_DIR", tmp)
        # A tiny run checks the machinery, not the machine: on a busy one it waits for the
        # answers instead of stopping early (a full run stops once the server is behind).
        # (and one worker starts in half the time of two)
        result = (run_gunicorn(Path(tmp), url, n, rate, 0.5 if args.tiny else 3.0,
                               float("inf") if args.tiny else 0.5, 1 if args.tiny else None)
                  if args.gunicorn else run(url, n, rate))
    result.setdefault("database", db)
    budget = "answer p99" if args.gunicorn else "p99"
    print(f"{'what':<8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'answer p99':>11} "
          f"{'lag p99':>8} {'errors':>7}  budget {BUDGET_MS:.0f} ms ({budget})")
    for name in ("page", "search", "text"):
        r = result[name]
        verdict = "ok" if r["within_budget"] else "OVER"
        if r.get("stopped_early"):
            verdict += " (stopped early: more than half a second of arrivals outstanding)"
        print(f"{name:<8} {r['p50_ms']:>8} {r['p99_ms']:>8} {r['max_ms']:>8} "
              f"{r.get('answer_p99_ms', ''):>11} {r.get('client_lag_p99_ms', ''):>8} "
              f"{r.get('errors', 0):>7}  {verdict}")
    verdict = "all within" if all(result[k]["within_budget"] for k in ("page", "search", "text")) \
        else "NOT all within"
    print(f"ONLINE {db} at {rate:g}/s{' (gunicorn, open loop)' if args.gunicorn else ''}: "
          + ", ".join(f"{k} p99 {result[k]['p99_ms']} ms" for k in ("page", "search", "text"))
          + f": {verdict} the {BUDGET_MS:.0f} ms budget")
    if args.out or not args.tiny:
        name = "online_gunicorn.json" if args.gunicorn else "online.json"
        if db == "postgresql":
            name = name.replace(".json", "_postgresql.json")
        out = Path(args.out) if args.out else ROOT / "benchmarks" / "results" / name
        out.write_text(json.dumps(result, indent=2) + "\n")


def cpu_main(args: argparse.Namespace, db: str) -> None:
    """--cpu: print and keep the CPU of one answer, per kind and language."""
    from bench_load import postgres_database

    n = 5 if args.tiny else (args.requests or 1000)  # by default every unseen wording
    with tempfile.TemporaryDirectory() as tmp, \
            (postgres_database() if db == "postgresql" else nullcontext()) as pg_url:
        os.environ.setdefault("IVR_INSTANCE_DIR", tmp)
        result = cpu_per_answer(pg_url or f"sqlite:///{tmp}/bench.sqlite3", n)
    result["database"] = db
    print(f"{'what':<8} {'lang':<5} {'n':>4} {'CPU mean ms':>12} {'p50':>7} {'p99':>7}")
    for kind in ("text", "search"):
        for lang, r in result[kind].items():
            print(f"{kind:<8} {lang:<5} {r['n']:>4} {r['cpu_mean_ms']:>12} {r['cpu_p50_ms']:>7} "
                  f"{r['cpu_p99_ms']:>7}")
    line = (f"TEXTS: {result['text_cpu_mean_ms_all_languages']} ms of CPU a text (a third in "
            f"each language): at most {result['most_texts_per_s_on_these_cores']} texts/s on "
            f"{result['cores']} cores fully busy")
    capacity = ROOT / "benchmarks" / "results" / "capacity.json"
    if capacity.exists():
        halves = json.loads(capacity.read_text()).get("half_keyed_capacity_steps_per_s", {})
        result["half_keyed_capacity_steps_per_s"] = halves
        line += "; half the keyed capacity: " + ", ".join(
            f"{name} {rate:g}/s" for name, rate in halves.items())
    print(line)
    if args.out or not args.tiny:
        name = "online_cpu.json" if db == "sqlite" else "online_cpu_postgresql.json"
        out = Path(args.out) if args.out else ROOT / "benchmarks" / "results" / name
        out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
