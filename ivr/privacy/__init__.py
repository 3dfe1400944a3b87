"""Everything kept about one caller's number: found, exported and erased together.

A caller may ask what the service keeps about them, and that it be erased (in the EU,
the GDPR's rights of access and to erasure). Their number leads to their calls (the
calls they made, the voicemails and callback requests they left, the calls back and
texts to them); each call leads to its journey, its analytics facts and its
transcripts; each voicemail to its audio and notes. ``CallerData`` finds all of it in
one pass, and either returns it as plain rows or deletes it in one transaction.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

import phonenumbers
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ivr.answer.callbacks import callback_requests
from ivr.answer.calls import call_attempts
from ivr.answer.texts import texts
from ivr.data.rollup import call_edges, call_facts, call_nodes
from ivr.data.tables import calls, journey_steps, metadata
from ivr.transcripts.store import transcript_parts, transcripts
from ivr.voicemail.store import voicemail_media, voicemails


def _notes() -> sa.Table:
    """The dashboard's notes on voicemails (looked up, not imported: the dashboard uses this)."""
    import ivr.dashboard.store  # noqa: F401 - registers the table; the dashboard imports us lazily

    return metadata.tables["voicemail_notes"]


def normalized(number: str) -> str:
    """The number in E.164 (``+33 6 12 34 56 78`` -> ``+33612345678``); ValueError if not one."""
    try:
        parsed = phonenumbers.parse(number.strip(), None)
    except phonenumbers.NumberParseException:
        raise ValueError(f"{number[:40]!r} is not a phone number with its country code") from None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _rows(conn: Connection, query: Any) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in conn.execute(query)]


# The stores, each with what removes its rows: erasing one number and retention's purge
# by age (ivr.privacy.retention) both go through these, so neither forgets a table.
Deletes = list[tuple[str, Any]]


def transcript_deletes(ids: Iterable[int]) -> Deletes:
    """A recording's transcripts and their live parts."""
    ids = list(ids)
    return [("transcript_parts", transcript_parts.delete().where(
                transcript_parts.c.transcript_id.in_(ids))),
            ("transcripts", transcripts.delete().where(transcripts.c.id.in_(ids)))]


def voicemail_deletes(ids: Iterable[int]) -> Deletes:
    """Voicemails (and callback reasons), their audio and the agents' notes on them."""
    ids = list(ids)
    return [("voicemail_notes", _notes().delete().where(_notes().c.voicemail_id.in_(ids))),
            ("voicemail_audio", voicemail_media.delete().where(
                voicemail_media.c.voicemail_id.in_(ids))),
            ("voicemails", voicemails.delete().where(voicemails.c.id.in_(ids)))]


def call_deletes(sids: Iterable[str], rollups: bool) -> Deletes:
    """Calls and their journeys; with ``rollups``, their analytics facts too (they hold no
    number or words: retention keeps them, so the figures of past periods stay)."""
    sids = list(sids)
    done: Deletes = [("journey_steps", journey_steps.delete().where(
        journey_steps.c.call_sid.in_(sids)))]
    if rollups:
        done += [("analytics", call_facts.delete().where(call_facts.c.call_sid.in_(sids))),
                 ("analytics_nodes", call_nodes.delete().where(call_nodes.c.call_sid.in_(sids))),
                 ("analytics_edges", call_edges.delete().where(call_edges.c.call_sid.in_(sids)))]
    return done + [("calls", calls.delete().where(calls.c.call_sid.in_(sids)))]


