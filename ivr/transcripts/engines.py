"""Which engine transcribes a recording, and whether it can: settings read once, checked.

Two engines make transcripts in every language the menus speak:

- ``twilio``: Twilio-hosted. Twilio's recording transcription where it applies
  (American English, at most 120 seconds: the <Record> asks for it, as before) and
  Twilio's real-time transcription (``<Start><Transcription>``) for every other
  language and length. Nothing to host; Twilio bills per minute.
- ``whisper``: self-hosted faster-whisper with a model folder the admin provides;
  the worker transcribes the downloaded recording. No audio leaves the operator.

``none`` turns transcription off. Whatever the choice, a recording whose transcript
cannot come gets a reason instead (see ivr.transcripts.store).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

ENGINES = ("twilio", "whisper", "none")
RECORD_TRANSCRIBED = ("en-US",)  # Twilio's recording transcription: American English only
RECORD_MAX_SECONDS = 120  # ... of at most 120 seconds
MIN_SECONDS = 1  # shorter recordings hold no words worth an engine's time
LIVE_ENGINES = ("google", "deepgram")
# How long an item may wait for its engine before it is called timed out.
LIVE_WAIT = timedelta(minutes=30)  # Twilio sends the last utterance seconds after the call
WORKER_WAIT = timedelta(hours=6)  # the worker may be busy, or the recording slow to download
# Whisper's languages, by the first part of a locale (the multilingual models have 99).
WHISPER_LANGUAGES = frozenset(
    "af am ar as az ba be bg bn bo br bs ca cs cy da de el en es et eu fa fi fo fr gl gu ha "
    "haw he hi hr ht hu hy id is it ja jw ka kk km kn ko la lb ln lo lt lv mg mi mk ml mn mr "
    "ms mt my ne nl nn no oc pa pl ps pt ro ru sa sd si sk sl sn so sq sr su sv sw ta te tg th "
    "tk tl tr tt uk ur uz vi yi yo zh yue".split())
ENGINE_NAMES = {"twilio-record": "Twilio (recording transcription)",
                "twilio-live": "Twilio (real-time transcription)",
                "whisper": "faster-whisper (self-hosted)"}


class TranscriberConfigError(ValueError):
    """A transcription setting that cannot work, naming the setting."""


@dataclass(frozen=True)
class TranscriptionSettings:
    """The chosen engine and its settings."""

    engine: str = "twilio"
    live_engine: str = "google"
    live_model: str = "telephony"
    live_locales: tuple[str, ...] = ("en-US", "en-GB", "fr-FR", "fr-CA", "ro-RO")
    whisper_dir: str = ""
    whisper_threads: int = 1
    whisper_max_seconds: int = 600

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> TranscriptionSettings:
        """Read the IVR_TRANSCRIBER, IVR_TWILIO_TRANSCRIPTION_* and IVR_WHISPER_* settings."""
        engine = str(settings.get("IVR_TRANSCRIBER") or "twilio").strip().lower()
        if engine not in ENGINES:
            raise TranscriberConfigError(
                f"IVR_TRANSCRIBER must be one of {', '.join(ENGINES)}, not {engine!r}")
        live_engine = str(settings.get("IVR_TWILIO_TRANSCRIPTION_ENGINE") or "google").lower()
        if live_engine not in LIVE_ENGINES:
            raise TranscriberConfigError("IVR_TWILIO_TRANSCRIPTION_ENGINE must be google or "
                                         f"deepgram, not {live_engine!r}")
        locales = tuple(p.strip() for p in str(
            settings.get("IVR_TWILIO_TRANSCRIPTION_LOCALES") or "").split(",") if p.strip())
        return cls(engine=engine, live_engine=live_engine,
                   live_model=str(settings.get("IVR_TWILIO_TRANSCRIPTION_MODEL") or "telephony"),
                   live_locales=locales or cls.live_locales,
                   whisper_dir=str(settings.get("IVR_WHISPER_MODEL_DIR") or "").strip(),
                   whisper_threads=_number(settings, "IVR_WHISPER_THREADS", 1, 1, 64),
                   whisper_max_seconds=_number(settings, "IVR_WHISPER_MAX_SECONDS", 600, 5,
                                               4 * 3600))

    def problem(self) -> str | None:
        """Why the chosen engine cannot work here (said loudly at start-up), or None."""
        if self.engine != "whisper":
            return None
        if not self.whisper_dir:
            return "IVR_TRANSCRIBER=whisper needs IVR_WHISPER_MODEL_DIR (a faster-whisper model folder)"
        folder = Path(self.whisper_dir)
        if not folder.is_dir():
            return f"IVR_WHISPER_MODEL_DIR {self.whisper_dir!r} is not a folder"
        missing = [n for n in ("model.bin", "config.json") if not (folder / n).is_file()]
        if missing:
            return (f"IVR_WHISPER_MODEL_DIR {self.whisper_dir!r} is not a faster-whisper model "
                    f"folder: {', '.join(missing)} missing")
        try:
            import faster_whisper  # noqa: F401
        except ImportError:
            return "IVR_TRANSCRIBER=whisper needs the whisper extra: pip install 'ivr-helpdesk[whisper]'"
        return None

    # ---- what happens to one recording ------------------------------------------------

    def twilio_record_applies(self, locale: str, max_length: int) -> bool:
        """Whether Twilio's recording transcription (en-US, 2-120 s) takes this recording."""
        return (self.engine == "twilio" and locale in RECORD_TRANSCRIBED
                and max_length <= RECORD_MAX_SECONDS)

    def live_applies(self, locale: str, max_length: int) -> bool:
        """Whether Twilio's real-time transcription should listen to this recording."""
        return (self.engine == "twilio" and not self.twilio_record_applies(locale, max_length)
                and locale in self.live_locales)

    def engine_for(self, locale: str, max_length: int) -> str | None:
        """The engine that will transcribe a recording (twilio-record, twilio-live, whisper)."""
        if self.engine == "whisper":
            return "whisper"
        if self.twilio_record_applies(locale, max_length):
            return "twilio-record"
        if self.live_applies(locale, max_length):
            return "twilio-live"
        return None

    def why_not(self, locale: str) -> tuple[str, str]:
        """The state and reason of a recording no engine takes."""
        if self.engine == "none":
            return "unavailable", "transcription is off (IVR_TRANSCRIBER=none)"
        if self.engine == "whisper":
            return "unavailable", f"Whisper does not transcribe {locale}"
        return "unavailable", (f"Twilio's transcription is not set up for {locale} "
                               "(IVR_TWILIO_TRANSCRIPTION_LOCALES)")

    def whisper_supports(self, locale: str) -> bool:
        """Whether Whisper knows the language of ``locale``."""
        return locale.split("-")[0].lower() in WHISPER_LANGUAGES


def _number(settings: Mapping[str, Any], name: str, default: int, low: int, high: int) -> int:
    raw = str(settings.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise TranscriberConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if not low <= value <= high:
        raise TranscriberConfigError(f"{name} must be between {low} and {high}, not {value}")
    return value
