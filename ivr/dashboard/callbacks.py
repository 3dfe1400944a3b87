"""The callbacks queue, "Call back" (from a callback or a voicemail) and a caller's history."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from ivr import phones
from ivr.answer.calls import OUTCOME_TEXT, outbox_key, whisper_text
from ivr.answer.texts import Target
from ivr.dashboard.desk import desk, now
from ivr.dashboard.journey import describe, node_name
from ivr.dashboard.states import beside, recording_state, transcript_state
from ivr.dashboard.texts import ANSWERED, TARGETS, texts_panel
from ivr.menu.model import Menu

bp = Blueprint("callbacks", __name__)
TABS = {"now": "Due now", "later": "Later", "done": "Done"}
LANGUAGE_NAMES = {"en": "English", "fr": "French", "ro": "Romanian"}


def answering() -> Any:
    """The app's answering services (ivr.answer.setup.Answering)."""
    return current_app.extensions["answer"]


def _menu(menu_id: str | None) -> Menu | None:
    found: Menu | None = current_app.extensions["ivr"].catalog.menus.get(menu_id or "")
    return found


def get_callback(callback_id: int) -> dict[str, Any]:
    """One callback request, or 404."""
    found: dict[str, Any] | None = answering().callbacks.get(callback_id)
    if found is None:
        abort(404, f"There is no callback request {callback_id}.")
    return found


def _names(rows: list[dict[str, Any]], *keys: str) -> dict[int, str]:
    ids = {r[k] for r in rows for k in keys if r.get(k)}
    found: dict[int, str] = desk().users.usernames(ids)
    return found


@bp.get("/callbacks")
def queue() -> str:
    """The queue: due now or later (oldest first), or done (newest first)."""
    tab = request.args.get("tab", "now")
    if tab not in TABS:
        abort(400, f"Unknown tab {tab!r}.")
    moment = now()
    rows = answering().callbacks.queue(tab, moment)
    return render_template("dashboard/callbacks.html", tab=tab, tabs=TABS, rows=rows,
                           counts=answering().callbacks.counts(moment),
                           names=_names(rows, "claimed_by", "closed_by"), outcomes=OUTCOME_TEXT)


def _reason(item: Mapping[str, Any]) -> dict[str, Any] | None:
    """The voicemail row that holds a request's recorded reason, if any."""
    sid = item.get("reason_recording_sid")
    found: dict[str, Any] | None = desk().voicemails.by_recording(sid) if sid else None
    return found


@bp.get("/callbacks/<int:callback_id>")
def callback(callback_id: int) -> str:
    """One request: the number, language, reason (audio, transcript), path, attempts, Call back."""
    return _page(callback_id)


def _page(callback_id: int, problem: str = "") -> str:
    """A request's page, with what stopped a call back if something did."""
    item = get_callback(callback_id)
    menu = _menu(item.get("menu"))
    lang = item.get("lang") or (menu.default_language if menu is not None else "en")
    reason = _reason(item)
    attempts = answering().calls.for_item("callback", callback_id)
    recording = recording_state(reason, desk().voicemails.has_media(reason["id"])) \
        if reason else None
    return render_template(
        "dashboard/callback.html", cb=item, menu=menu, reason=reason,
        transcript=beside(transcript_state(reason, menu, now()), recording) if reason and recording
        else None,
        recording=recording,
        journey=[describe(step, menu, lang) for step in item.get("journey") or []],
        attempts=attempts, outcomes=OUTCOME_TEXT,
        names=_names([item, *attempts], "claimed_by", "closed_by", "user_id"), problem=problem,
        texts=texts_panel("callback", callback_id, lang, item.get("call_sid")))


def _callback_target(callback_id: int) -> Target | None:
    """A callback request as the target of a reply by text: the number the caller confirmed."""
    found: dict[str, Any] | None = answering().callbacks.get(callback_id)
    if found is None:
        return None
    return Target("callback", callback_id, str(found.get("number") or ""),
                  str(found.get("lang") or ""), str(found.get("menu") or ""))


def _callback_page(callback_id: int) -> str:
    return url_for("dashboard.callbacks.callback", callback_id=callback_id, _anchor="texts")


def _callback_answered(callback_id: int, user_id: int) -> None:
    """A reply by text answers the request: done, "Answered by text", with who and when."""
    answering().callbacks.close(callback_id, user_id, "texted", now())


TARGETS["callback"] = (_callback_target, _callback_page)
ANSWERED["callback"] = _callback_answered


def about(item: Mapping[str, Any], menu: Menu | None, reason: Mapping[str, Any] | None) -> str:
    """What the call is about, for the whisper: the reason's transcript, else where they were."""
    if reason and reason.get("transcript_status") == "completed" and reason.get("transcript"):
        text = " ".join(str(reason["transcript"]).split())
        return text if len(text) <= 80 else text[:77].rsplit(" ", 1)[0] + "..."
    journey = item.get("journey") or []
    skip = {item.get("node")}
    for step in reversed(journey):
        node = str(step.get("node") or "")
        if node in skip or menu is None or node not in menu.nodes or node == menu.main:
            continue
        name = node_name(menu, node, "en")
        if name and menu.nodes[node].kind not in ("hours", "language", "callback", "voicemail"):
            return name
    return ""


