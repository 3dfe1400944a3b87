"""Call steps per second under gunicorn, against a bare Flask endpoint, in the same run.

Starts the service exactly as the Procfile's ``web:`` line does ($PORT and
${WEB_CONCURRENCY:-2} filled in, bound to 127.0.0.1) on a fresh SQLite database
and on a fresh PostgreSQL database, with the demo menus (every schedule open, so
transfers dial), a fixed auth token and IVR_PUBLIC_URL. The same command serves
benchmarks/bare_app.py (constant TwiML) as the floor. wrk replays a mix of real
signed call steps (benchmarks/load_mix.py) at 64 connections, alternating bare
and app runs in several rounds because the machine is shared and noisy.

``--mix keyed`` (the default, and the mix of the goal) has callers press keys wherever
they would speak; ``--mix mixed`` has them speak about a third of their answers. The
calls are replayed side by side (never two steps of one call at once, as Twilio sends
them), each round of the mix with new CallSids, enough for REPLAY_RATE requests/s
over the whole run, and each app run goes on where the last one stopped: a replayed
call is a new call, not the same call growing longer. The goal line compares the
ratio to bare Flask with GOAL_RATIO and the last round's throughput with the first's
(last_round_vs_first, next to bare Flask's own).

Per database it reports the medians of: rps, bare_flask_rps, their ratio, p50_ms
and p99_ms of the call steps, and cpu_us_per_step (CPU time of the gunicorn
master and workers, from /proc, per request; the database server's own CPU is not
included). app_requests, journey_steps_stored and journey_steps_left_in_spool
show where the journeys went: every /voice and /voice/step request adds at least
one journey line (status callbacks add none; the calls walked to build the mix
add theirs too); lines not yet in the database when gunicorn stopped stay in the
spool journal, to be replayed at the next start.
Prints a table and writes benchmarks/results/load.json.

Needs wrk, which `make bench-load` installs from the system's packages when it is
missing (Debian: apt-get install -y wrk). Run:
  make bench-load [BENCH_LOAD_ARGS="--seconds 8 --rounds 3 --connections 64"]
  .venv/bin/python benchmarks/bench_load.py [--seconds 8] [--rounds 3] [--connections 64]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from load_mix import MIXES, fresh_calls, lua_script, open_menus, walk_calls  # noqa: E402

TOKEN = "c" * 32
PUBLIC_URL = "https://ivr.example.org"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
REPLAY_RATE = 3000  # requests/s the app is given new calls for
GOAL_RATIO = 0.5  # of bare Flask's throughput, on the keyed mix
GOAL_DRIFT = 0.10  # the last round's throughput at most this much under the first's
POSTGRES_URL = os.environ.get("IVR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    """A TCP port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def web_command(app_spec: str) -> str:
    """The Procfile's web line, on the loopback interface, serving ``app_spec``."""
    lines = (ROOT / "Procfile").read_text().splitlines()
    web = next(line.split(": ", 1)[1] for line in lines if line.startswith("web: "))
    if " app:app " not in f" {web} ":
        raise SystemExit(f"the Procfile's web line does not serve app:app: {web}")
    return f" {web} ".replace(" app:app ", f" {app_spec} ").replace("0.0.0.0", "127.0.0.1").strip()


def cpu_seconds(master: int) -> float:
    """User + system CPU of a gunicorn master, its live workers and its reaped ones."""
    total = 0.0
    for pid in [master, *children(master)]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime, stime, cutime, cstime: fields 14-17 of /proc/PID/stat (after the name).
        used = int(fields[11]) + int(fields[12])
        if pid == master:
            used += int(fields[13]) + int(fields[14])
        total += used / CLOCK_TICKS
    return total


