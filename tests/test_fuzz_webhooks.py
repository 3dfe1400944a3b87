"""Property-based fuzzing of every Twilio-facing endpoint (every POST route under /voice).

Signed requests, however odd their parameters or query string, always get a 2xx:
valid TwiML (root <Response>) or the endpoint's empty 204. Unsigned or forged ones
get 403. Never a 5xx, never an exception logged (``never_fail`` would hide it from
the caller, not from us), and every journey line the requests produced can be
written to the database. ``benchmarks/fuzz_soak.py`` runs the same cases by the
ten thousand.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from tests.conftest import OPEN_TIME, TOKEN, Clock, make_app, shutdown, upgraded

BASE = "http://localhost"
STATE_KEYS = ["m", "n", "l", "t", "p", "s", "v", "e", "x", "draft"]
MENUS = ["mini", "vm", "lookup", "nope", "", "../x"]
NODES = ["welcome", "main", "returns", "desk", "message", "nowhere", ""]
EVENTS = ["in", "silence", "done", "dial", "rec", "go", "bogus", ""]
TWILIO_KEYS = ["CallSid", "AccountSid", "From", "To", "Caller", "Called", "CallStatus",
               "ApiVersion", "Direction", "Digits", "SpeechResult", "Confidence",
               "FinishedOnKey", "DialCallStatus", "RecordingSid", "RecordingUrl",
               "RecordingDuration", "RecordingStatus", "TranscriptionText",
               "TranscriptionStatus", "SequenceNumber", "CallDuration", "msg"]
NUMBERS = ["+15005550001", "+15005550002", "+15005550003", "anonymous", "client:alice", ""]


def twilio_endpoints(app: Any) -> list[str]:
    """Every route Twilio may call: the POST routes under /voice, read from the app itself."""
    return sorted({rule.rule for rule in app.url_map.iter_rules()
                   if rule.rule.startswith("/voice") and "POST" in (rule.methods or ())})


# ---- strategies -----------------------------------------------------------------------------
odd_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.sampled_from(["", " ", "\x00", "0", "-1", "1e309", "nan", "inf", "%00", "é", "ș",
                     "\u202e", "😀" * 30, "<Say>x</Say>", "]]>", "&amp;", "'\"", "\n\r\t",
                     "9" * 40, "*#", "1#", "hangup"]),
    st.integers(min_value=1, max_value=12_000).map(lambda n: "x" * n),  # oversized
)


@st.composite
def queries(draw: st.DrawFn) -> str:
    """A query string: a plausible call state, a mangled one, or raw oddities."""
    kind = draw(st.sampled_from(["state", "random", "raw", "none"]))
    if kind == "none":
        return ""
    if kind == "raw":
        return draw(st.sampled_from(["&", "=", "&&=&", "a", "e", "%zz", "%00", "m=%ff%fe",
                                     "x=1&x=2&x=3", ";", "m=mini;n=main", "e=in&e=rec"]))
    pairs: list[tuple[str, str]] = []
    if kind == "state":
        pairs = [("m", draw(st.sampled_from(MENUS))), ("n", draw(st.sampled_from(NODES))),
                 ("l", draw(st.sampled_from(["en", "fr", "ro", "xx", ""]))),
                 ("t", draw(st.sampled_from(["0", "1", "2", "99", "-1", "abc"]))),
                 ("p", draw(st.sampled_from(["main", "main.returns", "", "a" * 300]))),
                 ("s", draw(st.sampled_from(["0", "1790000000", "-5", "9" * 30, "x"]))),
                 ("e", draw(st.sampled_from(EVENTS)))]
        pairs = draw(st.permutations(pairs))[: draw(st.integers(0, len(pairs)))]
    extra = draw(st.lists(st.tuples(st.sampled_from(STATE_KEYS) | st.text(max_size=8), odd_text),
                          max_size=4))
    return urlencode(pairs + extra, quote_via=quote)


@st.composite
def forms(draw: st.DrawFn) -> MultiDict[str, str]:
    """Twilio's parameters, some missing, some odd, some repeated, some unknown."""
    base = {"CallSid": "CA" + "0" * 31 + "7", "AccountSid": "AC" + "f" * 32,
            "From": "+15551230000", "To": draw(st.sampled_from(NUMBERS)),
            "CallStatus": "in-progress", "ApiVersion": "2010-04-01", "Direction": "inbound",
            "FromCity": "", "ToCity": ""}
    keep = draw(st.lists(st.sampled_from(sorted(base)), unique=True))
    form: MultiDict[str, str] = MultiDict([(k, base[k]) for k in sorted(base) if k not in keep])
    for key, value in draw(st.lists(st.tuples(st.sampled_from(TWILIO_KEYS) | st.text(max_size=12),
                                              odd_text), max_size=8)):
        if draw(st.booleans()):
            form.add(key, value)  # a repeated parameter
        else:
            form[key] = value
    return form


@dataclass
class Case:
    """One fuzzed request."""

    path: str
    query: str
    form: MultiDict[str, str]
    signing: str  # good | missing | forged | tampered | other-url
    token: str | None  # I-Twilio-Idempotency-Token


