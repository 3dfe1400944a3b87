"""Admins export or erase everything kept about one caller's number (the caller's request)."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, g, render_template, request

from ivr.dashboard.auth import admin_required

bp = Blueprint("privacy", __name__, url_prefix="/admin/privacy")
CONFIRM = "ERASE"


def _page(status: int = 200, **values: Any) -> tuple[str, int]:
    return render_template("dashboard/admin_privacy.html", confirm=CONFIRM, **values), status


def _number() -> str | None:
    from ivr.privacy import normalized

    try:
        return normalized(request.form.get("number", "")[:40])
    except ValueError:
        return None


@bp.get("/")
@admin_required
def index() -> tuple[str, int]:
    """The form: a caller's number, then export or erase."""
    return _page()


@bp.post("/export")
@admin_required
def export() -> Any:
    """Everything kept about the number, as a JSON download."""
    from ivr.privacy.service import export_caller

    number = _number()
    if number is None:
        return _page(400, error="Write the caller's number with its country code, "
                     "like +33 6 12 34 56 78.")
    data = export_caller(current_app.extensions["ivr"], number)
    current_app.logger.warning("privacy: %s exported what is kept about a caller's number",
                               g.user["username"])
    body = json.dumps(data, default=str, indent=1, sort_keys=True)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="caller-{number.lstrip("+")}.json"'})


@bp.post("/erase")
@admin_required
def erase() -> tuple[str, int]:
    """Erase everything kept about the number, once the admin typed the confirmation word."""
    from ivr.privacy.service import erase_caller

    number = _number()
    if number is None:
        return _page(400, error="Write the caller's number with its country code, "
                     "like +33 6 12 34 56 78.")
    if request.form.get("confirm", "").strip() != CONFIRM:
        return _page(400, error=f"Type {CONFIRM} to confirm: erasing cannot be undone.",
                     number=number)
    erased = erase_caller(current_app.extensions["ivr"], number, g.user["username"])
    message = f"Erased: {erased.summary()}."
    if erased.kept_at_twilio:
        return _page(502, error=message + f" {erased.kept_at_twilio} recording(s) could not be "
                     "deleted at Twilio: erase again.")
    return _page(message=message)