def children(pid: int) -> list[int]:
    """Direct children of a process."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


@contextmanager
def gunicorn(app_spec: str, env: dict[str, str], log: Path) -> Any:
    """A gunicorn started like the Procfile's web line; yields (base URL, master pid)."""
    port = free_port()
    env = {**env, "PORT": str(port)}
    with log.open("w") as out:
        server = subprocess.Popen(["bash", "-c", f"exec {web_command(app_spec)}"], cwd=ROOT,
                                  env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300  # a busy machine boots the workers slowly
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                    break
            except OSError as exc:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"gunicorn ({app_spec}) did not start: {exc}\n"
                                     + log.read_text()[-3000:]) from exc
                time.sleep(0.2)
        yield base, server.pid
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def run_wrk(base: str, script: Path, seconds: float, connections: int,
            master: int, start: int = 0) -> dict[str, Any]:
    """One wrk run from request ``start`` of the mix; returns its counts, latencies and the
    server's CPU per request."""
    before = cpu_seconds(master)
    result = subprocess.run(["wrk", "-t", "1", "-c", str(connections), "-d", f"{int(seconds)}s",
                             "--timeout", "10s", "-s", str(script), f"{base}/", "--",
                             secrets.token_hex(8), str(start)],
                            capture_output=True, text=True, timeout=seconds + 60)
    used = cpu_seconds(master) - before
    line = next((x for x in result.stdout.splitlines() if x.startswith("WRK_RESULT ")), None)
    if line is None:
        raise SystemExit(f"wrk failed: {result.stdout}\n{result.stderr}")
    data: dict[str, Any] = json.loads(line.split(" ", 1)[1])
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    data["cpu_us_per_request"] = used * 1e6 / max(1, data["requests"])
    data["errors"] = sum(data[k] for k in ("connect_errors", "read_errors", "write_errors",
                                           "status_errors", "timeouts"))
    return data


def spooled_steps(instance: Path) -> int:
    """Journey lines a stopped server left in its spool journal (replayed at its next start)."""
    return sum(line.startswith('{"k":"step"')
               for file in instance.rglob("*.jsonl")
               for line in file.read_text(encoding="utf-8", errors="replace").splitlines())


def median(runs: list[dict[str, Any]], key: str) -> float:
    """The median of one figure over several runs."""
    return statistics.median(r[key] for r in runs)


