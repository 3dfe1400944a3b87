"""Taking Twilio's voicemail reports: checked, stored, or kept on disk; never lost.

A report is checked first (SID shapes, a sane duration, lengths the columns hold):
a field that cannot be right is dropped, a report without a real RecordingSid is
set aside. When the database is down the report is spooled: a small JSON file,
fsynced, before the webhook answers. Spooled reports are replayed by whoever gets
there first (a webhook after its own report is stored, or the worker): each file
is claimed with ``flock`` as the journey spool does (ivr.web.recorder), so two threads
or processes never replay the same file, and a file whose replayer dies is free
again. Reports are upserts keyed on RecordingSid, so a report replayed twice, or
after a newer one, still gives one voicemail.

A report the database keeps refusing while it is up is moved to ``quarantine/``
after a few tries, with the reason: it never blocks the reports behind it, and
/healthz and the admins' page show it until a person deals with it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    SQLAlchemyError,
    StatementError,
)

from ivr.voicemail.store import VoicemailStore, journey_lines
from ivr.web.recorder import lock_spool_file, private_dir

log = logging.getLogger(__name__)

REFUSALS_BEFORE_QUARANTINE = 3  # refusals (database up) before a spooled report is set aside
INLINE_REPLAY = 8  # spooled reports a webhook replays after its own; the worker does the rest
MAX_DURATION = 86_400  # seconds; Twilio's <Record> stops at 4 hours
SID_SHAPES = {"recording_sid": re.compile(r"RE[0-9a-fA-F]{32}"),
              "call_sid": re.compile(r"CA[0-9a-fA-F]{32}"),
              "account_sid": re.compile(r"AC[0-9a-fA-F]{32}")}
LENGTHS = {"from_number": 64, "to_number": 64, "menu": 64, "node": 64, "lang": 16,
           "recording_url": 512, "recording_status": 20, "transcript_status": 20, "purpose": 20,
           "transcript": 20_000}
MAX_LISTED = 200  # quarantined reports read for the admins' page


class NotKept(RuntimeError):
    """A report neither the database nor the spool could keep: Twilio must keep it."""


def checked(recording_sid: str, fields: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The fields as the database can take them, and what was dropped or cut (and why)."""
    out = dict(fields)
    notes = []
    for name in ("call_sid", "account_sid"):
        value = out.get(name)
        if value is not None and not SID_SHAPES[name].fullmatch(str(value)):
            notes.append(f"{name} {str(value)[:40]!r} is not a Twilio SID")
            out[name] = None
    duration = out.get("duration")
    if duration is not None:
        try:
            number = int(duration)
        except (TypeError, ValueError):
            number = -1
        if not 0 <= number <= MAX_DURATION:
            notes.append(f"duration {str(duration)[:20]!r} is not 0 to {MAX_DURATION} seconds")
            out["duration"] = None
        else:
            out["duration"] = number
    for name, limit in LENGTHS.items():
        value = out.get(name)
        if isinstance(value, str) and len(value) > limit:
            notes.append(f"{name} cut to {limit} characters")
            out[name] = value[:limit]
    return out, notes


def _valid_sid(recording_sid: object) -> bool:
    return isinstance(recording_sid, str) and bool(SID_SHAPES["recording_sid"].fullmatch(recording_sid))


def _permanent(exc: SQLAlchemyError) -> bool:
    """Whether the database refused this report's values (not a lock, a timeout, a lost
    connection, or a schema behind the code: those are everyone's, and pass)."""
    if isinstance(exc, IntegrityError | DataError):
        return True
    return isinstance(exc, StatementError) and not isinstance(exc, DBAPIError)  # unsendable value


