"""The demo menus as a caller and an admin meet them: real recordings, three languages, clean."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ivr.cli import cli
from ivr.menu.loader import load_menu
from ivr.simulator import FlaskTransport, Phone
from tests.conftest import ROOT, TOKEN, make_app, shutdown

DEMO = sorted((ROOT / "menus").glob("*.yaml"))


@pytest.fixture
def shop(tmp_path: Path, clock: Any) -> Any:
    from tests.conftest import upgraded

    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    upgraded(url)
    app = make_app(url, tmp_path, clock, IVR_MENUS_DIR=str(ROOT / "menus"))
    yield app
    shutdown(app)


def test_demo_menus_are_realistic_and_pass_the_strict_check() -> None:
    assert [p.stem for p in DEMO] == ["library", "shop"]
    for path in DEMO:
        menu = load_menu(path)
        assert len(menu.nodes) >= 15, path.name
        assert list(menu.languages) == ["en", "fr", "ro"]
    result = CliRunner().invoke(cli, ["check", "--strict", str(ROOT / "menus")])
    assert result.exit_code == 0, result.output
    assert "0 error(s), 0 warning(s)" in result.output


@pytest.mark.parametrize("key,lang,node,audio", [
    ("1", "en", "4", "shop/en/shop_hours.wav"),
    ("2", "fr", "4", "shop/fr/shop_hours.wav"),
    ("3", "ro", "4", "shop/ro/shop_hours.wav"),
])
def test_recorded_answers_are_played_and_served(shop: Any, key: str, lang: str, node: str,
                                               audio: str) -> None:
    phone = Phone(FlaskTransport(shop), TOKEN, called="+15005550006")
    phone.dial()
    phone.press(key)
    heard = phone.press(node)
    plays = [h for h in heard if h.kind == "play"]
    assert [p.url for p in plays] == [f"http://localhost/prompts/{audio}"]
    with shop.test_client().get(f"/prompts/{audio}") as response:
        assert response.status_code == 200 and response.mimetype == "audio/wav"
        body = response.get_data()
    assert body[:4] == b"RIFF" and body[8:12] == b"WAVE" and len(body) > 10_000


def test_an_answer_without_a_recording_is_spoken_in_the_callers_language(shop: Any) -> None:
    phone = Phone(FlaskTransport(shop), TOKEN, called="+15005550006")
    phone.dial()
    phone.press("3")  # Romanian
    phone.press("2")  # returns
    heard = phone.press("1")  # how to return: recorded in English only
    assert heard[0].kind == "say" and heard[0].locale == "ro-RO"
    assert heard[0].voice == "Polly.Carmen" and "treizeci de zile" in heard[0].text


def test_each_number_reaches_its_own_menu(shop: Any) -> None:
    library = Phone(FlaskTransport(shop), TOKEN, called="+15005550007")
    assert "City Library" in library.dial()[0].text
    unknown = Phone(FlaskTransport(shop), TOKEN, called="+15009999999")
    assert "Northwind" in unknown.dial()[0].text  # the default menu answers other numbers


@pytest.mark.parametrize("lang_key,ambiguous,target,pick_by_voice,answer", [
    ("1", "a problem with my parcel and my money back", "tracking", "parcel tracking",
     "Your tracking link is in the e-mail"),
    ("2", "remboursement commande", "refund_time", "être remboursé",
     "Nous remboursons sous cinq jours"),
    ("3", "problemă cu comanda", "cancel_order", "anulez o comandă",
     "Puteți modifica sau anula"),
])
def test_question_node_refines_by_key_and_by_voice_through_the_webhooks(
        shop: Any, lang_key: str, ambiguous: str, target: str, pick_by_voice: str,
        answer: str) -> None:
    from urllib.parse import parse_qs, urlsplit

    for how in ("key", "voice"):
        phone = Phone(FlaskTransport(shop), TOKEN, called="+15005550006")
        phone.dial()
        phone.press(lang_key)
        phone.press("5")  # "tell us in a few words what you need"
        assert phone.node == "ask"
        offered = phone.say(ambiguous)
        assert phone.listening is not None and phone.node == "ask"
        pending = parse_qs(urlsplit(phone.listening.get("action") or "").query)["c"][0]
        assert pending.startswith("refine:"), pending  # the mini-menu waits for an answer
        order = pending.split(":", 1)[1].split(",")
        assert target in order and 2 <= len(order) <= 3
        key = str(order.index(target) + 1)
        assert any(f" {key}" in h.text for h in offered)  # "... press 2 ..." in the language
        heard = phone.press(key) if how == "key" else phone.say(pick_by_voice)
        assert any(answer in h.text for h in heard), [h.text for h in heard]


def test_a_recording_added_while_running_is_played_at_once(shop: Any, tmp_path: Path) -> None:
    svc = shop.extensions["ivr"]
    svc.prompts_dir = tmp_path
    assert svc.audio_available("shop/en/shop_hours.wav") is False
    (tmp_path / "shop" / "en").mkdir(parents=True)
    (tmp_path / "shop" / "en" / "shop_hours.wav").write_bytes(b"RIFF")
    assert svc.audio_available("shop/en/shop_hours.wav") is True


def test_saying_agent_after_hours_does_not_skip_the_opening_hours(shop: Any, clock: Any) -> None:
    from datetime import UTC, datetime

    clock.now = datetime(2026, 12, 25, 12, 0, tzinfo=UTC)  # closed
    phone = Phone(FlaskTransport(shop), TOKEN, called="+15005550006")
    phone.dial()
    phone.press("1")
    heard = phone.say("talk to a person")
    assert phone.dialing is None and phone.enqueued is None
    assert any("not available right now" in h.text for h in heard), [h.text for h in heard]


@pytest.mark.parametrize("matcher", ["lexical", "hybrid", "auto"])
def test_the_configured_matcher_routes_live_calls(tmp_path: Path, clock: Any,
                                                   matcher: str) -> None:
    """A matcher with a model (auto, the default, or hybrid) understands what words alone do not."""
    import os

    from ivr.speech import matcher_in_use
    from tests.conftest import upgraded

    if matcher == "hybrid" and not os.environ.get("CI"):
        pytest.importorskip("onnxruntime", reason="optional extra not installed: "
                            "pip install ivr-helpdesk[embeddings]")
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    upgraded(url)
    app = make_app(url, tmp_path, clock, IVR_MENUS_DIR=str(ROOT / "menus"), IVR_MATCHER=matcher)
    try:
        assert matcher_in_use() == matcher
        phone = Phone(FlaskTransport(app), TOKEN, called="+15005550006")
        phone.dial()
        phone.press("1")
        phone.press("5")  # "tell us in a few words what you need"
        offered = " ".join(h.text for h in phone.say("what time do you close today"))
        if matcher == "lexical":  # unsure by the words alone: opening hours among those offered
            action = phone.listening.get("action") if phone.listening is not None else ""
            assert phone.node == "ask" and "c=refine%3A" in (action or "")
            assert "shop_hours" in (action or "") and "for opening hours and address" in \
                offered.lower()
        else:  # the meaning is: the shop's opening hours, straight there
            assert phone.node == "shop_hours", offered
    finally:
        shutdown(app)
        from ivr.speech import use_matcher

        use_matcher("lexical")
