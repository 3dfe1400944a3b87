"""gunicorn's own log lines (start-up, workers, access) in the service's log format."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from gunicorn.glogging import Logger  # type: ignore[import-untyped]

from ivr.config import env_settings
from ivr.ops.logs import RequestContext, formatter_for, mask_phone_numbers, resolve_format


class GunicornLogger(Logger):  # type: ignore[misc]
    """Formats gunicorn's error and access logs like the app's (JSON in production).

    In JSON an access line is an object with the method, path (without the query,
    which carries call state), status, duration, request id and CallSid.
    """

    def setup(self, cfg: Any) -> None:
        """gunicorn's handlers, with our formatter (text stays gunicorn's own, masked)."""
        super().setup(cfg)
        self.ivr_format = resolve_format(env_settings(os.environ))
        if self.ivr_format != "json":
            for handler in self.error_log.handlers + self.access_log.handlers:
                handler.setFormatter(_Masked(handler.formatter))
            return
        for handler in self.error_log.handlers + self.access_log.handlers:
            handler.setFormatter(formatter_for("json"))
            handler.addFilter(RequestContext())

    def access(self, resp: Any, req: Any, environ: dict[str, Any],
               request_time: timedelta) -> None:
        """One access line; in JSON with the request's ids."""
        if getattr(self, "ivr_format", "text") != "json":
            super().access(resp, req, environ, request_time)
            return
        enabled = getattr(self, "access_log_enabled", bool(self.access_log.handlers))
        if not enabled:
            return
        status = getattr(resp, "status_code", None) or str(resp.status).split(" ")[0]
        fields = {
            "method": environ.get("REQUEST_METHOD", ""),
            "path": environ.get("PATH_INFO", ""),
            "status": int(status),
            "duration_ms": round(request_time.total_seconds() * 1000, 2),
            "remote": environ.get("REMOTE_ADDR", ""),
        }
        self.access_log.info("%s %s %s", fields["method"], fields["path"], fields["status"],
                             extra={"fields": fields,
                                    "request_id": environ.get("ivr.request_id", ""),
                                    "call_sid": environ.get("ivr.call_sid", "")})


class _Masked:
    """Wraps gunicorn's text formatter so phone numbers are masked there too."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def format(self, record: Any) -> str:
        """The inner formatter's line, masked."""
        return mask_phone_numbers(self.inner.format(record))
