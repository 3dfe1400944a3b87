"""Announcements recorded by phone: an admin calls the announcement line, enters their PIN,
records the message in each language of a line, and the recordings wait as drafts until
an admin approves them in the dashboard (Live page).

The operator names the line (``IVR_ANNOUNCE_NUMBER``: the Twilio number admins call) and
who may use it (``IVR_ANNOUNCE_ADMINS``: usernames; empty = every admin with a PIN). The
caller is known by their caller ID, the phone on their dashboard account, and proves it
with their PIN: at least 8 digits, stored hashed (set on the account page or with
``ivr user announce-pin``). A call that enters a wrong PIN is a failed call; after
``MAX_FAILED_CALLS`` failed calls in a row the admin's PIN is locked (an ``ALERT`` in the
log and a notice on the Live page) until an admin unlocks it or a new PIN is set. A call
has at most ``TRIES_PER_CALL`` tries.

Every step's URL is Twilio-signed, and carries a token bound to the CallSid and the admin
(HMAC with the app's SECRET_KEY), so a step after the PIN cannot be reached without it.
The recording's audio is fetched from Twilio by the worker (``fetch_due``) into the
prompts folder (copied to every instance), and played before the menu once approved.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, request
from sqlalchemy.engine import Engine
from werkzeug.security import check_password_hash, generate_password_hash

from ivr.announcements import _utc, announcements, changed
from ivr.data.tables import metadata
from ivr.web import twiml

log = logging.getLogger(__name__)
bp = Blueprint("recorded_announcements", __name__)

MIN_PIN = 8
MAX_PIN = 16
MAX_FAILED_CALLS = 3  # failed calls in a row before the PIN locks
TRIES_PER_CALL = 3
MAX_LENGTH = 60  # seconds of a recorded announcement
MAX_BYTES = 8 * 1024 * 1024
VOICE = {"voice": "Polly.Joanna", "language": "en-US"}
FOLDER = "announcements"  # under the prompts folder

announce_pins = sa.Table(
    "announce_pins",
    metadata,
    sa.Column("user_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("pin_hash", sa.String(255), nullable=False),
    sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("failed_call", sa.String(64)),
    sa.Column("locked_at", sa.DateTime(timezone=True)),
    sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
)


def pin_problem(pin: str) -> str | None:
    """Why ``pin`` cannot be an announcement PIN, or None."""
    if not pin.isdigit() or not MIN_PIN <= len(pin) <= MAX_PIN:
        return f"A PIN is {MIN_PIN} to {MAX_PIN} digits."
    if len(set(pin)) == 1 or pin in "0123456789012345" or pin in "9876543210987654":
        return "A PIN of one repeated digit or a run of digits is too easy to guess."
    return None


class Pins:
    """Admins' announcement PINs: hashed, counted and locked."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def set(self, user_id: int, pin: str, now: datetime) -> None:
        """Set (or replace) a PIN; a new PIN also ends a lock."""
        problem = pin_problem(pin)
        if problem:
            raise ValueError(problem)
        values = {"pin_hash": generate_password_hash(pin), "failures": 0, "failed_call": None,
                  "locked_at": None, "set_at": now}
        with self.engine.begin() as conn:
            if conn.execute(announce_pins.update().where(announce_pins.c.user_id == user_id)
                            .values(**values)).rowcount == 0:
                conn.execute(announce_pins.insert().values(user_id=user_id, **values))

    def remove(self, user_id: int) -> bool:
        with self.engine.begin() as conn:
            return conn.execute(announce_pins.delete().where(
                announce_pins.c.user_id == user_id)).rowcount == 1

    def get(self, user_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(announce_pins).where(
                announce_pins.c.user_id == user_id)).first()
        return dict(row._mapping) if row is not None else None

    def locked(self) -> list[dict[str, Any]]:
        """The PINs locked now (the Live page lists them)."""
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(
                sa.select(announce_pins.c.user_id, announce_pins.c.locked_at)
                .where(announce_pins.c.locked_at.is_not(None)))]

    def unlock(self, user_id: int) -> bool:
        with self.engine.begin() as conn:
            return conn.execute(announce_pins.update().where(
                announce_pins.c.user_id == user_id, announce_pins.c.locked_at.is_not(None))
                .values(locked_at=None, failures=0, failed_call=None)).rowcount == 1

    def check(self, user_id: int, pin: str, call_sid: str, now: datetime) -> str:
        """"ok", "wrong" or "locked"; a wrong PIN counts this call as failed (once)."""
        found = self.get(user_id)
        if found is None or found["locked_at"] is not None:
            return "locked" if found is not None else "wrong"
        if check_password_hash(found["pin_hash"], pin[:MAX_PIN]):
            with self.engine.begin() as conn:
                conn.execute(announce_pins.update().where(announce_pins.c.user_id == user_id)
                             .values(failures=0, failed_call=None))
            return "ok"
        if found["failed_call"] != call_sid:
            with self.engine.begin() as conn:
                conn.execute(announce_pins.update().where(announce_pins.c.user_id == user_id)
                             .values(failures=announce_pins.c.failures + 1,
                                     failed_call=call_sid[:64]))
        return "wrong"

    def lock_if_due(self, user_id: int, username: str, now: datetime) -> bool:
        """Lock the PIN once ``MAX_FAILED_CALLS`` calls failed in a row; whether it is locked."""
        found = self.get(user_id)
        if found is None:
            return False
        if found["locked_at"] is not None:
            return True
        if int(found["failures"]) < MAX_FAILED_CALLS:
            return False
        with self.engine.begin() as conn:
            conn.execute(announce_pins.update().where(announce_pins.c.user_id == user_id,
                                                      announce_pins.c.locked_at.is_(None))
                         .values(locked_at=_utc(now)))
        log.error("ALERT: the announcement PIN of %s is locked after %d failed calls; an admin "
                  "unlocks it on the dashboard's Live page (or a new PIN is set)", username,
                  MAX_FAILED_CALLS)
        return True