def service_env(db_name: str, url: str, work: Path, workers: int | None) -> dict[str, str]:
    """The environment the Procfile's lines run in: production, a fixed token and public URL,
    the database, an instance folder per database and the menus copied under ``work``."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "TWILIO_AUTH_TOKEN": TOKEN, "IVR_ENV": "production", "IVR_PUBLIC_URL": PUBLIC_URL,
           "DATABASE_URL": url, "IVR_INSTANCE_DIR": str(work / f"instance-{db_name}"),
           "IVR_MENUS_DIR": str(work / "menus")}
    env.pop("WEB_CONCURRENCY", None)  # the Procfile's default unless --workers says otherwise
    if workers is not None:
        env["WEB_CONCURRENCY"] = str(workers)
    return env


def release_and_seed(env: dict[str, str]) -> Any:
    """Run the Procfile's release line and seed the demo data; returns an app on the same
    database, settings and menus, for walking calls in process (close it with ``close_app``)."""
    from ivr import create_app

    release = next(line.split(": ", 1)[1] for line in (ROOT / "Procfile").read_text().splitlines()
                   if line.startswith("release: "))
    for command in (release, "ivr demo seed"):
        done = subprocess.run(["bash", "-c", command], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=300)
        if done.returncode != 0:
            raise SystemExit(f"{command!r} failed:\n{done.stdout}\n{done.stderr}")
    return create_app({"IVR_ENV": "test", "TWILIO_AUTH_TOKEN": TOKEN,
                       "DATABASE_URL": env["DATABASE_URL"], "SECRET_KEY": "bench",
                       "IVR_MENUS_DIR": env["IVR_MENUS_DIR"], "IVR_PUBLIC_URL": env["IVR_PUBLIC_URL"],
                       "IVR_INSTANCE_DIR": env["IVR_INSTANCE_DIR"]})


def close_app(app: Any) -> None:
    """Flush and close what an in-process app holds open (journeys, database pools)."""
    app.extensions["ivr"].recorder.close()
    app.extensions["ivr"].store.dispose()


def prepare(db_name: str, env: dict[str, str], work: Path, mix: str,
            requests_wanted: int = 0) -> tuple[Path, dict[str, int]]:
    """Migrate and seed the database, run the release line, and pre-generate the request mix
    (the wrk script, and how many requests of each kind it holds): the walked calls, again
    with new CallSids until there are ``requests_wanted`` requests."""
    app = release_and_seed(env)
    catalog = app.extensions["ivr"].catalog
    numbers = sorted({n for menu in catalog.menus.values() for n in menu.numbers})
    requests = walk_calls(app, TOKEN, env["IVR_PUBLIC_URL"], numbers, calls=300, mix=mix)
    close_app(app)
    paths = [r.path.split("?")[0] for r in requests]
    spoken = sum("SpeechResult=" in r.body for r in requests)
    copies = max(1, -(-requests_wanted // len(requests)))
    script = work / f"mix-{db_name}.lua"
    script.write_text(lua_script(fresh_calls(requests, TOKEN, env["IVR_PUBLIC_URL"], copies),
                                 work / f"mix-{db_name}.tsv"))
    print(f"{db_name}, {mix} mix: {len(requests)} requests from 300 calls "
          f"({paths.count('/voice')} new calls, {paths.count('/voice/step')} steps of which "
          f"{spoken} spoken, {paths.count('/voice/status')} status callbacks)", flush=True)
    return script, {"mix_requests": len(requests), "mix_copies": copies,
                    "mix_calls": paths.count("/voice"),
                    "mix_steps": paths.count("/voice/step"), "mix_spoken_steps": spoken}


def measure(db_name: str, url: str, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Bare and app runs, interleaved, on one database."""
    env = service_env(db_name, url, work, args.workers)
    # Enough calls that none is replayed at up to REPLAY_RATE requests/s (then they repeat).
    wanted = (args.warmup + args.rounds * args.seconds) * REPLAY_RATE
    script, counts = prepare(db_name, env, work, args.mix, wanted)
    bare_runs: list[dict[str, Any]] = []
    app_runs: list[dict[str, Any]] = []
    with gunicorn("benchmarks.bare_app:app", env, work / f"bare-{db_name}.log") as bare, \
            gunicorn("app:app", env, work / f"app-{db_name}.log") as served:
        run_wrk(bare[0], script, args.warmup, args.connections, bare[1])  # warm up: imports,
        warm = run_wrk(served[0], script, args.warmup, args.connections, served[1])  # pools
        sent = warm["requests"]  # each app run goes on where the last stopped: new calls
        for round_no in range(args.rounds):
            bare_runs.append(run_wrk(bare[0], script, args.seconds, args.connections, bare[1]))
            app_runs.append(run_wrk(served[0], script, args.seconds, args.connections, served[1],
                                    start=sent))
            sent += app_runs[-1]["requests"]
            print(f"  {db_name} round {round_no + 1}: bare {bare_runs[-1]['rps']:.0f} rps, "
                  f"app {app_runs[-1]['rps']:.0f} rps, p99 {app_runs[-1]['p99_us'] / 1000:.1f} ms, "
                  f"errors {app_runs[-1]['errors']}", flush=True)
    from ivr.config import database_url
    from ivr.data.store import Store

    store = Store(database_url(url, work))
    journey_steps = store.count_steps()
    store.dispose()
    spooled = spooled_steps(Path(env["IVR_INSTANCE_DIR"]))
    rps, bare_rps = median(app_runs, "rps"), median(bare_runs, "rps")
    return {
        "database": db_name,
        "mix": args.mix,
        **counts,
        "connections": args.connections,
        "seconds_per_run": args.seconds,
        "rounds": args.rounds,
        "rps": round(rps, 1),
        "bare_flask_rps": round(bare_rps, 1),
        "ratio": round(rps / bare_rps, 3),
        "p50_ms": round(median(app_runs, "p50_us") / 1000, 2),
        "p99_ms": round(median(app_runs, "p99_us") / 1000, 2),
        "cpu_us_per_step": round(median(app_runs, "cpu_us_per_request")),
        "bare_p50_ms": round(median(bare_runs, "p50_us") / 1000, 2),
        "bare_p99_ms": round(median(bare_runs, "p99_us") / 1000, 2),
        "bare_cpu_us_per_request": round(median(bare_runs, "cpu_us_per_request")),
        "errors": sum(r["errors"] for r in app_runs),
        "app_requests_beyond_new_calls": max(0, sent - counts["mix_requests"] * counts["mix_copies"]),
        "app_requests": warm["requests"] + sum(r["requests"] for r in app_runs),
        "journey_steps_stored": journey_steps,
        "journey_steps_left_in_spool": spooled,
        "last_round_vs_first": round(app_runs[-1]["rps"] / app_runs[0]["rps"] - 1, 3),
        "bare_last_round_vs_first": round(bare_runs[-1]["rps"] / bare_runs[0]["rps"] - 1, 3),
        "runs": {"bare": [round(r["rps"], 1) for r in bare_runs],
                 "app": [round(r["rps"], 1) for r in app_runs],
                 "app_cpu_us_per_step": [round(r["cpu_us_per_request"]) for r in app_runs]},
    }


