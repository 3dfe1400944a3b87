"""Prompt uploads: the conversion's work and result are bounded before any is done.

A WAV of a few kilobytes claiming a 1 Hz sample rate was once "resampled" to 8 kHz:
32 MB of output and 26 s of CPU in the request. Absurd rates are refused from the
header, and a conversion whose result would pass the upload limit is refused first.
"""

from __future__ import annotations

import io
import time
import wave

import pytest

from ivr.dashboard import audio


def pcm_wav(rate: int, frames: int, width: int = 2, channels: int = 1) -> bytes:
    """A PCM WAV of silence-ish samples with the given header."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.setframerate(rate)
        out.writeframes(bytes((i * 7) % 200 for i in range(frames * width * channels)))
    return buffer.getvalue()


@pytest.mark.parametrize("rate", [1, 100, 3999, 192_001, 4_000_000])
def test_an_absurd_sample_rate_is_refused_before_converting(rate: int,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    data = pcm_wav(rate, 4000)  # 8 KB
    converted = []
    monkeypatch.setattr(audio, "_resample", lambda *args: converted.append(args))
    with pytest.raises(audio.AudioRejected, match=f"sampled at {rate:,} Hz"):
        audio.prepare(data, 5_000_000)
    assert converted == []


def test_the_one_hertz_wav_is_refused_at_once() -> None:
    data = pcm_wav(1, 4000)
    started = time.process_time()
    with pytest.raises(audio.AudioRejected):
        audio.prepare(data, 5_000_000)
    assert time.process_time() - started < 1.0  # it used to take 26 s


def test_a_conversion_that_would_outgrow_the_limit_is_refused_first() -> None:
    data = pcm_wav(11025, 11025 * 15, width=1)  # 15 s of 8-bit: 165 KB in, 240 KB out
    assert len(data) < 200_000
    with pytest.raises(audio.AudioRejected, match=r"would take 240,\d{3} bytes"):
        audio.prepare(data, 200_000)
    converted = audio.prepare(data, 300_000)  # within the limit it is converted as before
    assert converted.kind == "wav" and len(converted.data) <= 300_000
    with wave.open(io.BytesIO(converted.data)) as result:
        assert result.getframerate() == 8000 and result.getnframes() == pytest.approx(120_000, abs=2)


def test_many_channels_are_refused() -> None:
    with pytest.raises(audio.AudioRejected, match="16 channels"):
        audio.prepare(pcm_wav(8000, 100, channels=16), 5_000_000)


def test_ordinary_rates_still_convert() -> None:
    for rate, target in ((4000, 8000), (22050, 16000), (48000, 16000)):
        converted = audio.prepare(pcm_wav(rate, rate // 2, channels=2), 5_000_000)
        with wave.open(io.BytesIO(converted.data)) as result:
            assert result.getframerate() == target and result.getnchannels() == 1
