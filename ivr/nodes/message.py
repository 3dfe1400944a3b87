"""``type: message`` — an answer: play it, then move on (by default back to the menu).

A message may offer its answer by text (``text_me``): after the answer the caller hears
"To get this by text message, press 1 or say text me", and a key press or those words
queue a text to the number they call from, through the engine's ``Texts`` port. The
caller hears that it is on its way, or why it cannot be sent, then goes on to ``next``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ivr.engine.messages import TEXT_WORDS
from ivr.engine.texts import MAX_BODY, SPOKEN, UNAVAILABLE, VERDICTS, TextRequest, with_link
from ivr.engine.types import Action, Done, Event, Input, Redirect, Silence, Turn
from ivr.menu.source import Fields, Value, Where
from ivr.nodes.base import Node
from ivr.speech.spoken import fold

if TYPE_CHECKING:
    from ivr.engine.core import Call
    from ivr.menu.parsing import ParseContext

AFTER_ANSWER_WAIT = 2  # seconds a caller has after the answer to press a global key
AFTER_OFFER_WAIT = 4  # ... and to press or say "text me" when a text is offered
DEFAULT_TEXT_KEY = "1"
MAX_SAID = 200  # characters of speech looked at for "text me"
LINK = re.compile(r"^https?://[^\s<>\"{}]{3,300}$")


@dataclass(frozen=True)
class TextMe:
    """What "text me this" sends: a body per language ("*": any), a link, and the key."""

    body: Mapping[str, str]
    where: Where
    link: str = ""
    key: str = DEFAULT_TEXT_KEY

    def text_for(self, lang: str, default: str) -> str:
        """The text to send a caller in ``lang`` (the default language's when none is written)."""
        body = self.body.get(lang) or self.body.get("*") or self.body.get(default) or ""
        return with_link(body, self.link)


@dataclass(frozen=True)
class MessageNode(Node):
    """Speak or play an answer; global keys work while it plays (e.g. * to hear it again)."""

    next: str = "back"
    text_me: TextMe | None = None

    kind = "message"
    summary = "an answer or announcement, then on to `next` (default: back); may offer it by text"

    @classmethod
    def parse_fields(cls, fields: Fields, ctx: ParseContext) -> dict[str, Any]:
        """Read ``next`` and ``text_me``."""
        value = fields.get("next")
        out: dict[str, Any] = {"next": ctx.target(value) if value else "back"}
        if (v := fields.get("text_me")) is not None:
            out["text_me"] = _text_me(v, ctx)
        return out

    def targets(self) -> list[tuple[str, Where]]:
        """Where the caller goes after the answer."""
        return [*super().targets(), (self.next, self.where)]

    def keys(self) -> list[tuple[str, Where]]:
        """The "text me" key, which hides a global key with the same key here."""
        return [(self.text_me.key, self.text_me.where)] if self.text_me else []

    def enter(self, call: Call) -> Turn:
        """Play the answer inside a Gather so global keys (and "text me") still work."""
        if self.text_me is None:
            gather = call.gather(call.hear(self.say), input="dtmf", timeout=AFTER_ANSWER_WAIT,
                                 hints=())
        else:
            offer = call.speak_text(call.menu.message("text_offer", call.state.lang)
                                    .replace("{key}", self.text_me.key))
            gather = call.gather([*call.hear(self.say), offer], input="dtmf speech",
                                 timeout=AFTER_OFFER_WAIT,
                                 hints=TEXT_WORDS.get(call.state.lang, ()))
        return call.turn([gather, Redirect(call.next("done"))])

    def handle(self, call: Call, event: Event) -> Turn:
        """The "text me" key or words send the text; any other key or the end: on to ``next``."""
        if isinstance(event, Input) and self.text_me is not None and self.asked_for_text(
                event, call.state.lang):
            return self.send_text(call, self.text_me, event)
        if isinstance(event, Input) and event.digits:
            turn = call.global_key(event.digits)
            if turn is not None:
                return turn
        if isinstance(event, Done | Silence | Input):
            call.log("done", outcome=f"go:{self.next}")
            return call.go(self.next)
        return super().handle(call, event)

    def asked_for_text(self, event: Input, lang: str) -> bool:
        """Whether the caller pressed the text key or said they want it by text."""
        return self.text_me is not None and asks_for_text(event, self.text_me.key, lang)

    def send_text(self, call: Call, text_me: TextMe, event: Input) -> Turn:
        """Queue the text (or learn why not), tell the caller, and go on to ``next``."""
        body = text_me.text_for(call.state.lang, call.menu.default_language)
        said = text_caller(call, self.id, body, event.digits or event.speech)
        return call.go(self.next, [said])


def asks_for_text(event: Input, key: str, lang: str) -> bool:
    """Whether the caller pressed ``key`` or said they want it by text ("text me")."""
    if event.digits:
        return event.digits == key
    said = f" {fold(event.speech[:MAX_SAID])} "
    return bool(event.speech) and any(f" {w} " in said
                                      for w in TEXT_WORDS.get(lang.split("-")[0], ()))


def text_caller(call: Call, ref: str, body: str | None, logged: str) -> Action:
    """Queue ``body`` to the caller through the engine's Texts (once per call and ``ref``),
    log the verdict and return what the caller hears about it (sent, or why not)."""
    verdict = UNAVAILABLE
    if body and call.texts is not None:
        verdict = call.texts.request(TextRequest(call.menu.id, ref, call.state.lang, body))
    if verdict not in VERDICTS:
        verdict = UNAVAILABLE
    call.log("text", logged, f"text:{verdict}")
    return call.message("text_sent" if verdict == "queued"
                        else SPOKEN.get(verdict, f"text_{verdict}"))


def _bodies(value: Value, ctx: ParseContext) -> dict[str, str]:
    """One text for every language, or one per declared language."""
    if not value.is_mapping:
        text = (value.text("the text to send") or "").strip()
        return {"*": text} if text else {}
    out: dict[str, str] = {}
    for key, item in value.pairs():
        lang = str(key.node.value)
        if lang not in ctx.languages:
            key.error(f"language {lang!r} is not declared under 'languages'")
            continue
        text = (item.text("the text to send") or "").strip()
        if text:
            out[lang] = text
        else:
            item.error("a text needs some words")
    return out


def _text_me(value: Value, ctx: ParseContext) -> TextMe | None:
    """``text_me: {body: {en: ...}, link: https://..., key: "1"}``."""
    if not value.is_mapping:
        value.error("text_me is a mapping: body (per language), and optionally link and key")
        return None
    fields = value.fields("text_me")
    body: dict[str, str] = {}
    if (v := fields.require("body", "the text to send, per language")) is not None:
        body = _bodies(v, ctx)
        for lang, text in body.items():
            if len(text) > MAX_BODY:
                v.error(f"the {lang} text is {len(text)} characters; Twilio sends at most "
                        f"{MAX_BODY} (keep it to one SMS: 160 characters, 70 with accents)")
    link = ""
    if (v := fields.get("link")) is not None:
        link = (v.text("a link (https://...)") or "").strip()
        if link and not LINK.match(link):
            v.error(f"link must be an http(s) address without spaces, found {link!r}")
            link = ""
    key = DEFAULT_TEXT_KEY
    if (v := fields.get("key")) is not None:
        written = v.text("a key")
        if written is not None and written not in tuple("0123456789*#"):
            v.error(f"a key is one of 0-9, * or # (quoted: \"*\"), found {written!r}")
        elif written is not None:
            key = written
    fields.done()
    if not body:
        return None
    return TextMe(body, value.where, link, key)
