"""``type: voicemail`` — the caller leaves a message for the team, then the call ends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ivr.engine.types import Event, Hangup, Record, Recorded, Turn
from ivr.menu.model import Prompt
from ivr.menu.source import Fields, Where
from ivr.nodes.base import Node

if TYPE_CHECKING:
    from ivr.engine.core import Call
    from ivr.menu.parsing import ParseContext

TRANSCRIBABLE = ("en-US",)  # Twilio's own transcription: American English only
MAX_TRANSCRIBED = 120  # ... and recordings of at most 120 seconds


@dataclass(frozen=True)
class VoicemailNode(Node):
    """Play the prompt, record after the beep, thank the caller and hang up (or go on)."""

    max_length: int = 120
    silence: int = 5
    finish_on_key: str = "#"
    beep: bool = True
    transcribe: bool = True  # where Twilio can (en-US, max_length <= 120)
    thanks: Prompt | None = None
    next: str | None = None

    kind = "voicemail"
    summary = "record a message for the team (`max_length`, `silence`), thank, end"
    ends_call = True

    @classmethod
    def parse_fields(cls, fields: Fields, ctx: ParseContext) -> dict[str, Any]:
        """Read the recording settings, ``thanks`` and ``next``."""
        out: dict[str, Any] = {}
        if (v := fields.get("max_length")) is not None:
            out["max_length"] = v.integer("max_length (seconds)", 5, 3600)
        if (v := fields.get("silence")) is not None:
            out["silence"] = v.integer("silence (seconds)", 1, 60)
        if (v := fields.get("finish_on_key")) is not None:
            key = v.text("a key", allow_empty=True)
            if key is not None and key not in ("", *"0123456789*#"):
                v.error(f"finish_on_key is one key (0-9, * or #) or \"\", found {key!r}")
            else:
                out["finish_on_key"] = key or ""
        if (v := fields.get("beep")) is not None:
            out["beep"] = v.boolean("beep")
        if (v := fields.get("transcribe")) is not None:
            out["transcribe"] = v.boolean("transcribe")
        if (v := fields.get("thanks")) is not None:
            out["thanks"] = ctx.prompt(v)
        if (v := fields.get("next")) is not None:
            out["next"] = ctx.target(v)
        return {k: v for k, v in out.items() if v is not None}

    def targets(self) -> list[tuple[str, Where]]:
        """Where the call goes after the message, if anywhere."""
        out = super().targets()
        if self.next:
            out.append((self.next, self.where))
        return out

    def prompts(self) -> list[tuple[str, Prompt]]:
        """The prompt and the thank-you."""
        return [*super().prompts(), *([("thanks", self.thanks)] if self.thanks else [])]

    def transcribed_by_twilio(self, locale: str) -> bool:
        """Whether Twilio's transcription applies (else the pluggable transcriber does)."""
        return self.transcribe and locale in TRANSCRIBABLE and self.max_length <= MAX_TRANSCRIBED

    def enter(self, call: Call) -> Turn:
        """Invite the caller to speak after the beep, and record."""
        call.log("voicemail", outcome="recording")
        record = Record(
            then=call.next("rec"),
            max_length=self.max_length,
            timeout=self.silence,
            finish_on_key=self.finish_on_key,
            play_beep=self.beep,
            transcribe=self.transcribed_by_twilio(call.language.locale),
        )
        return call.turn([*call.hear(self.say), record])

    def handle(self, call: Call, event: Event) -> Turn:
        """After the recording: thank the caller and end (or go on to ``next``)."""
        if not isinstance(event, Recorded):
            return super().handle(call, event)
        if not event.recording_sid or event.duration <= 0:
            call.log("voicemail", event.digits, "empty")
        else:
            call.log("voicemail", event.digits, f"recorded:{event.recording_sid}:{event.duration}s")
        thanks = call.hear(self.thanks) or [call.message("voicemail_thanks")]
        if self.next and event.digits != "hangup":
            return call.go(self.next, thanks)
        return call.turn([*thanks, Hangup()])