def _write_json(path: Path, body: dict[str, Any]) -> None:
    """Write a JSON file durably and atomically (fsynced, then renamed into place)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # callers' details
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(body, default=str))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Intake:
    """Records Twilio's voicemail reports; when the database is down, spools them to disk."""

    def __init__(self, store: VoicemailStore, spool_dir: Path,
                 on_new: Callable[[int, str], None] | None = None,
                 journey_of: Callable[[str], Sequence[Mapping[str, Any]]] | None = None) -> None:
        self.store = store
        self.spool_dir = spool_dir
        self.quarantine_dir = spool_dir / "quarantine"
        self.on_new = on_new
        self.journey_of = journey_of  # the call's journey, to complete a spooled report

    # ---- a report arrives -----------------------------------------------------------

    def report(self, recording_sid: str, now: datetime, **fields: Any) -> int | None:
        """Store a report (or spool it, or set it aside); the voicemail id, None if not stored."""
        if not _valid_sid(recording_sid):
            self._set_aside(self._entry(recording_sid, now, fields),
                            f"RecordingSid {recording_sid[:40]!r} is not a Twilio SID")
            return None
        fields, notes = checked(recording_sid, fields)
        if notes:
            log.warning("voicemail %s: %s", recording_sid, "; ".join(notes))
        try:
            voicemail_id = self._write(recording_sid, now, fields)
        except SQLAlchemyError as exc:
            try:
                self._spool(self._entry(recording_sid, now, fields))
            except OSError as disk:
                # Nothing here can keep it: the caller answers so that Twilio keeps the
                # recording and retries (`ivr voicemail reconcile` reads it back later).
                log.error("voicemail %s NOT kept: the database did not take it (%s) and the "
                          "spool cannot be written (%s)", recording_sid, type(exc).__name__,
                          disk.strerror or type(disk).__name__)
                raise NotKept(recording_sid) from disk
            log.error("voicemail %s kept on disk: the database did not take it (%s)",
                      recording_sid, type(exc).__name__)
            return None
        try:
            self.replay(INLINE_REPLAY)
        except Exception:  # noqa: BLE001 - this report is stored; the worker replays the rest
            log.exception("spooled voicemails not replayed now; the worker will")
        return voicemail_id

    def _write(self, recording_sid: str, now: datetime, fields: dict[str, Any]) -> int:
        existed = self.store.by_recording(recording_sid) is not None
        voicemail_id = self.store.report(recording_sid, now, **fields)
        if not existed:
            from ivr.ops.metrics import voicemail_stored  # imported late: see ivr.ops

            voicemail_stored()
        # A callback's reason is announced with its request (ivr.answer), not as a voicemail.
        if not existed and self.on_new is not None and fields.get("purpose") != "callback":
            try:
                self.on_new(voicemail_id, recording_sid)
            except SQLAlchemyError:
                log.exception("could not queue notifications for %s", recording_sid)
        return voicemail_id

    @staticmethod
    def _entry(recording_sid: str, now: datetime, fields: Mapping[str, Any]) -> dict[str, Any]:
        return {"recording_sid": recording_sid, "at": now.isoformat(), "fields": dict(fields),
                "refusals": 0}

    def _spool(self, entry: dict[str, Any]) -> None:
        private_dir(self.spool_dir)
        at = datetime.fromisoformat(entry["at"])
        name = f"{at.strftime('%Y%m%dT%H%M%S%f')}-{secrets.token_hex(4)}.json"
        _write_json(self.spool_dir / name, entry)

    def _set_aside(self, entry: dict[str, Any], reason: str, name: str = "") -> None:
        """Keep a report the database will not take where a person will see it."""
        reason = " ".join(reason.split())[:500]  # one line: it may quote what was sent
        private_dir(self.quarantine_dir)
        name = name or f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}-{secrets.token_hex(4)}.json"
        _write_json(self.quarantine_dir / name,
                    {**entry, "reason": reason[:500], "set_aside_at": datetime.now(UTC).isoformat()})
        log.error("voicemail report %r set aside in %s: %s",
                  str(entry.get("recording_sid"))[:40], self.quarantine_dir / name, reason[:200])

    # ---- the spool ------------------------------------------------------------------

    def spool_problem(self) -> str | None:
        """Why a report could not be spooled now (a probe file is written and removed), or None."""
        probe = self.spool_dir / f".probe-{secrets.token_hex(4)}"
        try:
            private_dir(self.spool_dir)
            _write_json(probe, {"probe": True})
            probe.unlink()
        except OSError as exc:
            return exc.strerror or type(exc).__name__
        return None

    def pending(self) -> list[Path]:
        """Spooled reports not yet written to the database, oldest first."""
        if not self.spool_dir.is_dir():
            return []
        return sorted(self.spool_dir.glob("*.json"))

    def replay(self, limit: int | None = None) -> int:
        """Write spooled reports nobody else is replaying; returns how many were written."""
        done = tried = 0
        for path in self.pending():
            if limit is not None and tried >= limit:
                break
            fd = lock_spool_file(path)
            if fd is None:
                continue  # another thread or process has it, or has written it already
            tried += 1
            try:
                outcome = self._replay_one(path, fd)
            finally:
                os.close(fd)
            if outcome == "down":
                break
            done += outcome == "written"
        if done:
            log.info("%d spooled voicemail report(s) written", done)
        return done

    def _replay_one(self, path: Path, fd: int) -> str:
        """Write one claimed spool file: ``written``, ``kept`` (try again later) or ``down``."""
        with os.fdopen(fd, "rb", closefd=False) as handle:
            raw = handle.read(1_000_000)
        try:
            entry = json.loads(raw)
            recording_sid, at = entry["recording_sid"], datetime.fromisoformat(entry["at"])
            fields = dict(entry["fields"])
        except (ValueError, KeyError, TypeError) as exc:
            self._set_aside({"recording_sid": "", "raw": raw[:2000].decode("utf-8", "replace")},
                            f"unreadable spool file ({type(exc).__name__})", path.name)
            path.unlink(missing_ok=True)
            return "kept"
        if not _valid_sid(recording_sid):
            self._set_aside(entry, "RecordingSid is not a Twilio SID", path.name)
            path.unlink(missing_ok=True)
            return "kept"
        fields, _ = checked(recording_sid, fields)
        if fields.get("call_sid") and not fields.get("journey") and self.journey_of:
            # Spooled during the outage without its journey: by now it may be in the database.
            try:
                steps: list[Mapping[str, Any]] = list(self.journey_of(fields["call_sid"]))
                fields["journey"] = journey_lines(steps) or None
            except SQLAlchemyError:
                pass
        try:
            self._write(recording_sid, at, fields)
        except SQLAlchemyError as exc:
            if not self.store.reachable():
                return "down"
            if not _permanent(exc):
                log.warning("spooled voicemail %s not written yet (%s)", recording_sid,
                            type(exc).__name__)
                return "kept"
            refusals = int(entry.get("refusals") or 0) + 1
            reason = f"refused by the database {refusals} time(s): {type(exc).__name__}: {exc}"
            if refusals >= REFUSALS_BEFORE_QUARANTINE:
                self._set_aside({**entry, "refusals": refusals}, reason, path.name)
                path.unlink(missing_ok=True)
            else:
                log.error("spooled voicemail %s %s", recording_sid, " ".join(reason.split())[:300])
                _write_json(path, {**entry, "refusals": refusals})
            return "kept"
        path.unlink(missing_ok=True)
        return "written"

    # ---- what was set aside -----------------------------------------------------------

    def requeue(self) -> int:
        """Put every report set aside back in the spool (after a fix); how many."""
        moved = 0
        if not self.quarantine_dir.is_dir():
            return 0
        for path in sorted(self.quarantine_dir.glob("*.json")):
            try:
                entry = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                entry = None
            if not isinstance(entry, dict) or not {"recording_sid", "at", "fields"} <= entry.keys():
                log.error("set-aside file %s is not a report; left where it is", path.name)
                continue
            entry = {k: entry[k] for k in ("recording_sid", "at", "fields")}
            private_dir(self.spool_dir)
            _write_json(self.spool_dir / path.name, {**entry, "refusals": 0})
            path.unlink()
            moved += 1
        return moved

    def quarantine_count(self) -> int:
        """How many reports are set aside."""
        if not self.quarantine_dir.is_dir():
            return 0
        return sum(1 for _ in self.quarantine_dir.glob("*.json"))

    def quarantined(self, limit: int = MAX_LISTED) -> list[dict[str, Any]]:
        """The reports set aside, oldest first: file, RecordingSid, reason, fields."""
        if not self.quarantine_dir.is_dir():
            return []
        found = []
        for path in sorted(self.quarantine_dir.glob("*.json"))[:limit]:
            try:
                entry = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                entry = {"reason": "unreadable"}
            found.append({"file": path.name, "recording_sid": str(entry.get("recording_sid") or ""),
                          "reason": str(entry.get("reason") or ""),
                          "at": str(entry.get("at") or ""),
                          "set_aside_at": str(entry.get("set_aside_at") or ""),
                          "fields": entry.get("fields") if isinstance(entry.get("fields"), dict)
                          else {}})
        return found
