"""Structured logs: JSON lines with the request id and CallSid, and no caller's phone number."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from twilio.request_validator import RequestValidator

from ivr.config import ConfigError
from ivr.ops.logs import mask_phone_numbers, resolve_format, unconfigure
from tests.conftest import TOKEN, Clock, make_app, shutdown, upgraded

CALL_SID = "CA" + "0123456789" * 3 + "ab"
CALLER = "+40721234567"


@pytest.mark.parametrize(("text", "masked"), [
    ("+40721234567", "+4072****567"),
    ("from +15551230000 to +15005550001", "from +1555****000 to +1500****001"),
    ("From=%2B40721234567&To=x", "From=%2B4072****567&To=x"),
    ("local 0721234567", "local 0721***567"),
    ("+1234567", "+1***567"),  # short numbers still hide three digits
    (CALL_SID, CALL_SID),  # digits inside an identifier are not a phone number
    ("took 1248 ms, pid 4711, port 5000", "took 1248 ms, pid 4711, port 5000"),
    ("client:alice anonymous", "client:alice anonymous"),
])
def test_phone_numbers_are_masked(text: str, masked: str) -> None:
    assert mask_phone_numbers(text) == masked


def test_the_format_follows_the_environment_unless_chosen() -> None:
    assert resolve_format({"IVR_ENV": "production", "IVR_LOG_FORMAT": "auto"}) == "json"
    assert resolve_format({"IVR_ENV": "development", "IVR_LOG_FORMAT": "auto"}) == "text"
    assert resolve_format({"IVR_ENV": "test", "IVR_LOG_FORMAT": "auto"}) == "off"
    assert resolve_format({"IVR_ENV": "development", "IVR_LOG_FORMAT": "JSON"}) == "json"
    with pytest.raises(ConfigError, match="IVR_LOG_FORMAT"):
        resolve_format({"IVR_ENV": "production", "IVR_LOG_FORMAT": "xml"})


def _app(tmp_path: Path, clock: Clock, **overrides: Any) -> Any:
    url = f"sqlite:///{tmp_path / 'logs.sqlite3'}"
    upgraded(url)
    return make_app(url, tmp_path, clock, **overrides)


@pytest.fixture
def json_app(tmp_path: Path, clock: Clock) -> Iterator[Any]:
    """The app logging JSON lines to standard error."""
    application = _app(tmp_path, clock, IVR_LOG_FORMAT="json")
    yield application
    unconfigure()
    shutdown(application)


def _signed(client: Any, path: str, params: dict[str, str], **headers: str) -> Any:
    signature = RequestValidator(TOKEN).compute_signature(f"http://localhost{path}", params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature, **headers})


def _params(**extra: str) -> dict[str, str]:
    return {"CallSid": CALL_SID, "AccountSid": "AC" + "2" * 32, "From": CALLER,
            "To": "+15005550001", "CallStatus": "ringing", "ApiVersion": "2010-04-01",
            "Direction": "inbound", **extra}


# What menu-reload threads log (of this app, or of other tests' apps still polling in this
# process) while a request is served: the request's own lines are the rest.
BACKGROUND = {"ivr.nodes.warmup", "ivr.menu.catalog", "ivr.menu.versions"}


def _lines(err: str) -> list[dict[str, Any]]:
    """Every line a request wrote, each of which must be one JSON object."""
    lines = [json.loads(line) for line in err.splitlines() if line.strip()]
    return [line for line in lines if line.get("logger") not in BACKGROUND]


def test_every_line_of_a_webhook_carries_its_request_id_and_call_sid(
        json_app: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    client = json_app.test_client()
    capsys.readouterr()
    monkeypatch.setattr(json_app.extensions["ivr"].catalog, "for_number", lambda _to: None)
    response = _signed(client, "/voice", _params(To=CALLER), **{"X-Request-Id": "edge-42"})
    assert response.status_code == 200 and response.headers["X-Request-Id"] == "edge-42"
    err = capsys.readouterr().err
    lines = _lines(err)
    assert lines, "the unanswerable call was not logged"
    assert all(line["request_id"] == "edge-42" and line["call_sid"] == CALL_SID for line in lines)
    no_menu = next(line for line in lines if line["message"].startswith("no menu answers"))
    assert no_menu["level"] == "error" and no_menu["logger"] == "ivr.web.voice"
    assert "+4072****567" in no_menu["message"]
    assert CALLER not in err


def test_a_refused_request_is_logged_with_its_ids(json_app: Any,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    client = json_app.test_client()
    capsys.readouterr()
    response = client.post("/voice", data=_params(), headers={"X-Twilio-Signature": "forged"})
    assert response.status_code == 403
    request_id = response.headers["X-Request-Id"]
    assert NEW_ID.fullmatch(request_id)  # none was sent: one is made
    (line,) = _lines(capsys.readouterr().err)
    assert line["level"] == "warning" and "refused" in line["message"]
    assert line["request_id"] == request_id and line["call_sid"] == CALL_SID


def test_a_failing_webhook_logs_its_traceback_in_the_same_object(
        json_app: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError(f"lookup failed for {CALLER}")

    monkeypatch.setattr("ivr.engine.core.start", broken)
    capsys.readouterr()
    response = _signed(json_app.test_client(), "/voice", _params())
    assert response.status_code == 200 and b"<Response>" in response.data  # the apology
    err = capsys.readouterr().err
    failed = [line for line in _lines(err) if "exception" in line]
    assert failed and failed[0]["call_sid"] == CALL_SID
    assert "RuntimeError: lookup failed for +4072****567" in failed[0]["exception"]
    assert CALLER not in err


NEW_ID = re.compile(r"[0-9a-f]{12}-[0-9a-f]+")  # the process's random prefix, then a counter


def test_an_unacceptable_request_id_is_replaced(json_app: Any) -> None:
    client = json_app.test_client()
    made = set()
    for bad in ("two words", "x" * 200, "quote\"s", "ünïcode"):
        answered = client.get("/healthz", headers={"X-Request-Id": bad}).headers["X-Request-Id"]
        assert answered != bad and NEW_ID.fullmatch(answered)
        made.add(answered)
    assert len(made) == 4  # every request its own
    ok = client.get("/healthz", headers={"X-Request-Id": "lb-1234.abc"})
    assert ok.headers["X-Request-Id"] == "lb-1234.abc"


def test_outside_a_request_lines_have_no_ids(json_app: Any,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    logging.getLogger("ivr.test").warning("worker note about %s", CALLER)
    (line,) = _lines(capsys.readouterr().err)
    assert line["message"] == "worker note about +4072****567"
    assert "request_id" not in line and "call_sid" not in line
    assert isinstance(line["pid"], int) and line["time"].endswith("+00:00")


def test_text_format_for_development(tmp_path: Path, clock: Clock,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    app = _app(tmp_path, clock, IVR_ENV="development")
    try:
        capsys.readouterr()
        response = app.test_client().post("/voice", data=_params(),
                                          headers={"X-Request-Id": "dev-1",
                                                   "X-Twilio-Signature": "Zm9yZ2Vk"})
        assert response.status_code == 403
        err = capsys.readouterr().err.strip()
        assert not err.startswith("{")
        assert f"WARNING ivr.web.security [dev-1 {CALL_SID}]: refused" in err
    finally:
        unconfigure()
        shutdown(app)


def test_configuring_twice_installs_one_handler(json_app: Any) -> None:
    from ivr.ops.logs import configure

    configure({"IVR_ENV": "production", "IVR_LOG_FORMAT": "json"})
    ours = [h for h in logging.getLogger().handlers if hasattr(h, "_ivr_level")]
    assert len(ours) == 1
    with pytest.raises(ConfigError, match="IVR_LOG_LEVEL"):
        configure({"IVR_ENV": "production", "IVR_LOG_LEVEL": "LOUD"})
