"""The voicemail inbox and one voicemail's page: listen, read, note, assign, close."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as BaseResponse

from ivr.dashboard.desk import desk, now
from ivr.dashboard.journey import describe
from ivr.dashboard.states import beside, recording_state, transcript_state
from ivr.dashboard.texts import text_cap_warnings, texts_panel
from ivr.dashboard.times import viewer_zone

bp = Blueprint("inbox", __name__)
STATUSES = {"new": "New", "in_progress": "In progress", "done": "Done"}
PAGE_SIZE = 50
NOTE_MAX = 4000


@dataclass(frozen=True)
class InboxView:
    """What the agent asked the inbox for: a tab, filters, a search and a page."""

    status: str = "new"
    lang: str = ""
    menu: str = ""
    date_from: str = ""  # YYYY-MM-DD, as the date input sends it
    date_to: str = ""
    q: str = ""
    before: int | None = None

    @classmethod
    def from_args(cls, args: MultiDict[str, str]) -> InboxView:
        """Read the query string; a bad tab, date or page is a 400, not a silent reset."""
        status = args.get("status", "new")
        if status not in STATUSES:
            abort(400, f"Unknown tab {status!r}.")
        view = cls(status=status, lang=args.get("lang", "").strip(),
                   menu=args.get("menu", "").strip(), date_from=args.get("date_from", "").strip(),
                   date_to=args.get("date_to", "").strip(), q=args.get("q", "").strip()[:200],
                   before=_int_arg(args, "before"))
        view.days()  # validates the dates
        return view

    def days(self) -> tuple[date | None, date | None]:
        """The first and last day asked for (both included); a malformed date is a 400."""
        try:
            first = date.fromisoformat(self.date_from) if self.date_from else None
            last = date.fromisoformat(self.date_to) if self.date_to else None
        except ValueError:
            abort(400, "Dates are written year-month-day, like 2026-11-24.")
        return first, last

    def store_filters(self) -> dict[str, Any]:
        """The keyword arguments for VoicemailStore.list (without the page)."""
        first, last = self.days()
        return {"status": self.status, "lang": self.lang or None, "menu": self.menu or None,
                "date_from": first, "date_to": last, "q": self.q or None,
                "zone": viewer_zone()}  # days as the viewer reads the times

    def args(self, **changes: Any) -> dict[str, Any]:
        """Query-string arguments for a link to this view with some things changed."""
        values = asdict(replace(self, **changes))
        return {k: v for k, v in values.items() if v not in ("", None)}

    @property
    def filtered(self) -> bool:
        """Whether any filter or search narrows the tab."""
        return any((self.lang, self.menu, self.date_from, self.date_to, self.q))


def _int_arg(args: MultiDict[str, str], name: str) -> int | None:
    """A positive integer query argument, or None; anything else is a 400."""
    raw = args.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        abort(400, f"{name} must be a number.")
    return int(raw)


def get_voicemail(voicemail_id: int) -> dict[str, Any]:
    """One voicemail, or 404."""
    found: dict[str, Any] | None = desk().voicemails.get(voicemail_id)
    if found is None:
        abort(404, f"There is no voicemail {voicemail_id}.")
    return found


def _filter_choices() -> dict[str, list[tuple[str, str]]]:
    """The menus and languages the filters offer, from the loaded menus."""
    menus = current_app.extensions["ivr"].catalog.menus
    langs: dict[str, str] = {}
    for menu in menus.values():
        for code, language in menu.languages.items():
            langs.setdefault(code, language.name or code)
    return {"menus": sorted((m.id, m.name or m.id) for m in menus.values()),
            "langs": sorted(langs.items())}


def _with_agents(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with the assigned agent's name added as ``assignee``."""
    names = desk().users.usernames(r["assigned_to"] for r in rows if r.get("assigned_to"))
    svc = current_app.extensions["ivr"]
    menus = svc.catalog.menus
    jobs = svc.transcripts.store.for_calls(
        [(r["call_sid"], r["node"]) for r in rows if r.get("call_sid") and r.get("node")])
    moment = now()
    return [{**r, "assignee": names.get(r.get("assigned_to") or 0),
             "transcript_state": transcript_state(r, menus.get(r.get("menu") or ""), moment,
                                                  jobs.get((r.get("call_sid"), r.get("node"))))}
            for r in rows]


@bp.get("/")
def index() -> BaseResponse:
    """The dashboard's home is the inbox."""
    return redirect(url_for("dashboard.inbox.inbox"))


@bp.get("/inbox")
def inbox() -> str:
    """A tab of voicemails, newest first, filtered and searched, a page at a time."""
    view = InboxView.from_args(request.args)
    store = desk().voicemails
    rows = store.list(**view.store_filters(), before_id=view.before, limit=PAGE_SIZE + 1)
    more = len(rows) > PAGE_SIZE  # one row past the page says whether an older page exists
    rows = _with_agents(rows[:PAGE_SIZE])
    intake = current_app.extensions["ivr"].intake
    set_aside = intake.quarantine_count() if intake and g.user["role"] == "admin" else 0
    return render_template("dashboard/inbox.html", view=view, rows=rows, statuses=STATUSES,
                           older=rows[-1]["id"] if more else None, set_aside=set_aside,
                           text_caps=text_cap_warnings(),
                           latest_id=store.latest_id() or 0, choices=_filter_choices())


