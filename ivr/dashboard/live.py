"""The live view: calls in progress, callers waiting in queues and agents' states.

The page polls a small JSON endpoint; agents say there whether they are available
(admins may set anyone's state); an admin can end a stuck call through Twilio's REST
API (``calls(sid).update(status="completed")``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, abort, current_app, g, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from ivr import phones
from ivr.dashboard.auth import admin_required
from ivr.dashboard.desk import now
from ivr.dashboard.times import viewer_zone
from ivr.queues.live import calls_in_progress

log = logging.getLogger(__name__)
bp = Blueprint("live", __name__)
CALL_SID = "CA"


def _services() -> Any:
    return current_app.extensions["ivr"]


def _seconds(since: datetime | None, moment: datetime) -> int:
    if since is None:
        return 0
    if since.tzinfo is None:
        since = since.replace(tzinfo=moment.tzinfo)
    return max(0, int((moment - since).total_seconds()))


def _node_name(menu: Any, node_id: str) -> str:
    node = menu.nodes.get(node_id) if menu is not None else None
    if node is None:
        return node_id
    first = next(iter(menu.languages))
    return str(node.own_label(first) or node_id)


def agents() -> list[dict[str, Any]]:
    """Every agent of every queue node, with their queues and state."""
    svc = _services()
    found: dict[str, dict[str, Any]] = {}
    for menu in svc.catalog.menus.values():
        for node in menu.nodes.values():
            if node.kind != "queue":
                continue
            for number in node.agents:
                entry = found.setdefault(number, {"number": number, "queues": []})
                entry["queues"].append(f"{menu.name or menu.id}: {_node_name(menu, node.id)}")
    states = svc.queues.agent_states(list(found)) if found else {}
    for number, entry in found.items():
        state = states.get(number) or {}
        entry["available"] = bool(state.get("available", True))
        entry["state"] = ("away" if not entry["available"]
                          else {"ringing": "ringing", "talking": "on a call"}.get(
                              str(state.get("state") or ""), "free"))
        entry["changed_by"] = state.get("updated_by") or ""
    return sorted(found.values(), key=lambda e: str(e["number"]))


def snapshot() -> dict[str, Any]:
    """Everything the live view shows, as plain values."""
    svc = _services()
    moment = now()
    svc.recorder.flush()  # this worker's latest journey lines
    menus = svc.catalog.menus
    longest = max((m.defaults.max_call for m in menus.values()), default=3600)
    rows = calls_in_progress(svc.store.engine, moment, timedelta(seconds=longest + 60))
    live = []
    for row in rows:
        if row["ending"]:
            continue
        menu = menus.get(row["menu"] or "")
        live.append({"call_sid": row["call_sid"], "line": (menu.name or menu.id) if menu else
                     (row["menu"] or ""), "lang": row["lang"], "node": _node_name(menu, row["node"]),
                     "seconds": _seconds(row["started_at"], moment),
                     "simulated": bool(row["simulated"])})
    queue = [{"call_sid": r["call_sid"], "line": (menus[r["menu"]].name or r["menu"])
              if r["menu"] in menus else r["menu"], "queue": r["queue"], "lang": r["lang"] or "",
              "caller": phones.mask(r["from_number"] or ""),
              "seconds": _seconds(r["joined_at"], moment)}
             for r in svc.queues.waiting_callers()]
    return {"calls": live, "queue": queue, "agents": agents()}


def _announcements() -> list[dict[str, Any]]:
    """Each line with its languages and the announcements callers hear now."""
    svc = _services()
    moment = now()
    return [{"menu": menu.id, "name": menu.name or menu.id, "languages": list(menu.languages),
             "active": svc.announcements.active(menu.id, moment)}
            for menu in svc.catalog.menus.values()]


@bp.get("/live")
def page() -> str:
    """The live view (filled in again by the page every few seconds)."""
    admin = g.user["role"] == "admin"
    return render_template("dashboard/live.html", live=snapshot(), is_admin=admin,
                           my_phone=g.user.get("phone") or "",
                           ended=request.args.get("ended", ""),
                           lines=_announcements() if admin else [],
                           drafts=_drafts() if admin else [],
                           locked_pins=_locked_pins() if admin else [],
                           message=request.args.get("message", ""))


@bp.post("/announcements")
@admin_required
def announce() -> BaseResponse:
    """Put a message before a line's menu on every new call (no new menu version)."""
    from ivr.announcements import MAX_TEXT

    menu = _services().catalog.get(request.form.get("menu", ""))
    lang = request.form.get("lang", "")
    text = request.form.get("text", "").strip()
    if menu is None or lang not in menu.languages:
        abort(400, "Choose a line and one of its languages.")
    if not text or len(text) > MAX_TEXT:
        abort(400, f"The announcement is 1 to {MAX_TEXT} characters.")
    until = None
    if request.form.get("until"):
        from ivr.engine.hours import moment

        until = moment(request.form["until"], viewer_zone().key)
        if until is None or until <= now():
            abort(400, "The end of an announcement is a time in the future.")
    _services().announcements.set(menu.id, lang, text, g.user["username"], now(), until)
    log.info("announcement on %s (%s) set by %s", menu.id, lang, g.user["username"])
    return redirect(url_for("dashboard.live.page", message=f"Announced on {menu.id} ({lang})."))