def _call(kind: str, item_id: int, number: str, menu_id: str | None, lang: str | None,
          to_number: str | None, about_text: str) -> str | None:
    """Start an agent's call to ``number``; None, or what stops it (shown to the agent)."""
    agent = desk().users.user(g.user["id"]) or {}
    agent_phone = str(agent.get("phone") or "")
    if not agent_phone:
        return "Add your phone number on your account page first: the call rings it."
    caller = phones.check(number)
    if not caller.ok:
        return f"This caller's number cannot be called: {caller.refused}."
    ours = phones.check(answering().from_number or to_number or "")
    if not ours.e164:
        return ("No number to call from: set IVR_CALLBACK_FROM to a number of your Twilio "
                "account.")
    language = (LANGUAGE_NAMES.get((lang or "").split("-")[0]) or lang or "")
    base = str(current_app.config.get("IVR_PUBLIC_URL") or "").rstrip("/") or \
        request.host_url.rstrip("/")
    attempt_id = answering().calls.start(
        item_kind=kind, item_id=item_id, user_id=g.user["id"], agent_phone=agent_phone,
        caller_number=caller.e164, from_number=ours.e164,
        whisper=whisper_text(caller.e164, language, about_text), menu=menu_id, lang=lang,
        base_url=base, now=now())
    # Placed at once while the agent waits; a failure is retried by the outbox with backoff.
    current_app.extensions["ivr"].sender.send_now(outbox_key(attempt_id))
    return None


@bp.post("/callbacks/<int:callback_id>/call")
def call_back(callback_id: int) -> BaseResponse | tuple[str, int]:
    """Ring the agent's phone, then bridge the caller (one agent at a time per request)."""
    item = get_callback(callback_id)
    if item["closed_at"] is not None:
        return _refused(callback_id, "This callback is already done.", 409)
    agent = desk().users.user(g.user["id"]) or {}
    if not agent.get("phone"):
        return _refused(callback_id, "Add your phone number on your account page first: "
                        "the call rings it.", 400)
    if not answering().callbacks.claim(callback_id, g.user["id"], now()):
        return _refused(callback_id, "Another agent is already calling this caller.", 409)
    menu = _menu(item.get("menu"))
    problem = _call("callback", callback_id, item["number"], item.get("menu"), item.get("lang"),
                    item.get("to_number"), about(item, menu, _reason(item)))
    if problem:
        answering().callbacks.release(callback_id, "not_placed", now())
        return _refused(callback_id, problem, 400)
    return redirect(url_for("dashboard.callbacks.callback", callback_id=callback_id))


def _refused(callback_id: int, problem: str, status: int) -> tuple[str, int]:
    """The request's page again, saying why the call did not start."""
    return _page(callback_id, problem), status


@bp.post("/callbacks/<int:callback_id>/close")
def close(callback_id: int) -> BaseResponse:
    """Close a request without calling (the caller was reached another way)."""
    get_callback(callback_id)
    answering().callbacks.close(callback_id, g.user["id"], "closed", now())
    return redirect(url_for("dashboard.callbacks.callback", callback_id=callback_id))


@bp.post("/voicemails/<int:voicemail_id>/call")
def call_voicemail(voicemail_id: int) -> BaseResponse:
    """"Call back" from a voicemail: ring the agent, then bridge the caller."""
    vm = desk().voicemails.get(voicemail_id)
    if vm is None:
        abort(404, f"There is no voicemail {voicemail_id}.")
    if answering().calls.active("voicemail", voicemail_id, now()):
        problem = "A call back on this voicemail is already under way."
    else:
        problem = _call("voicemail", voicemail_id, vm.get("from_number") or "", vm.get("menu"),
                        vm.get("lang"), vm.get("to_number"),
                        about(vm, _menu(vm.get("menu")), vm)) or ""
    return redirect(url_for("dashboard.inbox.voicemail", voicemail_id=voicemail_id,
                            call_problem=problem or None))


@bp.get("/callers/<number>")
def caller(number: str) -> str:
    """One caller's history by number: calls, voicemails, callback requests, calls back."""
    checked = phones.check(number)
    if not checked.e164:
        abort(404, "That is not a phone number.")
    e164 = checked.e164
    history = answering().callbacks.history(e164)
    attempts = answering().calls.for_number(e164)
    return render_template("dashboard/caller.html", number=e164, calls=history["calls"],
                           voicemails=desk().voicemails.for_number(e164),
                           callbacks=history["callbacks"], attempts=attempts,
                           outcomes=OUTCOME_TEXT, names=_names(attempts, "user_id"))
