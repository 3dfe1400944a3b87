"""Where each texter is in a line's menu: their language and the numbered choices last sent.

One row per (line's menu, texter's number), replaced on every text and forgotten after
``EXPIRY`` without a text (a conversation that old starts again). Times come from the
app's clock, never the database's, so tests move time by moving the clock.

The row is written off the request, by the online writer's thread (ivr.online.writer):
a text's answer never waits for it. This process reads its own rows not yet written
first; the newer of that and the database's wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ivr.data.tables import metadata

EXPIRY = timedelta(minutes=30)
MAX_CHOICES = 400  # characters of node ids kept (at most a few ids)

text_conversations = sa.Table(
    "text_conversations",
    metadata,
    sa.Column("menu", sa.String(64), primary_key=True),
    sa.Column("number", sa.String(32), primary_key=True),
    sa.Column("lang", sa.String(16), nullable=False),
    sa.Column("choices", sa.String(MAX_CHOICES), nullable=False, server_default=""),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_text_conversations_updated", "updated_at"),
)


@dataclass(frozen=True)
class Conversation:
    """A texter's place: the language they write in and the choices they may reply to."""

    lang: str
    choices: tuple[str, ...] = ()


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes: they were stored in UTC."""
    from datetime import UTC

    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class PendingRows(Protocol):
    """Where conversation rows wait to be written (ivr.online.writer.OnlineWriter)."""

    def keep_conversation(self, row: dict[str, Any]) -> None: ...

    def pending_conversation(self, menu: str, number: str) -> dict[str, Any] | None: ...

    def drop_conversations(self, number: str) -> None: ...


class Conversations:
    """The conversations table on the app's engine, written through a background writer."""

    def __init__(self, engine: Engine, writer: PendingRows) -> None:
        self.engine = engine
        self.writer = writer

    def current(self, menu: str, number: str, now: datetime) -> Conversation | None:
        """The texter's live conversation, or None (never texted, or silent for 30 minutes)."""
        menu, number = menu[:64], number[:32]
        query = sa.select(text_conversations.c.lang, text_conversations.c.choices,
                          text_conversations.c.updated_at).where(
            text_conversations.c.menu == menu, text_conversations.c.number == number)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        found = dict(row._mapping) if row is not None else None
        pending = self.writer.pending_conversation(menu, number)
        if pending is not None and (found is None or
                                    _aware(found["updated_at"]) <= pending["updated_at"]):
            found = pending
        if found is None or now - _aware(found["updated_at"]) > EXPIRY:
            return None
        return Conversation(found["lang"], tuple(c for c in found["choices"].split(",") if c))

    def keep(self, menu: str, number: str, conversation: Conversation, now: datetime) -> None:
        """Remember where the texter is now (written within a batch, off the request)."""
        self.writer.keep_conversation({
            "menu": menu[:64], "number": number[:32], "lang": conversation.lang[:16],
            "choices": ",".join(conversation.choices)[:MAX_CHOICES], "updated_at": now})

    def forget(self, number: str) -> None:
        """Forget every conversation of a number (it opted out), at once."""
        self.writer.drop_conversations(number[:32])
        with self.engine.begin() as conn:
            conn.execute(text_conversations.delete().where(
                text_conversations.c.number == number[:32]))
