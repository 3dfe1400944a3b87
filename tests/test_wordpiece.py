"""ivr.speech.wordpiece gives the ids of tokenizers' BertWordPieceTokenizer, as MiniLM uses it.

``tokenizers`` is only a test dependency (and the onnx-model extra's): here it is the
reference the plain-Python tokenizer is held to, on Banking77's train utterances, every
text of the demo menus, every assigned character and generated text.
"""

from __future__ import annotations

import csv
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.speech.minilm import MAX_TOKENS, VOCAB
from ivr.speech.wordpiece import MAX_WORD_CHARS, UNICODE_8_CHANGES, WordPiece, normalize
from tests.conftest import ROOT

tokenizers = pytest.importorskip("tokenizers", reason="the test extra installs tokenizers")

# The shared data folder beside the checkout (or one level further up, from a worktree).
BANKING77 = next((p for p in (ROOT.parents[n] / "shared" / "data" / "banking77" for n in (0, 1))
                  if (p / "train.csv").is_file()), None)


@pytest.fixture(scope="module")
def reference() -> Any:
    """tokenizers' BertWordPieceTokenizer set up as MiniLM's encoder set it up."""
    tok = tokenizers.BertWordPieceTokenizer(str(VOCAB), lowercase=True)
    tok.enable_truncation(MAX_TOKENS)
    tok.no_padding()
    return tok


@pytest.fixture(scope="module")
def wordpiece() -> WordPiece:
    """The plain-Python tokenizer as MiniLMEncoder builds it."""
    return WordPiece(VOCAB, max_tokens=MAX_TOKENS)


def _differences(reference: Any, wordpiece: WordPiece, texts: list[str]) -> list[tuple[str, Any, Any]]:
    """(text, expected tokens, got tokens) for every text whose ids differ."""
    found = []
    for text, expected in zip(texts, reference.encode_batch(texts), strict=True):
        got = wordpiece.encode(text)
        if got != expected.ids:
            found.append((text, expected.tokens, got))
    return found


def test_examples_read_as_the_model_reads_them(wordpiece: WordPiece) -> None:
    """Lowercase, accents stripped, punctuation apart, unknown words in pieces."""
    assert wordpiece.tokens("Où est the CARD?") == ["[CLS]", "ou", "est", "the", "card", "?", "[SEP]"]
    assert wordpiece.tokens("I've been charged twice!!") == [
        "[CLS]", "i", "'", "ve", "been", "charged", "twice", "!", "!", "[SEP]"]
    assert wordpiece.tokens("unaffable") == ["[CLS]", "una", "##ffa", "##ble", "[SEP]"]
    assert wordpiece.tokens("東京 tower") == ["[CLS]", "東", "京", "tower", "[SEP]"]
    assert wordpiece.tokens("①") == ["[CLS]", "[UNK]", "[SEP]"]  # no piece matches
    assert wordpiece.tokens("a" * (MAX_WORD_CHARS + 1) + " ok") == ["[CLS]", "[UNK]", "ok", "[SEP]"]
    assert wordpiece.tokens("tab\there\x00\u200b") == ["[CLS]", "tab", "here", "[SEP]"]
    assert wordpiece.tokens("x[SEP]y") == ["[CLS]", "x", "[SEP]", "y", "[SEP]"]  # written special tokens
    assert wordpiece.encode("") == [wordpiece.cls, wordpiece.sep]


def test_a_long_text_is_cut_to_max_tokens_with_sep_last(reference: Any, wordpiece: WordPiece) -> None:
    """The words' pieces are cut so that [CLS] ... [SEP] is MAX_TOKENS long."""
    text = "please " * 100 + "end"
    ids = wordpiece.encode(text)
    assert len(ids) == MAX_TOKENS and ids[-1] == wordpiece.sep and ids[-2] == ids[1]
    assert ids == reference.encode(text).ids
    assert len(WordPiece(VOCAB).encode(text)) == 103  # no cap: every word


def test_normalize_keeps_a_final_capital_sigma_medial() -> None:
    """Lowercased letter by letter: a word-final Σ is σ, as in BERT's vocabulary."""
    assert normalize("ΟΔΟΣ") == "οδοσ"
    assert normalize("Ünïcödé\u00a0Straße") == "unicode straße"


@pytest.mark.skipif(BANKING77 is None, reason="Banking77 is not beside the checkout (shared/data)")
def test_identical_ids_on_every_banking77_train_utterance(reference: Any, wordpiece: WordPiece) -> None:
    """All 10,003 train utterances (the test split is left for measuring the matchers)."""
    assert BANKING77 is not None
    with (BANKING77 / "train.csv").open(encoding="utf-8", newline="") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)]
    assert len(texts) > 10_000
    assert _differences(reference, wordpiece, texts) == []