@bp.get("/inbox/updates")
def updates() -> Response:
    """What arrived after ``after`` in this tab (rendered rows), the unread count, the latest id."""
    view = InboxView.from_args(request.args)
    after = _int_arg(request.args, "after") or 0
    store = desk().voicemails
    rows = [r for r in store.list(**view.store_filters(), limit=PAGE_SIZE) if r["id"] > after]
    html = [render_template("dashboard/_row.html", row=row, view=view, statuses=STATUSES)
            for row in _with_agents(rows)] if view.before is None else []
    return jsonify(latest_id=store.latest_id() or 0, new_count=store.count_new(), rows=html,
                   more=len(rows) >= PAGE_SIZE)


@bp.get("/voicemails/<int:voicemail_id>")
def voicemail(voicemail_id: int) -> str:
    """One voicemail: player, transcript, the caller's journey, notes and actions."""
    item = _with_agents([get_voicemail(voicemail_id)])[0]
    # The path saved with the voicemail, else the call's journey as recorded live.
    journey = item.get("journey") or (
        desk().calls.journey(item["call_sid"]) if item.get("call_sid") else [])
    menu = current_app.extensions["ivr"].catalog.menus.get(item.get("menu") or "")
    lang = item.get("lang") or (menu.default_language if menu is not None else "en")
    recording = recording_state(item, desk().voicemails.has_media(voicemail_id))
    return render_template("dashboard/voicemail.html", vm=item,
                           journey=[describe(step, menu, lang) for step in journey],
                           transcript=beside(item["transcript_state"], recording),
                           recording=recording,
                           notes=desk().users.notes(voicemail_id), statuses=STATUSES,
                           texts=texts_panel("voicemail", voicemail_id, lang, item.get("call_sid")),
                           back=request.args.get("back", ""),
                           call_problem=request.args.get("call_problem", "")[:300],
                           email_reply=_email_reply(item, menu),
                           **_calls_back(item))


def _email_reply(item: dict[str, Any], menu: Any) -> dict[str, str] | None:
    """A web message's answer by e-mail (a mailto: link), when the visitor left an address."""
    from ivr.online.mailto import reply_link

    return reply_link(item, (menu.name or menu.id) if menu is not None else "")


def _calls_back(item: dict[str, Any]) -> dict[str, Any]:
    """The agents' calls back on a voicemail, and the names the page shows with them."""
    from ivr.answer.calls import OUTCOME_TEXT

    attempts = current_app.extensions["answer"].calls.for_item("voicemail", item["id"])
    ids = [a["user_id"] for a in attempts] + ([item["closed_by"]] if item.get("closed_by") else [])
    return {"attempts": attempts, "outcomes": OUTCOME_TEXT, "names": desk().users.usernames(ids)}


@bp.get("/voicemails/<int:voicemail_id>/audio")
def audio(voicemail_id: int) -> BaseResponse:
    """The recording's bytes with their type; byte ranges so the player can seek."""
    found = desk().voicemails.media(voicemail_id)
    if found is None:
        abort(404, "This voicemail has no recording stored.")
    data, mimetype = found
    response = Response(data, mimetype=mimetype)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response.make_conditional(request, accept_ranges=True, complete_length=len(data))


@bp.post("/voicemails/<int:voicemail_id>/status")
def set_status(voicemail_id: int) -> BaseResponse:
    """Mark a voicemail new, in progress or done."""
    get_voicemail(voicemail_id)
    status = request.form.get("status", "")
    if status not in STATUSES:
        abort(400, f"Unknown status {status!r}.")
    desk().voicemails.set_status(voicemail_id, status)
    return redirect(url_for("dashboard.inbox.voicemail", voicemail_id=voicemail_id))


@bp.post("/voicemails/<int:voicemail_id>/assign")
def assign(voicemail_id: int) -> BaseResponse:
    """Take a voicemail (assign it to me) or give it back (unassign)."""
    get_voicemail(voicemail_id)
    action = request.form.get("to", "")
    if action not in ("me", "nobody"):
        abort(400, "Assign to 'me' or 'nobody'.")
    desk().voicemails.assign(voicemail_id, g.user["id"] if action == "me" else None)
    return redirect(url_for("dashboard.inbox.voicemail", voicemail_id=voicemail_id))


@bp.post("/voicemails/<int:voicemail_id>/notes")
def add_note(voicemail_id: int) -> BaseResponse:
    """Add a note to a voicemail."""
    get_voicemail(voicemail_id)
    body = request.form.get("body", "").strip()
    if not body or len(body) > NOTE_MAX:
        abort(400, f"A note needs between 1 and {NOTE_MAX} characters.")
    note_id = desk().users.add_note(voicemail_id, g.user["id"], body, now())
    return redirect(url_for("dashboard.inbox.voicemail", voicemail_id=voicemail_id,
                            _anchor=f"note-{note_id}"))
