"""A telephone self-service help desk: YAML menu trees that answer Twilio calls."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from ivr import config as cfg
from ivr.dashboard import store as _dashboard_tables  # noqa: F401 - registers users, notes
from ivr.data.store import Store
from ivr.engine.core import utcnow
from ivr.menu.catalog import MenuCatalog
from ivr.menu.versions import MenuVersions
from ivr.web.recorder import JourneyRecorder, journey_spool_dir

log = logging.getLogger("ivr")


@dataclass
class Services:
    """What the webhooks share: menus, storage, the journey writer and the clock."""

    catalog: MenuCatalog
    store: Store
    versions: MenuVersions
    recorder: JourneyRecorder
    prompts_dir: Path
    clock: Callable[[], datetime] = utcnow
    lookups: Any = None  # ivr.lookup.live.LiveLookups: live data for lookup nodes
    voicemails: Any = None  # ivr.voicemail.store.VoicemailStore
    intake: Any = None  # ivr.voicemail.Intake: Twilio's voicemail reports, spooled if need be
    prompt_uploads: Any = None  # ivr.data.prompt_uploads.PromptUploads: recordings for every instance
    media: Any = None  # ivr.voicemail.Media: recordings fetched from / deleted at Twilio
    channels: Any = None  # ivr.notify.Channels
    sender: Any = None  # ivr.notify.Sender: delivers the notification outbox
    worker: Any = None  # ivr.notify.Worker: the periodic jobs
    queues: Any = None  # ivr.queues.store.QueueStore: callers in queues, agents' states
    ringer: Any = None  # ivr.queues.ring.Ringer: rings agents' phones for waiting callers
    announcements: Any = None  # ivr.announcements.Announcements: said before the menu
    announce_fetcher: Any = None  # ivr.recorded_announcements.Fetcher: recordings' audio
    _audio: dict[str, bool] = field(default_factory=dict)

    def audio_available(self, path: str) -> bool:
        """Whether a recorded prompt exists (once found, remembered per worker)."""
        if self._audio.get(path):
            return True
        # Only a found file is remembered, so a recording added later is used at once.
        found = (self.prompts_dir / path).is_file()
        if found:
            self._audio[path] = True
        return found


def _no_warm_up(menu: Any) -> None:
    """Menus of a process that answers no call need no spoken-request index."""


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app from environment variables, overridden by ``test_config``."""
    from dotenv import load_dotenv

    load_dotenv(cfg.PROJECT_ROOT / ".env", override=False)
    app = Flask(__name__, instance_path=str(cfg.instance_dir()), instance_relative_config=True)
    from ivr.web.forms import TwilioRequest

    app.request_class = TwilioRequest  # Twilio's ~30-field forms, parsed faster
    settings: dict[str, Any] = cfg.env_settings()
    if test_config:
        settings.update(test_config)
    instance = Path(app.instance_path)
    if (level := cfg.command_line_log_level()) is not None:
        settings["IVR_LOG_LEVEL"] = level  # `ivr` commands are quiet unless given -v
    warnings = cfg.finalize(settings, instance)
    from ivr.ops import logs

    logs.configure(settings)  # before anything is logged, so each line is said once, formatted
    for warning in warnings:
        log.warning(warning)
    app.config.update(settings)
    app.config["SECRET_KEY"] = settings["SECRET_KEY"]
    from ivr.web import sessions

    sessions.install(app)  # cookie flags and lifetime, HSTS; no signer for cookie-less webhooks

    proxies = int(settings.get("IVR_TRUSTED_PROXIES") or 0)
    if proxies:
        from ivr.web.proxies import TrustedProxies

        # Believed only from the proxies' own addresses (IVR_PROXY_ADDRESSES).
        app.wsgi_app = TrustedProxies(app.wsgi_app, proxies,  # type: ignore[method-assign]
                                      str(settings.get("IVR_PROXY_ADDRESSES") or ""))

    from ivr.speech import keep_vectors_in, use_matcher

    # A command that answers no call (`ivr report`, `ivr voicemail ...`) routes no speech
    # and searches nothing: it loads no model, builds no index and reads no catalogue.
    answers_calls = not settings.get(cfg.ANSWERS_NO_WEBHOOKS)
    # Before the menus load: their routing indexes are built with this matcher.
    matcher = str(settings.get("IVR_MATCHER") or "auto")
    if answers_calls:
        keep_vectors_in(cfg.vectors_root(settings, instance))
    if answers_calls and use_matcher(matcher) != matcher:
        print(f"ivr: warning: IVR_MATCHER={matcher} needs its embedding models (installed with "
              "ivr-helpdesk, `pip install ivr-helpdesk[embeddings]` for e5); "
              "using the lexical matcher", file=sys.stderr, flush=True)
    store = Store(settings["DATABASE_URL"])
    prompts_dir = cfg.project_path(settings["IVR_PROMPTS_DIR"])
    menus_dir = cfg.project_path(settings["IVR_MENUS_DIR"])
    from ivr.lookup.policy import SourcePolicy

    # What menu sources may reach is the operator's alone: checked on publish and on use.
    policy = SourcePolicy.from_settings(settings)
    # Published menu versions live in the database, shared by every worker and instance.
    versions = MenuVersions(store.engine, menus_dir, prompts_dir, policy=policy)
    catalog = MenuCatalog(menus_dir, check_every=float(settings["IVR_MENU_CHECK_SECONDS"]),
                          prompts_dir=prompts_dir, versions=versions,
                          background=settings.get("IVR_ENV") != "test",
                          **({} if answers_calls else {"warm": _no_warm_up}))
    for problem in catalog.problems:
        log.error("%s", problem)
    services = Services(
        catalog=catalog,
        store=store,
        versions=versions,
        recorder=JourneyRecorder(store, int(settings["IVR_JOURNEY_FLUSH_MS"]),
                                 spool_dir=journey_spool_dir(cfg.spool_root(settings, instance),
                                                             settings["DATABASE_URL"])),
        prompts_dir=prompts_dir,
    )
    from ivr.data.prompt_uploads import PromptUploads

    # Recordings uploaded on any instance are copied into this one's prompts folder.
    services.prompt_uploads = PromptUploads(store.engine, prompts_dir)
    catalog.also_refresh(services.prompt_uploads.sync)
    try:
        services.prompt_uploads.sync()  # catch up now: this instance may be new
    except Exception as exc:  # noqa: BLE001 - no database yet: the next check catches up
        log.warning("recordings not synchronised at start: %s", type(exc).__name__)
    from ivr.lookup.live import lookups_from_settings

    services.lookups = lookups_from_settings(settings, catalog.folder, policy)
    # CSV catalogues of search nodes are indexed as their menus load (and again on change).
    if answers_calls:
        catalog.also_refresh(lambda: services.lookups.catalogues.warm(catalog.menus))
        services.lookups.catalogues.warm(catalog.menus)
    if "IVR_CLOCK" in settings:
        services.clock = settings["IVR_CLOCK"]
    from ivr.queues.ring import Ringer
    from ivr.queues.store import QueueStore
    from ivr.voicemail.setup import twilio_client_factory

    services.queues = QueueStore(store.engine, services.clock)
    from ivr.announcements import Announcements

    services.announcements = Announcements(store.engine)
    services.ringer = Ringer(services.queues, twilio_client_factory(settings), services.clock)
    app.extensions["ivr"] = services
    from ivr.ops import install as install_ops

    install_ops(app, settings)  # request ids, structured logs, webhook timing
    from ivr.web import site, voice

    app.register_blueprint(voice.bp)
    from ivr.queues.web import bp as queues_bp

    app.register_blueprint(queues_bp)
    app.register_blueprint(site.bp)
    from ivr.online.setup import install as install_online

    install_online(app, settings, services)  # help pages (/help/<menu>) and texts (/sms)
    from ivr.dashboard.web import bp as dashboard_bp

    app.register_blueprint(dashboard_bp)
    from ivr.voicemail.setup import install as install_voicemail

    install_voicemail(app, settings, services)
    from ivr.queues.ring import install as install_ringing

    install_ringing(services)  # agents rung by the worker, never inside a webhook
    from ivr.answer.setup import install as install_answering

    install_answering(app, settings, services)  # callback requests, agents' calls
    from ivr.recorded_announcements import install as install_recorded

    install_recorded(app, settings, services)  # the announcement line, recordings fetched

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        """HTTP errors keep their code; anything else on a Twilio URL still gets TwiML."""
        if isinstance(exc, HTTPException):
            return exc
        log.exception("unhandled error on %s", request.path)
        if request.path.startswith("/voice"):
            from ivr.web.calls import apology
            from ivr.web.replies import xml

            return xml(apology())
        return Response("Internal error\n", 500, mimetype="text/plain")
    return app
