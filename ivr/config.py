"""Configuration from environment variables (a .env file is honoured), with safe defaults."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Every setting the app reads, with its default and meaning (docs/configuration.md
# is checked against this table by the test suite).
SETTINGS: dict[str, tuple[str, str]] = {
    "IVR_ENV": ("production", "production, development or test; production refuses to start "
                "without TWILIO_AUTH_TOKEN"),
    "TWILIO_AUTH_TOKEN": ("", "the account's auth token: verifies X-Twilio-Signature"),
    "TWILIO_ACCOUNT_SID": ("", "the account SID (AC...); `ivr call` sends it as AccountSid"),
    "DATABASE_URL": ("", "SQLAlchemy URL; empty = SQLite in the instance folder; "
                     "postgres:// and postgresql:// use psycopg"),
    "PORT": ("5000", "the port `ivr run` and the Procfile's gunicorn listen on"),
    "IVR_PUBLIC_URL": ("", "the public base URL Twilio calls, e.g. https://ivr.example.org "
                       "(use it behind a TLS-terminating proxy)"),
    "IVR_TRUSTED_PROXIES": ("0", "how many proxies' X-Forwarded-* headers to trust instead"),
    "IVR_PROXY_ADDRESSES": ("127.0.0.1,::1", "addresses or networks the trusted proxies connect "
                            "from (comma-separated); forwarded headers from any other peer are "
                            "dropped; `*` trusts anyone (only where nothing but the proxy can "
                            "reach the app)"),
    "IVR_MENUS_DIR": ("menus", "folder of menu YAML files (relative to the project)"),
    "IVR_PROMPTS_DIR": ("prompts", "folder of recorded prompts served at /prompts/"),
    "IVR_MENU_CHECK_SECONDS": ("2", "how often a worker looks for changed menu files and "
                               "newly published versions"),
    "IVR_JOURNEY_FLUSH_MS": ("200", "how long journey lines wait to be written in one batch"),
    "IVR_SPOOL_DIR": ("", "local folder where journeys and voicemail reports wait while the "
                      "database is down; empty = spool/ in the instance folder"),
    "SECRET_KEY": ("", "Flask session key; generated per instance folder when empty"),
    "IVR_INSTANCE_DIR": ("instance", "folder for the SQLite database and generated secrets"),
    "IVR_LOGIN_MAX_FAILURES": ("5", "dashboard: login attempts per user name within the window "
                               "before each further one waits longer (1 s, 2 s, 4 s...)"),
    "IVR_LOGIN_WINDOW_SECONDS": ("600", "dashboard: how long a user name's login attempts are "
                                 "counted (a successful login forgets them)"),
    "IVR_LOGIN_MAX_DELAY_SECONDS": ("60", "dashboard: the longest wait between two login attempts "
                                    "on one user name: slowed down, never locked out"),
    "IVR_LOGIN_ADDRESS_LIMIT": ("50/10 minutes", "dashboard: login attempts allowed from one client "
                                "address, any user names (`limits` notation)"),
    "IVR_LOGIN_GLOBAL_LIMIT": ("300/minute", "dashboard: login attempts allowed on the whole "
                               "service, every address and name together"),
    "IVR_RATE_LIMIT_STORAGE": ("database", "where login attempts are counted: database (the app's "
                               "own, shared by every worker) or a `limits` storage URI such as "
                               "redis://host:6379"),
    "IVR_SESSION_IDLE_MINUTES": ("60", "dashboard: a session unused this long ends"),
    "IVR_SESSION_MAX_HOURS": ("12", "dashboard: a session ends this long after logging in, "
                              "used or not"),
    "IVR_DASHBOARD_POLL_SECONDS": ("5", "dashboard: how often an open inbox asks for new voicemail"),
    "IVR_PROMPT_MAX_BYTES": ("5000000", "dashboard: largest recorded prompt an admin may upload "
                             "(bytes; 8 kHz mono WAV takes 16 KB a second)"),
    "IVR_LOOKUP_TIMEOUT": ("2.5", "seconds a lookup node waits for its data source (0.1 to 10; "
                           "a source's own `timeout` wins); slower answers get an apology"),
    "IVR_LOOKUP_BREAKER_FAILURES": ("3", "consecutive failures after which a data source is "
                                    "skipped (per source, per worker)"),
    "IVR_LOOKUP_BREAKER_SECONDS": ("30", "how long a failing data source is skipped before "
                                   "it is tried again"),
    "IVR_LOOKUP_HOSTS": ("", "hosts lookup sources may connect to, comma separated: "
                         "api.example.org, *.example.org (public addresses only), "
                         "10.0.0.5:8080; empty = no HTTP sources"),
    "IVR_LOOKUP_PRIVATE_HOSTS": ("", "names listed exactly in IVR_LOOKUP_HOSTS that may resolve "
                                 "to private or loopback addresses (an internal API), comma "
                                 "separated; empty = every name must resolve to public addresses"),
    "IVR_LOOKUP_ENV": ("", "more variables lookup sources may read as ${NAME}, comma separated, "
                       "besides IVR_SOURCE_*; never the app's own settings"),
    "IVR_NOTIFY_SMS_TO": ("", "voicemail notifications: the on-call number to text (E.164)"),
    "IVR_NOTIFY_SMS_FROM": ("", "voicemail notifications: your Twilio number that sends the SMS"),
    "IVR_SMS_FROM": ("", "texts to callers (\"text me this\", receipts, agents' replies): your "
                     "Twilio number that sends them (E.164); empty and no messaging service = "
                     "texts are off"),
    "IVR_SMS_MESSAGING_SERVICE_SID": ("", "texts to callers: a Twilio Messaging Service (MG...) to "
                                      "send through instead of IVR_SMS_FROM"),
    "IVR_SMS_DAILY_CAP": ("3", "texts to callers: the most one number receives in 24 hours, every "
                          "kind together (0 = texts off)"),
    "IVR_SMS_REPLY_SENDER_LIMIT": ("6/hour", "texts to our numbers: answers one sender gets from "
                                   "one line (`limits` notation); past it texts go unanswered"),
    "IVR_SMS_REPLY_LINE_LIMIT": ("300/hour", "texts to our numbers: answers one line sends, every "
                                 "sender together (`limits` notation)"),
    "IVR_SMS_REPLY_COUNTRIES": ("", "texts to our numbers: countries whose numbers get answers, "
                                "comma separated (FR,RO); empty = the countries of the line's "
                                "own numbers; * = any"),
    "IVR_WEB_FORM_ADDRESS_LIMIT": ("5/hour", "help pages: messages and callback requests one "
                                   "client address may send (`limits` notation)"),
    "IVR_WEB_FORM_GLOBAL_LIMIT": ("60/hour", "help pages: messages and callback requests the whole "
                                  "site takes, every address together"),
    "IVR_WEB_LOOKUP_ADDRESS_LIMIT": ("10/hour", "help pages: order checks (lookups) one client "
                                     "address may make (`limits` notation)"),
    "IVR_WEB_LOOKUP_GLOBAL_LIMIT": ("300/hour", "help pages: order checks the whole site takes; "
                                    "past either limit checks are refused and an alert is logged"),
    "IVR_SMS_COUNTRIES": ("", "texts to callers and calls back: the countries they may go to, "
                          "two-letter codes, comma separated (US,CA); empty = the countries of "
                          "the menus' own numbers (in development: US,FR,RO, the demo's); a "
                          "menu's `countries:` may only narrow it"),
    "IVR_SMS_LINE_HOURLY_CAP": ("20", "automatic texts to callers (\"text me\", receipts): the most "
                                "one line (a menu) sends in an hour; beyond it callers hear "
                                "that the text cannot be sent and the dashboard warns"),
    "IVR_NOTIFY_EMAIL_TO": ("", "voicemail notifications: e-mail address(es), comma separated"),
    "IVR_NOTIFY_EMAIL_FROM": ("ivr@localhost", "voicemail notifications: the sender address"),
    "SMTP_HOST": ("", "the SMTP server for e-mail notifications"),
    "SMTP_PORT": ("25", "its port"),
    "SMTP_USER": ("", "SMTP login (empty: no login)"),
    "SMTP_PASSWORD": ("", "SMTP password"),
    "SMTP_STARTTLS": ("false", "true to upgrade the SMTP connection with STARTTLS"),
    "IVR_NOTIFY_WEBHOOK_URL": ("", "voicemail notifications: a URL that receives JSON "
                               "{\"text\": ...} (Slack-compatible incoming webhook)"),
    "IVR_CALLBACK_FROM": ("", "agents' calls back: the Twilio number that rings the agent's phone "
                          "and that the caller sees (E.164); empty = the number the caller "
                          "called"),
    "IVR_ANNOUNCE_NUMBER": ("", "the announcement line: calls to this Twilio number (E.164) "
                            "let an admin record an announcement with their PIN; empty = off"),
    "IVR_ANNOUNCE_ADMINS": ("", "usernames of the admins who may use the announcement line "
                            "(comma-separated); empty = every admin with a PIN"),
    "IVR_WORKER_IN_APP": ("auto", "run the background worker (notifications, recordings) "
                          "inside the web app: auto = in development only"),
    "IVR_RETENTION_DAYS": ("90", "`ivr voicemail purge`, `ivr privacy purge` and `ivr worker` "
                           "(hourly) delete recordings older than this"),
    "IVR_CALL_RETENTION_DAYS": ("365", "retention: calls, their journeys and queue calls older "
                                "than this are deleted (`ivr worker`, `ivr privacy purge`); "
                                "0 = forever; their analytics figures stay"),
    "IVR_MESSAGE_RETENTION_DAYS": ("365", "retention: voicemails (rows, audio, notes), "
                                   "transcripts and sent notifications older than this; "
                                   "0 = forever"),
    "IVR_CALLBACK_RETENTION_DAYS": ("365", "retention: callback requests done and agents' "
                                    "calls back older than this; 0 = forever"),
    "IVR_TEXT_RETENTION_DAYS": ("365", "retention: texts sent to callers older than this; "
                                "0 = forever"),
    "IVR_ONLINE_RETENTION_DAYS": ("90", "retention: questions asked on help pages and by text, "
                                  "and texters' conversations, older than this; 0 = forever"),
    "IVR_RETENTION_PURGE_UNHANDLED": ("false", "true: retention also deletes voicemails still "
                                      "new and callback requests not done"),
    "IVR_LOG_FORMAT": ("auto", "json (one object per line), text, or auto = json in production, "
                       "text in development, left to the test runner in test"),
    "IVR_LOG_LEVEL": ("INFO", "the lowest level logged (DEBUG, INFO, WARNING, ERROR); `ivr` "
                      "commands other than run and worker log only errors unless this is set "
                      "or they are given -v"),
    "IVR_METRICS_TOKEN": ("", "bearer token Prometheus sends to /metrics; empty = /metrics is "
                          "off (404) in production, open in development and test"),
    "IVR_METRICS_DIR": ("", "folder gunicorn's workers share their metrics in; empty = a new "
                        "temporary folder each time gunicorn starts"),
    "IVR_TRANSCRIBER": ("twilio", "who transcribes voicemails (and other recordings): twilio "
                        "(Twilio-hosted: recording transcription for American English up to "
                        "120 s, real-time transcription for every other language and length), "
                        "whisper (self-hosted faster-whisper; needs the whisper extra and "
                        "IVR_WHISPER_MODEL_DIR) or none"),
    "IVR_TWILIO_TRANSCRIPTION_ENGINE": ("google", "Twilio real-time transcription: its "
                                        "transcriptionEngine, google or deepgram"),
    "IVR_TWILIO_TRANSCRIPTION_MODEL": ("telephony", "Twilio real-time transcription: its "
                                       "speechModel (google: telephony, long...; deepgram: "
                                       "nova-2, nova-3...)"),
    "IVR_TWILIO_TRANSCRIPTION_LOCALES": ("en-US,en-GB,fr-FR,fr-CA,ro-RO,de-DE,es-ES,it-IT",
                                         "Twilio real-time transcription: the locales the chosen "
                                         "engine and model transcribe, comma separated; other "
                                         "languages say \"language not supported\""),
    "IVR_WHISPER_MODEL_DIR": ("", "self-hosted transcription: the folder of a faster-whisper "
                              "(CTranslate2) Whisper model: model.bin, config.json, "
                              "tokenizer.json, vocabulary.*"),
    "IVR_WHISPER_THREADS": ("1", "self-hosted transcription: CPU threads the model may use"),
    "IVR_WHISPER_MAX_SECONDS": ("600", "self-hosted transcription: longer recordings are not "
                                "transcribed (\"too long\")"),
    "IVR_MATCHER": ("auto", "what routes spoken requests on live calls: auto (words + a "
                    "sentence-embedding model: MiniLM in English, USE in French, multilingual e5 in "
                    "Romanian and every other language), lexical (words alone), or hybrid "
                    "(words + MiniLM in English, e5 in every other language)"),
    "IVR_EMBED_MODEL": ("", "optional embedding matcher (ivr.speech.embed): one model for every "
                        "menu, by name (minilm-l6-int8, e5-small-q4, use-m3) or as the path of an "
                        ".onnx file; empty = minilm-l6-int8 for English, use-m3 for French "
                        "(e5-small-q4 with IVR_MATCHER=hybrid) and e5-small-q4 for the other "
                        "languages"),
    "IVR_EMBED_TOKENIZER": ("", "with IVR_EMBED_MODEL=<file.onnx>: its tokenizer.json, read by the "
                            "tokenizers package (extra: onnx-model; empty = the "
                            "tokenizer.json beside the model file)"),
    "IVR_EMBED_SHA256": ("", "with IVR_EMBED_MODEL=<file.onnx>: the file's SHA-256; a file with "
                         "another checksum is refused (empty = not checked)"),
    "IVR_EMBED_THREADS": ("", "optional embedding matcher: threads per worker for the model "
                          "(empty = 1, steadiest on shared cores)"),
    "IVR_EMBED_CACHE": ("", "folder where the vectors of menus' phrases and answers are kept "
                        "between restarts, so a starting worker embeds only what is new "
                        "(never callers' words); empty = vectors/ in the instance folder, "
                        "off = none"),
}


LOG_LEVEL_KEY = "ivr.log_level"  # where the `ivr` command keeps the level its -v chose
# Given by commands that answer no webhook (`ivr report`, `ivr worker`...): they need no
# TWILIO_AUTH_TOKEN, which only verifies the signatures of Twilio's requests.
ANSWERS_NO_WEBHOOKS = "ivr.answers_no_webhooks"


def command_line_log_level() -> str | None:
    """The log level the running `ivr` command chose (quiet by default, -v for more), if any."""
    import click

    ctx = click.get_current_context(silent=True)
    level = ctx.meta.get(LOG_LEVEL_KEY) if ctx is not None else None
    return str(level) if level else None


def env_settings(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Each known setting from the environment, else its default."""
    environ = os.environ if environ is None else environ
    return {name: environ.get(name, default) for name, (default, _) in SETTINGS.items()}


