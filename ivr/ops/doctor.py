"""`ivr doctor`: the whole configuration checked the way a call would use it, with advice.

Each check gives a Finding: ok, warn (works, but worth a look) or fail (calls would be
refused, lost or mishandled). The signed-request check drives the app's own /voice
in-process, signed with the configured token at the public URL, so a token or URL
mismatch shows here instead of as every caller hearing Twilio's "application error".
That test call is not recorded: the journey writer is swapped for one that discards.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from ivr.ops.health import plausible_account_sid, plausible_auth_token, schema_state

AUDIO_SUFFIXES = (".wav", ".mp3", ".aiff", ".gsm", ".ulaw")
DOCTOR_CALL_SID = "CA" + "d0c70" * 6 + "00"  # recognisable in any log it reaches


@dataclass(frozen=True)
class Finding:
    """The outcome of one check: ``ok``, ``warn`` or ``fail``, and what to do about it."""

    status: str
    topic: str
    detail: str
    advice: str = ""


def ok(topic: str, detail: str) -> Finding:
    """A check that passed."""
    return Finding("ok", topic, detail)


def warn(topic: str, detail: str, advice: str = "") -> Finding:
    """Works, but worth a look."""
    return Finding("warn", topic, detail, advice)


def fail(topic: str, detail: str, advice: str) -> Finding:
    """Calls would be refused, lost or mishandled."""
    return Finding("fail", topic, detail, advice)


def diagnose(overrides: Mapping[str, Any] | None = None) -> list[Finding]:
    """Build the app as the web process would (worker off) and check everything."""
    from ivr import create_app
    from ivr.config import ConfigError

    try:
        app = create_app({**(overrides or {}), "IVR_WORKER_IN_APP": "false"})
    except ConfigError as exc:
        return [fail("configuration", str(exc), "fix the setting above, then run ivr doctor "
                     "again")]
    try:
        return [*check_public_url(app.config), *check_proxies(app.config), *check_token(app.config),
                *check_signed_request(app), *check_database(app), *check_menus(app),
                *check_prompts(app), *check_backlog(app), *check_metrics(app.config),
                *check_texts(app.config)]
    finally:
        svc = app.extensions["ivr"]
        svc.catalog.close()  # the signed request started its reload thread: stop it
        svc.recorder.close()
        svc.store.dispose()


def check_public_url(config: Mapping[str, Any]) -> list[Finding]:
    """IVR_PUBLIC_URL: set and https in production (Twilio signs the URL it calls)."""
    url = str(config.get("IVR_PUBLIC_URL") or "")
    production = config.get("IVR_ENV") == "production"
    proxies = int(config.get("IVR_TRUSTED_PROXIES") or 0)
    if not url:
        if not production:
            return [ok("public URL", "not set (fine outside production)")]
        if proxies:
            return [warn("public URL", f"not set; the URL comes from {proxies} trusted "
                         "proxy(ies)' X-Forwarded-* headers, which this check cannot see",
                         "set IVR_PUBLIC_URL=https://your.host to make the URL certain")]
        return [fail("public URL", "IVR_PUBLIC_URL is not set",
                     "set IVR_PUBLIC_URL to the https base URL configured at Twilio, e.g. "
                     "https://ivr.example.org: behind a TLS proxy signatures will not match")]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        return [fail("public URL", f"{url!r} is not an absolute http(s) base URL",
                     "set IVR_PUBLIC_URL like https://ivr.example.org (no query string)")]
    if production and parts.scheme != "https":
        return [fail("public URL", f"{url} is not https",
                     "serve the app over TLS (a proxy is fine) and set IVR_PUBLIC_URL to its "
                     "https:// URL: callers' numbers and keys travel in these requests")]
    return [ok("public URL", url)]


def check_proxies(config: Mapping[str, Any]) -> list[Finding]:
    """Forwarded headers: believed only from the proxy's addresses, never from anyone."""
    proxies = int(config.get("IVR_TRUSTED_PROXIES") or 0)
    if not proxies:
        return []
    addresses = str(config.get("IVR_PROXY_ADDRESSES") or "")
    if "*" in [item.strip() for item in addresses.split(",")]:
        return [warn("proxies", f"IVR_TRUSTED_PROXIES={proxies} with IVR_PROXY_ADDRESSES=*: "
                     "anyone who reaches the app directly chooses the address it is counted "
                     "under and the URL it believes it has",
                     "set IVR_PROXY_ADDRESSES to the proxy's addresses, or IVR_PUBLIC_URL and "
                     "make sure only the proxy can reach the app")]
    return [ok("proxies", f"X-Forwarded-* believed from {addresses} only")]


