"""The self-hosted engine: faster-whisper on a model folder the admin points to.

The model is loaded once, on first use, from ``IVR_WHISPER_MODEL_DIR`` (a CTranslate2
Whisper folder such as a copy of faster-whisper-base); nothing is downloaded at run
time. It implements the Transcriber interface of ivr.voicemail.
"""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import Any

from ivr.transcripts.engines import TranscriberConfigError, TranscriptionSettings


class WhisperTranscriber:
    """Turns a recording's audio into text with faster-whisper, in the caller's language."""

    def __init__(self, settings: TranscriptionSettings) -> None:
        self.settings = settings
        self._model: Any = None
        self._lock = threading.Lock()
        self.model_name = Path(settings.whisper_dir).name if settings.whisper_dir else ""

    def model(self) -> Any:
        """The loaded model (loaded once; a folder that is not a model raises a config error)."""
        with self._lock:
            if self._model is None:
                problem = self.settings.problem()
                if problem:
                    raise TranscriberConfigError(problem)
                from faster_whisper import WhisperModel

                self._model = WhisperModel(self.settings.whisper_dir, device="cpu",
                                           compute_type="int8",
                                           cpu_threads=self.settings.whisper_threads,
                                           local_files_only=True)
            return self._model

    def transcribe(self, audio: bytes, mimetype: str, locale: str) -> str | None:
        """The text said in ``audio`` (MP3 or WAV), or None when Whisper lacks the language.

        Greedy decoding without temperature fallback: a CPU transcribes a short message in
        about a second, and a garbled one cannot make it retry five times over.
        """
        if not self.settings.whisper_supports(locale):
            return None
        segments, _info = self.model().transcribe(
            io.BytesIO(audio), language=locale.split("-")[0].lower(), beam_size=1, temperature=0.0,
            vad_filter=False, condition_on_previous_text=False)
        return " ".join(s.text.strip() for s in segments if s.text.strip())
