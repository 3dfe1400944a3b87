"""What the dashboard's views share: its own tables, the voicemails, the calls and the clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask.sansio.app import App

from ivr.dashboard.logins import Logins
from ivr.dashboard.ratelimit import make_storage
from ivr.dashboard.store import DashboardStore
from ivr.dashboard.throttle import LoginThrottle
from ivr.data.store import Store
from ivr.voicemail.store import VoicemailStore


@dataclass
class Desk:
    """The dashboard's storage, built once per app on the app's database engine."""

    users: DashboardStore
    voicemails: VoicemailStore
    calls: Store
    logins: Logins
    throttle: LoginThrottle

    @classmethod
    def install(cls, app: App) -> Desk:
        """Create the desk for ``app`` and keep it in ``app.extensions``."""
        services = app.extensions["ivr"]
        store: Store = services.store
        config = app.config
        logins = Logins(store.engine, timedelta(minutes=float(config["IVR_SESSION_IDLE_MINUTES"])),
                        timedelta(hours=float(config["IVR_SESSION_MAX_HOURS"])))

        def seconds() -> float:
            """The app's clock as seconds since the epoch, for the login counters."""
            return float(services.clock().timestamp())

        storage = make_storage(str(config["IVR_RATE_LIMIT_STORAGE"]), store.engine, seconds)
        found = cls(DashboardStore(store.engine), VoicemailStore(store.engine), store, logins,
                    LoginThrottle(storage, config, seconds))
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
