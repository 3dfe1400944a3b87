"""Plain values that flow in and out of the call engine.

Events come in (a call starts, the caller pressed or said something, silence, a
transfer ended); a Turn comes out: what the caller hears and where the call goes
next. Nothing here knows about HTTP, TwiML or databases.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

NODE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
MAX_PATH = 12  # how many menu levels "back" remembers


@dataclass(frozen=True)
class CallState:
    """Where a call is. It travels in the callback URLs, so any worker can serve any step."""

    menu: str
    node: str
    lang: str
    tries: int = 0
    path: tuple[str, ...] = ()  # menu nodes entered, for "back"
    started: int = 0  # epoch seconds when the call began
    version: str = ""  # menu version the state was made with
    pending: str = ""  # a question within the node: "refine:a,b", "confirm:a", "topics:a,b,c",
    # "lookup:confirm:SEALED", "lookup:ask:SEALED" (an action's item), "callback:confirm:SEALED"
    queued: int = 0  # epoch seconds when the caller last joined a queue (0: never)

    def to_params(self) -> dict[str, str]:
        """The state as short URL query parameters."""
        return {
            "m": self.menu,
            "n": self.node,
            "l": self.lang,
            "t": str(self.tries),
            "p": ".".join(self.path),
            "s": str(self.started),
            "v": self.version,
            **({"c": self.pending} if self.pending else {}),
            **({"q": str(self.queued)} if self.queued else {}),
        }

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> CallState | None:
        """Rebuild a state from URL parameters; None when they are missing or malformed."""
        try:
            menu, node, lang = params["m"], params["n"], params["l"]
            tries = int(params.get("t", "0"))
            started = int(params.get("s", "0"))
            queued = int(params.get("q", "0"))
        except (KeyError, ValueError):
            return None
        path = tuple(p for p in params.get("p", "").split(".") if p)
        ids_ok = all(NODE_ID.match(x) for x in (menu, node, *path))
        if not ids_ok or not re.match(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$", lang):
            return None
        if not 0 <= tries <= 99 or started < 0 or not 0 <= queued < 2**40:
            return None
        version = params.get("v", "")
        pending = params.get("c", "")
        if pending and not (re.match(r"^(refine|confirm|topics):[A-Za-z0-9_,-]{1,300}$", pending)
                            or re.match(r"^lookup:(ask|confirm|verify):[A-Za-z0-9_-]{1,200}$",
                                        pending)
                            or re.match(r"^search:[rds]:[A-Za-z0-9_,.~-]{0,400}$", pending)
                            or re.match(r"^callback:(key|confirm|reason)(:[A-Za-z0-9_-]{1,200})?$",
                                        pending)
                            or re.match(r"^queue:\d{1,4}$", pending)
                            or re.match(r"^ring:\d{1,2}$", pending)):
            pending = ""
        return cls(menu, node, lang, tries, path[-MAX_PATH:], started, version[:16], pending,
                   queued)

    def at(self, node: str, *, tries: int = 0) -> CallState:
        """The same call at another node (any pending question is dropped)."""
        return replace(self, node=node, tries=tries, pending="")


# ---- events -------------------------------------------------------------------


@dataclass(frozen=True)
class Input:
    """The caller pressed keys or spoke."""

    digits: str = ""
    speech: str = ""
    confidence: float | None = None


@dataclass(frozen=True)
class Silence:
    """The caller said and pressed nothing before the timeout."""


@dataclass(frozen=True)
class Done:
    """The node finished playing (a message ended without a key)."""


@dataclass(frozen=True)
class DialEnded:
    """A transfer to a person ended: Twilio's DialCallStatus."""

    status: str


@dataclass(frozen=True)
class Enter:
    """Go into the state's node (after a redirect)."""


@dataclass(frozen=True)
class Recorded:
    """A <Record> finished: Twilio's RecordingSid, RecordingDuration and ending key."""

    recording_sid: str = ""
    duration: int = 0
    digits: str = ""  # the key that ended it, or "hangup"


@dataclass(frozen=True)
class QueueEnded:
    """The caller is out of a queue (the <Enqueue> action): Twilio's QueueResult and QueueTime.

    ``reason`` says why a caller who left (``leave``) did: "key" (they pressed the leave
    key), "max_wait", "full" or "no_agent" (the adapter remembers it from the wait URL).
    """

    result: str
    waited: int = 0
    reason: str = ""


