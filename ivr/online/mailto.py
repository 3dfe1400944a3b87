"""An agent's answer by e-mail to a message left on a help page: a mailto: link.

The web form keeps the visitor's words as the message's transcript, headed by the
lines the form wrote itself (``Name: ...``, ``E-mail: ...``, see ivr.online.contact).
The link opens the agent's own mail program on a reply to that address, with a subject
naming the line and the visitor's message quoted; nothing is sent by the service.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

NAME = "Name: "
EMAIL_LINE = "E-mail: "
EMAIL = re.compile(r"^[^@\s<>\"'?&#%,;:]{1,64}@[A-Za-z0-9.-]{1,188}\.[A-Za-z]{2,24}$")
MAX_QUOTED = 1500  # characters of the message quoted (a mailto: URL stays a usable length)


def web_message(transcript: str) -> dict[str, str]:
    """A web message's name, e-mail address and words (each "" when not given)."""
    lines = (transcript or "").split("\n")
    found = {"name": "", "email": "", "message": ""}
    if lines and lines[0].startswith(NAME):
        found["name"] = lines.pop(0)[len(NAME):].strip()
    if lines and lines[0].startswith(EMAIL_LINE):
        address = lines.pop(0)[len(EMAIL_LINE):].strip()
        found["email"] = address if EMAIL.match(address) else ""
    found["message"] = "\n".join(lines).strip()
    return found


def reply_link(item: dict[str, Any], line_name: str) -> dict[str, str] | None:
    """The mailto: answer to a web message that left an e-mail address, else None."""
    if item.get("purpose") != "web":
        return None
    found = web_message(str(item.get("transcript") or ""))
    if not found["email"]:
        return None
    subject = f"Your message to {line_name}" if line_name else "Your message"
    greeting = f"Hello {found['name']},\n\n" if found["name"] else "Hello,\n\n"
    words = found["message"][:MAX_QUOTED]
    quoted = "\n".join(f"> {line}" for line in words.split("\n")) if words else ""
    body = f"{greeting}\n\n\n{'You wrote:' if quoted else ''}\n{quoted}".rstrip() + "\n"
    href = (f"mailto:{quote(found['email'], safe='@')}?subject={quote(subject, safe='')}"
            f"&body={quote(body, safe='')}")
    return {"email": found["email"], "name": found["name"], "href": href}
