"""The admins' phone simulator: a call placed from the browser through the real webhooks.

The browser never sees the auth token. It sends what the caller does (press keys,
say something, stay silent, hang up); this module builds the request Twilio would
send, signs it with the app's token as Twilio does, posts it in-process to the
real /voice webhooks and follows the TwiML with ``ivr.simulator.Phone``. Between
two actions the call lives in the session: the listening Gather (its action URL and
input mode) and the verbs after it, which is all Twilio itself keeps.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, jsonify, render_template, request, session
from werkzeug.wrappers import Response as BaseResponse

from ivr.dashboard.auth import admin_required
from ivr.dashboard.times import menu_zone
from ivr.simulator import Exchange, FlaskTransport, Heard, Phone, SimulatorError
from ivr.web.clock import FIELD as CLOCK_FIELD
from ivr.web.security import base_url

bp = Blueprint("simulator", __name__, url_prefix="/admin/simulator")
SESSION_KEY = "simulated_call"
CALLER = "+15550100199"  # a number from the range reserved for fiction
UNLISTED = "+15550100100"  # reaches the default menu
ACTIONS = ("call", "press", "say", "wait", "transfer", "record", "hangup")
DIAL_OUTCOMES = ("completed", "no-answer", "busy", "failed")
RECORD_ENDS = ("key", "hangup", "silence")
MAX_SHIFT = timedelta(days=3660)  # "call at" within ten years of now


class BrowserPhone(Phone):
    """A Phone whose call survives between HTTP requests, as a small dict in the session."""

    shift_seconds: int | None = None  # "call at": how far the engine's clock is moved

    def clock_params(self) -> dict[str, str]:
        """The simulated moment of each request: "call at" moved on by the time gone since."""
        if self.shift_seconds is None:
            return {}
        real: datetime = current_app.extensions["ivr"].clock()
        moment = real.astimezone(UTC) + timedelta(seconds=self.shift_seconds)
        return {CLOCK_FIELD: moment.isoformat()}

    def start(self, draft: str = "") -> list[Heard]:
        """Place the call: on the live menu of ``called``, or on a file's draft."""
        url = f"{self.base_url}/voice" + (f"?draft={quote(draft)}" if draft else "")
        self._run(self.request(url, {"CallStatus": "ringing"}))
        return self.new()

    def hang_up(self) -> None:
        """The caller hangs up: Twilio reports the call completed to the status callback."""
        params = {**self.base_params(), "CallStatus": "completed", "CallDuration": "1",
                  "SequenceNumber": "1", "CallbackSource": "call-progress-events",
                  "Timestamp": "Mon, 23 Nov 2026 08:00:00 +0000"}
        self._side(f"{self.base_url}/voice/status", params)
        self.ended, self.listening, self.dialing, self.recording = True, None, None, None

    def snapshot(self) -> dict[str, Any]:
        """What must be remembered until the caller's next action (small: it is a cookie)."""
        def text(element: ET.Element | None) -> str:
            return ET.tostring(element, encoding="unicode") if element is not None else ""

        listening = ET.Element("Gather", dict(self.listening.attrib)) if self.listening is not None else None
        rest = ET.Element("Response")
        rest.extend(self._rest)
        return {"sid": self.call_sid, "account": self.account_sid, "from": self.caller,
                "to": self.called, "base": self.base_url, "ended": self.ended,
                "gather": text(listening), "rest": text(rest), "dial": text(self.dialing),
                "record": text(self.recording),
                "live": [text(noun) for noun in self.live.values()],
                "url": self.exchanges[-1].url if self.exchanges else "", "node": self.node,
                "shift": self.shift_seconds}

    @classmethod
    def resume(cls, saved: dict[str, Any], transport: Any, token: str) -> BrowserPhone:
        """The phone of a call in progress, as ``snapshot`` left it."""
        def element(text: str) -> ET.Element | None:
            return ET.fromstring(text) if text else None

        phone = cls(transport, token, base_url=saved["base"], caller=saved["from"],
                    called=saved["to"], account_sid=saved["account"], call_sid=saved["sid"])
        phone.ended = bool(saved["ended"])
        phone.shift_seconds = saved.get("shift")
        phone.listening = element(saved["gather"])
        phone.dialing = element(saved["dial"])
        phone.recording = element(saved["record"])
        for text in saved.get("live") or []:  # real-time transcriptions still listening
            noun = element(text)
            if noun is not None:
                phone.live[noun.get("name") or ""] = noun
        rest = element(saved["rest"])
        phone._rest = list(rest) if rest is not None else []
        if saved["url"]:
            phone.exchanges.append(Exchange(saved["url"], {}, 200, ""))
        return phone