@dataclass(frozen=True)
class QueueWait:
    """A wait URL request: where the caller is in the queue (Twilio's parameters)."""

    position: int
    waited: int  # QueueTime: seconds this caller has waited
    average: int  # AvgQueueTime: seconds callers wait on average
    size: int  # CurrentQueueSize
    round: int = 0  # how many wait answers this caller has heard
    agents: int | None = None  # agents available (None: not known)


Event = Input | Silence | Done | DialEnded | Enter | Recorded | QueueEnded

# Short names used in callback URLs, and back.
EVENT_NAMES: dict[type, str] = {Input: "in", Silence: "silence", Done: "done", DialEnded: "dial",
                                Enter: "go", Recorded: "rec", QueueEnded: "queue"}


# ---- actions ------------------------------------------------------------------


@dataclass(frozen=True)
class Speak:
    """Text spoken by Twilio's text-to-speech."""

    text: str
    locale: str
    voice: str


@dataclass(frozen=True)
class Play:
    """A recorded file from prompts/ (path relative to it); ``text`` is what it says."""

    audio: str
    text: str = ""


@dataclass(frozen=True)
class Pause:
    """Silence, in seconds."""

    seconds: int = 1


@dataclass(frozen=True)
class Next:
    """A callback to the engine: this state, receiving this event."""

    state: CallState
    event: str


@dataclass(frozen=True)
class Gather:
    """Listen for keys and/or speech while playing ``prompts``; ``then`` runs on input."""

    prompts: tuple[Speak | Play | Pause, ...]
    then: Next
    input: str = "dtmf speech"
    timeout: int = 6
    num_digits: int | None = 1
    finish_on_key: str = ""
    locale: str = "en-US"
    speech_model: str = "phone_call"
    hints: tuple[str, ...] = ()


@dataclass(frozen=True)
class Redirect:
    """Continue the call with another engine step."""

    then: Next


@dataclass(frozen=True)
class Dial:
    """Transfer the caller to a number; ``then`` receives how it ended."""

    number: str
    timeout: int
    then: Next
    caller_id: str | None = None
    numbers: tuple[str, ...] = ()  # several numbers rung together (the first answer wins)


@dataclass(frozen=True)
class Record:
    """Record a voicemail; ``then`` receives Recorded. Twilio reports the file separately."""

    then: Next
    max_length: int = 120
    timeout: int = 5  # seconds of silence that end the recording
    finish_on_key: str = "#"
    play_beep: bool = True
    transcribe: bool = False  # Twilio's transcription: en-US only, 2-120 s


@dataclass(frozen=True)
class Enqueue:
    """Put the caller in a named queue; ``wait`` is asked what they hear while waiting and
    ``then`` receives how the wait ended (QueueEnded)."""

    queue: str
    then: Next
    wait: Next


@dataclass(frozen=True)
class Leave:
    """Take the caller out of the queue they wait in (wait TwiML only)."""

    reason: str = "key"  # why: key, max_wait, full, no_agent


@dataclass(frozen=True)
class Hangup:
    """End the call."""


Action = Speak | Play | Pause | Gather | Redirect | Dial | Record | Enqueue | Leave | Hangup


@dataclass(frozen=True)
class Step:
    """One line of the call's journey: what happened at which node."""

    node: str
    event: str
    input: str = ""
    outcome: str = ""
    lang: str = ""


@dataclass(frozen=True)
class CallbackRequest:
    """The caller asked to be called back: on this number, within this opening-hours window."""

    number: str  # E.164, checked callable (ivr.phones)
    source: str  # "caller_id" (confirmed by the caller) or "keyed"
    node: str
    schedule: str = ""  # the menu's schedule the window comes from ("" = none)
    due_from: datetime | None = None  # when the team can first call back (now, if open)
    due_until: datetime | None = None  # the end of that opening period
    reason_sid: str = ""  # the RecordingSid of the caller's short reason ("" = none)
    reason_seconds: int = 0


@dataclass(frozen=True)
class Turn:
    """The engine's answer to one event: what to play, and the journey lines it adds."""

    actions: tuple[Action, ...]
    steps: tuple[Step, ...] = field(default=())
    state: CallState | None = None  # the state the call is in after this turn
    # What the adapter must keep once this turn is answered (the engine does no I/O).
    requests: tuple[CallbackRequest, ...] = field(default=())
    # Every node entered during this turn, in order (journeys keep the path for analytics).
    entered: tuple[str, ...] = ()

    @property
    def ends_call(self) -> bool:
        """True when the call ends after these actions."""
        return any(isinstance(a, Hangup) for a in self.actions) or not any(
            isinstance(a, Gather | Redirect | Dial | Record | Enqueue | Leave) for a in self.actions
        )