# ---- drafts ---------------------------------------------------------------------------------


def keep_draft(engine: Engine, recording_sid: str, menu: str, lang: str, by: str,
               now: datetime, url: str | None = None, status: str = "draft") -> None:
    """Add or complete the draft of a recording (the action and the status callback may come
    in either order, and again): one row per RecordingSid."""
    c = announcements.c
    with engine.begin() as conn:
        found = conn.execute(sa.select(c.id, c.status).where(
            c.recording_sid == recording_sid)).first()
        if found is None:
            conn.execute(announcements.insert().values(
                menu=menu[:64], lang=lang[:16], text="", set_by=by[:64], set_at=_utc(now),
                status=status, recording_sid=recording_sid[:64],
                recording_url=url[:500] if url else None))
            return
        values: dict[str, Any] = {}
        if url:
            values["recording_url"] = url[:500]
        if status == "failed" and found.status == "draft":
            values["status"] = "failed"
        if by and by != "twilio":
            values["set_by"] = by[:64]
        if values:
            conn.execute(announcements.update().where(c.id == found.id).values(**values))


def drafts(engine: Engine, limit: int = 50) -> list[dict[str, Any]]:
    """Recordings waiting for approval, oldest first."""
    c = announcements.c
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            sa.select(announcements).where(c.status == "draft").order_by(c.id).limit(limit))]


def approve(engine: Engine, draft_id: int, by: str, now: datetime,
            until: datetime | None = None) -> dict[str, Any] | None:
    """Put a draft on the air (replacing its line's announcement in that language); the row,
    or None when it is not a draft with its audio fetched."""
    c = announcements.c
    with engine.begin() as conn:
        row = conn.execute(sa.select(announcements).where(
            c.id == draft_id, c.status == "draft", c.audio.is_not(None))).first()
        if row is None:
            return None
        conn.execute(announcements.update().where(
            c.menu == row.menu, c.lang == row.lang, c.cleared_at.is_(None), c.status == "live")
            .values(cleared_by=by[:64], cleared_at=_utc(now)))
        conn.execute(announcements.update().where(c.id == draft_id).values(
            status="live", approved_by=by[:64], approved_at=_utc(now),
            until=_utc(until) if until else None))
    changed()  # on the air: this process's next calls hear it at once
    return dict(row._mapping)


def reject(engine: Engine, draft_id: int, by: str, now: datetime) -> bool:
    c = announcements.c
    with engine.begin() as conn:
        return conn.execute(announcements.update().where(
            c.id == draft_id, c.status == "draft").values(
                status="rejected", cleared_by=by[:64], cleared_at=_utc(now))).rowcount == 1


