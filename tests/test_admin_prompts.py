"""Recorded prompts: which exist, uploads checked by content and size, converted, stored atomically."""

from __future__ import annotations

import io
import struct
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ivr.dashboard import audio
from tests.conftest import Clock, shutdown, upgraded, wav_bytes
from tests.test_admin_menus import OLD_HOURS, admin_client, live_text, make_admin_app

PROMPTS = "/dashboard/admin/prompts/mini.yaml"
DECLARED = "mini/en/hours_info.wav"



@pytest.fixture
def prompts_app(tmp_path: Path, clock: Clock) -> Iterator[Any]:
    """The mini menu with an English recording declared for hours_info, an empty prompts folder.

    These tests are about files, not the database: SQLite is enough.
    """
    db_url = f"sqlite:///{tmp_path / 'prompts.sqlite3'}"
    upgraded(db_url)
    app = make_admin_app(db_url, tmp_path, clock, IVR_PROMPTS_DIR=str(tmp_path / "prompts"),
                         IVR_PROMPT_MAX_BYTES="200000")
    text = live_text(app).replace(f'en: "{OLD_HOURS}"',
                                  f'en: {{text: "{OLD_HOURS}", audio: {DECLARED}}}')
    assert app.extensions["ivr"].versions.publish("mini.yaml", text, "root").ok
    yield app
    shutdown(app)


def mp3_bytes(frames: int = 4) -> bytes:
    """MPEG-1 layer III frames (128 kbit/s, 44.1 kHz) behind an ID3 tag: what an MP3 starts with."""
    header = bytes([0xFF, 0xFB, 0x90, 0x44])
    frame = header + bytes(144 * 128000 // 44100 - 4)
    return b"ID3\x04\x00\x00\x00\x00\x00\x05" + b"TIT2\x00" + frame * frames


def stereo_wav(rate: int = 44100, seconds: float = 0.5) -> bytes:
    """A CD-quality stereo WAV: not what a telephone line plays."""
    count = int(rate * seconds)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(struct.pack("<hh", (i * 37) % 3000, -(i * 37) % 3000)
                                 for i in range(count)))
    return buffer.getvalue()


def float_wav() -> bytes:
    """A 32-bit floating-point WAV (format 3), which the standard library cannot read."""
    samples = struct.pack("<4f", 0.0, 0.5, -0.5, 0.0)
    fmt = struct.pack("<HHIIHH", 3, 1, 8000, 32000, 4, 32)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + \
        struct.pack("<I", len(samples)) + samples
    return b"RIFF" + struct.pack("<I", len(body)) + body


