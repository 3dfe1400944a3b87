"""The admins' menu pages: each file's tree and diagram, the YAML editor, versions and rollback.

Everything goes through ``services.versions`` (ivr.menu.versions): a text is checked
exactly as `ivr check` would, a draft is kept even with errors, and only a text
without errors is ever published, so the live menu is untouched by a broken edit.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from ivr.dashboard import outline
from ivr.dashboard.auth import admin_required
from ivr.menu.loader import MenuError
from ivr.menu.source import Problem

bp = Blueprint("menus", __name__, url_prefix="/admin/menus")
MAX_NOTE = 500


def versions() -> Any:
    """The app's menu versions (ivr.menu.versions.MenuVersions)."""
    return current_app.extensions["ivr"].versions


def known_file(file: str) -> str:
    """``file`` if it is a menu file with a version or a draft; 404 otherwise."""
    if file not in versions().files():
        abort(404, f"There is no menu file {file}.")
    return file


def problem_json(problem: Problem) -> dict[str, Any]:
    """A problem as the editor shows it: line, column, severity, message and the full text."""
    return {"line": problem.where.line, "column": problem.where.column,
            "severity": problem.severity, "message": problem.message, "text": str(problem)}


def problems_reply(problems: list[Problem], **extra: Any) -> dict[str, Any]:
    """The JSON answer of check, save and publish."""
    errors = sum(1 for p in problems if p.severity == "error")
    return {"problems": [problem_json(p) for p in problems], "errors": errors,
            "warnings": len(problems) - errors, **extra}


def posted_text() -> str:
    """The menu text of a JSON or form request (line endings as the file keeps them)."""
    data = request.get_json(silent=True) if request.is_json else None
    text = (data or {}).get("text") if data is not None else request.form.get("text")
    if not isinstance(text, str):
        abort(400, "The request carried no menu text.")
    return text.replace("\r\n", "\n")


def author() -> str:
    """Who is making the change, as the history shows it."""
    return str(g.user["username"])


@bp.get("/")
@admin_required
def index() -> str:
    """Every menu file: its live version, whether a draft waits, and its problems."""
    store = versions()
    rows = []
    folder = {state.file: state for state in store.folder_states()}
    for file in store.files():
        live = store.live(file)
        name = ""
        if live is not None:
            try:
                name = store.menu_of(file, live.text).name
            except MenuError:
                name = ""
        rows.append({"file": file, "live": live, "draft": store.draft(file), "name": name,
                     "folder": folder.get(file)})
    return render_template("dashboard/admin_menus.html", rows=rows,
                           diverged=[s for s in folder.values() if s.diverged])


@bp.post("/<file>/adopt")
@admin_required
def adopt(file: str) -> BaseResponse:
    """Make the menus folder's file live over the version it diverged from (an admin's choice)."""
    known_file(file)
    result = versions().adopt_file(file, author())
    if not result.ok:
        flash(f"The folder's {file} was not made live: "
              + "; ".join(str(p) for p in result.problems[:3]), "error")
    elif result.unchanged:
        flash(f"The folder's {file} is the live version {result.version.number} already.")
    else:
        flash(f"The folder's {file} is live as version {result.version.number}.")
    return redirect(url_for("dashboard.menus.index"))


@bp.get("/<file>")
@admin_required
def overview(file: str) -> BaseResponse:
    """One file's tree, diagram and problems (``?draft=1``: the draft instead of the live)."""
    store = versions()
    known_file(file)
    live, draft = store.live(file), store.draft(file)
    showing_draft = request.args.get("draft") == "1" and draft is not None
    text = draft.text if showing_draft else (live.text if live else "")
    problems = store.check(file, text) if text else []
    tree = picture = None
    try:
        menu = store.menu_of(file, text) if text else None
    except MenuError:
        menu = None
    if menu is not None:
        tree = outline.build(menu, problems)
        picture = outline.dot(tree)
    page = make_response(render_template(
        "dashboard/admin_menus_overview.html", file=file, live=live, draft=draft,
        showing_draft=showing_draft, problems=problems, tree=tree, picture=picture))
    # The vendored Graphviz is WebAssembly: this page alone may compile it (still no eval).
    page.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src 'self' data:; "
        "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
    return page


