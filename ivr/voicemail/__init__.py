"""Voicemails: taking Twilio's reports without losing any, their audio, transcripts, retention."""

from __future__ import annotations

from typing import Protocol

from ivr.voicemail.intake import Intake
from ivr.voicemail.media import Media

__all__ = ["Intake", "Media", "NoTranscriber", "Transcriber"]


class Transcriber(Protocol):
    """Turns a recording into text for languages Twilio does not transcribe."""

    def transcribe(self, audio: bytes, mimetype: str, locale: str) -> str | None:
        """The text, or None when this transcriber cannot do it."""
        ...


class NoTranscriber:
    """The default: no transcription beyond Twilio's; voicemails say "not transcribed"."""

    def transcribe(self, audio: bytes, mimetype: str, locale: str) -> str | None:
        """Never transcribes."""
        return None
