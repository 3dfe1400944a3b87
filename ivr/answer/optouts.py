"""Numbers that asked for no more texts: STOP (and START again), and Twilio's error 21610.

Twilio answers STOP, START and HELP itself on long codes and blocks the number for the
sender; a text sent anyway fails with error 21610. This table keeps the same state on our
side, so that no text is ever queued to a number that opted out (``ivr.answer.texts``
asks ``opted_out`` before it adds a text). It is fed from two places:

- the inbound texts webhook, on STOP / START (``OptOutType`` with Advanced Opt-Out, or the
  keyword itself): ``record_opt_out(..., source=STOP)`` and ``record_opt_in``;
- the message status callback (``ivr.answer.texts_web``): a text that failed with
  ErrorCode 21610 means Twilio holds an opt-out we had not heard of
  (``record_opt_out(..., source=ERROR_21610)``).

One row per number (E.164): opting out again only refreshes it, opting in deletes it.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ivr import phones
from ivr.data.tables import metadata, upsert_insert

STOP = "stop"  # the caller texted STOP (or another opt-out keyword) to one of our numbers
ERROR_21610 = "error-21610"  # Twilio refused a text: "unsubscribed recipient"
SOURCES = (STOP, ERROR_21610)
OPTED_OUT_ERROR = "21610"
# The keywords Twilio's default opt-out handling answers on long codes (upper-cased).
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT",
                        "REVOKE"})
START_WORDS = frozenset({"START", "UNSTOP", "YES", "OPTIN"})

sms_opt_outs = sa.Table(
    "sms_opt_outs",
    metadata,
    sa.Column("number", sa.String(32), primary_key=True),  # E.164
    sa.Column("source", sa.String(16), nullable=False),  # one of SOURCES
    sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=False),
)


def normalise(number: str) -> str:
    """The E.164 form a row is kept under ("" when ``number`` is no phone number)."""
    raw = (number or "").strip()[:phones.MAX_INPUT]
    checked = phones.check(raw)
    return checked.e164 or (raw if raw.startswith("+") and raw[1:].isdigit() else "")


def record_opt_out(engine: Engine, number: str, source: str, now: datetime) -> bool:
    """Keep that ``number`` wants no texts (``source``: STOP or ERROR_21610); False if no number."""
    if source not in SOURCES:
        raise ValueError(f"unknown opt-out source {source!r}")
    e164 = normalise(number)
    if not e164:
        return False
    stmt = upsert_insert(engine, sms_opt_outs).values(number=e164, source=source,
                                                      opted_out_at=now)
    stmt = stmt.on_conflict_do_update(index_elements=["number"],
                                      set_={"source": source, "opted_out_at": now})
    with engine.begin() as conn:
        conn.execute(stmt)
    return True


def record_opt_in(engine: Engine, number: str) -> bool:
    """The number texted START (UNSTOP...): texts may go to it again. True if it was opted out."""
    e164 = normalise(number)
    if not e164:
        return False
    with engine.begin() as conn:
        return bool(conn.execute(sa.delete(sms_opt_outs).where(sms_opt_outs.c.number == e164))
                    .rowcount)


def opted_out_in(conn: Connection, e164: str) -> bool:
    """Whether ``e164`` opted out, inside a transaction already open (the texts' queue)."""
    return conn.execute(sa.select(sms_opt_outs.c.number)
                        .where(sms_opt_outs.c.number == e164)).first() is not None


def opted_out(engine: Engine, number: str) -> bool:
    """Whether ``number`` (any form ``phones.check`` reads) opted out of texts."""
    e164 = normalise(number)
    if not e164:
        return False
    with engine.connect() as conn:
        return opted_out_in(conn, e164)


def keyword(body: str) -> str:
    """STOP or START when an inbound text is an opt-out or opt-in keyword, else ""."""
    word = (body or "").strip().strip(".!").upper()
    if word in STOP_WORDS:
        return STOP
    if word in START_WORDS:
        return "start"
    return ""
