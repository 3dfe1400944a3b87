"""Export and erase one caller's data across every store: the database, the spool, Twilio.

Shared by `ivr privacy` and the dashboard's admin page, so both do exactly the same.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ivr.privacy import CallerData

log = logging.getLogger(__name__)


@dataclass
class Erased:
    """What an erasure removed, and the recordings Twilio did not let it delete."""

    rows: dict[str, int] = field(default_factory=dict)
    spooled: int = 0
    kept_at_twilio: int = 0

    def summary(self) -> str:
        """One line: ``2 voicemails, 14 journey_steps, ...; 1 spooled report(s)``."""
        rows = ", ".join(f"{count} {kind}" for kind, count in self.rows.items() if count)
        return f"{rows or 'nothing kept'}; {self.spooled} spooled report(s)"


def _spooled(services: Any, number: str) -> list[Path]:
    """Spooled voicemail reports (waiting, or set aside) that name the number."""
    intake = services.intake
    found = []
    for folder in (intake.spool_dir, intake.quarantine_dir):
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            try:
                fields = json.loads(path.read_text(encoding="utf-8")).get("fields") or {}
            except (OSError, ValueError, AttributeError):
                continue
            if number in (fields.get("from_number"), fields.get("to_number")):
                found.append(path)
    return found


def export_caller(services: Any, number: str) -> dict[str, Any]:
    """Everything kept about ``number`` (E.164), as plain JSON-ready data."""
    data: dict[str, Any] = CallerData(services.store.engine).export(number)
    data["spooled_voicemail_reports"] = [
        json.loads(path.read_text(encoding="utf-8")) for path in _spooled(services, number)]
    return data


def erase_caller(services: Any, number: str, who: str) -> Erased:
    """Erase everything kept about ``number``: recordings at Twilio, rows, spooled reports."""
    data = CallerData(services.store.engine)
    factory = services.media.client_factory
    client: Any = factory() if factory else None
    erased = Erased()
    for sid in data.recording_sids(number) if client is not None else []:
        try:
            client.recordings(sid).delete()
        except Exception as exc:  # noqa: BLE001 - a 404 means it is already gone
            if getattr(exc, "status", None) != 404:
                erased.kept_at_twilio += 1
                log.error("recording %s not deleted at Twilio: %s", sid, exc)
    erased.rows = data.erase(number)
    for path in _spooled(services, number):
        path.unlink(missing_ok=True)
        erased.spooled += 1
    # Who and what, never the number: the log must not keep what was just erased.
    log.warning("privacy: %s erased everything kept about a caller's number (%s)",
                who, erased.summary())
    return erased