class CallerData:
    """What the database keeps about one number."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _call_sids(self, conn: Connection, number: str) -> set[str]:
        """Every call of theirs: made by them, or a voicemail or callback request they left."""
        sids: set[str] = set()
        for table, column in ((calls, calls.c.from_number), (voicemails, voicemails.c.from_number),
                              (callback_requests, callback_requests.c.from_number)):
            sids |= {str(s) for s in conn.execute(
                sa.select(table.c.call_sid).where(column == number)).scalars() if s}
        return sids

    def _voicemail_ids(self, conn: Connection, number: str, sids: Iterable[str]) -> list[int]:
        found = conn.execute(sa.select(voicemails.c.id).where(sa.or_(
            voicemails.c.from_number == number, voicemails.c.call_sid.in_(list(sids)))))
        return sorted(int(i) for i in found.scalars())

    def export(self, number: str) -> dict[str, Any]:
        """Every row kept about ``number``, by kind; voicemail audio as base64."""
        with self.engine.connect() as conn:
            sids = sorted(self._call_sids(conn, number))
            ids = self._voicemail_ids(conn, number, sids)
            audio = {int(row.voicemail_id): row for row in conn.execute(
                sa.select(voicemail_media).where(voicemail_media.c.voicemail_id.in_(ids)))}
            kept = _rows(conn, sa.select(voicemails).where(voicemails.c.id.in_(ids))
                         .order_by(voicemails.c.id))
            for item in kept:
                media = audio.get(int(item["id"]))
                item["audio_mimetype"] = media.mimetype if media is not None else None
                item["audio_base64"] = (base64.b64encode(bytes(media.data)).decode("ascii")
                                        if media is not None and media.data else None)
            transcript_rows = _rows(conn, sa.select(transcripts).where(
                transcripts.c.call_sid.in_(sids)).order_by(transcripts.c.id))
            return {
                "number": number,
                "calls": _rows(conn, sa.select(calls).where(calls.c.call_sid.in_(sids))
                               .order_by(calls.c.started_at)),
                "journey_steps": _rows(conn, sa.select(journey_steps).where(
                    journey_steps.c.call_sid.in_(sids)).order_by(journey_steps.c.at,
                                                                 journey_steps.c.id)),
                "voicemails": kept,
                "voicemail_notes": _rows(conn, sa.select(_notes()).where(
                    _notes().c.voicemail_id.in_(ids))),
                "transcripts": transcript_rows,
                "transcript_parts": _rows(conn, sa.select(transcript_parts).where(
                    transcript_parts.c.transcript_id.in_([t["id"] for t in transcript_rows]))),
                "callback_requests": _rows(conn, sa.select(callback_requests).where(sa.or_(
                    callback_requests.c.from_number == number,
                    callback_requests.c.number == number,
                    callback_requests.c.call_sid.in_(sids)))),
                "calls_back": _rows(conn, sa.select(call_attempts).where(
                    call_attempts.c.caller_number == number)),
                "texts": _rows(conn, sa.select(texts).where(texts.c.to_number == number)),
            }

    def recording_sids(self, number: str) -> list[str]:
        """The Twilio recordings of their voicemails (to delete them at Twilio too)."""
        with self.engine.connect() as conn:
            ids = self._voicemail_ids(conn, number, self._call_sids(conn, number))
            return [str(s) for s in conn.execute(sa.select(voicemails.c.recording_sid)
                                                 .where(voicemails.c.id.in_(ids))).scalars()]

    def erase(self, number: str) -> dict[str, int]:
        """Delete every row kept about ``number`` in one transaction; how many, by kind."""
        done: dict[str, int] = {}
        with self.engine.begin() as conn:
            sids = sorted(self._call_sids(conn, number))
            ids = self._voicemail_ids(conn, number, sids)
            transcript_ids = list(conn.execute(sa.select(transcripts.c.id).where(
                transcripts.c.call_sid.in_(sids))).scalars())
            deletes = [
                *transcript_deletes(transcript_ids),
                *voicemail_deletes(ids),
                ("callback_requests", callback_requests.delete().where(sa.or_(
                    callback_requests.c.from_number == number,
                    callback_requests.c.number == number,
                    callback_requests.c.call_sid.in_(sids)))),
                ("calls_back", call_attempts.delete().where(
                    call_attempts.c.caller_number == number)),
                ("texts", texts.delete().where(texts.c.to_number == number)),
                *call_deletes(sids, rollups=True),
            ]
            for kind, statement in deletes:
                done[kind] = int(conn.execute(statement).rowcount or 0)
        return done