def _strings(value: Any) -> Iterator[str]:
    """Every string in a YAML document, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def test_identical_ids_on_every_text_of_the_demo_menus(reference: Any, wordpiece: WordPiece) -> None:
    """Phrases, prompts and labels of the demo menus and their terms, and the catalogues' rows."""
    texts: list[str] = []
    for path in sorted((ROOT / "menus").rglob("*.yaml")):
        texts.extend(_strings(yaml.safe_load(path.read_text(encoding="utf-8"))))
    for path in sorted((ROOT / "menus").rglob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            texts.extend(" ".join(row) for row in csv.reader(handle))
    texts = list(dict.fromkeys(texts))
    assert len(texts) > 2_000
    assert any("ț" in t for t in texts) and any("é" in t for t in texts)  # Romanian and French
    assert _differences(reference, wordpiece, texts) == []


def test_identical_ids_for_every_assigned_character(reference: Any, wordpiece: WordPiece) -> None:
    """Each character Python's tables know (private use apart: all dropped alike), between
    letters, and doubled after a capital."""
    chars = [chr(c) for c in range(sys.maxunicode + 1)
             if not 0xD800 <= c <= 0xDFFF and unicodedata.category(chr(c)) not in ("Cn", "Co")]
    assert len(chars) > 140_000
    for template in ("x{0}y", "É{0}{0}"):
        assert _differences(reference, wordpiece, [template.format(c) for c in chars]) == []


def test_the_characters_classed_otherwise_since_unicode_8_are_taken_as_tokenizers_takes_them(
    reference: Any, wordpiece: WordPiece, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each listed change matters: with Python's tables alone every one of them would differ."""
    from ivr.speech import wordpiece as wordpiece_mod

    texts = [f"a{chr(c)}b" for c in UNICODE_8_CHANGES if unicodedata.category(chr(c)) != "Cn"]
    assert len(texts) > 400
    assert _differences(reference, wordpiece, texts) == []
    monkeypatch.setattr(wordpiece_mod, "UNICODE_8_CHANGES", {})
    assert len(_differences(reference, WordPiece(VOCAB, max_tokens=MAX_TOKENS), texts)) == len(texts)


# Text a caller's words and an admin's phrases could hold, and what they should not.
_SPOKEN = st.sampled_from(["the", "card", "Où", "ÉTÉ", "naïve", "Straße", "İstanbul", "ΟΔΟΣ",
                           "prêts", "întârzie", "東京", "カード", "카드", "100,000", "£5.50",
                           "e-mail", "don't", "[SEP]", "[mask]", "😀", "👍🏽", "ﬁ", "x" * 120])
_ODD = st.sampled_from(["\x00", "\t", "\n", "\r", "\x0b", "\x1f", "\x7f", "\x85", "\u00a0", "\u200b",
                        "\u2028", "\u3000", "\ufffd", "\ufeff", "\U000e0001", "\ue000", "\u0301",
                        "\u0378", "!", "¿", "«", "—", "…", "@", "~", "^", "$", "€", "÷", " "])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(_SPOKEN, _ODD, st.text(max_size=12)), max_size=30))
def test_identical_ids_on_generated_text(reference: Any, wordpiece: WordPiece, parts: list[str]) -> None:
    """Accents, CJK, punctuation, controls, emoji, unassigned and very long words, mixed."""
    text = "".join(parts)
    assert wordpiece.encode(text) == reference.encode(text).ids


@pytest.mark.skipif(unicodedata.unidata_version != "14.0.0",
                    reason="UNICODE_8_CHANGES lists the changes up to Unicode 14.0 (Python 3.11)")
@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(exclude_categories=("Cs",)), max_size=200))
def test_identical_ids_on_any_unicode_text(reference: Any, wordpiece: WordPiece, text: str) -> None:
    """Any characters at all, unassigned ones included."""
    assert wordpiece.encode(text) == reference.encode(text).ids


def test_a_repeated_word_is_looked_up_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Words' pieces are kept (bounded): the second utterance costs no WordPiece search."""
    tok = WordPiece(VOCAB, cache=2)
    first = tok.encode("unbelievablyxyz card")
    calls: list[str] = []
    real = tok._word_pieces
    monkeypatch.setattr(tok, "_word_pieces", lambda word: calls.append(word) or real(word))
    assert tok.encode("unbelievablyxyz card") == first
    assert calls == []
    tok.encode("alpha beta gamma")  # pushes the two words out of a cache of two
    calls.clear()
    assert tok.encode("unbelievablyxyz") == first[:-2] + first[-1:]
    assert calls == ["unbelievablyxyz"]


def test_a_vocabulary_without_the_special_tokens_is_refused(tmp_path: Path) -> None:
    """A file that is not a BERT vocabulary says what is missing."""
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("hello\nworld\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"no \[UNK\] token"):
        WordPiece(vocab)