def check_token(config: Mapping[str, Any]) -> list[Finding]:
    """The auth token (present, the right shape, not the development one in production)."""
    findings: list[Finding] = []
    token = str(config.get("TWILIO_AUTH_TOKEN") or "")
    if config.get("IVR_DEV_TOKEN"):
        findings.append(warn("auth token", "a generated development token: real Twilio "
                             "requests will be refused (403)",
                             "set TWILIO_AUTH_TOKEN before taking real calls"))
    elif not plausible_auth_token(token):
        findings.append(fail("auth token", "TWILIO_AUTH_TOKEN is not 32 hexadecimal characters",
                             "copy the account's Auth Token from the Twilio console (an API "
                             "key secret cannot check webhook signatures)"))
    else:
        findings.append(ok("auth token", f"set ({token[:4]}...)"))
    sid = str(config.get("TWILIO_ACCOUNT_SID") or "")
    if not sid:
        findings.append(warn("account SID", "TWILIO_ACCOUNT_SID is not set: SMS "
                             "notifications, recording downloads and `ivr twilio connect` "
                             "need it", "set TWILIO_ACCOUNT_SID=AC..."))
    elif not plausible_account_sid(sid):
        findings.append(fail("account SID", f"{sid[:6]}... is not AC and 32 hexadecimal "
                             "characters", "copy the Account SID from the Twilio console"))
    else:
        findings.append(ok("account SID", sid[:6] + "..."))
    return findings


class _Discard:
    """A journey writer that writes nothing: the doctor's test call leaves no trace."""

    pending = 0

    def call_started(self, row: dict[str, Any]) -> None:
        """Dropped."""

    def steps(self, rows: list[dict[str, Any]]) -> None:
        """Dropped."""

    def status(self, row: dict[str, Any]) -> None:
        """Dropped."""

    def flush(self) -> bool:
        """Nothing to write."""
        return True


def check_signed_request(app: Flask) -> list[Finding]:
    """POST /voice signed as Twilio would sign it at the public URL; it must be answered."""
    from twilio.request_validator import RequestValidator

    svc = app.extensions["ivr"]
    base = str(app.config.get("IVR_PUBLIC_URL") or "http://localhost").rstrip("/")
    menus = list(svc.catalog.menus.values())
    called = next((n for m in menus for n in m.numbers), "+15005550006")
    params = {"CallSid": DOCTOR_CALL_SID, "AccountSid": "AC" + "0" * 32, "From": "+15005550006",
              "To": called, "CallStatus": "ringing", "ApiVersion": "2010-04-01",
              "Direction": "inbound"}
    token = str(app.config.get("TWILIO_AUTH_TOKEN") or "")
    signature = RequestValidator(token).compute_signature(f"{base}/voice", params)
    real, svc.recorder = svc.recorder, _Discard()
    try:
        response = app.test_client().post("/voice", base_url=base, data=params,
                                          headers={"X-Twilio-Signature": signature})
    finally:
        svc.recorder = real
    body = response.get_data(as_text=True)
    if response.status_code == 403:
        return [fail("signed request", f"POST {base}/voice signed with the token was refused",
                     "IVR_PUBLIC_URL must be exactly the base URL Twilio calls, and "
                     "TWILIO_AUTH_TOKEN the account's current token")]
    if response.status_code != 200 or "<Response" not in body:
        return [fail("signed request", f"POST {base}/voice answered HTTP "
                     f"{response.status_code} without TwiML", "see the log lines above")]
    if "<Gather" not in body and "<Redirect" not in body:
        return [fail("signed request", f"POST {base}/voice answered an apology, not a menu",
                     "see the log lines above: the menu for the number did not start")]
    callbacks = re.findall(r'(?:action|url)="([^"]+)"', body)
    wrong = [u for u in callbacks if "/voice" in u and not u.startswith(base + "/")]
    if wrong:
        return [fail("signed request", f"callbacks point at {wrong[0].split('?')[0]}, not "
                     f"under {base}", "set IVR_PUBLIC_URL (or IVR_TRUSTED_PROXIES) so the "
                     "app builds the URLs Twilio must call back")]
    return [ok("signed request", f"POST {base}/voice validated and answered TwiML")]


