"""The webhook fast paths give exactly what the slower library code gave.

Form bodies (ivr.web.forms), callback query strings, signatures (ivr.web.security)
and sessions (ivr.web.sessions) are each compared with the code they replace.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode

import werkzeug.urls  # noqa: F401 - the codec error handler parse_qsl is called with
from flask import Flask, session
from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from ivr.web.forms import TwilioRequest, encode_query, parse_pairs
from ivr.web.security import signature_matches, signed_pairs, signed_params
from ivr.web.sessions import SignedCookieSessions
from tests.conftest import OPEN_TIME, Clock, make_app, shutdown, upgraded

TOKEN = "12345678901234567890123456789012"
TWILIO_PARAMS = {
    "CallSid": "CA" + "a" * 32, "AccountSid": "AC" + "b" * 32, "From": "+15551230000",
    "To": "+15005550006", "CallStatus": "in-progress", "ApiVersion": "2010-04-01",
    "Direction": "inbound", "FromCity": "", "FromCountry": "US", "SpeechResult": "mon compte",
    "Confidence": "0.91", "msg": "Gather End", "FinishedOnKey": "",
}
# Bodies a form parser can trip over: escapes, bad escapes, invalid UTF-8, bare names, '+'.
BODIES = [
    "", "&", "a", "a=", "=b", "a=1&a=2&b=", "a+b=c+d", "a%20b=c%2Bd", "x=%", "x=%zz", "x=%C3",
    "x=%C3%A9t%C3%A9", "x=%FF%FE", "a=1&&b=2&", "a==b", "%41=%42", "sp=a%2bb+c", "u=été",
    urlencode(TWILIO_PARAMS),
]


def werkzeug_pairs(body: str) -> list[tuple[str, str]]:
    """What Werkzeug's own urlencoded parser gives."""
    return parse_qsl(body, keep_blank_values=True, errors="werkzeug.url_quote")


def test_known_awkward_bodies_parse_as_werkzeug_does() -> None:
    for body in BODIES:
        assert parse_pairs(body) == werkzeug_pairs(body), body


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab=&+%2Fé0zZ \x00"), max_size=30))
def test_any_body_parses_as_werkzeug_does(body: str) -> None:
    assert parse_pairs(body) == werkzeug_pairs(body)


def test_the_app_reads_forms_through_the_fast_parser(tmp_path: Path) -> None:
    """Same fields through the real request class, including repeated names and bad UTF-8."""
    url = f"sqlite:///{tmp_path / 'ivr.sqlite3'}"
    upgraded(url)
    app = make_app(url, tmp_path, Clock(OPEN_TIME))
    with app.test_request_context("/voice", method="POST",
                                  data=b"a=1&a=2&From=%2B1555&bad=%FF&plain=x+y",
                                  content_type="application/x-www-form-urlencoded"):
        from flask import request

        assert isinstance(request._get_current_object(), TwilioRequest)  # type: ignore[attr-defined]
        assert request.form.getlist("a") == ["1", "2"]
        assert request.form["From"] == "+1555"
        assert request.form["bad"] == "%FF"
        assert request.form["plain"] == "x y"
    with app.test_request_context("/voice", method="POST", data=b"\xff\xfe=1",
                                  content_type="application/x-www-form-urlencoded"):
        from flask import request

        assert request.form.to_dict() == {}  # not UTF-8: an empty form, as Werkzeug gives
    with app.test_request_context("/voice", method="POST", data={"k": "v"},
                                  content_type="multipart/form-data"):
        from flask import request

        assert request.form["k"] == "v"  # other bodies still go to Werkzeug
    shutdown(app)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=8), st.text(max_size=12), max_size=6))
def test_callback_queries_encode_as_urlencode_does(params: dict[str, str]) -> None:
    assert encode_query(params) == urlencode(params, quote_via=quote)


