"""Twilio's retries (the same I-Twilio-Idempotency-Token): the same answer, journeys counted once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.conftest import make_app, shutdown
from tests.test_webhooks import CALL_SID, post, twilio_params, twiml

STEP = "http://localhost/voice/step?m=mini&n=main&l=en&t=0&p=main&s=0&e=in"


def retry(client: Any, url: str, token: str, **extra: str) -> bytes:
    """One attempt of a webhook carrying Twilio's idempotency token; returns the TwiML."""
    response = post(client, url, twilio_params(**extra),
                    headers={"I-Twilio-Idempotency-Token": token})
    twiml(response)
    return bytes(response.get_data())


def journey(app: Any) -> list[tuple[str, str, str]]:
    """The test call's journey once written."""
    svc = app.extensions["ivr"]
    assert svc.recorder.flush()
    return [(s["node"], s["event"], s["input"]) for s in svc.store.journey(CALL_SID)]


def test_a_retried_step_answers_the_same_and_counts_once(app: Any) -> None:
    client = app.test_client()
    first = retry(client, "http://localhost/voice", "tok-call")
    answers = {retry(client, STEP, "tok-step", Digits="1") for _ in range(3)}
    assert len(answers) == 1 and b"opening hours" not in first
    assert journey(app) == [("welcome", "call", ""), ("main", "choice", "1")]
    # A retry after the journey was written still adds nothing.
    retry(client, STEP, "tok-step", Digits="1")
    assert journey(app) == [("welcome", "call", ""), ("main", "choice", "1")]
    # A new request (a new token) is a new step.
    retry(client, STEP, "tok-step-2", Digits="1")
    assert journey(app)[-1] == ("main", "choice", "1") and len(journey(app)) == 3


def test_a_retry_hears_the_first_answer_even_if_the_desk_closed_meanwhile(app: Any,
                                                                         clock: Any) -> None:
    client = app.test_client()
    open_answer = retry(client, STEP, "tok-desk", Digits="0")
    assert b"closed" not in open_answer and b"<Dial" in open_answer
    clock.now += timedelta(hours=12)  # the desk is closed now
    assert retry(client, STEP, "tok-desk", Digits="0") == open_answer
    assert b"We are closed" in retry(client, STEP, "tok-desk-later", Digits="0")
    assert [line[0] for line in journey(app)].count("main") == 2


def test_a_token_reused_with_another_request_is_not_given_the_first_answer(app: Any) -> None:
    client = app.test_client()
    one = retry(client, STEP, "tok-same", Digits="1")
    two = retry(client, STEP, "tok-same", Digits="2")
    assert one != two and b"returns" not in one.lower() and b"refunds" in two.lower()


def test_a_retry_reaching_another_instance_answers_alike_and_counts_once(
        app: Any, db_url: str, tmp_path: Path, clock: Any) -> None:
    other = make_app(db_url, tmp_path, clock)
    try:
        first = retry(app.test_client(), STEP, "tok-moved", Digits="2")
        again = retry(other.test_client(), STEP, "tok-moved", Digits="2")
        assert first == again
        assert other.extensions["ivr"].recorder.flush()
        assert journey(app) == [("main", "choice", "2")]
    finally:
        shutdown(other)


def test_repeated_status_callbacks_and_call_starts_leave_one_call(app: Any) -> None:
    client = app.test_client()
    for _ in range(2):
        retry(client, "http://localhost/voice", "tok-start")
        response = post(client, "http://localhost/voice/status",
                        twilio_params(CallStatus="completed", CallDuration="9", SequenceNumber="2"),
                        headers={"I-Twilio-Idempotency-Token": "tok-status"})
        assert response.status_code == 204
    svc = app.extensions["ivr"]
    assert svc.recorder.flush()
    import sqlalchemy as sa

    with svc.store.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT status, duration FROM calls WHERE call_sid = :c"),
                            {"c": CALL_SID}).all()
    assert [tuple(r) for r in rows] == [("completed", 9)]
    assert journey(app) == [("welcome", "call", "")]