@bp.get("/<file>/edit")
@admin_required
def edit(file: str) -> str:
    """The YAML editor on the draft (or the live text when there is no draft), with history."""
    store = versions()
    known_file(file)
    live, draft = store.live(file), store.draft(file)
    text = draft.text if draft else (live.text if live else "")
    return render_template("dashboard/admin_menus_edit.html", file=file, live=live, draft=draft,
                           text=text, history=store.history(file),
                           problems=store.check(file, text) if text else [])


@bp.post("/<file>/check")
@admin_required
def check(file: str) -> BaseResponse:
    """Check a text as you type: its problems with their lines (nothing is saved)."""
    known_file(file)
    return jsonify(problems_reply(versions().check(file, posted_text())))


@bp.post("/<file>/draft")
@admin_required
def save_draft(file: str) -> BaseResponse:
    """Keep the text as this file's draft, errors and all."""
    known_file(file)
    problems = versions().save_draft(file, posted_text(), author())
    return jsonify(problems_reply(problems, saved=True))


@bp.post("/<file>/draft/discard")
@admin_required
def discard_draft(file: str) -> BaseResponse:
    """Forget the draft; the editor opens on the live text again."""
    known_file(file)
    versions().discard_draft(file)
    flash("The draft was discarded.")
    return redirect(url_for("dashboard.menus.edit", file=file))


@bp.post("/<file>/publish")
@admin_required
def publish(file: str) -> tuple[BaseResponse, int]:
    """Publish the text with a note; 422 with the problems (nothing changes) when it has errors."""
    known_file(file)
    data = request.get_json(silent=True) if request.is_json else None
    note = str((data or request.form).get("note") or "")[:MAX_NOTE]
    text = posted_text()
    result = versions().publish(file, text, author(), note)
    version = result.version
    body = problems_reply(result.problems, ok=result.ok,
                          version=version.number if version else None,
                          unchanged=result.unchanged)
    if result.unchanged:
        body["message"] = (f"Nothing to publish: this text is the live version "
                           f"{version.number} already.")
        return jsonify(body), 200
    if not result.ok:
        # Refused text is kept as the draft, so leaving the page does not lose it.
        versions().save_draft(file, text, author())
        body["draft_saved"] = True
    if result.ok:
        flash(f"Version {version.number} of {file} is live.")
    return jsonify(body), (200 if result.ok else 422)


@bp.post("/<file>/rollback/<int:version_id>")
@admin_required
def rollback(file: str, version_id: int) -> BaseResponse:
    """Publish an earlier version's text again, as a new version."""
    known_file(file)
    result = versions().rollback(file, version_id, author())
    if not result.ok:
        flash("Rollback refused: " + "; ".join(str(p) for p in result.problems[:3]), "error")
    elif result.unchanged:
        flash(f"Nothing to roll back: that text is the live version {result.version.number}.")
    else:
        flash(f"Rolled back: version {result.version.number} is live.")
    return redirect(url_for("dashboard.menus.edit", file=file))


@bp.get("/<file>/diff/<int:version_id>")
@admin_required
def diff_by_id(file: str, version_id: int) -> BaseResponse:
    """Old links named a version by its row id: send them to its number's page."""
    known_file(file)
    version = versions().get(version_id)
    if version is None or version.file != file:
        abort(404, f"There is no such version of {file}.")
    return redirect(url_for("dashboard.menus.diff", file=file, number=version.number), 301)


@bp.get("/<file>/versions/<int:number>/diff")
@admin_required
def diff(file: str, number: int) -> str:
    """What version ``number`` changed since the one before it."""
    store = versions()
    known_file(file)
    version = next((v for v in store.history(file) if v.number == number), None)
    if version is None:
        abort(404, f"There is no version {number} of {file}.")
    older = next((v for v in store.history(file) if v.number < version.number), None)
    text = store.diff(older.text if older else "", version.text,
                      f"version {older.number}" if older else "(nothing)",
                      f"version {version.number}")
    return render_template("dashboard/admin_menus_diff.html", file=file, diff=text,
                           title=f"Version {version.number}", version=version)


@bp.get("/<file>/diff/draft")
@admin_required
def diff_draft(file: str) -> str:
    """What the draft would change in the live menu."""
    store = versions()
    known_file(file)
    live, draft = store.live(file), store.draft(file)
    if draft is None:
        abort(404, f"{file} has no draft.")
    text = store.diff(live.text if live else "", draft.text,
                      f"live (version {live.number})" if live else "(nothing)", "draft")
    return render_template("dashboard/admin_menus_diff.html", file=file, diff=text,
                           title="Draft against live", version=None)