def cases(endpoints: list[str]) -> st.SearchStrategy[Case]:
    """Requests to the given endpoints, signed well or badly."""
    return st.builds(Case, st.sampled_from(endpoints), queries(), forms(),
                     st.sampled_from(["good", "good", "good", "missing", "forged", "tampered",
                                      "other-url"]),
                     st.none() | st.text(st.characters(codec="latin-1", exclude_categories=["Cc"]),
                                         max_size=60))


def send(client: Any, case: Case) -> Any:
    """POST a case as Twilio would (form-encoded, signed over the exact URL) or as a forger."""
    url = BASE + case.path + (f"?{case.query}" if case.query else "")
    validator = RequestValidator(TOKEN)
    headers: dict[str, str] = {"User-Agent": "TwilioProxy/1.1"}
    if case.signing == "good":
        headers["X-Twilio-Signature"] = validator.compute_signature(url, case.form)
    elif case.signing == "forged":
        headers["X-Twilio-Signature"] = RequestValidator("f" * 32).compute_signature(url,
                                                                                     case.form)
    elif case.signing == "tampered":
        headers["X-Twilio-Signature"] = validator.compute_signature(
            url, MultiDict([*case.form.items(multi=True), ("Tampered", "1")]))
    elif case.signing == "other-url":
        headers["X-Twilio-Signature"] = validator.compute_signature(url + "&z=1", case.form)
    if case.token is not None:
        headers["I-Twilio-Idempotency-Token"] = case.token
    path = case.path + (f"?{case.query}" if case.query else "")
    return client.post(path, data=case.form, headers=headers, base_url=BASE)


def problems(case: Case, response: Any, logged: list[logging.LogRecord]) -> list[str]:
    """What is wrong with the answer to a case (empty when all is well)."""
    found: list[str] = []
    body = response.get_data(as_text=True)
    status = response.status_code
    if "Traceback" in body:
        found.append("a traceback in the body")
    if any(record.exc_info for record in logged):
        found.append("an exception was logged: " + next(
            record.getMessage() for record in logged if record.exc_info))
    if case.signing != "good":
        if status != 403:
            found.append(f"unsigned/forged request answered {status}")
        return found
    if status == 204:
        if body:
            found.append("204 with a body")
    elif status == 200:
        if response.mimetype not in ("text/xml", "application/xml"):
            found.append(f"200 as {response.mimetype}")
        try:
            root = ET.fromstring(body)
            if root.tag != "Response":
                found.append(f"TwiML root <{root.tag}>")
        except ET.ParseError as exc:
            found.append(f"invalid TwiML: {exc}")
    else:
        found.append(f"signed request answered {status}")
    return found


class LogTrap(logging.Handler):
    """Keeps the records logged while a case runs."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def fuzz_app(db_url: str, folder: Path) -> Any:
    """An app for fuzzing (quiet: its expected warnings are trapped, not printed)."""
    return make_app(db_url, folder, Clock(OPEN_TIME), IVR_SPOOL_DIR=str(folder / "spool"),
                    IVR_JOURNEY_FLUSH_MS="60000")


class Fuzzer:
    """Runs cases against one app and collects what went wrong."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.client = app.test_client()
        self.trap = LogTrap()
        self.count = 0

    def __enter__(self) -> Fuzzer:
        logger = logging.getLogger("ivr")
        logger.addHandler(self.trap)
        self._propagate, logger.propagate = logger.propagate, False
        return self

    def __exit__(self, *exc: object) -> None:
        logger = logging.getLogger("ivr")
        logger.removeHandler(self.trap)
        logger.propagate = self._propagate

    def run(self, case: Case) -> list[str]:
        """Send one case; its problems."""
        self.trap.records.clear()
        response = send(self.client, case)
        self.count += 1
        return problems(case, response, self.trap.records)

    def journeys_written(self) -> list[str]:
        """Whether every journey line so far reached the database, none refused."""
        recorder = self.app.extensions["ivr"].recorder
        if not recorder.flush():
            return ["journey lines could not be written"]
        if recorder.rejected:
            return [f"{recorder.rejected} journey line(s) refused by the database"]
        return []


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def fuzzer(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Fuzzer]:
    """One app per database kind for the whole module (hypothesis runs many cases on it)."""
    folder = tmp_path_factory.mktemp("fuzz")
    if request.param == "postgres":
        from tests.conftest import _truncate

        db_url: str = request.getfixturevalue("postgres_url")
        _truncate(db_url)
    else:
        db_url = f"sqlite:///{folder / 'fuzz.sqlite3'}"
        upgraded(db_url)
    app = fuzz_app(db_url, folder)
    with Fuzzer(app) as running:
        yield running
        # Checked when the module is done with this app, on whichever pytest-xdist worker
        # fuzzed it: every journey line the fuzzed requests made reached the database.
        if running.count:
            assert running.journeys_written() == []
    shutdown(app)


def test_the_fuzzed_endpoints_are_all_of_twilios(fuzzer: Fuzzer) -> None:
    endpoints = twilio_endpoints(fuzzer.app)
    assert {"/voice", "/voice/step", "/voice/status", "/voice/recording",
            "/voice/transcription"} <= set(endpoints)


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_signed_requests_get_twiml_and_forged_ones_403(fuzzer: Fuzzer, data: st.DataObject) -> None:
    case = data.draw(cases(twilio_endpoints(fuzzer.app)))
    assert fuzzer.run(case) == []
