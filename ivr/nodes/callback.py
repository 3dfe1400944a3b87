"""``type: callback`` — "Press 1 and we will call you back when we open."

The caller accepts the offer, confirms the number we would call (their caller ID, read
back) or keys one (a withheld, invalid or premium-rate caller ID is never used), then
may say in a few words what it is about (a short <Record>). The engine keeps no data:
the turn carries a ``CallbackRequest`` with the number, the opening-hours window it
should be answered in (from the menu's ``hours``) and the reason's RecordingSid, and
the adapter stores it. Numbers travel sealed in the callback URL, masked in the journey.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import phonenumbers

from ivr import phones
from ivr.engine.types import (
    Action,
    CallbackRequest,
    Event,
    Hangup,
    Input,
    Record,
    Recorded,
    Redirect,
    Silence,
    Turn,
)
from ivr.menu.model import Prompt
from ivr.menu.source import Fields, Where
from ivr.nodes.base import Node
from ivr.nodes.menu import spoken_key
from ivr.nodes.routing import yes_or_no

if TYPE_CHECKING:
    from ivr.engine.core import Call
    from ivr.menu.parsing import ParseContext

# How Twilio sends a caller who hides their number ("+266696687" is its stand-in for
# "anonymous" on some carriers), and what carriers send for unknown callers.
WITHHELD = ("", "anonymous", "unknown", "restricted", "private", "blocked", "unavailable",
            "+266696687", "266696687", "+7378742833", "+2562533", "+8656696")
KEY, CONFIRM, REASON = "callback:key", "callback:confirm:", "callback:reason:"
TRANSCRIBABLE = ("en-US",)  # Twilio's own transcription: American English only


def withheld(caller: str) -> bool:
    """Whether Twilio's From is a withheld or unknown number rather than a real one."""
    return caller.strip().lower() in WITHHELD