def heard_json(item: Heard, base: str) -> dict[str, Any]:
    """What the caller heard, as the page plays it (audio URLs relative to this site)."""
    if item.kind == "say":
        return {"say": item.text, "lang": item.locale, "voice": item.voice}
    if item.kind == "play":
        url = item.url[len(base):] if item.url.startswith(base) else item.url
        return {"play": url}
    return {"pause": True}


def targets() -> dict[str, dict[str, str]]:
    """Where a simulated call can go: each live menu (by its number), each saved draft."""
    svc = current_app.extensions["ivr"]
    svc.catalog.maybe_reload()
    found: dict[str, dict[str, str]] = {}
    menus = list(svc.catalog.menus.values())
    for menu in sorted(menus, key=lambda m: m.id):
        file = menu.file.rsplit("/", 1)[-1]
        numbers = list(menu.numbers) or ([UNLISTED] if menu.is_default or len(menus) == 1 else [])
        for number in numbers:
            found[f"live:{number}"] = {"to": number, "draft": "", "file": file,
                                       "default": "yes" if menu.is_default else "",
                                       "zone": menu_zone(menu).key,
                                       "label": f"{menu.name or menu.id}: live, calling {number}"}
    for file in svc.versions.files():
        draft = svc.versions.draft(file)
        if draft is not None:
            live = next((m for m in menus if m.file.rsplit("/", 1)[-1] == file), None)
            to = live.numbers[0] if live and live.numbers else UNLISTED
            found[f"draft:{file}"] = {"to": to, "draft": file, "file": file, "default": "",
                                      "zone": menu_zone(live).key if live else "UTC",
                                      "label": f"{file}: draft saved by {draft.author or '?'}"}
    return found


@bp.get("/")
@admin_required
def page() -> str:
    """The simulator: menu choice, keypad, say box, what was heard and the TwiML exchanged."""
    choices = targets()
    wanted = request.args.get("menu", "")
    selected = next((k for k, v in choices.items() if v["draft"] == wanted and wanted), None) \
        or next((k for k, v in choices.items() if v["file"] == wanted), None) \
        or next((k for k, v in choices.items() if v["default"]), "")
    return render_template("dashboard/admin_simulator.html", choices=choices, selected=selected,
                           caller=CALLER)


@bp.post("/action")
@admin_required
def action() -> tuple[BaseResponse, int]:
    """Do what the caller does and answer what happened: heard, node, TwiML, ended."""
    data = request.get_json(silent=True) or {}
    kind = str(data.get("action", ""))
    if kind not in ACTIONS:
        abort(400, f"action must be one of {', '.join(ACTIONS)}")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    token = str(current_app.config["TWILIO_AUTH_TOKEN"])
    base = base_url()
    try:
        if kind == "call":
            target = targets().get(str(data.get("target", "")))
            if target is None:
                abort(400, "Choose a live menu or a saved draft to call.")
            shift = _shift(str(data.get("at", "")), ZoneInfo(target["zone"]))
            phone = BrowserPhone(FlaskTransport(app), token, base_url=base,
                                 caller=CALLER, called=target["to"])
            phone.shift_seconds = int(shift.total_seconds()) if shift is not None else None
            heard = phone.start(target["draft"])
        else:
            saved = session.get(SESSION_KEY)
            if not saved or saved.get("ended"):
                return jsonify({"error": "There is no call in progress: press Call."}), 409
            phone = BrowserPhone.resume(saved, FlaskTransport(app), token)
            heard = _act(phone, kind, data)
    except SimulatorError as exc:
        return jsonify({"error": str(exc)}), 409
    session[SESSION_KEY] = phone.snapshot()
    return jsonify(_reply(phone, heard, base)), 200


def _act(phone: BrowserPhone, kind: str, data: dict[str, Any]) -> list[Heard]:
    """One caller action on a call in progress."""
    if kind == "press":
        digits = "".join(c for c in str(data.get("digits", "")) if c in "0123456789*#")
        if not digits:
            raise SimulatorError("Press at least one key.")
        finish = str(data.get("finished_on", ""))
        return phone.press(digits, finish if finish in ("#", "*") else "")
    if kind == "say":
        text = str(data.get("text", "")).strip()[:500]
        if not text:
            raise SimulatorError("Type what the caller says.")
        return phone.say(text, _confidence(data.get("confidence")))
    if kind == "wait":
        return phone.silence()
    if kind == "transfer":
        outcome = str(data.get("outcome", "no-answer"))
        return phone.dial_ends(outcome if outcome in DIAL_OUTCOMES else "failed")
    if kind == "record":
        return _record(phone, str(data.get("words", "")).strip()[:2000],
                       str(data.get("end", "key")))
    phone.hang_up()
    return []


