"""Prometheus metrics: calls, steps by node, fallbacks, webhook latency, voicemails, notifications.

Under gunicorn every worker is a separate process, so a plain in-memory counter
would show one worker's share at each scrape. When PROMETHEUS_MULTIPROC_DIR is set
(ivr.ops.gunicorn_conf sets it before any worker starts) prometheus_client keeps
each worker's values in files in that folder and a scrape adds them up; without it
(development server, `ivr call`, tests) the values live in this process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Twilio gives up after 15 s; the interesting range is a few milliseconds to a second.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0)

# *_created series say when each counter was created: noise here, and absent in
# multiprocess mode anyway, so one process shows what gunicorn's workers show.
disable_created_metrics()  # type: ignore[no-untyped-call]
REGISTRY = CollectorRegistry(auto_describe=True)
CALLS = Counter("ivr_calls", "Calls answered by a menu (the /voice webhook).", ["menu"],
                registry=REGISTRY)
STEPS = Counter("ivr_steps", "Engine steps taken, by menu and node.", ["menu", "node"],
                registry=REGISTRY)
FALLBACKS = Counter("ivr_fallbacks", "Callers sent to a node's fallback after using up their "
                    "tries, by menu and node.", ["menu", "node"], registry=REGISTRY)
ERRORS = Counter("ivr_webhook_errors", "Webhooks answered with the apology after an internal "
                 "error, or because no menu answers the number.", ["kind"], registry=REGISTRY)
LATENCY = Histogram("ivr_webhook_duration_seconds", "Time to answer a Twilio webhook (signature "
                    "check, engine, TwiML), by endpoint.", ["endpoint"], buckets=LATENCY_BUCKETS,
                    registry=REGISTRY)
VOICEMAILS = Counter("ivr_voicemails", "Voicemails stored (each recording counted once).",
                     registry=REGISTRY)
NOTIFY_FAILURES = Counter("ivr_notification_failures", "Failed notification attempts, by "
                          "channel (counted by the process that sends them).", ["channel"],
                          registry=REGISTRY)

WEB_LIMITS = Counter("ivr_web_limits_tripped", "Help-page requests refused by a limit (order "
                     "checks, forms), by limit: per_address or site.", ["limit"],
                     registry=REGISTRY)


def multiprocess_dir() -> str | None:
    """The folder shared by the workers, when running in multiprocess mode."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


_CHILDREN: dict[tuple[Any, tuple[str, ...]], Any] = {}


def _child(metric: Any, *labels: str) -> Any:
    """``metric.labels(*labels)``, remembered: a step counts several series, and finding a
    labelled child costs more than counting on it. The keys are menus, nodes and endpoints
    the service itself defines, so the dict stays as small as the series themselves."""
    key = (metric, labels)
    child = _CHILDREN.get(key)
    if child is None:
        child = _CHILDREN.setdefault(key, metric.labels(*labels))
    return child


def call_started(menu: str) -> None:
    """Count a call answered by ``menu``."""
    _child(CALLS, menu).inc()


def steps_taken(menu: str, steps: Iterable[Any]) -> None:
    """Count a turn's engine steps by node, and the fallbacks among them."""
    for step in steps:
        _child(STEPS, menu, step.node).inc()
        if step.event == "fallback":
            _child(FALLBACKS, menu, step.node).inc()


def webhook_error(kind: str) -> None:
    """Count a webhook answered with an apology (``error``) or without a menu (``no_menu``)."""
    ERRORS.labels(kind).inc()


def voicemail_stored() -> None:
    """Count a new voicemail."""
    VOICEMAILS.inc()


def web_limit_tripped(limit: str) -> None:
    """Count a help-page request refused by a limit (``per_address`` or ``site``)."""
    WEB_LIMITS.labels(limit).inc()


def notification_failed(channel: str) -> None:
    """Count a failed notification attempt."""
    NOTIFY_FAILURES.labels(channel).inc()


def observe_webhook(endpoint: str, seconds: float) -> None:
    """Record how long a webhook took to answer."""
    _child(LATENCY, endpoint).observe(seconds)


class _Local:
    """This process's own metrics, as a collector of a per-scrape registry."""

    def collect(self) -> Iterator[Any]:
        """The metrics of REGISTRY."""
        return iter(REGISTRY.collect())


class Backlog:
    """The notification outbox from the database: true whichever process sends it."""

    def __init__(self, count: Callable[[], int]) -> None:
        self.count = count

    def collect(self) -> Iterator[Any]:
        """ivr_outbox_backlog, or nothing when the database cannot be reached."""
        try:
            value = self.count()
        except Exception:  # noqa: BLE001 - a scrape must not fail with the database
            return iter(())
        gauge = GaugeMetricFamily("ivr_outbox_backlog", "Notifications waiting to be sent.")
        gauge.add_metric([], value)
        return iter([gauge])


def render(extra: Iterable[Collector] = ()) -> bytes:
    """The exposition text: all workers' values in multiprocess mode, else this process's."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_Local())
    for collector in extra:
        registry.register(collector)
    return generate_latest(registry)
