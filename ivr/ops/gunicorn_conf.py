"""gunicorn settings for the web process: `gunicorn app:app -c python:ivr.ops.gunicorn_conf`.

The Procfile's command-line options (bind, workers, threads, timeouts) win over
anything here; this module only adds what a command line cannot say:

- metrics that add up across workers: a folder for prometheus_client's multiprocess
  mode (IVR_METRICS_DIR, or a fresh temporary folder per start of gunicorn: one per
  deployment, so a new release starts counting from zero, which Prometheus handles as
  a counter reset), emptied at start and cleaned up when a worker exits;
- gunicorn's own log lines in the service's format (ivr.ops.gunicorn_logging);
- limits on a request's head (request line, header count and size); the body's
  limits are the app's (ivr.web.limits), checked before any byte of it is read.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

if "prometheus_client" in sys.modules:  # its storage is chosen once, at its first import
    raise RuntimeError("prometheus_client was imported before the gunicorn configuration: "
                       "the workers' metrics would not add up")

def _load_dotenv() -> None:
    """The project's .env, as create_app reads it, so IVR_METRICS_DIR and IVR_LOG_FORMAT
    there apply to gunicorn's own process too (variables already set win)."""
    from dotenv import load_dotenv

    from ivr.config import PROJECT_ROOT

    load_dotenv(PROJECT_ROOT / ".env", override=False)


_load_dotenv()
_configured = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("IVR_METRICS_DIR")
_created = not _configured
METRICS_DIR = _configured or tempfile.mkdtemp(prefix="ivr-metrics-")
os.environ["PROMETHEUS_MULTIPROC_DIR"] = METRICS_DIR

logger_class = "ivr.ops.gunicorn_logging.GunicornLogger"

# What a request's head may hold before gunicorn refuses it (400/414), before the app
# sees it. The longest line we ask Twilio to request is a callback URL with the call's
# state in its query: 12 node ids of up to 64 characters, a pending question of up to
# about 230, menu, node and version: under 1.5 KB with the public URL. Twilio sends
# about ten headers, a browser twenty, a proxy adds a few; a dashboard cookie is small.
limit_request_line = 4094  # bytes in "POST /voice/step?... HTTP/1.1"
limit_request_fields = 50  # header fields
limit_request_field_size = 8190  # bytes in one header field (name and value)


def on_starting(server: Any) -> None:
    """Start from empty: values left by an earlier run would be added to this one's."""
    folder = Path(METRICS_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    """Drop a dead worker's live gauges (its counters stay in the totals)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, METRICS_DIR)  # type: ignore[no-untyped-call]


def on_exit(server: Any) -> None:
    """Remove the temporary metrics folder this start created."""
    if _created:
        shutil.rmtree(METRICS_DIR, ignore_errors=True)