def check_database(app: Flask) -> list[Finding]:
    """Reachable, and migrated to the schema this code needs."""
    store = app.extensions["ivr"].store
    where = store.url.split("@")[-1]
    try:
        store.ping()
        state = schema_state(store.engine)
    except Exception as exc:  # noqa: BLE001 - any failure is the finding
        return [fail("database", f"{where} unreachable: {type(exc).__name__}: {exc}"[:300],
                     "check DATABASE_URL and that the database server is up")]
    if state != "head":
        return [fail("database", f"{where}: schema {state}",
                     "run `ivr db upgrade` (the Procfile's release: line does)")]
    return [ok("database", f"{where}: reachable, schema at the latest migration")]


def check_menus(app: Flask) -> list[Finding]:
    """Menus are loaded, and `ivr check` finds no error in the menus folder."""
    from ivr.menu.lint import check_paths

    svc = app.extensions["ivr"]
    findings: list[Finding] = []
    loaded = svc.catalog.menus
    if not loaded:
        findings.append(fail("menus", "no menu is loaded: calls cannot be answered",
                             "add a menu file to IVR_MENUS_DIR and run `ivr check`"))
    else:
        findings.append(ok("menus", f"loaded: {', '.join(sorted(loaded))}"))
    folder = svc.catalog.folder
    problems, checked = check_paths([folder], svc.prompts_dir) if folder.is_dir() else ([], 0)
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity != "error" and not _missing_audio(p.message)]
    if errors:
        findings.append(fail("menu check", f"{len(errors)} error(s), first: {errors[0]}",
                             "run `ivr check` and fix every error (the working version keeps "
                             "answering meanwhile)"))
    elif warnings:
        findings.append(warn("menu check", f"{checked} file(s), {len(warnings)} warning(s), "
                             f"first: {warnings[0]}", "run `ivr check` to see them all"))
    elif checked:
        findings.append(ok("menu check", f"{checked} file(s), no problem"))
    for state in svc.catalog.divergences:
        findings.append(warn("menu folder", state.describe(),
                             "the live version keeps answering calls; choose one of the two "
                             "commands above"))
    return findings


def _missing_audio(message: str) -> bool:
    return "audio file" in message and "missing" in message


def check_prompts(app: Flask) -> list[Finding]:
    """The prompts folder exists and holds every recording the menus name."""
    from ivr.menu.lint import lint

    svc = app.extensions["ivr"]
    folder: Path = svc.prompts_dir
    missing = sorted({p.message for menu in svc.catalog.menus.values()
                      for p in lint(menu, folder) if _missing_audio(p.message)})
    count = sum(1 for p in folder.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES) \
        if folder.is_dir() else 0
    if missing:
        return [warn("prompts", f"{len(missing)} recording(s) missing, first: {missing[0]}; "
                     "those prompts are spoken with text-to-speech instead",
                     f"add the files under {folder}")]
    if not folder.is_dir():
        return [warn("prompts", f"no folder {folder} (no recorded prompts)",
                     "set IVR_PROMPTS_DIR if your recordings live elsewhere")]
    return [ok("prompts", f"{count} recording(s) in {folder}, none missing")]