def test_state_params_encode_as_urlencode_does() -> None:
    params = {"m": "shop", "n": "main", "l": "en", "t": "0", "p": "main.orders",
              "s": "1700000000", "v": "0123abcdef", "c": "refine:a,b", "e": "in"}
    assert encode_query(params) == urlencode(params, quote_via=quote)


# -- signatures --------------------------------------------------------------------------------

def twilio_says(url: str, form: MultiDict[str, str], signature: str) -> bool:
    return bool(RequestValidator(TOKEN).validate(url, form, signature))


def ours(url: str, form: MultiDict[str, str], signature: str) -> bool:
    return signature_matches(TOKEN, url, form.lists(), signature)


URLS = ["https://ivr.example.org/voice/step?m=shop&n=main&e=in",
        "https://ivr.example.org:443/voice", "http://127.0.0.1:5000/voice/status",
        "http://localhost/voice"]


def test_signatures_agree_with_twilio_python() -> None:
    form = MultiDict(list(TWILIO_PARAMS.items()) + [("Digits", "1"), ("Digits", "1"),
                                                    ("Digits", "0")])
    validator = RequestValidator(TOKEN)
    for url in URLS:
        for signed_url in {url, url.replace(":443", ""), url.replace("org/", "org:443/"),
                           url.replace(":5000", "")}:
            good = validator.compute_signature(signed_url, form)
            assert ours(url, form, good) == twilio_says(url, form, good)
        signature = validator.compute_signature(url, form)
        assert ours(url, form, signature) is True
        tampered = MultiDict(form)
        tampered["Digits"] = "9"
        assert ours(url, tampered, signature) is False
        assert ours(url + "&x=1", form, signature) is False
        for bad in ("", "x", signature[:-1], signature.lower(), "é" + signature[1:]):
            assert ours(url, form, bad) is False


def test_a_known_signature() -> None:
    """twilio-python's documented example: token 12345, the example.com URL and params."""
    params = MultiDict({"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030",
                        "Digits": "1234", "From": "+12349013030", "To": "+18005551212"})
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert signature_matches("12345", url, params.lists(), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    assert not signature_matches("54321", url, params.lists(), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=6), st.text(max_size=8)), max_size=6),
       st.sampled_from(URLS), st.booleans())
def test_any_form_verifies_as_twilio_python_does(pairs: list[tuple[str, str]], url: str,
                                                  sign_other_port: bool) -> None:
    form = MultiDict(pairs)
    signed_url = url.replace("org/", "org:443/") if sign_other_port else url
    signature = RequestValidator(TOKEN).compute_signature(signed_url, form)
    assert ours(url, form, signature) == twilio_says(url, form, signature)
    assert ours(url, form, signature + "=") is False
    # The request's own path: the signed part built from the pairs as parsed.
    assert signed_pairs(pairs) == signed_params(form.lists())


# -- sessions ----------------------------------------------------------------------------------

def session_app() -> Flask:
    app = Flask("sessions")
    app.secret_key = "s3cret"
    app.session_interface = SignedCookieSessions()

    @app.get("/set")
    def set_value() -> str:
        session["who"] = "agent"
        return "set"

    @app.get("/get")
    def get_value() -> str:
        return str(session.get("who", "nobody"))

    return app


def test_sessions_still_round_trip_and_reject_forged_cookies() -> None:
    client = session_app().test_client()
    assert client.get("/get").get_data(as_text=True) == "nobody"
    assert "Set-Cookie" not in client.get("/get").headers  # an unused session sets no cookie
    client.get("/set")
    assert client.get("/get").get_data(as_text=True) == "agent"
    forged = session_app().test_client()
    forged.set_cookie("session", "eyJ3aG8iOiJhZG1pbiJ9.forged.signature")
    assert forged.get("/get").get_data(as_text=True) == "nobody"


def test_without_a_secret_key_sessions_stay_unusable() -> None:
    app = session_app()
    app.secret_key = None
    with app.test_request_context("/get"):
        assert app.session_interface.open_session(app, __import__("flask").request) is None
