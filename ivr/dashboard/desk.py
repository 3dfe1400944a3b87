"""What the dashboard's views share: its own tables, the voicemails, the calls and the clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from flask.sansio.app import App

from ivr.dashboard.store import DashboardStore
from ivr.store import Store
from ivr.voicemail.store import VoicemailStore


@dataclass
class Desk:
    """The dashboard's storage, built once per app on the app's database engine."""

    users: DashboardStore
    voicemails: VoicemailStore
    calls: Store

    @classmethod
    def install(cls, app: App) -> Desk:
        """Create the desk for ``app`` and keep it in ``app.extensions``."""
        store: Store = app.extensions["ivr"].store
        found = cls(DashboardStore(store.engine), VoicemailStore(store.engine), store)
        app.extensions["dashboard"] = found
        return found


def desk() -> Desk:
    """The current app's dashboard storage."""
    found: Desk = current_app.extensions["dashboard"]
    return found


def now() -> datetime:
    """The app's clock (tests set it)."""
    moment: datetime = current_app.extensions["ivr"].clock()
    return moment


def setting(name: str) -> Any:
    """A dashboard setting from the app's configuration."""
    return current_app.config[name]
