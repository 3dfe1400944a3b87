"""Where each texter is in a line's menu: their language and the numbered choices last sent.

One row per (line's menu, texter's number), replaced on every text and forgotten after
``EXPIRY`` without a text (a conversation that old starts again). Times come from the
app's clock, never the database's, so tests move time by moving the clock.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ivr.data.tables import metadata, upsert_insert

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


class Conversations:
    """The conversations table on the app's engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def current(self, menu: str, number: str, now: datetime) -> Conversation | None:
        """The texter's live conversation, or None (never texted, or silent for 30 minutes)."""
        query = sa.select(text_conversations.c.lang, text_conversations.c.choices,
                          text_conversations.c.updated_at).where(
            text_conversations.c.menu == menu[:64], text_conversations.c.number == number[:32])
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None or now - _aware(row.updated_at) > EXPIRY:
            return None
        return Conversation(row.lang, tuple(c for c in row.choices.split(",") if c))

    def keep(self, menu: str, number: str, conversation: Conversation, now: datetime) -> None:
        """Remember where the texter is now (one atomic upsert)."""
        choices = ",".join(conversation.choices)[:MAX_CHOICES]
        values = {"lang": conversation.lang[:16], "choices": choices, "updated_at": now}
        insert = upsert_insert(self.engine, text_conversations).values(
            menu=menu[:64], number=number[:32], **values)
        statement = insert.on_conflict_do_update(
            index_elements=[text_conversations.c.menu, text_conversations.c.number], set_=values)
        with self.engine.begin() as conn:
            conn.execute(statement)
            if random.random() < 0.02:  # now and then, forget conversations long over
                conn.execute(text_conversations.delete().where(
                    text_conversations.c.updated_at < now - 2 * EXPIRY))

    def forget(self, number: str) -> None:
        """Forget every conversation of a number (it opted out)."""
        with self.engine.begin() as conn:
            conn.execute(text_conversations.delete().where(
                text_conversations.c.number == number[:32]))
