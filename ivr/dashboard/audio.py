"""Uploaded prompt recordings: recognised by their content, made telephone-ready, stored atomically.

Twilio's <Play> takes WAV and MP3 (among others). A WAV that is not 8 or 16 kHz mono
16-bit PCM is converted here with the standard library (mixed down, resampled
linearly): telephone audio is 8 kHz, so nothing audible is lost. What cannot be
read (compressed or floating-point WAV, anything that is not audio) is refused with
a message that says what to upload instead. MP3 is kept as it is.
"""

from __future__ import annotations

import io
import wave
from array import array
from dataclasses import dataclass
from pathlib import Path

from ivr.data.prompt_uploads import OutsideFolder, write_prompt

TELEPHONE_RATES = (8000, 16000)
# What a WAV may claim before any conversion work is spent on it. Below 4 kHz it is not
# speech a caller can follow; above 192 kHz it is not a recording anyone makes. A 1 Hz
# WAV of a few kilobytes would otherwise be "resampled" into tens of megabytes.
MIN_RATE, MAX_RATE = 4000, 192_000
MAX_CHANNELS = 8
# Bit rates (kbit/s) of MPEG audio layer III by bit-rate index: MPEG-1, then MPEG-2/2.5.
MP3_BITRATES = {1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
                2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)}
MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


class AudioRejected(ValueError):
    """An upload that cannot become a prompt; the message tells the admin what to do."""


@dataclass(frozen=True)
class Recording:
    """Audio ready to store: its bytes, its kind (wav or mp3) and what was done to it."""

    data: bytes
    kind: str
    note: str = ""


def kind_of(data: bytes) -> str | None:
    """``wav``, ``mp3`` or None, judged by the bytes (never by the file's name)."""
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if _mp3_frames(data) >= 2:
        return "mp3"
    return None


def _mp3_frames(data: bytes, wanted: int = 2) -> int:
    """How many consecutive MPEG layer III frames start the data (after any ID3 tag)."""
    offset = 0
    if data[:3] == b"ID3" and len(data) >= 10:
        size = (data[6] & 0x7F) << 21 | (data[7] & 0x7F) << 14 | (data[8] & 0x7F) << 7 | data[9] & 0x7F
        offset = 10 + size + (10 if data[5] & 0x10 else 0)
    found = 0
    while found < wanted and offset + 4 <= len(data):
        b1, b2 = data[offset + 1], data[offset + 2]
        if data[offset] != 0xFF or b1 & 0xE0 != 0xE0:
            break
        version, layer = (b1 >> 3) & 3, (b1 >> 1) & 3
        rate_index, bitrate_index = (b2 >> 2) & 3, b2 >> 4
        if version == 1 or layer != 1 or rate_index == 3 or bitrate_index in (0, 15):
            break
        bitrate = MP3_BITRATES[1 if version == 3 else 2][bitrate_index] * 1000
        rate = MP3_RATES[version][rate_index]
        per_frame = 144 if version == 3 else 72
        offset += per_frame * bitrate // rate + ((b2 >> 1) & 1)
        found += 1
    return found


def prepare(data: bytes, max_bytes: int) -> Recording:
    """Check an upload and make it playable on the telephone; raises AudioRejected."""
    if not data:
        raise AudioRejected("The file is empty.")
    if len(data) > max_bytes:
        raise AudioRejected(f"The file is {len(data):,} bytes; prompts may be at most "
                            f"{max_bytes:,} bytes (8 kHz mono WAV takes 16 KB a second).")
    kind = kind_of(data)
    if kind == "mp3":
        return Recording(data, "mp3")
    if kind != "wav":
        raise AudioRejected("This is not a WAV or MP3 recording. Export your prompt as WAV "
                            "(PCM) or MP3 and upload that.")
    return _telephone_wav(data, max_bytes)


