"""Tests for ivr.speech: normalisation, ranking and routing decisions (en, fr, ro, other)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ivr.speech import Decision, PhraseIndex, Scored, decide_from_ranking, fold, normalize

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


# --- normalisation -------------------------------------------------------------------


def test_romanian_plural_and_articled_forms_share_a_stem() -> None:
    """'Retururi' (plural) and 'returul' (articled singular) reduce to one stem."""
    assert normalize("Retururi", "ro") == normalize("returul", "ro")
    assert normalize("retururile", "ro") == normalize("retur", "ro")


def test_french_plural_shares_stem() -> None:
    """'commandes' and 'commande' reduce to one stem; accents are folded after stemming."""
    assert normalize("commandes", "fr") == normalize("commande", "fr")
    assert normalize("échange", "fr") == normalize("echange", "fr")


def test_english_stemming() -> None:
    """Snowball English conflates inflections."""
    assert normalize("returns", "en") == normalize("returning", "en") == ["return"]


def test_romanian_cedilla_and_comma_below_fold_alike() -> None:
    """ș/ş and ț/ţ (comma-below vs legacy cedilla) and ă â î all fold to base letters."""
    assert fold("ș") == fold("ş") == "s"
    assert fold("ț") == fold("ţ") == "t"
    assert fold("ăâî") == "aai"
    assert normalize("plăţile", "ro") == normalize("plățile", "ro")
    # Speech-to-text often drops diacritics entirely; both spellings must meet.
    assert normalize("mașina", "ro") == normalize("masina", "ro")


def test_punctuation_and_case_removed() -> None:
    """Punctuation is dropped and case ignored."""
    assert normalize("Track, my ORDER!!!", "en") == normalize("track my order", "en")
    assert all(t.isalnum() for t in normalize("l'adresse, s.v.p. -- merci?", "fr"))


def test_fillers_dropped_per_language() -> None:
    """Hesitations and polite preambles vanish; the content words remain."""
    assert normalize("Um, uh, I'd like to track my order please", "en") == normalize("track my order", "en")
    assert normalize("euh je voudrais suivre ma commande s'il vous plaît", "fr") == normalize(
        "suivre ma commande", "fr"
    )
    heard = normalize("păi aș vrea să returnez un produs, vă rog", "ro")
    assert heard == normalize("returnez un produs", "ro")
    # A cedilla/unaccented filler spelling is still recognised.
    assert normalize("pai as vrea sa returnez", "ro") == normalize("returnez", "ro")


def test_filler_words_kept_outside_filler_phrases() -> None:
    """'like' is only a filler inside "I'd like to"; as a content word it stays."""
    assert "like" in normalize("I like this product", "en")


def test_unknown_language_folds_without_stemming() -> None:
    """Other language codes fall back to folding only, without crashing."""
    assert normalize("Größe Straßen", "de") == ["grosse", "strassen"]
    assert normalize("uh hello", "xx-YY") == ["hello"]


def test_stopwords_are_normalised_forms() -> None:
    """Function-word lists are in normalised form and empty for unknown languages."""
    from ivr.speech.normalize import stopwords

    assert {"the", "my"} <= stopwords("en") and "where" not in stopwords("en")
    assert normalize("les", "fr")[0] in stopwords("fr")
    assert normalize("și", "ro")[0] in stopwords("ro") and normalize("şi", "ro")[0] in stopwords("ro")
    assert stopwords("xx") == frozenset()


def test_empty_and_filler_only_input() -> None:
    """Empty, whitespace, punctuation-only and filler-only input give no tokens."""
    assert normalize("", "en") == []
    assert normalize("   \t", "fr") == []
    assert normalize("?!...", "ro") == []
    assert normalize("um uh hmm", "en") == []


# --- ranking -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def en_index() -> PhraseIndex:
    """English demo menu index."""
    return PhraseIndex(EN_MENU, "en")


def test_rank_shape_and_bounds(en_index: PhraseIndex) -> None:
    """Scores are in [0, 1], best first, at most `limit` results, known target ids."""
    ranked = en_index.rank("I want to pay the bill", limit=2)
    assert 1 <= len(ranked) <= 2
    assert all(isinstance(s, Scored) and 0.0 <= s.score <= 1.0 for s in ranked)
    assert [s.score for s in ranked] == sorted((s.score for s in ranked), reverse=True)
    assert {s.target for s in ranked} <= {t for t, _ in EN_MENU}
    assert ranked[0].target == "billing"


def test_exact_phrase_scores_highest(en_index: PhraseIndex) -> None:
    """An exact example phrase scores 1.0, above everything else."""
    ranked = en_index.rank("Where is my package?")
    assert ranked[0] == Scored("orders", 1.0)
    assert all(s.score < 1.0 for s in ranked[1:])
    assert max(s.score for s in en_index.rank("where is my parcel")) < 1.0


def test_paraphrases_route_correctly(en_index: PhraseIndex) -> None:
    """Utterances that are not examples still reach the right target."""
    cases = {
        "I'd like to get a refund for this": "returns",
        "can I speak to a real person": "agent",
        "my parcel delivery is very late": "orders",
        "what are your opening hours": "hours",
        "why was I charged twice on my invoice": "billing",
    }
    for utterance, target in cases.items():
        assert en_index.rank(utterance)[0].target == target, utterance


def test_misspelled_utterance_matches(en_index: PhraseIndex) -> None:
    """One or two wrong letters still match via fuzzy matching."""
    assert en_index.rank("retrns")[0].target == "returns"
    assert en_index.rank("refnud please")[0].target == "returns"
    assert en_index.rank("trak my ordr")[0].target == "orders"


def test_empty_utterance(en_index: PhraseIndex) -> None:
    """Empty or whitespace utterances yield nothing."""
    assert en_index.rank("") == []
    assert en_index.rank("   ") == []
    assert en_index.decide("  ") == Decision("none", ())


def test_decisions_en(en_index: PhraseIndex) -> None:
    """Exact phrase -> confident; unrelated speech -> none; a vague word -> refine."""
    d = en_index.decide("speak to an agent")
    assert d.kind == "confident" and d.candidates[0].target == "agent"
    assert en_index.decide("purple elephants dancing").kind == "none"
    assert en_index.decide("the weather is nice today").kind == "none"
    d = en_index.decide("my")
    assert d.kind in ("refine", "none")
    if d.kind == "refine":
        assert 2 <= len(d.candidates) <= 3


def test_refine_offers_the_close_pair() -> None:
    """Two targets sharing the heard word are offered together for refinement."""
    idx = PhraseIndex(
        [
            ("card_lost", ["I lost my card", "my card was stolen"]),
            ("card_new", ["order a new card", "replace my card"]),
            ("hours", ["opening hours", "when are you open"]),
        ],
        "en",
    )
    d = idx.decide("card")
    assert d.kind == "refine"
    assert {c.target for c in d.candidates[:2]} == {"card_lost", "card_new"}


def test_french_menu() -> None:
    """French routing, including fillers, accents dropped and a misspelling."""
    idx = PhraseIndex(FR_MENU, "fr")
    assert idx.rank("euh je voudrais suivre mes commandes")[0].target == "commandes"
    assert idx.rank("ou est mon colis")[0].target == "commandes"
    assert idx.rank("je veux etre rembourse")[0].target == "retours"
    assert idx.rank("payer mes factrues")[0].target == "factures"
    assert idx.decide("parler à un conseiller").kind == "confident"
    assert idx.decide("le chat mange une pomme verte").kind != "confident"


def test_romanian_menu() -> None:
    """Romanian routing with cedilla/comma variants and missing diacritics."""
    idx = PhraseIndex(RO_MENU, "ro")
    assert idx.rank("returul")[0].target == "retururi"
    assert idx.rank("aș vrea să returnez ceva")[0].target == "retururi"
    assert idx.rank("unde e comanda mea")[0].target == "comenzi"
    assert idx.rank("am fost taxat de doua ori")[0].target == "facturi"
    assert idx.rank("am fost taxat de două ori")[0].score == 1.0
    assert idx.rank("asistenţă clienţi")[0] == Scored("operator", 1.0)
    assert idx.rank("vorbesc cu un operatr")[0].target == "operator"
    assert idx.decide("xyzzy plugh").kind == "none"


def test_unknown_language_code() -> None:
    """An unsupported language code still builds and routes (no stemming)."""
    idx = PhraseIndex([("zahlung", ["Rechnung bezahlen"]), ("mensch", ["mit einem Menschen sprechen"])], "de")
    assert idx.rank("ich möchte meine Rechnung bezahlen")[0].target == "zahlung"
    assert idx.rank("rechnug")[0].target == "zahlung"
    assert idx.decide("Rechnung bezahlen").kind == "confident"
    assert PhraseIndex(EN_MENU, "").rank("track my order")[0].target == "orders"


def test_degenerate_indexes() -> None:
    """Empty indexes, empty phrase lists and duplicate phrases do not crash."""
    assert PhraseIndex([], "en").rank("hello") == []
    assert PhraseIndex([], "en").decide("hello") == Decision("none", ())
    idx = PhraseIndex([("a", []), ("b", ["", "um"]), ("c", ["track order"]), ("d", ["track order"])], "en")
    assert idx.rank("track order")[0] == Scored("c", 1.0)


# --- decision logic ------------------------------------------------------------------


def test_decide_from_ranking_thresholds() -> None:
    """Explicit thresholds: high and clear -> confident; plausible -> refine; low -> none."""
    th = (0.6, 0.2, 0.2, 0.3, 0.0)
    ranked = [Scored("a", 0.8), Scored("b", 0.3), Scored("c", 0.1)]
    assert decide_from_ranking(ranked, *th) == Decision("confident", (ranked[0],))
    close = [Scored("a", 0.5), Scored("b", 0.45), Scored("c", 0.1)]
    assert decide_from_ranking(close, *th) == Decision("refine", tuple(close[:2]))
    assert decide_from_ranking(close, 0.6, 0.2, 0.2, 0.5, 0.0).candidates == tuple(close)
    assert decide_from_ranking(close, 0.6, 0.2, 0.6, 0.3, 0.0) == Decision("none", ())
    assert decide_from_ranking([], *th) == Decision("none", ())


def test_refine_drops_far_alternatives() -> None:
    """Alternatives under offer_ratio of the best are not read out; the best is confirmed."""
    lone = [Scored("a", 0.4), Scored("b", 0.05), Scored("c", 0.04)]
    assert decide_from_ranking(lone, 0.6, 0.2, 0.2, 1.0, 0.3) == Decision("refine", (lone[0],))
    assert len(decide_from_ranking(lone, 0.6, 0.2, 0.2, 1.0, 0.0).candidates) == 3


def test_exact_phrase_is_confident_despite_close_second() -> None:
    """An exact example phrase is routed confidently unless another target has it too."""
    near = [Scored("a", 1.0), Scored("b", 0.9)]
    assert decide_from_ranking(near, 0.6, 0.2, 0.2, 1.0, 0.0).kind == "confident"
    tie = [Scored("a", 1.0), Scored("b", 1.0)]
    assert decide_from_ranking(tie, 0.6, 0.2, 0.2, 1.0, 0.0).kind == "refine"


def test_scores_comparable_across_utterances(en_index: PhraseIndex) -> None:
    """Closer paraphrases outscore diluted ones and unrelated speech, so thresholds make sense."""
    exact = en_index.rank("track my order")[0].score
    close = en_index.rank("track my order status")[0].score
    diluted = en_index.rank("order pizza with extra cheese tonight")[0].score
    unrelated = max((s.score for s in en_index.rank("the weather is nice today")), default=0.0)
    assert exact > close > diluted > unrelated


# --- constraints ---------------------------------------------------------------------


def test_no_web_or_db_imports() -> None:
    """The matcher imports nothing of Flask, Twilio or SQL."""
    # Stub the parent package: ivr/__init__.py is the web app and may import Flask itself;
    # what matters is that the speech package alone pulls none of it in.
    code = (
        "import sys, types; pkg = types.ModuleType('ivr'); pkg.__path__ = [sys.argv[1]]; "
        "sys.modules['ivr'] = pkg; import ivr.speech; ivr.speech.PhraseIndex([('a', ['b'])], 'en'); "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('flask', 'twilio', 'werkzeug', 'sqlalchemy', 'sqlite3', 'psycopg', 'alembic')]; "
        "print('speech-ok', ','.join(bad))"
    )
    pkg_dir = str(Path(__file__).resolve().parents[1] / "ivr")
    out = subprocess.run([sys.executable, "-c", code, pkg_dir], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "speech-ok"


def test_large_index_ranks_the_right_target() -> None:
    """A 2,000-target index still ranks an exact phrase first (its build time: bench-menu-scale)."""
    words = ["card", "payment", "transfer", "balance", "refund", "account", "address", "limit"]
    entries = [
        (f"t{i}", [f"{words[i % 8]} {words[(i // 8) % 8]} option{i}", f"help with item{i} {words[i % 5]}"])
        for i in range(2000)
    ]
    idx = PhraseIndex(entries, "en")
    assert idx.rank("help with item1234")[0].target == "t1234"
