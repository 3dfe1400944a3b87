"""Structured logs: one JSON object per line in production, readable text in development.

Every line written while a request is served carries its request id and, on Twilio's
webhooks, the CallSid, so one call can be followed across workers. Phone numbers are
masked in every line (``+40721234567`` becomes ``+4072****567``): logs travel to
places where callers' numbers have no business being.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask import g, has_request_context

FORMATS = ("auto", "json", "text")
# A log line carries what callers sent (numbers, SIDs, paths): never unbounded.
MAX_MESSAGE = 2_000
MAX_EXCEPTION = 20_000


def capped(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit} characters cut)"
# "+" and 7-15 digits (E.164), its URL-encoded form, or a bare run of 8-15 digits;
# never digits inside a longer word such as a CallSid (CA + 32 hex).
_PHONE = re.compile(r"(?<![\w%+])(?:(\+|%2[Bb])(\d{7,15})|(\d{8,15}))(?!\w)")


def mask_phone_numbers(text: str) -> str:
    """Mask the middle of every phone number in ``text``: +40721234567 -> +4072****567."""

    def masked(match: re.Match[str]) -> str:
        prefix = match.group(1) or ""
        digits = match.group(2) or match.group(3)
        head = min(4, len(digits) - 6)  # at least three digits are always hidden
        return prefix + digits[:head] + "*" * (len(digits) - head - 3) + digits[-3:]

    return _PHONE.sub(masked, text)


def resolve_format(settings: Mapping[str, Any]) -> str:
    """json, text, or off: ``auto`` is json in production, text in development, off in tests.

    Off leaves logging alone, so the test runner's own capture sees the records.
    """
    chosen = str(settings.get("IVR_LOG_FORMAT") or "auto").lower()
    if chosen not in FORMATS:
        from ivr.config import ConfigError

        raise ConfigError(f"IVR_LOG_FORMAT must be auto, json or text, not {chosen!r}")
    if chosen != "auto":
        return chosen
    env = settings.get("IVR_ENV") or "production"
    return {"production": "json", "development": "text"}.get(str(env), "off")


class RequestContext(logging.Filter):
    """Adds the request id and CallSid of the request being served (empty outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Attach ``request_id`` and ``call_sid`` to the record; never drops it."""
        request_id = call_sid = ""
        if has_request_context():
            request_id = str(g.get("request_id", ""))
            call_sid = str(g.get("call_sid", ""))
        if not getattr(record, "request_id", ""):
            record.request_id = request_id
        if not getattr(record, "call_sid", ""):
            record.call_sid = call_sid
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, pid, request id, CallSid."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a single line of JSON, phone numbers masked."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": capped(record.getMessage()),
            "pid": record.process,
        }
        for name in ("request_id", "call_sid"):
            if getattr(record, name, ""):
                entry[name] = capped(str(getattr(record, name)), 128)
        entry.update({k: capped(v) if isinstance(v, str) else v
                      for k, v in (getattr(record, "fields", None) or {}).items()})
        if record.exc_info:
            entry["exception"] = capped(self.formatException(record.exc_info), MAX_EXCEPTION)
        elif record.exc_text:
            entry["exception"] = capped(record.exc_text, MAX_EXCEPTION)
        return mask_phone_numbers(json.dumps(entry, ensure_ascii=False, default=str))


class TextFormatter(logging.Formatter):
    """A readable line, with the request id and CallSid when there are any; numbers masked."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(context)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        """The record as text, phone numbers masked."""
        ids = [capped(str(v), 128) for v in (getattr(record, "request_id", ""),
                                             getattr(record, "call_sid", "")) if v]
        record.context = f" [{' '.join(ids)}]" if ids else ""
        return mask_phone_numbers(super().format(record))

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        """The line with its message capped."""
        record.message = capped(record.message)
        return super().formatMessage(record)

    def formatException(self, ei: Any) -> str:  # noqa: N802 - logging's name
        """The traceback, capped."""
        return capped(super().formatException(ei), MAX_EXCEPTION)


def formatter_for(fmt: str) -> logging.Formatter:
    """The formatter of a resolved format (json or text)."""
    return JsonFormatter() if fmt == "json" else TextFormatter()


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time, so redirected output is followed."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        """The current standard error."""
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        """Ignored: the stream is always the current standard error."""


def configure(settings: Mapping[str, Any]) -> logging.Handler | None:
    """Send the root logger to standard error in the configured format (idempotent).

    Returns the handler installed, or None when the format is off.
    """
    fmt = resolve_format(settings)
    if fmt == "off":
        unconfigure()
        return None
    level = str(settings.get("IVR_LOG_LEVEL") or "INFO").upper()
    if not isinstance(logging.getLevelName(level), int):
        from ivr.config import ConfigError

        raise ConfigError(f"IVR_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {level!r}")
    unconfigure()
    root = logging.getLogger()
    handler = StderrHandler()
    handler._ivr_level = root.level  # type: ignore[attr-defined]
    handler.setFormatter(formatter_for(fmt))
    handler.addFilter(RequestContext())
    root.addHandler(handler)
    root.setLevel(level)
    # Alembic announces its plugins at INFO whenever a process first reads the migrations.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    return handler


def unconfigure() -> None:
    """Remove the handler ``configure`` installed and restore the root level."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if hasattr(handler, "_ivr_level"):
            root.removeHandler(handler)
            root.setLevel(handler._ivr_level)