def _telephone_wav(data: bytes, max_bytes: int) -> Recording:
    """The WAV as it is if telephone-ready, else converted to 16-bit mono at 8 or 16 kHz.

    The conversion's cost and size are known from the header and the data's length
    before any of it is done: an absurd rate or a result over ``max_bytes`` is refused.
    """
    try:
        with wave.open(io.BytesIO(data)) as source:
            channels, width, rate = source.getnchannels(), source.getsampwidth(), source.getframerate()
            frames = source.readframes(source.getnframes())
    except (wave.Error, EOFError) as exc:
        raise AudioRejected(f"This WAV cannot be read ({exc}): only uncompressed PCM WAV is "
                            "taken. Save it as 16-bit PCM WAV, or as MP3.") from None
    if not frames or rate <= 0:
        raise AudioRejected("The recording holds no sound.")
    if channels == 1 and width == 2 and rate in TELEPHONE_RATES:
        return Recording(data, "wav")
    if not MIN_RATE <= rate <= MAX_RATE:
        raise AudioRejected(f"The WAV says it is sampled at {rate:,} Hz; telephone prompts are "
                            f"recorded at 8,000 or 16,000 Hz ({MIN_RATE:,} to {MAX_RATE:,} Hz can "
                            "be converted). Export it again at 8,000 Hz.")
    if channels > MAX_CHANNELS:
        raise AudioRejected(f"The WAV has {channels} channels; export it as mono.")
    target = 16000 if rate >= 16000 else 8000
    seconds = len(frames) // (width * channels) / rate
    size = 44 + 2 * int(seconds * target + 1)
    if size > max_bytes:
        raise AudioRejected(f"Converted for the telephone this recording ({seconds:,.0f} s) would "
                            f"take {size:,} bytes; prompts may be at most {max_bytes:,} bytes. "
                            "Shorten it, or export it as 8,000 Hz mono 16-bit WAV.")
    samples = _mono(_to_16bit(frames, width), channels)
    samples = _resample(samples, rate, target)
    out = io.BytesIO()
    with wave.open(out, "wb") as sink:
        sink.setnchannels(1)
        sink.setsampwidth(2)
        sink.setframerate(target)
        sink.writeframes(samples.tobytes())
    note = (f"converted from {rate} Hz, {channels} channel{'s' if channels > 1 else ''}, "
            f"{8 * width}-bit to {target} Hz mono 16-bit")
    return Recording(out.getvalue(), "wav", note)


def _to_16bit(frames: bytes, width: int) -> array[int]:
    """PCM samples of any width as signed 16-bit values."""
    if width == 2:
        out = array("h")
        out.frombytes(frames[: len(frames) // 2 * 2])
        return out
    if width == 1:  # 8-bit WAV is unsigned
        return array("h", ((b - 128) << 8 for b in frames))
    if width == 3:
        return array("h", (int.from_bytes(frames[i + 1:i + 3], "little", signed=True)
                           for i in range(0, len(frames) - 2, 3)))
    if width == 4:
        wide = array("i")
        wide.frombytes(frames[: len(frames) // 4 * 4])
        return array("h", (v >> 16 for v in wide))
    raise AudioRejected(f"{8 * width}-bit samples are not supported; use 16-bit PCM.")


def _mono(samples: array[int], channels: int) -> array[int]:
    """Average the channels into one."""
    if channels == 1:
        return samples
    count = len(samples) // channels
    return array("h", (sum(samples[i * channels:(i + 1) * channels]) // channels
                       for i in range(count)))


def _resample(samples: array[int], rate: int, target: int) -> array[int]:
    """Linear interpolation to ``target`` Hz (enough for speech on an 8 kHz line)."""
    if rate == target or len(samples) < 2:
        return samples
    step = rate / target
    count = int((len(samples) - 1) / step) + 1
    out = array("h", bytes(2 * count))
    last = len(samples) - 1
    for i in range(count):
        position = i * step
        left = int(position)
        fraction = position - left
        right = min(left + 1, last)
        out[i] = int(samples[left] + (samples[right] - samples[left]) * fraction)
    return out


def store(folder: Path, relative: str, data: bytes) -> Path:
    """Write ``data`` at ``folder/relative`` atomically: a caller never hears half a file."""
    try:
        return write_prompt(folder, relative, data)
    except OutsideFolder as exc:
        raise AudioRejected(str(exc)) from None