class Fetcher:
    """Fetches recorded drafts' audio from Twilio into the prompts folder (a worker job)."""

    def __init__(self, engine: Engine, uploads: Any, account_sid: str, auth_token: str,
                 http_get: Callable[..., Any] | None = None) -> None:
        self.engine = engine
        self.uploads = uploads
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.http_get = http_get
        self.tries: dict[int, int] = {}

    def fetch_due(self, limit: int = 5) -> int:
        """Fetch the drafts whose recording is complete and whose audio is missing."""
        from ivr.data.prompt_uploads import write_prompt
        from ivr.voicemail.media import twilio_api_url

        c = announcements.c
        with self.engine.connect() as conn:
            due = [dict(r._mapping) for r in conn.execute(
                sa.select(c.id, c.menu, c.recording_sid, c.recording_url).where(
                    c.status == "draft", c.audio.is_(None), c.recording_url.is_not(None))
                .order_by(c.id).limit(limit))]
        fetched = 0
        for row in due:
            if self.tries.get(row["id"], 0) >= 5:
                continue
            url = f"{row['recording_url']}.mp3"
            if not twilio_api_url(url):
                log.error("announcement recording %s: not a Twilio API URL, not fetched",
                          row["recording_sid"])
                self._mark_failed(row["id"])
                continue
            try:
                data = self._get(url)
            except Exception as exc:  # noqa: BLE001 - tried again on the next round
                self.tries[row["id"]] = self.tries.get(row["id"], 0) + 1
                log.warning("announcement recording %s not fetched: %s", row["recording_sid"],
                            type(exc).__name__)
                continue
            path = f"{FOLDER}/{row['menu']}/{row['recording_sid']}.mp3"
            write_prompt(self.uploads.folder, path, data)
            self.uploads.add(path, data, "announcement")
            with self.engine.begin() as conn:
                conn.execute(announcements.update().where(c.id == row["id"]).values(audio=path))
            fetched += 1
        return fetched

    def _get(self, url: str) -> bytes:
        import requests

        get = self.http_get or requests.get
        auth = (self.account_sid, self.auth_token) if self.account_sid else None
        with get(url, auth=auth, timeout=20, stream=True) as response:
            if response.status_code != 200:
                raise RuntimeError(f"HTTP {response.status_code}")
            data = bytearray()
            for chunk in response.iter_content(65536):
                data += chunk
                if len(data) > MAX_BYTES:
                    raise RuntimeError("too large")
        return bytes(data)

    def _mark_failed(self, draft_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(announcements.update().where(announcements.c.id == draft_id)
                         .values(status="failed"))


# ---- the phone line -------------------------------------------------------------------------


def _services() -> Any:
    return current_app.extensions["ivr"]


def line_number() -> str:
    """The announcement line (E.164), or "" when it is off."""
    return str(current_app.config.get("IVR_ANNOUNCE_NUMBER") or "").strip()


def is_line(called: str) -> bool:
    number = line_number()
    return bool(number) and called.strip() == number


def _say(text: str) -> str:
    return twiml.element("Say", VOICE, text)


def _bye(text: str) -> Response:
    return _xml([_say(text), twiml.element("Hangup", {})])


def _xml(verbs: list[str]) -> Response:
    return Response(twiml.document(verbs), 200, mimetype="text/xml")


def _url(path: str, **params: Any) -> str:
    from ivr.web.security import base_url

    return f"{base_url()}/voice/announce/{path}?{urlencode(params)}"


def _token(call_sid: str, user_id: int) -> str:
    key = str(current_app.config.get("SECRET_KEY") or "").encode()
    return hmac.new(key, f"announce:{call_sid}:{user_id}".encode(), hashlib.sha256).hexdigest()[:32]


def _form(name: str, limit: int = 64) -> str:
    return (request.form.get(name) or "")[:limit]


def _admin() -> dict[str, Any] | None:
    """The admin calling: their account's phone is the caller ID, and they may use the line."""
    from ivr import phones

    caller = phones.check(_form("From")).e164 or _form("From")
    if not caller:
        return None
    allowed = {n.strip() for n in str(current_app.config.get("IVR_ANNOUNCE_ADMINS") or "")
               .split(",") if n.strip()}
    users = current_app.extensions["dashboard"].users
    for user in users.users():
        if (user.get("role") == "admin" and user.get("active") and user.get("phone") == caller
                and (not allowed or user["username"] in allowed)):
            return dict(user)
    return None


def _signed_in() -> tuple[dict[str, Any], str] | None:
    """The admin of a step after the PIN (its token matches the call and the admin)."""
    user = _admin()
    token = request.args.get("t", "")
    if user is None or not hmac.compare_digest(token, _token(_form("CallSid"), int(user["id"]))):
        return None
    return user, token


def _ask_pin(tries: int, wrong: bool = False) -> Response:
    said = "That PIN is not right. " if wrong else "Announcement line. "
    return _xml([twiml.element("Gather", {
        "input": "dtmf", "action": _url("pin", a=tries), "method": "POST", "timeout": 10,
        "numDigits": None, "finishOnKey": "#", "actionOnEmptyResult": False},
        None, [_say(said + "Enter your PIN, then press the pound key.")]),
        _say("No PIN was entered. Goodbye."), twiml.element("Hangup", {})])


def answer() -> Response:
    """A call to the announcement line: ask the PIN of the admin calling."""
    user = _admin()
    if user is None:
        log.warning("announcement line called from a number no admin may use (%s)",
                    _form("From")[-4:])
        return _bye("This number cannot record announcements. Goodbye.")
    pins = Pins(_services().store.engine)
    if pins.get(int(user["id"])) is None:
        return _bye("Set your announcement PIN on your dashboard account page first. Goodbye.")
    if pins.lock_if_due(int(user["id"]), user["username"], _services().clock()):
        return _bye("Your announcement PIN is locked after failed calls. Ask another admin "
                    "to unlock it on the dashboard. Goodbye.")
    return _ask_pin(1)


def _menus() -> list[Any]:
    return list(_services().catalog.menus.values())[:9]


def _choose_line(token: str) -> Response:
    menus = _menus()
    names = " ".join(f"For {m.name or m.id}, press {i}." for i, m in enumerate(menus, 1))
    return _xml([twiml.element("Gather", {
        "input": "dtmf", "action": _url("line", t=token), "method": "POST", "timeout": 8,
        "numDigits": 1, "actionOnEmptyResult": False}, None, [_say(names)]),
        _say("No line was chosen. Goodbye."), twiml.element("Hangup", {})])


def _record(token: str, menu: Any, index: int, kept: int) -> Response:
    codes = list(menu.languages)
    if index >= len(codes):
        if not kept:
            return _bye("Nothing was recorded. Goodbye.")
        return _bye(f"Thank you. {kept} recording{'s' if kept != 1 else ''} of "
                    f"{menu.name or menu.id} wait for an admin's approval on the dashboard. "
                    "Goodbye.")
    language = menu.languages[codes[index]]
    name = language.name or language.code
    params = {"t": token, "m": menu.id, "i": index, "k": kept}
    return _xml([
        _say(f"After the tone, say the announcement in {name}, then press pound. "
             f"To skip {name}, press star."),
        twiml.element("Record", {
            "action": _url("recorded", **params), "method": "POST", "maxLength": MAX_LENGTH,
            "timeout": 5, "finishOnKey": "#*", "playBeep": True, "trim": "trim-silence",
            "recordingStatusCallback": _url("status", m=menu.id, l=codes[index]),
            "recordingStatusCallbackMethod": "POST",
            "recordingStatusCallbackEvent": "completed absent"}),
        # An empty recording goes on here (Twilio does not ask the action then).
        twiml.element("Redirect", {"method": "POST"},
                      _url("recorded", **{**params, "empty": 1}))])


def _webhook(view: Callable[[], Response]) -> Callable[[], Response]:
    """Signed by Twilio, and never a 500 (an apology and a hangup instead)."""
    import functools

    from ivr.web.security import twilio_only

    @functools.wraps(view)
    def guarded() -> Response:
        try:
            return view()
        except Exception:  # noqa: BLE001 - the admin hears an apology, not Twilio's error
            log.exception("announcement line failed at %s", request.path)
            return _bye("Sorry, something went wrong. Please call again. Goodbye.")

    return twilio_only(guarded)


@bp.post("/voice/announce")
def incoming() -> Response:
    """The announcement line's own webhook URL (the number may also point at /voice)."""
    return _webhook(answer)()


@bp.post("/voice/announce/pin")
def pin() -> Response:
    return _webhook(_pin)()


def _pin() -> Response:
    user = _admin()
    if user is None:
        return _bye("This number cannot record announcements. Goodbye.")
    svc = _services()
    pins = Pins(svc.store.engine)
    tries = int(request.args.get("a", "1")) if request.args.get("a", "1").isdigit() else 1
    digits = "".join(ch for ch in _form("Digits", 32) if ch.isdigit())
    now = svc.clock()
    result = pins.check(int(user["id"]), digits, _form("CallSid"), now)
    if result == "locked":
        return _bye("Your announcement PIN is locked. Goodbye.")
    if result == "wrong":
        log.warning("wrong announcement PIN for %s (try %d of this call)", user["username"], tries)
        if tries >= TRIES_PER_CALL:
            pins.lock_if_due(int(user["id"]), user["username"], now)
            return _bye("That PIN is not right. Goodbye.")
        return _ask_pin(tries + 1, wrong=True)
    log.info("announcement line: %s signed in", user["username"])
    token = _token(_form("CallSid"), int(user["id"]))
    menus = _menus()
    if len(menus) == 1:
        return _record(token, menus[0], 0, 0)
    return _choose_line(token)


@bp.post("/voice/announce/line")
def line() -> Response:
    return _webhook(_line)()


def _line() -> Response:
    found = _signed_in()
    if found is None:
        return _bye("Goodbye.")
    menus = _menus()
    digits = _form("Digits", 2)
    if not digits.isdigit() or not 1 <= int(digits) <= len(menus):
        return _choose_line(found[1])
    return _record(found[1], menus[int(digits) - 1], 0, 0)


@bp.post("/voice/announce/recorded")
def recorded() -> Response:
    return _webhook(_recorded)()


def _recorded() -> Response:
    found = _signed_in()
    svc = _services()
    menu = svc.catalog.get(request.args.get("m", ""))
    if found is None or menu is None:
        return _bye("Goodbye.")
    user, token = found
    index = int(request.args.get("i", "0")) if request.args.get("i", "0").isdigit() else 0
    kept = int(request.args.get("k", "0")) if request.args.get("k", "0").isdigit() else 0
    codes = list(menu.languages)
    sid = _form("RecordingSid")
    duration = _form("RecordingDuration", 8)
    skipped = request.args.get("empty") or _form("Digits", 8) == "*" or not sid.startswith("RE") \
        or not duration.isdigit() or int(duration) < 1
    if index < len(codes) and not skipped:
        keep_draft(svc.store.engine, sid, menu.id, codes[index], user["username"], svc.clock(),
                   url=_form("RecordingUrl", 500) or None)
        log.info("announcement recorded by phone on %s (%s) by %s: a draft until approved",
                 menu.id, codes[index], user["username"])
        kept += 1
    return _record(token, menu, index + 1, kept)


@bp.post("/voice/announce/status")
def status() -> Response:
    """Twilio's recordingStatusCallback: the recording's URL (or that it failed), by its SID."""
    return _webhook(_status)()


def _status() -> Response:
    svc = _services()
    sid = _form("RecordingSid")
    menu = svc.catalog.get(request.args.get("m", ""))
    lang = request.args.get("l", "")[:16]
    if not sid.startswith("RE") or menu is None or lang not in menu.languages:
        return Response(status=204)
    result = _form("RecordingStatus", 16)
    if result == "completed":
        keep_draft(svc.store.engine, sid, menu.id, lang, "twilio", svc.clock(),
                   url=_form("RecordingUrl", 500) or None)
    elif result in ("failed", "absent"):
        c = announcements.c
        with svc.store.engine.begin() as conn:
            conn.execute(announcements.update().where(c.recording_sid == sid, c.status == "draft")
                         .values(status="failed"))
    return Response(status=204)


def install(app: Any, settings: dict[str, Any], services: Any) -> None:
    """The line's routes and the worker job fetching the recordings."""
    app.register_blueprint(bp)
    services.announce_fetcher = Fetcher(
        services.store.engine, services.prompt_uploads,
        str(settings.get("TWILIO_ACCOUNT_SID") or ""), str(settings.get("TWILIO_AUTH_TOKEN") or ""))
    services.worker.jobs.append(services.announce_fetcher.fetch_due)