def upload(client: Any, token: str, data: bytes, name: str, node: str = "hours_info",
           lang: str = "en", label: str = "say") -> Any:
    return client.post(f"{PROMPTS}/upload", data={
        "csrf_token": token, "node": node, "label": label, "lang": lang,
        "audio": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def cell_state(page: str, node: str, lang: str, label: str = "say") -> str:
    marker = f'data-prompt="{node}/{label}/{lang}"'
    assert marker in page
    return page.split(marker, 1)[1].split('data-state="', 1)[1].split('"', 1)[0]


def test_the_table_shows_recorded_missing_and_spoken_prompts(prompts_app: Any) -> None:
    client, _ = admin_client(prompts_app)
    page = client.get(PROMPTS)
    assert page.status_code == 200
    assert cell_state(page.text, "hours_info", "en") == "missing"
    assert cell_state(page.text, "hours_info", "fr") == "spoken"
    assert "mini/fr/hours_info.wav" in page.text  # where a French recording would go
    assert "1 recording named in the live menu, 1 missing." in page.text
    assert cell_state(page.text, "agent", "ro") == "spoken"


def test_a_telephone_wav_is_stored_as_it_is_and_can_be_listened_to(prompts_app: Any) -> None:
    client, header = admin_client(prompts_app)
    sound = wav_bytes(0.5)
    response = upload(client, header["X-CSRF-Token"], sound, "hours.wav")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#p-hours_info-say-en")
    stored = prompts_app.extensions["ivr"].prompts_dir / DECLARED
    assert stored.read_bytes() == sound
    assert not [p for p in stored.parent.iterdir() if p.name.startswith(".upload-")]
    page = client.get(PROMPTS).text
    assert cell_state(page, "hours_info", "en") == "recorded"
    assert f'<audio controls preload="none" src="/prompts/{DECLARED}">' in page
    with client.get(f"/prompts/{DECLARED}") as served:
        assert served.status_code == 200 and served.data == sound
    assert "0 missing" in page


def test_a_cd_quality_stereo_wav_is_converted_for_the_telephone(prompts_app: Any) -> None:
    client, header = admin_client(prompts_app)
    response = upload(client, header["X-CSRF-Token"], stereo_wav(44100, 0.5), "studio.wav")
    assert response.status_code == 302
    stored = prompts_app.extensions["ivr"].prompts_dir / DECLARED
    with wave.open(str(stored)) as result:
        assert (result.getnchannels(), result.getsampwidth(), result.getframerate()) == (1, 2, 16000)
        assert abs(result.getnframes() / 16000 - 0.5) < 0.01  # same length
    page = client.get(PROMPTS).text
    assert "converted from 44100 Hz, 2 channels, 16-bit to 16000 Hz mono 16-bit" in page


def test_an_mp3_goes_to_a_prompt_without_a_declared_file(prompts_app: Any) -> None:
    client, header = admin_client(prompts_app)
    sound = mp3_bytes()
    response = upload(client, header["X-CSRF-Token"], sound, "heures.mp3", lang="fr")
    assert response.status_code == 302
    stored = prompts_app.extensions["ivr"].prompts_dir / "mini/fr/hours_info.mp3"
    assert stored.read_bytes() == sound
    page = client.get(PROMPTS).text
    assert "Add  audio: mini/fr/hours_info.mp3  to that prompt" in page
    assert cell_state(page, "hours_info", "fr") == "recorded"


@pytest.mark.parametrize(("data", "name", "message"), [
    (b"Hello, this is not a recording.\n" * 10, "prompt.wav", "not a WAV or MP3 recording"),
    (mp3_bytes(), "prompt.mp3", "upload a WAV file (this one is MP3)"),
    (float_wav(), "float.wav", "only uncompressed PCM WAV is taken"),
    (wav_bytes(15.0), "long.wav", "prompts may be at most 200,000 bytes"),
    (b"", "empty.wav", "The file is empty."),
])
def test_uploads_that_cannot_be_played_are_refused(prompts_app: Any, data: bytes, name: str,
                                                   message: str) -> None:
    client, header = admin_client(prompts_app)
    response = upload(client, header["X-CSRF-Token"], data, name)
    assert response.status_code == 400
    assert message in response.text
    folder = prompts_app.extensions["ivr"].prompts_dir
    assert not folder.exists() or not any(p.is_file() for p in folder.rglob("*"))


def test_an_upload_for_a_prompt_the_menu_does_not_have_is_refused(prompts_app: Any) -> None:
    client, header = admin_client(prompts_app)
    response = upload(client, header["X-CSRF-Token"], wav_bytes(0.2), "x.wav", node="../../etc")
    assert response.status_code == 404
    assert client.get("/dashboard/admin/prompts/nothing.yaml").status_code == 404


def test_content_decides_the_kind_never_the_name() -> None:
    assert audio.kind_of(wav_bytes(0.1)) == "wav"
    assert audio.kind_of(mp3_bytes()) == "mp3"
    assert audio.kind_of(mp3_bytes()[10 + 5:]) == "mp3"  # without its ID3 tag
    assert audio.kind_of(b"\xff\xfb" + b"garbage" * 20) is None  # one header is not an MP3
    assert audio.kind_of(b"RIFF\x00\x00\x00\x00AVI LIST") is None
    eight_bit = io.BytesIO()
    with wave.open(eight_bit, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(11025)
        out.writeframes(bytes([128, 200, 56, 128]) * 2000)
    converted = audio.prepare(eight_bit.getvalue(), 10**6)
    with wave.open(io.BytesIO(converted.data)) as result:
        assert (result.getsampwidth(), result.getframerate()) == (2, 8000)
        assert abs(result.getnframes() - 8000 * 8000 / 11025) < 2


def test_an_upload_reaches_the_other_instances_prompts_folder(db_url: str, tmp_path: Path,
                                                               clock: Clock) -> None:
    """Two instances on one database, each with its own prompts folder."""
    from tests.test_admin_menus import make_admin_app

    first = make_admin_app(db_url, tmp_path / "a", clock, IVR_PROMPTS_DIR=str(tmp_path / "a"))
    second = make_app_on(db_url, tmp_path / "b", clock)
    try:
        text = live_text(first).replace(f'en: "{OLD_HOURS}"',
                                        f'en: {{text: "{OLD_HOURS}", audio: {DECLARED}}}')
        assert first.extensions["ivr"].versions.publish("mini.yaml", text, "root").ok
        client, header = admin_client(first)
        sound = wav_bytes(0.3)
        assert upload(client, header["X-CSRF-Token"], sound, "hours.wav").status_code == 302
        copy = tmp_path / "b" / DECLARED
        assert not copy.exists()
        svc = second.extensions["ivr"]
        svc.catalog.maybe_reload()  # the next check (IVR_MENU_CHECK_SECONDS=0 here)
        assert copy.read_bytes() == sound
        with second.test_client().get(f"/prompts/{DECLARED}") as served:
            assert served.status_code == 200 and served.data == sound
        assert svc.prompt_uploads.sync() == 0  # nothing new: nothing written again
        newer = wav_bytes(0.6)
        assert upload(client, header["X-CSRF-Token"], newer, "hours.wav").status_code == 302
        svc.catalog.maybe_reload()
        assert copy.read_bytes() == newer  # the newest upload wins
        third = make_app_on(db_url, tmp_path / "c", clock)  # an instance started later
        try:
            assert (tmp_path / "c" / DECLARED).read_bytes() == newer
        finally:
            shutdown(third)
    finally:
        shutdown(second)
        shutdown(first)


def make_app_on(db_url: str, folder: Path, clock: Clock) -> Any:
    """Another instance: the same database, its own prompts folder."""
    from tests.conftest import make_app

    folder.mkdir(parents=True, exist_ok=True)
    return make_app(db_url, folder, clock, IVR_MENU_CHECK_SECONDS="0",
                    IVR_PROMPTS_DIR=str(folder))