def _record(phone: BrowserPhone, words: str, end: str) -> list[Heard]:
    """Leave a message at a <Record>: its action, then the callbacks Twilio sends after it.

    ``words`` stand for what the caller says (no audio is uploaded); Twilio's English
    transcription, when the <Record> asks for it, comes back as exactly those words, and
    so does Twilio's real-time transcription of the other languages.
    ``end`` is how the recording stops: the finishing key, the caller hanging up, or
    the silence timeout.
    """
    record = phone.recording
    if record is None:
        raise SimulatorError("Nothing is recording: there is no message to leave here.")
    if end not in RECORD_ENDS:
        raise SimulatorError(f"A recording ends with one of {', '.join(RECORD_ENDS)}.")
    key = record.get("finishOnKey", "1234567890*#")[:1] or "#"
    digits = {"key": key, "hangup": "hangup", "silence": ""}[end]
    limit = _int(record.get("maxLength"), 3600)
    duration = min(limit, max(2, round(len(words.split()) * 0.4) + 1))
    heard, details = phone.record(duration, digits)
    if end == "hangup":  # Twilio ignores what the action answers to a caller who hung up
        phone.listening = phone.dialing = phone.recording = None
        heard = []
    phone.recording_status(details, "completed")
    if record.get("transcribe") == "true" and details["transcribe_url"]:
        phone.transcription(details, words, "completed" if words else "failed")
    if details.get("live_url"):
        phone.live_transcript(details, [words] if words else [])
    if end == "hangup":
        phone.hang_up()
    return heard


def _shift(raw: str, zone: ZoneInfo) -> timedelta | None:
    """How far "call at" (a local date and time in the menu's zone) is from now; empty = now."""
    if not raw.strip():
        return None
    try:
        local = datetime.fromisoformat(raw.strip()[:32])
    except ValueError:
        raise SimulatorError("Call at: a date and time like 2026-12-01T10:00.") from None
    at = local.replace(tzinfo=zone) if local.tzinfo is None else local
    real: datetime = current_app.extensions["ivr"].clock()
    shift = at.astimezone(UTC) - real.astimezone(UTC)
    if abs(shift) > MAX_SHIFT:
        raise SimulatorError("Call at: a time within ten years of today.")
    return shift


def _confidence(raw: Any) -> float | None:
    """Twilio's Confidence between 0 and 1; empty means Twilio left it out."""
    if raw in (None, ""):
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise SimulatorError("Confidence is a number between 0 and 1.") from None
    if not 0.0 <= value <= 1.0:
        raise SimulatorError("Confidence is a number between 0 and 1.")
    return value


def _reply(phone: BrowserPhone, heard: list[Heard], base: str) -> dict[str, Any]:
    """The JSON the page shows after an action."""
    exchanges = [e for e in phone.exchanges if e.body or e.status != 200]
    state = "ended" if phone.ended else "listening" if phone.listening is not None \
        else "transferring" if phone.dialing is not None \
        else "recording" if phone.recording is not None else "ended"
    node = phone.node or (session.get(SESSION_KEY) or {}).get("node", "")
    listening = phone.listening
    gather = {}
    if listening is not None:
        # What Twilio collects before it answers: numDigits keys, up to the finishing key
        # (absent = "#", "" = none), or whatever was typed when the timeout passes.
        count = listening.get("numDigits")
        gather = {"numDigits": _int(count, 0) or None,
                  "finishOnKey": listening.get("finishOnKey", "#"),
                  "timeout": _int(listening.get("timeout"), 5)}
    record = phone.recording
    recording = {"transcribe": record.get("transcribe") == "true",
                 "maxLength": _int(record.get("maxLength"), 3600)} if record is not None else {}
    return {
        "heard": [heard_json(h, base) for h in heard],
        "node": node,
        "menu": _menu_of(phone),
        "state": state,
        "ended": state == "ended",
        "input": (listening.get("input") or "dtmf") if listening is not None else "",
        "gather": gather,
        "record": recording,
        "exchanges": [{"url": e.url[len(base):] if e.url.startswith(base) else e.url,
                       "params": e.params, "status": e.status, "body": e.body}
                      for e in exchanges],
        "problems": phone.problems,
    }


def _int(raw: str | None, default: int) -> int:
    """A TwiML attribute's whole number, or ``default``."""
    return int(raw) if raw and raw.isdigit() else default


def _menu_of(phone: BrowserPhone) -> str:
    """The menu id in the state of the call's latest callback URL."""
    source = next((s for s in (phone.listening, phone.dialing, phone.recording) if s is not None),
                  None)
    url = source.get("action", "") if source is not None else ""
    return parse_qs(urlsplit(url).query).get("m", [""])[0]
