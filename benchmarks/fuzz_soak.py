"""Soak every Twilio-facing endpoint with fuzzed requests and print the outcome as JSON.

The same cases and checks as tests/test_fuzz_webhooks.py, by the ten thousand:

    .venv/bin/python benchmarks/fuzz_soak.py                 # 10,000 cases on SQLite
    .venv/bin/python benchmarks/fuzz_soak.py --cases 20000 --database postgresql://...

Prints {"cases": N, "failures": [...], ...}; exits 1 when anything failed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import hypothesis  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402

from ivr.migrations import upgrade  # noqa: E402
from tests.conftest import shutdown  # noqa: E402
from tests.test_fuzz_webhooks import Case, Fuzzer, cases, fuzz_app, twilio_endpoints  # noqa: E402

MAX_FAILURES = 50  # kept in the report (all are counted)


def soak(db_url: str, folder: Path, count: int, seed: int) -> dict[str, Any]:
    """Run ``count`` cases; the report."""
    app = fuzz_app(db_url, folder)
    endpoints = twilio_endpoints(app)
    failures: list[dict[str, Any]] = []
    failed = 0
    by_endpoint: dict[str, int] = {}
    started = time.monotonic()
    with Fuzzer(app) as fuzzer:

        @settings(max_examples=count, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck), phases=["generate"])
        @given(case=cases(endpoints))
        def one(case: Case) -> None:
            nonlocal failed
            by_endpoint[case.path] = by_endpoint.get(case.path, 0) + 1
            found = fuzzer.run(case)
            if fuzzer.count % 500 == 0:
                found += fuzzer.journeys_written()
            if found:
                failed += 1
                if len(failures) < MAX_FAILURES:
                    failures.append({"problems": found, "path": case.path, "query": case.query,
                                     "form": list(case.form.items(multi=True))[:20],
                                     "signing": case.signing})

        hypothesis.seed(seed)(one)()
        final = fuzzer.journeys_written()
        if final:
            failed += 1
            failures.append({"problems": final})
        ran = fuzzer.count
    shutdown(app)
    return {"cases": ran, "failed_cases": failed, "failures": failures,
            "endpoints": by_endpoint, "seconds": round(time.monotonic() - started, 1),
            "database": db_url.split(":", 1)[0], "seed": seed}


def main() -> int:
    """Parse arguments, soak, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--database", default="", help="SQLAlchemy URL (default: a new SQLite)")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db_url = args.database or f"sqlite:///{folder / 'soak.sqlite3'}"
        upgrade(db_url)
        report = soak(db_url, folder, args.cases, args.seed)
    print(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    return 1 if report["failed_cases"] else 0


if __name__ == "__main__":
    sys.exit(main())
