"""Web and text questions in the analytics: channels beside calls, and words not understood."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from twilio.request_validator import RequestValidator

from tests.conftest import (
    ADMIN_PASSWORD,
    ROOT,
    TOKEN,
    Clock,
    empty_dashboard_tables,
    log_in,
    make_app,
    shutdown,
)


@pytest.fixture
def app(db_url: str, tmp_path: Path, clock: Clock) -> Iterator[Any]:
    empty_dashboard_tables(db_url)
    application = make_app(db_url, tmp_path, clock, IVR_MENUS_DIR=str(ROOT / "menus"),
                           IVR_SMS_REPLY_COUNTRIES="*")
    application.extensions["dashboard"].users.add_user("root", ADMIN_PASSWORD, "admin", clock())
    yield application
    application.extensions["ivr"].lookups.close()
    shutdown(application)


def text(app: Any, body: str, sender: str) -> None:
    params = {"MessageSid": "SM" + secrets.token_hex(16), "From": sender, "To": "+15005550006",
              "Body": body}
    signature = RequestValidator(TOKEN).compute_signature("http://localhost/sms", params)
    response = app.test_client().post("/sms", data=params,
                                      headers={"X-Twilio-Signature": signature})
    assert b"<Message>" in response.data


def visible(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_web_and_text_questions_are_channels_and_feed_not_understood(app: Any) -> None:
    client = app.test_client()
    client.get("/help/shop/search?lang=en&q=where is my parcel")
    client.get("/help/shop/search?lang=en&q=purple elephant dancing")
    client.get("/help/shop?lang=en")  # browsing is no question
    text(app, "opening hours", "+33612345678")
    text(app, "zzqx vbnm glorp", "+33612345678")
    text(app, "horaires", "+40712345678")
    admin = app.test_client()
    assert log_in(admin, "root", ADMIN_PASSWORD).status_code == 302
    page = visible(admin.get("/dashboard/analytics/?menu=shop").get_data(as_text=True))
    assert "Calls, web and texts" in page
    assert re.search(r"web 2 2 1 1 text 2 3 2 1", page), page[page.find("Calls, web"):][:300]
    words = visible(admin.get("/dashboard/analytics/not-understood?menu=shop")
                    .get_data(as_text=True))
    assert "purple elephant dancing" in words
    assert "zzqx vbnm glorp" in words
    assert "where is my parcel" not in words


def _stored(app: Any) -> int:
    import sqlalchemy as sa

    with app.extensions["ivr"].store.engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT COUNT(*) FROM online_steps")).scalar_one())


def _conversations(app: Any) -> list[tuple[str, str]]:
    import sqlalchemy as sa

    with app.extensions["ivr"].store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT number, lang FROM text_conversations ORDER BY number"))]


def test_a_question_is_written_off_the_request_by_the_background_writer(
        db_url: str, tmp_path: Path, clock: Clock) -> None:
    import sqlalchemy as sa

    empty_dashboard_tables(db_url)
    # The writer's thread waits ten minutes between rounds here: only flush() writes.
    app = make_app(db_url, tmp_path, clock, IVR_MENUS_DIR=str(ROOT / "menus"),
                   IVR_SMS_REPLY_COUNTRIES="*", IVR_JOURNEY_FLUSH_MS="600000")
    try:
        if db_url.startswith("postgresql"):
            with app.extensions["ivr"].store.engine.begin() as conn:
                conn.execute(sa.text("TRUNCATE online_steps, text_conversations"))
        writer = app.extensions["online"].writer
        client = app.test_client()
        assert client.get("/help/shop/search?lang=en&q=where is my parcel").status_code == 200
        text(app, "opening hours", "+33612345678")
        assert _stored(app) == 0 and writer.pending >= 2  # answered before any write
        assert writer.pending_conversations == 1 and _conversations(app) == []
        # The database refusing: the answers still come, the lines wait in memory.
        working = writer.engine
        writer.engine = sa.create_engine(f"sqlite:///{tmp_path}/missing/folder/db.sqlite3")
        assert client.get("/help/shop/search?lang=fr&q=où est mon colis").status_code == 200
        waiting = writer.pending
        assert writer.flush() is False and writer.pending == waiting and writer.failures == 1
        writer.engine = working
        assert writer.flush() is True and writer.pending == 0
        assert _stored(app) == waiting
        assert writer.pending_conversations == 0 and _conversations(app) == [("+33612345678", "en")]
        with app.extensions["ivr"].store.engine.connect() as conn:
            channels = sorted({r[0] for r in conn.execute(sa.text(
                "SELECT channel FROM online_steps"))})
        assert channels == ["text", "web"]
    finally:
        app.extensions["ivr"].lookups.close()
        shutdown(app)
