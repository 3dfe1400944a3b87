"""Public, unsigned routes: recorded prompts for Twilio to fetch, health, metrics, the home page."""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, send_from_directory

bp = Blueprint("site", __name__)
AUDIO_TYPES = {".wav": "audio/wav", ".mp3": "audio/mpeg", ".aiff": "audio/aiff",
               ".gsm": "audio/x-gsm", ".ulaw": "audio/basic"}


@bp.get("/prompts/<path:filename>")
def prompt(filename: str) -> Response:
    """A recorded prompt (Twilio fetches it for <Play>); only audio files are served."""
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix not in AUDIO_TYPES:
        return Response("Not found\n", 404, mimetype="text/plain")
    folder = current_app.extensions["ivr"].prompts_dir
    response = send_from_directory(folder, filename, mimetype=AUDIO_TYPES[suffix], max_age=300)
    return response


def _local_request() -> bool:
    """A request from this machine itself, not relayed by a proxy on it."""
    forwarded = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")
    trusted = int(current_app.config.get("IVR_TRUSTED_PROXIES") or 0)
    if not trusted and any(name in request.environ for name in forwarded):
        return False  # a proxy on this machine relays everyone: its address says nothing
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def _metrics_bearer() -> bool:
    """The scraper's bearer token (IVR_METRICS_TOKEN), when one is set."""
    token = str(current_app.config.get("IVR_METRICS_TOKEN") or "")
    sent = request.headers.get("Authorization", "").encode("utf-8", "replace")
    return bool(token) and hmac.compare_digest(sent, f"Bearer {token}".encode())


def may_see_details() -> bool:
    """Menus, numbers and errors are for this machine, a dashboard admin or the scraper."""
    from ivr.dashboard.auth import signed_in_admin

    return _local_request() or _metrics_bearer() or signed_in_admin()


@bp.get("/healthz")
def health() -> tuple[Response, int]:
    """Is this instance able to answer calls? 200 when yes, 503 when not (reasons for insiders)."""
    from ivr.ops.health import plausible_auth_token, schema_state

    svc = current_app.extensions["ivr"]
    problems: list[str] = []
    report: dict[str, Any] = {}
    svc.catalog.maybe_reload()
    menus = svc.catalog.menus
    report["menus"] = {m.id: m.version for m in menus.values()}
    if not menus:
        problems.append("no menu is loaded: calls cannot be answered")
    menu_problems = [str(p) for p in svc.catalog.problems]
    report["menu_problems"] = menu_problems
    token = str(current_app.config.get("TWILIO_AUTH_TOKEN") or "")
    report["auth_token"] = "development" if current_app.config.get("IVR_DEV_TOKEN") else bool(token)
    if not token:
        problems.append("TWILIO_AUTH_TOKEN is not set: every webhook is refused (403)")
    elif not plausible_auth_token(token):
        report["auth_token"] = "implausible"
        problems.append("TWILIO_AUTH_TOKEN is not 32 hexadecimal characters: Twilio's "
                        "signatures will not match and every webhook is refused (403)")
    try:
        svc.store.ping()
        report["database"] = "ok"
        report["schema"] = schema_state(svc.store.engine)
        if report["schema"] != "head":
            problems.append(f"database schema is not at the latest migration ({report['schema']}): "
                            "run `ivr db upgrade`")
    except Exception as exc:  # noqa: BLE001 - report any database failure
        report["database"] = f"unreachable: {type(exc).__name__}"
        problems.append("database unreachable: journeys and voicemail reports wait in the "
                        "local spool until it returns")
    report["journey_backlog"] = svc.recorder.backlog()  # shared by every worker
    try:
        from ivr.notify import backlog

        report["outbox_backlog"] = backlog(svc.store.engine)
    except Exception:  # noqa: BLE001 - already reported as a database problem
        report["outbox_backlog"] = None
    report["voicemail_spool"] = len(svc.intake.pending()) if svc.intake else 0
    unwritable = svc.intake.spool_problem() if svc.intake else None
    if unwritable:
        problems.append(f"voicemail spool cannot be written ({unwritable}): with the database "
                        "down a voicemail could not be kept here (Twilio is asked to retry; "
                        "run `ivr voicemail reconcile` once both are back)")
    # Reports the database refused are kept aside: calls go on, but a person must look.
    set_aside = svc.intake.quarantine_count() if svc.intake else 0
    report["voicemail_quarantine"] = set_aside
    report["warnings"] = [f"{set_aside} voicemail report(s) the database refused are set aside: "
                          "see Admin > Failed notifications in the dashboard"] if set_aside else []
    # Files in the menus folder that differ from a live version published since: not imported.
    diverged = [state.describe() for state in svc.catalog.divergences]
    report["menu_files_diverged"] = diverged
    report["warnings"].extend(diverged)
    transcription = svc.transcripts.settings
    report["transcriber"] = transcription.engine
    if transcription.problem():  # calls go on; messages wait for their transcripts
        report["warnings"].append(f"transcription: {transcription.problem()}")
    report["public_url"] = current_app.config.get("IVR_PUBLIC_URL") or None
    report["problems"] = problems
    report["status"] = "ok" if not problems else "degraded"
    if not may_see_details():
        report = {"status": report["status"]}
    return jsonify(report), (200 if not problems else 503)


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus metrics, for a scraper holding IVR_METRICS_TOKEN (see docs/deploy.md)."""
    from ivr.ops import metrics as ops_metrics

    token = str(current_app.config.get("IVR_METRICS_TOKEN") or "")
    if not token and current_app.config.get("IVR_ENV") == "production":
        return Response("Not found: set IVR_METRICS_TOKEN to turn /metrics on\n", 404,
                        mimetype="text/plain")
    if token:
        sent = request.headers.get("Authorization", "").encode("utf-8", "replace")
        if not hmac.compare_digest(sent, f"Bearer {token}".encode()):
            return Response("Unauthorized\n", 401, mimetype="text/plain",
                            headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    from ivr.notify import backlog

    engine = current_app.extensions["ivr"].store.engine
    body = ops_metrics.render([ops_metrics.Backlog(lambda: backlog(engine))])
    return Response(body, 200, content_type=ops_metrics.CONTENT_TYPE)


@bp.get("/")
def home() -> Response:
    """A plain page saying what this service is and where Twilio should point."""
    text = (
        "IVR help desk is running.\n"
        "Point your Twilio number's 'A call comes in' webhook (HTTP POST) at /voice\n"
        "and its call status callback at /voice/status.\n"
    )
    if may_see_details():  # which menus answer which numbers: not for the whole internet
        svc = current_app.extensions["ivr"]
        menus = ", ".join(f"{m.id} ({', '.join(m.numbers) or 'default'})"
                          for m in svc.catalog.menus.values())
        text += f"Menus: {menus or 'none loaded'}\n"
    return Response(text + "Health: /healthz\n", 200, mimetype="text/plain")
