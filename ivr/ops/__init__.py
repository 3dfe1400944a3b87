"""Running the service: Prometheus metrics, structured logs, `ivr doctor`, `ivr twilio connect`.

Nothing here imports prometheus_client at package import: in multiprocess mode its
storage is chosen when it is first imported, so the gunicorn configuration must set
PROMETHEUS_MULTIPROC_DIR before anything loads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask


def install(app: Flask, settings: Mapping[str, Any]) -> None:
    """Give the app request ids, structured logs and metrics for every request."""
    from ivr.ops import logs, serving

    logs.configure(settings)
    serving.install(app)
