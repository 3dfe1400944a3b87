"""A phone that follows TwiML the way Twilio does: the terminal and test simulator.

It places signed requests through the real webhooks (in-process through Flask's
test client, or over HTTP to a running server), reads the real TwiML and behaves
as Twilio would: a Gather that times out falls through to the next verb; the end
of a document without <Redirect> hangs up.
"""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from twilio.request_validator import RequestValidator

from ivr.web.clock import FIELD as CLOCK_FIELD
from ivr.web.clock import SIMULATOR_ENVIRON

# What Twilio plays from a queue's wait URL.
WAIT_VERBS = ("Say", "Play", "Pause", "Gather", "Redirect", "Leave", "Hangup")


class SimulatorError(Exception):
    """The app answered something Twilio could not use."""


@dataclass(frozen=True)
class Heard:
    """One thing the caller heard."""

    kind: str  # say | play | pause
    text: str
    locale: str = ""
    voice: str = ""
    url: str = ""


@dataclass
class Exchange:
    """One webhook request and its TwiML answer."""

    url: str
    params: dict[str, str]
    status: int
    body: str


class Transport(Protocol):
    """How the phone reaches the app."""

    def post(self, url: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        """POST a form; return (status, body)."""
        ...


class FlaskTransport:
    """In-process, through the Flask test client."""

    def __init__(self, app: Any, base_url: str = "http://localhost") -> None:
        self.client = app.test_client()
        self.base_url = base_url

    def post(self, url: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        """POST through the test client."""
        parts = urllib.parse.urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        base = f"{parts.scheme}://{parts.netloc}"
        # Marked as the simulator's own (no HTTP client can set an environ key like this).
        response = self.client.post(path, data=params, headers=headers, base_url=base,
                                    environ_base={SIMULATOR_ENVIRON: True})
        return response.status_code, response.get_data(as_text=True)


class HttpTransport:
    """Over HTTP, to a running server."""

    def post(self, url: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        """POST with urllib."""
        data = urllib.parse.urlencode(params).encode()
        req = urllib.request.Request(url, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=15) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")


def new_sid(prefix: str) -> str:
    """A Twilio-shaped SID: two letters and 32 hex digits."""
    return prefix + secrets.token_hex(16)


@dataclass
class Phone:
    """A caller on a simulated line."""

    transport: Transport
    token: str
    base_url: str = "http://localhost"
    caller: str = "+15551230000"
    called: str = "+15005550006"
    voice_path: str = "/voice"  # e.g. /voice?draft=shop.yaml to try an unpublished draft
    at: datetime | None = None  # the moment the call pretends to happen at (aware)
    account_sid: str = field(default_factory=lambda: new_sid("AC"))
    call_sid: str = field(default_factory=lambda: new_sid("CA"))
    heard: list[Heard] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    ended: bool = False
    listening: ET.Element | None = None  # the Gather waiting for input
    dialing: ET.Element | None = None  # a Dial in progress
    recording: ET.Element | None = None  # a Record in progress
    live: dict[str, ET.Element] = field(default_factory=dict)  # real-time transcriptions running
    # A recorded prompt's words by its path under prompts/ (``prompt_words``): <Play> has none.
    words: Mapping[str, str] = field(default_factory=dict)
    # How long the call would have lasted so far: what was said at 150 words a minute, the
    # waits, keys, recordings; sent as CallDuration when the call ends (``hang_up``).
    elapsed: float = 0.0
    status_sent: bool = False
    enqueued: ET.Element | None = None  # the <Enqueue> the caller waits in
    wait_url: str = ""  # what Twilio asks next what the waiting caller hears
    queue_info: dict[str, str] = field(default_factory=dict)  # the queue parameters last sent
    queue_sid: str = field(default_factory=lambda: new_sid("QU"))
    _rest: list[ET.Element] = field(default_factory=list)  # verbs after the Gather
    _mark: int = 0

    # ---- what the phone sends ----------------------------------------------------

    def base_params(self) -> dict[str, str]:
        """The parameters Twilio sends with every voice request (unknown geo fields empty)."""
        return {
            "CallSid": self.call_sid, "AccountSid": self.account_sid,
            "From": self.caller, "To": self.called, "Caller": self.caller,
            "Called": self.called, "CallStatus": "in-progress", "ApiVersion": "2010-04-01",
            "Direction": "inbound", "FromCity": "", "FromState": "", "FromZip": "",
            "FromCountry": "US", "ToCity": "", "ToState": "", "ToZip": "", "ToCountry": "US",
            "CallerCity": "", "CallerState": "", "CallerZip": "", "CallerCountry": "US",
            "CalledCity": "", "CalledState": "", "CalledZip": "", "CalledCountry": "US",
            **self.clock_params(),
        }

    def clock_params(self) -> dict[str, str]:
        """The simulated moment, sent with every request of the call (see ivr.web.clock)."""
        return {CLOCK_FIELD: self.at.isoformat()} if self.at is not None else {}

    def request(self, url: str, extra: dict[str, str] | None = None) -> str:
        """POST a signed webhook and return its TwiML."""
        params = {**self.base_params(), **(extra or {})}
        signature = RequestValidator(self.token).compute_signature(url, params)
        headers = {"X-Twilio-Signature": signature, "User-Agent": "TwilioProxy/1.1",
                   "I-Twilio-Idempotency-Token": secrets.token_hex(16)}
        status, body = self.transport.post(url, params, headers)
        self.exchanges.append(Exchange(url, params, status, body))
        if status != 200:
            raise SimulatorError(f"{url} answered HTTP {status}: {body[:200]}")
        return body

    def dial(self) -> list[Heard]:
        """Place the call."""
        self._run(self.request(f"{self.base_url}{self.voice_path}", {"CallStatus": "ringing"}))
        return self.new()

    def press(self, digits: str, finished_on: str = "") -> list[Heard]:
        """Press keys while a Gather listens (``finished_on``: the finishing key, not sent)."""
        gather = self._need_gather()
        count = gather.get("numDigits")
        digits = digits[: int(count)] if count else digits
        self.elapsed += 1 + 0.5 * len(digits)
        return self._answer(gather, {"Digits": digits, "FinishedOnKey": finished_on,
                                     "msg": "Gather End"})

    def say(self, text: str, confidence: float | None = 0.92) -> list[Heard]:
        """Speak while a Gather listens (None = Twilio omits Confidence)."""
        gather = self._need_gather()
        if "speech" not in (gather.get("input") or "dtmf"):
            # A keys-only Gather ignores speech and times out.
            return self.silence()
        extra = {"SpeechResult": text, "msg": "Gather End"}
        self.elapsed += 1 + _speaking(text)
        if confidence is not None:
            extra["Confidence"] = f"{confidence:.2f}"
        return self._answer(gather, extra)

    def silence(self) -> list[Heard]:
        """Say nothing: Twilio goes on with the verbs after the Gather."""
        gather = self._need_gather()
        self.elapsed += _number(gather.get("timeout"), 5)
        self.listening = None
        rest, self._rest = self._rest, []
        self._run_verbs(rest)
        return self.new()

    def dial_ends(self, status: str) -> list[Heard]:
        """The transfer ends with DialCallStatus ``status``."""
        if self.dialing is None:
            raise SimulatorError("no transfer in progress")
        dial, self.dialing = self.dialing, None
        action = dial.get("action")
        if not action:
            self.ended = True
            return self.new()
        extra = {"DialCallStatus": status, "DialCallSid": new_sid("CA"),
                 "DialCallDuration": "42" if status == "completed" else "0"}
        self.elapsed += 42 if status == "completed" else 20
        self._run(self.request(self._absolute(action), extra))
        return self.new()

    def wait(self, position: int = 1, waited: int = 0, average: int = 0, size: int | None = None,
             max_size: int = 100) -> list[Heard]:
        """Twilio asks the wait URL what the queued caller hears (with its queue parameters)."""
        if self.enqueued is None or self.ended:
            raise SimulatorError("the caller is not waiting in a queue")
        self.queue_info = {"QueueSid": self.queue_sid, "QueuePosition": str(position),
                           "QueueTime": str(waited), "AvgQueueTime": str(average),
                           "CurrentQueueSize": str(size if size is not None else position),
                           "MaxQueueSize": str(max_size)}
        self.listening, self._rest = None, []
        self._run(self.request(self._absolute(self.wait_url), self.queue_info))
        return self.new()

    def queue_ends(self, result: str, waited: int = 0) -> list[Heard]:
        """The wait ends (Twilio's QueueResult: bridged, hangup, queue-full, error...)."""
        if self.enqueued is None:
            raise SimulatorError("the caller is not waiting in a queue")
        self._queue_action(result, waited)
        return self.new()

    def _queue_action(self, result: str, waited: int) -> None:
        enqueue, self.enqueued = self.enqueued, None
        assert enqueue is not None
        self.listening, self._rest = None, []
        action = enqueue.get("action")
        if not action:
            self.ended = True
            return
        extra = {"QueueResult": result, "QueueSid": self.queue_sid, "QueueTime": str(waited)}
        self._run(self.request(self._absolute(action), extra))

    def record(self, duration: int = 12, digits: str = "#", *,
               recording_sid: str | None = None) -> tuple[list[Heard], dict[str, str]]:
        """Speak a message into a <Record> and end it (with a key, or "hangup").

        Returns what was heard and the recording's details; Twilio's asynchronous
        recordingStatusCallback is NOT sent here: tests send it with ``recording_status``
        in whatever order they want.
        """
        if self.recording is None:
            raise SimulatorError("nothing is recording")
        record, self.recording = self.recording, None
        self.elapsed += 1 + duration  # the beep, then the message
        sid = recording_sid or new_sid("RE")
        details = {"RecordingSid": sid, "RecordingDuration": str(duration),
                   "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/"
                                   f"{self.account_sid}/Recordings/{sid}",
                   "status_url": record.get("recordingStatusCallback") or "",
                   "transcribe_url": record.get("transcribeCallback") or ""}
        if self.live:  # the real-time transcription listening to this message
            name, noun = list(self.live.items())[-1]
            details.update(live_name=name, live_url=noun.get("statusCallbackUrl") or "",
                           live_locale=noun.get("languageCode") or "en-US")
        action = record.get("action")
        if action:
            extra = {k: v for k, v in details.items() if not k.endswith("_url")}
            self._run(self.request(self._absolute(action), {**extra, "Digits": digits}))
        else:
            self.ended = True
        return self.new(), details

    def record_nothing(self) -> list[Heard]:
        """Stay silent after the beep until the <Record>'s timeout, as Twilio handles it.

        The recording is empty, so Twilio does not request the action URL: it reports
        the recording ``absent`` to the recordingStatusCallback (when the <Record> asked
        for that event) and goes on with the verbs after the <Record>, if any.
        """
        if self.recording is None:
            raise SimulatorError("nothing is recording")
        record, self.recording = self.recording, None
        self.elapsed += 1 + _number(record.get("timeout"), 5)
        url = record.get("recordingStatusCallback") or ""
        events = (record.get("recordingStatusCallbackEvent") or "completed").split()
        if url and "absent" in events:
            sid = new_sid("RE")
            details = {"RecordingSid": sid, "RecordingDuration": "0", "status_url": url,
                       "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/"
                                       f"{self.account_sid}/Recordings/{sid}"}
            status = self.recording_status(details, "absent")
            if status >= 400:
                self.problems.append(f"the recording status callback answered HTTP {status}")
        rest, self._rest = self._rest, []
        self._run_verbs(rest)
        return self.new()

    def recording_status(self, details: dict[str, str], status: str = "completed") -> int:
        """Send Twilio's recordingStatusCallback for a recording; returns the HTTP status."""
        params = {"AccountSid": self.account_sid, "CallSid": self.call_sid,
                  "RecordingSid": details["RecordingSid"], "RecordingUrl": details["RecordingUrl"],
                  "RecordingStatus": status, "RecordingDuration": details["RecordingDuration"],
                  "RecordingChannels": "1", "RecordingSource": "RecordVerb",
                  "RecordingStartTime": "Mon, 23 Nov 2026 08:00:00 +0000", "ErrorCode": "0",
                  **self.clock_params()}
        return self._side(details["status_url"], params)

    def transcription(self, details: dict[str, str], text: str, status: str = "completed") -> int:
        """Send Twilio's transcribeCallback; returns the HTTP status."""
        params = {**self.base_params(), "TranscriptionSid": new_sid("TR"),
                  "TranscriptionText": text, "TranscriptionStatus": status,
                  "TranscriptionUrl": "https://api.twilio.com/2010-04-01/Transcriptions/x",
                  "RecordingSid": details["RecordingSid"], "RecordingUrl": details["RecordingUrl"]}
        return self._side(details["transcribe_url"], params)

    def live_transcript(self, details: dict[str, str], utterances: list[str], *,
                        order: list[int] | None = None, error: str = "") -> list[int]:
        """Send Twilio's real-time transcription callbacks for a recorded message.

        ``transcription-started``, one ``transcription-content`` per utterance (final
        results, numbered by SequenceId), then ``transcription-stopped`` — or
        ``transcription-error`` when ``error`` is given. ``order`` sends the
        callbacks in another order (indexes into that list), as Twilio may; the
        HTTP statuses come back in the order sent.
        """
        if not details.get("live_url"):
            raise SimulatorError("no real-time transcription was listening to this message")
        sid = new_sid("GT")
        stamp = "2026-11-23T08:00:00.000000Z"
        common = {"AccountSid": self.account_sid, "CallSid": self.call_sid,
                  "TranscriptionSid": sid, "Timestamp": stamp, **self.clock_params()}
        events = [{**common, "TranscriptionEvent": "transcription-started",
                   "ProviderName": "google", "LanguageCode": details["live_locale"],
                   "Track": "inbound_track", "PartialResults": "false", "SequenceId": "1"}]
        for number, text in enumerate(utterances, start=2):
            events.append({**common, "TranscriptionEvent": "transcription-content",
                           "LanguageCode": details["live_locale"], "Track": "inbound_track",
                           "TranscriptionData": json.dumps({"transcript": text,
                                                            "confidence": 0.91}),
                           "Final": "true", "SequenceId": str(number)})
        ending = len(utterances) + 2
        if error:
            events.append({**common, "TranscriptionEvent": "transcription-error",
                           "TranscriptionError": error, "TranscriptionErrorCode": "32655",
                           "SequenceId": str(ending)})
        else:
            events.append({**common, "TranscriptionEvent": "transcription-stopped",
                           "SequenceId": str(ending)})
        chosen = order if order is not None else list(range(len(events)))
        return [self._side(details["live_url"], events[i]) for i in chosen]

    def _side(self, url: str, params: dict[str, str]) -> int:
        """POST a signed asynchronous callback whose answer Twilio ignores."""
        if not url:
            raise SimulatorError("the <Record> had no such callback URL")
        url = self._absolute(url)
        signature = RequestValidator(self.token).compute_signature(url, params)
        status, body = self.transport.post(url, params, {"X-Twilio-Signature": signature})
        self.exchanges.append(Exchange(url, params, status, body))
        return status

    def hang_up(self) -> None:
        """The call ends: Twilio's call status callback (``completed``, with CallDuration), once."""
        self.ended = True
        if self.status_sent:
            return
        self.status_sent = True
        params = {**self.base_params(), "CallStatus": "completed",
                  "CallDuration": str(max(1, round(self.elapsed))), "SequenceNumber": "3"}
        path = self.voice_path.split("?")[0].rstrip("/")
        self._side(f"{self.base_url}{path}/status", params)

    def new(self) -> list[Heard]:
        """What was heard since the last call to ``new``."""
        out = self.heard[self._mark:]
        self._mark = len(self.heard)
        return out

    # ---- following TwiML -----------------------------------------------------------

    def _need_gather(self) -> ET.Element:
        if self.ended or self.listening is None:
            raise SimulatorError("nothing is listening: the call has ended or is transferring")
        return self.listening

    def _answer(self, gather: ET.Element, extra: dict[str, str]) -> list[Heard]:
        self.listening, self._rest = None, []
        action = gather.get("action")
        if not action:
            raise SimulatorError("a Gather without an action URL")
        if self.enqueued is not None:  # a key while waiting in a queue
            extra = {**self.queue_info, **extra}
        self._run(self.request(self._absolute(action), extra))
        return self.new()

    def _absolute(self, url: str) -> str:
        return urllib.parse.urljoin(self.exchanges[-1].url if self.exchanges else self.base_url,
                                    url)

    def _run(self, body: str) -> None:
        try:
            root = ET.fromstring(body)
        except ET.ParseError as exc:
            raise SimulatorError(f"invalid TwiML: {exc}: {body[:200]}") from exc
        if root.tag != "Response":
            raise SimulatorError(f"TwiML root must be <Response>, found <{root.tag}>")
        self._run_verbs(list(root))

    def _run_verbs(self, verbs: list[ET.Element]) -> None:
        for index, verb in enumerate(verbs):
            if self.enqueued is not None and verb.tag not in WAIT_VERBS:
                self.problems.append(f"<{verb.tag}> is not allowed in a queue's wait TwiML")
            if self.enqueued is not None and verb.tag == "Redirect":
                self.wait_url = self._absolute(verb.text or "")  # asked when this TwiML ends
                return
            if verb.tag == "Leave":
                if self.enqueued is None:
                    self.problems.append("<Leave> outside a queue's wait TwiML")
                    continue
                self._queue_action("leave", int(self.queue_info.get("QueueTime", "0")))
                return
            if verb.tag == "Enqueue":
                self.enqueued = verb
                self.wait_url = self._absolute(verb.get("waitUrl") or "")
                if not verb.get("waitUrl") or len(verb.text or "") > 64:
                    self.problems.append("an <Enqueue> without a waitUrl or with a name over 64")
                return
            if verb.tag in ("Say", "Play", "Pause"):
                self._hear(verb)
            elif verb.tag == "Gather":
                for child in verb:
                    if child.tag not in ("Say", "Play", "Pause"):
                        self.problems.append(f"<{child.tag}> is not allowed inside <Gather>")
                    self._hear(child)
                self._rest = verbs[index + 1:]
                if not self._rest:
                    self.problems.append("a <Gather> with no verb after it: silence hangs up")
                self.listening = verb
                return
            elif verb.tag == "Redirect":
                self._run(self.request(self._absolute(verb.text or "")))
                return
            elif verb.tag == "Dial":
                self.dialing = verb
                return
            elif verb.tag == "Record":
                self.recording = verb
                self._rest = verbs[index + 1:]  # where an empty recording goes on
                return
            elif verb.tag == "Hangup":
                self.ended = True
                return
            elif verb.tag in ("Start", "Stop"):
                self._start_stop(verb)
            else:
                self.problems.append(f"unexpected verb <{verb.tag}>")
        self.ended = True  # the document ran out: Twilio hangs up

    def _start_stop(self, verb: ET.Element) -> None:
        """<Start>/<Stop> a real-time <Transcription> (other forks are not simulated)."""
        for noun in verb:
            if noun.tag != "Transcription":
                self.problems.append(f"<{verb.tag}><{noun.tag}> is not simulated")
                continue
            name = noun.get("name") or ""
            if verb.tag == "Start":
                if not (noun.get("statusCallbackUrl") or "").startswith(("http://", "https://")):
                    self.problems.append("a <Transcription> without an absolute statusCallbackUrl")
                self.live[name] = noun
            elif name not in self.live:
                self.problems.append(f"<Stop> of a transcription never started: {name!r}")
            else:
                del self.live[name]

    def _hear(self, verb: ET.Element) -> None:
        if verb.tag == "Say":
            self.elapsed += _speaking(verb.text or "")
            self.heard.append(Heard("say", verb.text or "", verb.get("language", ""),
                                    verb.get("voice", "")))
        elif verb.tag == "Play":
            url = verb.text or ""
            path = urllib.parse.unquote(url.partition("/prompts/")[2])
            self.heard.append(Heard("play", self.words.get(path, ""), url=url))
            self.elapsed += _speaking(self.words.get(path, "")) or 3
        elif verb.tag == "Pause":
            self.elapsed += _number(verb.get("length"), 1)
            self.heard.append(Heard("pause", "", url=""))

    @property
    def node(self) -> str:
        """The menu node the call is at, read from the last callback URL."""
        source = next((s for s in (self.listening, self.dialing, self.recording, self.enqueued)
                       if s is not None), None)
        url = source.get("action", "") if source is not None else ""
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
        return query.get("n", [""])[0]


def prompt_words(menu: Any) -> dict[str, str]:
    """Each recorded prompt of ``menu`` (its path under prompts/) with the words it says."""
    from ivr.menu.model import Prompt

    found: dict[str, str] = {}
    seen: set[int] = set()
    todo: list[Any] = list(getattr(menu, "nodes", {}).values()) if menu is not None else []
    while todo:
        item = todo.pop()
        if id(item) in seen or isinstance(item, str | bytes | int | float | bool) or item is None:
            continue
        seen.add(id(item))
        if isinstance(item, Prompt):
            found.update({v.audio: v.text or "" for v in item.versions.values() if v.audio})
        elif isinstance(item, Mapping):
            todo.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            todo.extend(item)
        elif hasattr(item, "__dataclass_fields__"):
            todo.extend(getattr(item, name) for name in item.__dataclass_fields__)
    return found


def _speaking(text: str) -> float:
    """Seconds it takes to say ``text`` at 150 words a minute."""
    return len(text.split()) / 2.5


def _number(value: str | None, default: float) -> float:
    try:
        return float(value) if value else default
    except ValueError:
        return default