@contextmanager
def postgres_database() -> Any:
    """A fresh PostgreSQL database (dropped afterwards), or None when unreachable."""
    try:
        import psycopg

        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            pass
    except Exception as exc:  # noqa: BLE001 - any failure means: no PostgreSQL here
        print(f"PostgreSQL not reachable at {POSTGRES_URL} ({exc}); measuring SQLite only",
              flush=True)
        yield None
        return
    name = f"ivr_bench_{secrets.token_hex(4)}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    """Measure on SQLite and PostgreSQL, print a table, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8, help="length of each measured run")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=None,
                        help="WEB_CONCURRENCY (default: the Procfile's default)")
    parser.add_argument("--mix", choices=MIXES, default="keyed",
                        help="keyed: callers press keys where they would speak (the goal's "
                             "mix); mixed: about a third of the answers spoken")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "load.json"))
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: `make bench-load` installs it (or, on Debian: "
                         "apt-get install -y wrk)")
    results = []
    load_at_start = os.getloadavg()  # the machine is shared: say how busy it was
    with tempfile.TemporaryDirectory(prefix="ivr-load-") as tmp:
        work = Path(tmp)
        open_menus(ROOT / "menus", work / "menus")
        results.append(measure("sqlite", f"sqlite:///{work / 'load.sqlite3'}", work, args))
        if not args.sqlite_only:
            with postgres_database() as url:
                if url is not None:
                    results.append(measure("postgresql", url, work, args))
    print(f"\n{'database':<11} {'rps':>7} {'bare rps':>9} {'ratio':>6} {'p50 ms':>7} "
          f"{'p99 ms':>7} {'cpu us/step':>12} {'bare cpu us':>12} {'errors':>7}")
    for r in results:
        print(f"{r['database']:<11} {r['rps']:>7.0f} {r['bare_flask_rps']:>9.0f} {r['ratio']:>6.2f} "
              f"{r['p50_ms']:>7.1f} {r['p99_ms']:>7.1f} {r['cpu_us_per_step']:>12} "
              f"{r['bare_cpu_us_per_request']:>12} {r['errors']:>7}")
    for r in results:
        ratio_met = r["ratio"] >= GOAL_RATIO
        drift_met = r["last_round_vs_first"] >= -GOAL_DRIFT
        print(f"goal, {r['database']}, {r['mix']} mix: {r['ratio']:.2f}x bare Flask "
              f"(>= {GOAL_RATIO}: {'met' if ratio_met else 'NOT met'}); last round "
              f"{r['last_round_vs_first']:+.0%} vs the first (within -{GOAL_DRIFT:.0%}: "
              f"{'met' if drift_met else 'NOT met'}; bare Flask "
              f"{r['bare_last_round_vs_first']:+.0%})")
    meta = {"cpus": os.cpu_count(), "procfile_web": web_command("app:app"),
            "load_average_at_start": load_at_start, "load_average_at_end": os.getloadavg(),
            "load_generator": "wrk -t 1, one connection = one request at a time"}
    Path(args.out).write_text(json.dumps({"machine": meta, "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
