"""How many bytes a request body may carry, per kind of route; refused (413) before reading.

Twilio's webhook bodies are a few kilobytes: about thirty fields, the longest being a
spoken answer (SpeechResult) or a transcription of at most two minutes of speech,
some 2,000 characters, three times that once URL-encoded. 64 KiB is ten times the
largest real one. Only the dashboard's uploads take more: a recorded prompt
(IVR_PROMPT_MAX_BYTES and its multipart wrapping) and a menu text (the editor's
1,000,000 characters, up to 4 bytes each in UTF-8). Everything else (logins, notes,
user forms) fits in 256 KiB.

Werkzeug enforces the limit before parsing: a Content-Length over it is refused
without reading a byte, and a chunked body without one is read only up to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ivr.menu.versions import MAX_TEXT

KIB = 1024
WEBHOOK_MAX_BYTES = 64 * KIB  # every route under /voice and /sms (Twilio's)
DEFAULT_MAX_BYTES = 256 * KIB  # the dashboard's forms, and anything else
MENU_MAX_BYTES = 4 * MAX_TEXT + 64 * KIB  # the menu editor (JSON or a form)
MULTIPART_OVERHEAD = 64 * KIB  # a prompt upload's form fields and part headers
MENU_ENDPOINTS = frozenset({"dashboard.menus.check", "dashboard.menus.save_draft",
                            "dashboard.menus.publish"})
UPLOAD_ENDPOINTS = frozenset({"dashboard.prompts.upload"})


def body_limit(path: str, endpoint: str | None, config: Mapping[str, Any]) -> int:
    """The largest body (bytes) the route of ``path``/``endpoint`` accepts."""
    if path in ("/voice", "/sms") or path.startswith(("/voice/", "/sms/")):
        return WEBHOOK_MAX_BYTES
    if endpoint in UPLOAD_ENDPOINTS:
        return int(config.get("IVR_PROMPT_MAX_BYTES") or 5_000_000) + MULTIPART_OVERHEAD
    if endpoint in MENU_ENDPOINTS:
        return MENU_MAX_BYTES
    return DEFAULT_MAX_BYTES
