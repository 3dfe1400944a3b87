"""Twilio's retries answered alike: a repeated I-Twilio-Idempotency-Token hears the same TwiML.

Twilio retries a webhook it got no answer to (a timeout, a dropped connection) with
the same idempotency token. Journey lines are keyed on that token, so a retry adds
nothing twice to the journey; this cache makes the retry *answer* the same too, even
when the answer depends on the clock (opening hours) or on live data (a lookup).

The cache is per process and bounded in size and age. A retry that reaches another
worker or instance computes its answer again from the state in the signed URL: the
same TwiML unless the clock or the live data changed in between.
"""

from __future__ import annotations

import functools
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, current_app, request

F = TypeVar("F", bound=Callable[..., Any])
HEADER = "I-Twilio-Idempotency-Token"


class ReplyCache:
    """Recent answers by request key; the oldest go first (size), stale ones too (age)."""

    def __init__(self, size: int = 4096, max_age: float = 600.0) -> None:
        self.size = size
        self.max_age = max_age
        self._lock = threading.Lock()
        self._items: OrderedDict[str, tuple[float, int, str, bytes]] = OrderedDict()
        self.hits = 0

    def get(self, key: str) -> Response | None:
        """The answer given to this request before, if still remembered."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            if time.monotonic() - item[0] > self.max_age:
                del self._items[key]
                return None
            self.hits += 1
        _, status, mimetype, body = item
        return Response(body, status, mimetype=mimetype)

    def put(self, key: str, response: Response) -> None:
        """Remember an answer."""
        item = (time.monotonic(), response.status_code, response.mimetype or "text/xml",
                response.get_data())
        with self._lock:
            self._items[key] = item
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


def xml(body: str) -> Response:
    """A TwiML response."""
    return Response(body, 200, mimetype="text/xml")


def request_key() -> str | None:
    """The retry key: Twilio's token, bound to what was signed (URL and form) by the signature.

    A token alone is not signed, so a token reused with another request never
    replays the wrong answer.
    """
    token = request.headers.get(HEADER)
    if not token:
        return None
    signed = "\0".join((token, request.headers.get("X-Twilio-Signature", ""),
                        request.full_path))
    return hashlib.sha256(signed.encode("utf-8", "replace")).hexdigest()


def replies() -> ReplyCache:
    """This app's cache (one per app, shared by the worker's threads)."""
    cache: ReplyCache = current_app.extensions.setdefault("ivr.replies", ReplyCache())
    return cache


def idempotent(view: F) -> F:
    """Answer a retried request with the TwiML its first attempt got (successful answers only)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request_key()
        if key is None:
            return view(*args, **kwargs)
        cached = replies().get(key)
        if cached is not None:
            return cached
        response = view(*args, **kwargs)
        if isinstance(response, Response) and response.status_code == 200:
            replies().put(key, response)
        return response

    return wrapper  # type: ignore[return-value]