def check_backlog(app: Flask) -> list[Finding]:
    """Notifications waiting in the outbox, voicemails and journeys spooled to disk."""
    from ivr.notify import backlog

    svc = app.extensions["ivr"]
    findings: list[Finding] = []
    try:
        waiting = backlog(svc.store.engine)
    except Exception:  # noqa: BLE001 - the database finding already says why
        waiting = None
    if waiting:
        findings.append(warn("outbox", f"{waiting} notification(s) waiting to be sent",
                             "make sure `ivr worker` (the Procfile's worker: line) is running; "
                             "failures are listed at /dashboard/admin"))
    elif waiting == 0:
        findings.append(ok("outbox", "no notification waiting"))
    spooled = len(svc.intake.pending()) if svc.intake else 0
    if spooled:
        findings.append(warn("voicemail spool", f"{spooled} voicemail report(s) waiting on disk",
                             "they are written when the database is reachable and the "
                             "worker runs"))
    set_aside = svc.intake.quarantine_count() if svc.intake else 0
    if set_aside:
        findings.append(warn("voicemail spool", f"{set_aside} voicemail report(s) the database "
                             "refused are set aside", "see Admin > Failed notifications in the "
                             "dashboard; after fixing the cause, run `ivr voicemail requeue`"))
    return findings


def check_metrics(config: Mapping[str, Any]) -> list[Finding]:
    """Whether /metrics can be scraped."""
    if config.get("IVR_METRICS_TOKEN"):
        return [ok("metrics", "/metrics needs the bearer token IVR_METRICS_TOKEN")]
    if config.get("IVR_ENV") == "production":
        return [warn("metrics", "/metrics is off (IVR_METRICS_TOKEN is not set)",
                     "set IVR_METRICS_TOKEN and give it to your Prometheus scraper")]
    return [ok("metrics", "/metrics is open (outside production)")]


def check_texts(config: Mapping[str, Any]) -> list[Finding]:
    """Texts to callers: once a sender is set, the account and the status callback URL too."""
    sender = str(config.get("IVR_SMS_FROM") or "")
    service = str(config.get("IVR_SMS_MESSAGING_SERVICE_SID") or "")
    if not sender and not service:
        return []  # texts are off: "text me this" apologises, replies are not offered
    if sender and not re.match(r"^\+[1-9]\d{6,14}$", sender):
        return [fail("texts", f"IVR_SMS_FROM is {sender!r}, not a number like +15551234567",
                     "set IVR_SMS_FROM to a number of your Twilio account, in E.164")]
    if service and not re.match(r"^MG[0-9a-fA-F]{32}$", service):
        return [fail("texts", "IVR_SMS_MESSAGING_SERVICE_SID is not MG followed by 32 hex digits",
                     "copy the Messaging Service SID from the Twilio console")]
    from ivr.phones import parse_countries

    _, wrong = parse_countries(str(config.get("IVR_SMS_COUNTRIES") or ""))
    if wrong:
        return [fail("texts", f"IVR_SMS_COUNTRIES has words that are no country code: "
                     f"{', '.join(wrong)[:200]}", "write two-letter codes, such as US,CA,FR")]
    if not config.get("TWILIO_ACCOUNT_SID"):
        return [fail("texts", "texts are on but TWILIO_ACCOUNT_SID is not set: every text "
                     "would wait in the outbox and fail", "set TWILIO_ACCOUNT_SID")]
    if not config.get("IVR_PUBLIC_URL"):
        return [warn("texts", "IVR_PUBLIC_URL is not set: texts are sent without a status "
                     "callback, so the dashboard never shows them delivered",
                     "set IVR_PUBLIC_URL to the https base URL Twilio calls")]
    countries = str(config.get("IVR_SMS_COUNTRIES") or "") or "the lines' own countries"
    return [ok("texts", f"sent from {service or sender}, at most "
               f"{config.get('IVR_SMS_DAILY_CAP') or 3} a number in 24 hours and "
               f"{config.get('IVR_SMS_LINE_HOURLY_CAP') or 20} a line an hour, to {countries}")]


def render(findings: list[Finding]) -> tuple[str, int]:
    """The report's text and the exit status (1 when any check failed)."""
    lines = []
    for finding in findings:
        lines.append(f"{finding.status.upper():5} {finding.topic}: {finding.detail}")
        if finding.advice:
            lines.append(f"      -> {finding.advice}")
    failed = sum(1 for f in findings if f.status == "fail")
    warned = sum(1 for f in findings if f.status == "warn")
    verdict = "ready for calls" if not failed else "NOT ready for calls"
    lines.append(f"{failed} problem(s), {warned} warning(s): {verdict}")
    return "\n".join(lines) + "\n", (1 if failed else 0)
