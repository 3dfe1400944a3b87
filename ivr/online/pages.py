"""The public help pages: a line's topics and answers, its opening hours and a search box.

Server-rendered HTML, no script: every page is a plain GET, readable on any phone, in
the menu's languages only (``?lang=``, else the browser's Accept-Language, else the
menu's default). A question typed in the box is understood as the phone understands a
spoken request (``ivr.online.answers.ask``).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request

from ivr.menu.model import Menu
from ivr.online import answers
from ivr.online.tokens import form_token
from ivr.online.words import opening_line, words

bp = Blueprint("online", __name__, template_folder="templates", static_folder="static",
               static_url_path="/help/static")
MENU_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")


def services() -> Any:
    """The app's shared services."""
    return current_app.extensions["ivr"]


def menu_or_404(menu_id: str) -> Menu:
    """A published menu by id (never a draft), or 404."""
    from ivr.menu.versions import DRAFT_PREFIX

    if not MENU_ID.match(menu_id) or menu_id.startswith(DRAFT_PREFIX):
        abort(404)
    svc = services()
    svc.catalog.maybe_reload()
    menu: Menu | None = svc.catalog.get(menu_id)
    if menu is None:
        abort(404)
    return menu


def page_language(menu: Menu) -> str:
    """``?lang=`` when the menu speaks it, else the browser's first it speaks, else its own."""
    accepted = [value for value, _ in request.accept_languages]
    return answers.choose_language(menu, request.args.get("lang", "")[:16], accepted)


def render(template: str, menu: Menu, lang: str, status: int = 200, **context: Any) -> Response:
    """A help page with what every page shows: the business, its hours, the languages."""
    now = services().clock()
    hours = [(o.open, opening_line(o.open, o.until, o.opens, now, lang))
             for o in answers.openings(menu, now)]
    body = render_template(f"online/{template}", menu=menu, lang=lang, w=words(lang),
                           hours=hours, languages=[code for code in menu.languages
                                                   if code != lang], **context)
    response = Response(body, status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Content-Language"] = lang
    response.headers["Vary"] = "Accept-Language"
    response.headers["X-Frame-Options"] = "DENY"
    if request.method != "GET":
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/help/<menu_id>")
def home(menu_id: str) -> Response:
    """A line's help page: every topic as the menu orders it, with its answers."""
    menu = menu_or_404(menu_id)
    lang = page_language(menu)
    return render("help.html", menu, lang, topics=answers.outline(menu, lang))


@bp.get("/help/<menu_id>/topic/<node_id>")
def topic(menu_id: str, node_id: str) -> Response:
    """One topic of a line, with its answer (what a search's candidates link to)."""
    menu = menu_or_404(menu_id)
    lang = page_language(menu)
    if not MENU_ID.match(node_id) or node_id not in menu.nodes or \
            menu.nodes[node_id].kind in answers.HIDDEN_KINDS:
        abort(404)
    query = " ".join(request.args.get("q", "").split())[:200]
    results: list[str] = []
    outcome = ""
    node = menu.nodes[node_id]
    if node.kind == "search" and query:
        from ivr.nodes.search import SearchNode
        from ivr.online.finder import find

        assert isinstance(node, SearchNode)
        kind, results = find(menu, node, query, lang, services().clock(), services().lookups)
        outcome = "" if kind == "found" else f"search_{kind}"
    return render("topic.html", menu, lang, found=answers.topic(menu, node_id, lang),
                  token=form_token(menu), outcome=outcome, answer_text="", query=query,
                  results=results)


@bp.get("/help/<menu_id>/search")
def search(menu_id: str) -> Response:
    """A question in the visitor's words: the answer, two or three candidates, or nothing."""
    menu = menu_or_404(menu_id)
    lang = page_language(menu)
    question = " ".join(request.args.get("q", "")[:answers.MAX_QUESTION].split())
    now = services().clock()
    reply = answers.ask(menu, lang, question, now)
    if question:
        from ivr.online.activity import record, session_of

        record(current_app.extensions["online"].writer, "web", session_of("web"), menu.id,
               reply.steps, now)
    found = answers.topic(menu, reply.target, lang) if reply.kind == "answer" else None
    options = [answers.topic(menu, t, lang) for t in reply.candidates if t in menu.nodes]
    return render("search.html", menu, lang, reply=reply, found=found, options=options,
                  question=question)