def database_url(raw: str, instance_path: Path) -> str:
    """The SQLAlchemy URL: SQLite in the instance folder by default; Heroku-style URLs fixed."""
    if not raw:
        return f"sqlite:///{instance_path / 'ivr.sqlite3'}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
    return raw


def project_path(value: str) -> Path:
    """A folder setting: absolute as given, relative to the project otherwise."""
    path = Path(value)
    return path if path.is_absolute() else PROJECT_ROOT / path


def instance_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The instance folder: SQLite database and generated secrets live here."""
    return project_path(env_settings(environ)["IVR_INSTANCE_DIR"])


def vectors_root(settings: Mapping[str, Any], instance_path: Path) -> Path | None:
    """Where phrase vectors are kept between restarts (IVR_EMBED_CACHE), or None when off."""
    configured = str(settings.get("IVR_EMBED_CACHE") or "").strip()
    if configured.lower() == "off":
        return None
    return project_path(configured) if configured else instance_path / "vectors"


def spool_root(settings: Mapping[str, Any], instance_path: Path) -> Path:
    """Where journeys and voicemail reports wait on local disk while the database is down."""
    configured = str(settings.get("IVR_SPOOL_DIR") or "")
    return project_path(configured) if configured else instance_path / "spool"


def instance_secret(instance_path: Path, name: str) -> str:
    """A random secret kept in the instance folder, so it survives restarts.

    Processes starting together (gunicorn's workers, a release beside the web process)
    must all end up with the same value: each writes its candidate to a private
    temporary file, then links it into place, which succeeds for exactly one of them
    (like O_EXCL, but the winner's file is complete the moment it appears). The others
    read what the winner wrote.
    """
    instance_path.mkdir(parents=True, exist_ok=True)
    file = instance_path / name
    if file.exists():
        return file.read_text().strip()
    value = secrets.token_hex(16)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{name}.", dir=instance_path)  # mode 0600
    try:
        with os.fdopen(descriptor, "w") as out:
            out.write(value + "\n")
        os.link(temporary, file)
    except FileExistsError:
        return file.read_text().strip()  # another process was first: its value wins
    finally:
        os.unlink(temporary)
    return value


class ConfigError(RuntimeError):
    """The service cannot start safely with this configuration."""


def finalize(config: dict[str, Any], instance_path: Path) -> list[str]:
    """Fill derived settings; returns warnings. Raises ConfigError when unsafe."""
    warnings: list[str] = []
    env = config["IVR_ENV"]
    if env not in ("production", "development", "test"):
        raise ConfigError(f"IVR_ENV must be production, development or test, not {env!r}")
    # A command that answers no webhook verifies no signature: no token, generated or not.
    if not config["TWILIO_AUTH_TOKEN"] and not config.get(ANSWERS_NO_WEBHOOKS):
        if env == "production":
            raise ConfigError(
                "TWILIO_AUTH_TOKEN is not set: every Twilio webhook would be refused with 403 "
                "and callers would hear an application error. Set it (Twilio console > "
                "Account > API keys & tokens), or set IVR_ENV=development to try the service "
                "locally with a generated development token."
            )
        config["TWILIO_AUTH_TOKEN"] = instance_secret(instance_path, "dev_auth_token")
        config["IVR_DEV_TOKEN"] = True
        warnings.append(
            "development mode: no TWILIO_AUTH_TOKEN, using a generated development token "
            f"({config['TWILIO_AUTH_TOKEN'][:4]}...); real Twilio requests will be refused"
        )
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = instance_secret(instance_path, "secret_key")
    if env == "production" and not config["IVR_PUBLIC_URL"] and not int(
        config["IVR_TRUSTED_PROXIES"] or 0
    ):
        warnings.append(
            "IVR_PUBLIC_URL is not set: behind a TLS-terminating proxy the signatures of "
            "Twilio's https requests will not match and calls will be refused (403)"
        )
    if env == "development" and not config.get("IVR_SMS_COUNTRIES"):
        config["IVR_SMS_COUNTRIES"] = "US,FR,RO"  # the demo menus' callers, end to end
    config["DATABASE_URL"] = database_url(config["DATABASE_URL"], instance_path)
    return warnings