@dataclass(frozen=True)
class CallbackNode(Node):
    """Offer a callback; take and confirm the number, an optional reason; keep the request."""

    schedule: str = ""  # the schedule under 'hours' whose opening periods the request is due in
    region: str = ""  # how keyed national numbers are read ("FR"); "" = the caller ID's country
    reason: bool = True  # record a short reason after the number is confirmed
    reason_length: int = 30  # seconds
    decline: str | None = None  # where "no, thanks" goes (None: goodbye)
    thanks: Prompt | None = None
    next: str | None = None

    kind = "callback"
    keeps_queued = True

    @property
    def max_length(self) -> int:
        """The <Record> limit of the reason, in seconds: transcription is chosen by it."""
        return self.reason_length

    summary = "offer a callback: confirm or key the number, record a short reason, keep the request"
    listens = True
    ends_call = True

    @classmethod
    def parse_fields(cls, fields: Fields, ctx: ParseContext) -> dict[str, Any]:
        """Read ``schedule``, ``region``, ``reason``, ``reason_length``, ``decline``, ``thanks``, ``next``."""
        out: dict[str, Any] = {}
        if (v := fields.get("schedule")) is not None:
            name = v.text("a schedule name")
            if name is not None and name not in ctx.schedule_names:
                known = ", ".join(sorted(ctx.schedule_names)) or "none defined"
                v.error(f"unknown schedule {name!r} (defined under 'hours': {known})")
            else:
                out["schedule"] = name
        if (v := fields.get("region")) is not None:
            region = (v.text("a two-letter country code") or "").upper()
            if region not in phonenumbers.SUPPORTED_REGIONS:
                v.error(f"region is a two-letter country code such as FR or RO, found {region!r}")
            else:
                out["region"] = region
        if (v := fields.get("reason")) is not None:
            out["reason"] = v.boolean("reason")
        if (v := fields.get("reason_length")) is not None:
            out["reason_length"] = v.integer("reason_length (seconds)", 5, 120)
        if (v := fields.get("decline")) is not None:
            out["decline"] = ctx.target(v)
        if (v := fields.get("thanks")) is not None:
            out["thanks"] = ctx.prompt(v)
        if (v := fields.get("next")) is not None:
            out["next"] = ctx.target(v)
        return {k: v for k, v in out.items() if v is not None}

    def targets(self) -> list[tuple[str, Where]]:
        """Where "no, thanks" and the end of the request go, if anywhere."""
        out = super().targets()
        out.extend((target, self.where) for target in (self.decline, self.next) if target)
        return out

    def prompts(self) -> list[tuple[str, Prompt]]:
        """The offer and the thank-you."""
        return [*super().prompts(), *([("thanks", self.thanks)] if self.thanks else [])]

    def after_misses(self, menu_fallback: str | None) -> str | None:
        """Its own ``fallback``, else ``decline``, else goodbye: never the menu's fallback,
        which after hours usually leads straight back here."""
        return self.fallback or self.decline

    def transcribed_by_twilio(self, locale: str) -> bool:
        """Whether Twilio transcribes the reason (en-US only; else the transcriber does)."""
        return self.reason and locale in TRANSCRIBABLE

    # ---- the conversation ---------------------------------------------------------

    def enter(self, call: Call) -> Turn:
        """Offer the callback: press 1 (yes) or 2 (no)."""
        offer = call.hear(self.say) or [call.message("callback_offer")]
        return self._listen(call, offer, [])

    def _listen(self, call: Call, prompts: list[Any], before: Iterable[Action],
                **gather: Any) -> Turn:
        listen = call.gather(prompts, timeout=self.timeout_for(call), **gather)
        return call.turn([*before, listen, Redirect(call.next("silence"))])

    def handle(self, call: Call, event: Event) -> Turn:
        """The answer to the offer, the keyed number, the yes/no to the read-back, the reason."""
        pending = call.state.pending
        if pending.startswith(REASON):
            return self._after_reason(call, event, pending[len(REASON):])
        if pending.startswith(CONFIRM):
            number = self._unseal(call, pending[len(CONFIRM):])
            if number is None:  # a forged or stale URL: offer again
                call.log("callback", outcome="bad_state")
                return call.enter(self.id, [])
            return self._on_confirm(call, event, number)
        if pending == KEY:
            return self._on_keyed(call, event)
        if isinstance(event, Silence):
            return call.retry("silence", self.tries_for(call))
        if not isinstance(event, Input):
            return super().handle(call, event)
        answer = self._yes_no(call, event)
        if answer is None:
            if len(event.digits) == 1 and (turn := call.global_key(event.digits)) is not None:
                return turn
            return call.retry("no_match", self.tries_for(call), input=event.digits or event.speech)
        if answer is False:
            call.log("callback", event.digits or event.speech, "declined")
            if self.decline:
                return call.go(self.decline)
            return call.goodbye()
        call.log("callback", event.digits or event.speech, "accepted")
        caller = call.caller.strip()
        checked = phones.check(caller) if not withheld(caller) else phones.Checked()
        if checked.ok and phones.in_countries(checked.e164, call.countries):
            return self._readback(call, checked.e164, "caller_id", [])
        if checked.ok:  # a number of a country we do not call: the caller may key another
            call.log("callback_number", phones.mask(checked.e164), "abroad")
            return self._ask_number(call, [call.message("callback_abroad")])
        call.log("callback_number", outcome="withheld" if withheld(caller) else "not_callable")
        return self._ask_number(call, [call.message("callback_withheld")])

    @staticmethod
    def _yes_no(call: Call, event: Input) -> bool | None:
        key = event.digits or spoken_key(event.speech, call.state.lang) or ""
        answer = {"1": True, "2": False}.get(key)
        if answer is None and not event.digits and event.speech:
            answer = yes_or_no(event.speech, call.state.lang)
        return answer

    def _ask_number(self, call: Call, before: Iterable[Action]) -> Turn:
        """Key the number to call, ended with # (speech off: digits are keyed)."""
        call.set_pending(KEY)
        return self._listen(call, [call.message("callback_key")], before, input="dtmf",
                            num_digits=None, finish_on_key="#")

    def _on_keyed(self, call: Call, event: Event) -> Turn:
        if isinstance(event, Silence):
            return self._miss(call, "silence", [call.message("no_input")],
                              lambda b: self._ask_number(call, b))
        if not isinstance(event, Input):
            return self._ask_number(call, [])
        keyed = event.digits.rstrip("#")
        if not keyed or not keyed.isdigit():
            if len(event.digits) == 1 and (turn := call.global_key(event.digits)) is not None:
                return turn  # "*" repeat, "#" back...: keys that work everywhere
            return self._miss(call, "invalid", [call.message("callback_invalid")],
                              lambda b: self._ask_number(call, b), input=phones.mask(keyed))
        # 00 and 011 start an international number on a keypad (there is no + key).
        text = "+" + keyed[2:] if keyed.startswith("00") else keyed
        region = self.region or phones.region_of(call.caller) or "US"
        checked = phones.check(text, region)
        if not checked.ok:
            refused = bool(checked.e164)  # a real number, of a kind never called
            call.log("callback_number", phones.mask(checked.e164 or "+" + keyed),
                     f"refused:{checked.refused}")
            sorry = call.message("callback_refused" if refused else "callback_invalid")
            return self._miss(call, "invalid", [sorry], lambda b: self._ask_number(call, b))
        if not phones.in_countries(checked.e164, call.countries):
            call.log("callback_number", phones.mask(checked.e164), "refused:abroad")
            return self._miss(call, "invalid", [call.message("callback_abroad")],
                              lambda b: self._ask_number(call, b))
        return self._readback(call, checked.e164, "keyed", [])

    def _readback(self, call: Call, number: str, source: str, before: Iterable[Action]) -> Turn:
        """"We will call you back on 06 12 34 56 78. Press 1..." (the number travels sealed)."""
        call.log("callback_number", phones.mask(number), f"readback:{source}")
        call.set_pending(CONFIRM + self._seal(call, number, source))
        text = call.menu.message("callback_readback", call.state.lang).format(
            digits=", ".join(" ".join(group) for group in phones.digits_to_read(number)))
        return self._listen(call, [call.speak_text(text)], before)

    def _on_confirm(self, call: Call, event: Event, sealed: tuple[str, str]) -> Turn:
        number, source = sealed
        if isinstance(event, Silence):
            return self._miss(call, "silence", [call.message("no_input")],
                              lambda b: self._readback(call, number, source, b))
        if not isinstance(event, Input):
            return self._readback(call, number, source, [])
        answer = self._yes_no(call, event)
        if answer is False:
            call.log("confirm", event.digits or event.speech, "no:key")
            return self._ask_number(call, [])
        if answer is None:
            return self._miss(call, "no_match", [call.message("no_match")],
                              lambda b: self._readback(call, number, source, b))
        call.log("confirm", event.digits or event.speech, "yes")
        if not self.reason:
            return self._keep(call, number, source, "", 0)
        call.set_pending(REASON + self._seal(call, number, source))
        record = Record(then=call.next("rec"), max_length=self.reason_length, timeout=4,
                        finish_on_key="#", play_beep=True,
                        transcribe=self.transcribed_by_twilio(call.language.locale))
        return call.turn([call.message("callback_reason"), record])

    def _after_reason(self, call: Call, event: Event, token: str) -> Turn:
        sealed = self._unseal(call, token)
        if sealed is None:
            call.log("callback", outcome="bad_state")
            return call.enter(self.id, [])
        if not isinstance(event, Recorded):  # no reason after all: keep the request anyway
            return self._keep(call, *sealed, "", 0)
        recorded = bool(event.recording_sid) and event.duration > 0
        return self._keep(call, *sealed, event.recording_sid if recorded else "",
                          event.duration if recorded else 0, ended=event.digits)

    def _keep(self, call: Call, number: str, source: str, reason_sid: str, seconds: int,
              ended: str = "") -> Turn:
        """Hand the request to the adapter, thank the caller, end (or go on)."""
        due_from, due_until = self._window(call)
        call.request_callback(CallbackRequest(number, source, self.id, self.schedule, due_from,
                                              due_until, reason_sid, seconds))
        call.log("callback", outcome=f"requested:{source}" + (f":reason:{reason_sid}"
                                                               if reason_sid else ""))
        call.clear_pending()
        thanks = call.hear(self.thanks) or [call.message("callback_thanks")]
        if self.next and ended != "hangup":
            return call.go(self.next, thanks)
        return call.turn([*thanks, Hangup()])

    def _window(self, call: Call) -> tuple[datetime | None, datetime | None]:
        """The opening period the request is due in: now until closing, else the next one."""
        schedule = call.menu.schedules.get(self.schedule) if self.schedule else None
        found = schedule.window(call.now) if schedule is not None else None
        due_from, due_until = found if found is not None else (call.now, None)
        if call.state.queued and due_from <= call.now:
            # Left a queue for this: due from when they joined it, so callers who left a
            # queue are called back in the order they joined it.
            joined = datetime.fromtimestamp(call.state.queued, call.now.tzinfo or UTC)
            due_from = min(due_from, joined)
        return due_from, due_until

    def _miss(self, call: Call, reason: str, sorry: list[Action],
              again: Callable[[list[Action]], Turn], input: str = "") -> Turn:
        """Ask the same question again, or go to the fallback once the tries are used up."""
        tries = call.state.tries + 1
        call.log(reason, input, f"try {tries}/{self.tries_for(call)}")
        if tries >= self.tries_for(call):
            call.clear_pending()
            return call.fallback(sorry)
        call.state = call.state.at(self.id, tries=tries)
        return again(sorry)

    # ---- the number in the URL ------------------------------------------------------

    def _context(self, call: Call) -> str:
        return f"{call.menu.id}:{self.id}:{call.state.started}:callback"

    def _seal(self, call: Call, number: str, source: str) -> str:
        """The number (and where it came from) for the callback URL: sealed when possible."""
        text = ("c" if source == "caller_id" else "k") + number.lstrip("+")
        return call.lookups.seal(text, self._context(call)) if call.lookups else text

    def _unseal(self, call: Call, token: str) -> tuple[str, str] | None:
        text = call.lookups.unseal(token, self._context(call)) if call.lookups else token
        if not text or text[0] not in "ck" or not text[1:].isdigit():
            return None
        number = "+" + text[1:]
        if not phones.check(number).ok or not phones.in_countries(number, call.countries):
            return None
        return number, "caller_id" if text[0] == "c" else "keyed"