def _drafts() -> list[dict[str, Any]]:
    """Announcements recorded by phone, waiting for an admin's approval."""
    from ivr.recorded_announcements import drafts

    svc = _services()
    found = drafts(svc.store.engine)
    for item in found:
        menu = svc.catalog.get(item["menu"])
        item["line"] = (menu.name or menu.id) if menu is not None else item["menu"]
    return found


def _locked_pins() -> list[dict[str, Any]]:
    """Admins whose announcement PIN locked after failed calls (the alert)."""
    from ivr.recorded_announcements import Pins

    rows = Pins(_services().store.engine).locked()
    names = current_app.extensions["dashboard"].users.usernames([r["user_id"] for r in rows])
    return [{**r, "username": names.get(r["user_id"], str(r["user_id"]))} for r in rows]


@bp.post("/announcements/<int:draft_id>/approve")
@admin_required
def approve_draft(draft_id: int) -> BaseResponse:
    """Put an announcement recorded by phone on the air (before the menu on new calls)."""
    from ivr.recorded_announcements import approve

    until = None
    if request.form.get("until"):
        from ivr.engine.hours import moment

        until = moment(request.form["until"], viewer_zone().key)
        if until is None or until <= now():
            abort(400, "The end of an announcement is a time in the future.")
    row = approve(_services().store.engine, draft_id, g.user["username"], now(), until)
    if row is None:
        abort(409, "That recording is not a draft with its audio fetched.")
    log.info("recorded announcement %d on %s (%s) approved by %s", draft_id, row["menu"],
             row["lang"], g.user["username"])
    return redirect(url_for("dashboard.live.page",
                            message=f"Recorded announcement on {row['menu']} ({row['lang']}) "
                                    "approved."))


@bp.post("/announcements/<int:draft_id>/reject")
@admin_required
def reject_draft(draft_id: int) -> BaseResponse:
    """Drop an announcement recorded by phone without it ever being heard."""
    from ivr.recorded_announcements import reject

    if not reject(_services().store.engine, draft_id, g.user["username"], now()):
        abort(409, "That recording is not a draft.")
    log.info("recorded announcement %d rejected by %s", draft_id, g.user["username"])
    return redirect(url_for("dashboard.live.page", message="Recording rejected."))


@bp.post("/announcements/pins/<int:user_id>/unlock")
@admin_required
def unlock_pin(user_id: int) -> BaseResponse:
    """End the lock on an admin's announcement PIN."""
    from ivr.recorded_announcements import Pins

    Pins(_services().store.engine).unlock(user_id)
    log.info("announcement PIN of user %d unlocked by %s", user_id, g.user["username"])
    return redirect(url_for("dashboard.live.page", message="PIN unlocked."))


@bp.post("/announcements/clear")
@admin_required
def clear_announcement() -> BaseResponse:
    """End a line's announcement in one language."""
    menu_id, lang = request.form.get("menu", "")[:64], request.form.get("lang", "")[:16]
    count = _services().announcements.clear(menu_id, g.user["username"], now(), lang or None)
    return redirect(url_for("dashboard.live.page", message=f"{count} announcement(s) cleared."))


@bp.get("/live.json")
def data() -> Any:
    """The live view's figures."""
    return jsonify(snapshot())


@bp.post("/agents/availability")
def availability() -> BaseResponse:
    """An agent says they are available or away (an admin may say it for anyone)."""
    number = request.form.get("number", "")[:32]
    if number not in {a["number"] for a in agents()}:
        abort(404, "That number is not an agent of any queue.")
    if g.user["role"] != "admin" and (g.user.get("phone") or "") != number:
        abort(403, "Agents set their own state only (their phone, on the account page).")
    available = request.form.get("available") == "1"
    _services().queues.set_available(number, available, g.user["username"], now())
    log.info("agent %s set %s by %s", phones.mask(number), "available" if available else "away",
             g.user["username"])
    return redirect(url_for("dashboard.live.page"))


@bp.post("/live/calls/<call_sid>/end")
@admin_required
def end_call(call_sid: str) -> BaseResponse:
    """End a stuck call through Twilio's REST API."""
    if not (call_sid.startswith(CALL_SID) and len(call_sid) == 34 and call_sid[2:].isalnum()):
        abort(404, "No such call.")
    from ivr.voicemail.setup import twilio_client_factory

    factory = twilio_client_factory(dict(current_app.config))
    if factory is None:
        abort(409, "No Twilio account is configured (TWILIO_ACCOUNT_SID): calls cannot be ended.")
    try:
        factory().calls(call_sid).update(status="completed")
    except Exception as exc:  # noqa: BLE001 - shown to the admin, who may retry
        log.warning("could not end call %s: %s", call_sid, type(exc).__name__)
        abort(502, f"Twilio did not end the call: {getattr(exc, 'msg', '') or type(exc).__name__}")
    log.info("call %s ended by %s", call_sid, g.user["username"])
    return redirect(url_for("dashboard.live.page", ended=call_sid))
