"""What agents are told about a voicemail's recording and transcript, in states that end."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from ivr.dashboard.times import as_utc, local, viewer_zone
from ivr.menu.model import Menu
from ivr.transcripts.engines import ENGINE_NAMES, LIVE_WAIT, WORKER_WAIT

# Twilio sends an English transcript within minutes; after this long we stop waiting.
TRANSCRIPT_WAIT = timedelta(minutes=30)


@dataclass(frozen=True)
class State:
    """A short label for the inbox and a sentence for the voicemail page."""

    key: str  # completed | pending | overdue | failed | not_requested | unavailable | timed_out
    short: str
    long: str
    engine: str = ""  # who made (or was to make) the transcript, in words


def transcript_state(vm: Mapping[str, Any], menu: Menu | None, now: datetime,
                     job: Mapping[str, Any] | None = None) -> State:
    """Where the voicemail's transcript stands, and who made it; every waiting state ends.

    ``job`` is the recording's transcription work item (ivr.transcripts), when an
    engine other than Twilio's recording transcription was asked.
    """
    status = vm.get("transcript_status") or ""
    engine = ENGINE_NAMES.get(str(job["engine"]), "") if job else ENGINE_NAMES["twilio-record"]
    if status == "completed" and vm.get("transcript"):
        return State("completed", "", "", engine)
    created = as_utc(vm["created_at"]) if vm.get("created_at") else None
    since = local(created, viewer_zone()) if created else "?"
    if job is not None:
        return _job_state(job, since, now, viewer_zone())
    if status == "pending":
        if created is not None and now - created > TRANSCRIPT_WAIT:
            return State("overdue", "No transcript arrived",
                         f"No transcript arrived: Twilio was asked for one at {since} and has "
                         "not sent it (it usually takes a few minutes; a local demo or a "
                         "simulated call never gets one). Listen to the recording.")
        return State("pending", "Transcript pending",
                     f"Transcript pending since {since}: Twilio sends English transcripts "
                     "within a few minutes. Listen to the recording meanwhile.")
    if status == "failed":
        return State("failed", "Transcription failed",
                     "Transcription failed: Twilio could not transcribe this recording (it "
                     "transcribes American English recordings of 2 to 120 seconds only). "
                     "Listen to the recording.")
    lang = vm.get("lang") or ""
    locale = menu.languages[lang].locale if menu is not None and lang in menu.languages else ""
    if locale and locale != "en-US":
        name = (menu.languages[lang].name if menu is not None else "") or lang
        return State("unavailable", "Not transcribed (language)",
                     f"Not transcribed: Twilio transcribes American English only, and this "
                     f"message is in {name} ({locale}). Listen to the recording.")
    return State("not_requested", "Not transcribed",
                 "Not transcribed: this voicemail node does not ask Twilio for a transcript. "
                 "Listen to the recording.")


def _job_state(job: Mapping[str, Any], since: str, now: datetime, zone: Any) -> State:
    """What agents are told about an engine's work item that gave no text (yet)."""
    engine = ENGINE_NAMES.get(str(job["engine"]), "")
    reason = str(job.get("reason") or "")
    status = str(job["status"])
    listen = " Listen to the recording."
    wait = LIVE_WAIT if job["engine"] == "twilio-live" else WORKER_WAIT
    started = as_utc(job["created_at"])
    if status in ("queued", "running") and started is not None and now - started > wait:
        status, reason = "timed_out", f"no transcript within {int(wait.total_seconds() // 60)} minutes"
    if status == "completed":
        if job.get("text"):  # made, not yet copied onto the voicemail: shown on next load
            return State("pending", "Transcript arriving", "The transcript has just been made; "
                         "reload the page to read it.", engine)
        return State("completed_empty", "Nothing to transcribe",
                     f"No words: {engine} heard nothing it could transcribe in this message."
                     + listen, engine)
    if status in ("queued", "running"):
        detail = f" ({reason})" if reason else ""
        return State("pending", "Transcribing…",
                     f"Being transcribed by {engine} since {since}{detail}. It ends within "
                     f"{int(wait.total_seconds() // 60)} minutes, with the text or the reason "
                     "why not." + listen, engine)
    if status == "timed_out":
        return State("timed_out", "No transcript (timed out)",
                     f"No transcript: {engine or 'the engine'} sent none ({reason}). A local "
                     "demo or a simulated call never gets one." + listen, engine)
    if status == "failed":
        return State("failed", "Transcription failed",
                     f"Transcription failed: {reason or 'the engine gave up'}." + listen, engine)
    short = "Not transcribed (language)" if "transcribe" in reason and (
        "not set up for" in reason or "does not transcribe" in reason) else "Not transcribed"
    return State("unavailable", short, f"Not transcribed: {reason}." + listen, engine)


def beside(transcript: State, recording: State) -> State:
    """The transcript's sentence as shown beside ``recording``: with nothing to play, it does
    not send the agent to the recording, and a pending one says it may never come."""
    if recording.key == "stored":
        return transcript
    long = transcript.long.replace(" Listen to the recording meanwhile.", "") \
        .replace(" Listen to the recording.", "")
    if transcript.key == "pending" and "never gets one" not in long:
        long += " A local demo or a simulated call never gets one."
    return replace(transcript, long=long)


def recording_state(vm: Mapping[str, Any], stored: bool) -> State:
    """Whether the recording can be played here, and why not."""
    if stored:
        return State("stored", "", "")
    status = vm.get("recording_status") or ""
    if status == "deleted":
        return State("deleted", "Deleted", "The recording was deleted when its retention "
                     "period ended (the transcript and the caller's path are kept).")
    if status in ("failed", "absent"):
        return State(status, "No recording", f"Twilio reported the recording as {status}: "
                     "there is nothing to play.")
    return State("missing", "Not downloaded", "The recording has not been downloaded from "
                 "Twilio yet: the worker fetches it with the account's credentials. A call "
                 "from the simulator or the local demo has no recording at Twilio, so there "
                 "is nothing to play here.")
