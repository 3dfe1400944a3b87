"""Every table of the app on one MetaData, for migrations and their tests."""

from __future__ import annotations

import ivr.announcements
import ivr.answer.callbacks
import ivr.answer.calls
import ivr.answer.linecaps
import ivr.answer.optouts
import ivr.answer.templates
import ivr.answer.texts
import ivr.dashboard.logins
import ivr.dashboard.ratelimit
import ivr.dashboard.store
import ivr.data.prompt_uploads
import ivr.data.rollup
import ivr.lookup.demo
import ivr.menu.versions
import ivr.notify
import ivr.online.activity
import ivr.online.conversations
import ivr.queues.store
import ivr.recorded_announcements
import ivr.search.sql
import ivr.transcripts.store
import ivr.voicemail.store  # noqa: F401 - each module registers its tables on the metadata
from ivr.data.tables import metadata

__all__ = ["metadata"]
