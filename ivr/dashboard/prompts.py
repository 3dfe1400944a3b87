"""The admins' recorded prompts: per menu, which node and language has a recording; uploads.

A menu names each recording with ``audio:`` (a path under the prompts folder); a
prompt without one is spoken with <Say>. An upload goes to the path the live menu
names (never a path sent by the browser), or, for a prompt that names none yet,
to a suggested ``<menu>/<language>/<node>.wav`` that the admin then adds in the editor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy.exc import SQLAlchemyError

from ivr.dashboard import audio
from ivr.dashboard.auth import admin_required
from ivr.menu.loader import MenuError
from ivr.menu.model import Menu

bp = Blueprint("prompts", __name__, url_prefix="/admin/prompts")
PLAYABLE = {".wav": "wav", ".mp3": "mp3"}


@dataclass(frozen=True)
class Cell:
    """One prompt in one language: its text and its recording (declared or suggested)."""

    node: str
    label: str
    lang: str
    text: str
    path: str  # under the prompts folder
    declared: bool  # the menu names this file with audio:
    exists: bool

    @property
    def url(self) -> str:
        """Where the browser (and Twilio) fetch it."""
        return "/prompts/" + quote(self.path)

    @property
    def key(self) -> str:
        """An HTML id for the cell."""
        return re.sub(r"[^A-Za-z0-9_-]", "-", f"p-{self.node}-{self.label}-{self.lang}")


def services() -> Any:
    """The app's shared services."""
    return current_app.extensions["ivr"]


def live_menu(file: str) -> Menu:
    """The live menu of ``file``, or 404."""
    store = services().versions
    version = store.live(file) if file in store.files() else None
    if version is None:
        abort(404, f"{file} has no live version.")
    try:
        menu: Menu = store.menu_of(file, version.text)
    except MenuError:
        abort(404, f"The live version of {file} does not load.")
    return menu


def suggested_path(menu: Menu, node: str, label: str, lang: str) -> str:
    """Where a new recording of a prompt goes when the menu names no file yet."""
    suffix = "" if label == "say" else "_" + re.sub(r"[^A-Za-z0-9]+", "_", label).strip("_")
    return f"{menu.id}/{lang}/{node}{suffix}.wav"


def cells(menu: Menu) -> list[tuple[str, str, list[Cell]]]:
    """(node, prompt label, one cell per language) for every prompt, in file order."""
    folder = services().prompts_dir
    rows = []
    for node in sorted(menu.nodes.values(), key=lambda n: n.where.line):
        for label, prompt in node.prompts():
            row = []
            for lang in menu.languages:
                spoken = prompt.versions.get(lang) or prompt.versions.get("*")
                text = spoken.text or "" if spoken else ""
                declared = bool(spoken and spoken.audio)
                if spoken and spoken.audio:
                    path = spoken.audio
                else:  # an upload made before the menu names it may be WAV or MP3
                    path = suggested_path(menu, node.id, label, lang)
                    mp3 = str(PurePosixPath(path).with_suffix(".mp3"))
                    path = mp3 if (folder / mp3).is_file() else path
                row.append(Cell(node.id, label, lang, text, path, declared,
                                (folder / path).is_file()))
            rows.append((node.id, label, row))
    return rows


def render(file: str, menu: Menu, error: str | None = None, status: int = 200) -> tuple[str, int]:
    """The prompts table (with an upload's error, when there is one)."""
    table = cells(menu)
    declared = [c for _, _, row in table for c in row if c.declared]
    page = render_template("dashboard/admin_prompts.html", file=file, menu=menu, rows=table,
                           declared=len(declared), missing=sum(not c.exists for c in declared),
                           error=error, max_bytes=int(current_app.config["IVR_PROMPT_MAX_BYTES"]))
    return page, status


@bp.get("/<file>")
@admin_required
def table(file: str) -> tuple[str, int]:
    """Every prompt of a menu per node and language, with its recording or what is missing."""
    return render(file, live_menu(file))


@bp.post("/<file>/upload")
@admin_required
def upload(file: str) -> Any:
    """Store an uploaded recording for one node's prompt in one language."""
    menu = live_menu(file)
    node, label, lang = (request.form.get(k, "") for k in ("node", "label", "lang"))
    found = next((c for _, _, row in cells(menu) for c in row
                  if (c.node, c.label, c.lang) == (node, label, lang)), None)
    if found is None:
        abort(404, f"{file} has no prompt {node}.{label} in {lang or '?'}.")
    sent = request.files.get("audio")
    if sent is None or not sent.filename:
        return render(file, menu, "Choose a recording to upload.", 400)
    limit = int(current_app.config["IVR_PROMPT_MAX_BYTES"])
    try:
        recording = audio.prepare(sent.stream.read(limit + 1), limit)
        path = _target(found, recording.kind)
        audio.store(services().prompts_dir, path, recording.data)
    except audio.AudioRejected as exc:
        return render(file, menu, f"{node} ({lang}): {exc}", 400)
    message = f"Recorded prompts/{path} for {node} ({lang})."
    try:  # the other instances copy it from the database
        services().prompt_uploads.add(path, recording.data, g.user["username"])
    except SQLAlchemyError:
        message += (" The database did not take it, so only this instance has it: upload it "
                    "again once the database is back.")
    if recording.note:
        message += f" It was {recording.note}."
    if not found.declared:
        message += f" Add  audio: {path}  to that prompt in the editor to play it to callers."
    flash(message)
    return redirect(url_for("dashboard.prompts.table", file=file) + f"#{found.key}")


def _target(cell: Cell, kind: str) -> str:
    """The file to write: the declared one (if the kinds match), else the suggestion."""
    suffix = PurePosixPath(cell.path).suffix.lower()
    if cell.declared:
        if PLAYABLE.get(suffix) != kind:
            raise audio.AudioRejected(
                f"The menu plays prompts/{cell.path}, so upload a {suffix.lstrip('.').upper()} "
                f"file (this one is {kind.upper()}), or change its audio: path in the editor.")
        return cell.path
    return str(PurePosixPath(cell.path).with_suffix("." + kind))
