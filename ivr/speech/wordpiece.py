"""BERT's uncased WordPiece tokenizer in plain Python: text -> the ids a BERT model reads.

It gives the ids of the Hugging Face ``tokenizers`` package's
``BertWordPieceTokenizer(vocab, lowercase=True)`` (the tokenizer of BERT base uncased and of
the models trained from it, such as all-MiniLM-L6-v2), so the English model needs no
tokenizer package (38 MB with the download tools it brings):

1. The special tokens (``[CLS]``, ``[SEP]``, ``[UNK]``, ``[PAD]``, ``[MASK]``) written
   literally in the text, as they are, are those tokens.
2. The rest is normalised as BERT does: control characters, NUL and U+FFFD dropped, every
   whitespace a space; spaces put around CJK ideographs; accents stripped (canonical
   decomposition without its non-spacing marks); lowercased character by character.
3. Words are split at whitespace and around each punctuation character (ASCII's symbols
   ``!"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~`, and Unicode's punctuation categories).
4. Each word becomes its longest vocabulary prefix, then the longest ``##``-prefixed
   continuation, and so on; a word longer than 100 characters, or with a part no piece
   matches, is ``[UNK]``.
5. ``[CLS]`` before and ``[SEP]`` after; with ``max_tokens`` the words' pieces are cut so
   that the whole, both included, fits.

Characters are classified as ``tokenizers`` classifies them: by Unicode 8.0's categories,
its tables' version. Python's newer tables (Unicode 14.0 in Python 3.11) are used with
the characters whose class changed since listed apart (``UNICODE_8_CHANGES``): with them
the two give the same ids for every character (tests/test_wordpiece.py compares them on
Banking77, the demo menus and generated text). A Python with newer tables still (3.12:
Unicode 15.0) may differ on the marks and punctuation those later versions added.

Words are looked up once: each word's pieces are kept in a bounded cache, so a caller's
utterance, made of words the menus and earlier callers already used, costs a few
dictionary look-ups.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
CONTINUATION = "##"
MAX_WORD_CHARS = 100  # a longer word is one [UNK]
WORD_CACHE = 20_000  # words whose pieces are kept

# ASCII controls but tab, newline and carriage return: dropped by the ASCII fast path.
_ASCII_CONTROLS = {c: None for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)}
_ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_DROPPED = frozenset(("Cc", "Cf", "Co", "Cs"))  # control, format, private use, surrogate
_SPACES = frozenset(("Zs", "Zl", "Zp"))
# The CJK Unified Ideographs blocks as BERT defines them (Japanese kana and Korean hangul
# are not among them: they are split into word pieces like any letters).
_CJK = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
        (0x2B740, 0x2B81F), (0x2B920, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))


# Characters Unicode 8.0 did not have (or classed otherwise) that Unicode 14.0 classes as
# marks, punctuation or format characters: ``tokenizers`` takes them for letters, as it
# takes unassigned characters, but for three Unicode 8.0 had as punctuation or a mark.
_CHANGED_RANGES = (
    (0x61d, 0x61d), (0x7fd, 0x7fd), (0x890, 0x891), (0x898, 0x89f), (0x8ca, 0x8e2), (0x9fd, 0x9fe),
    (0xa76, 0xa76), (0xafa, 0xaff), (0xb55, 0xb55), (0xc04, 0xc04), (0xc3c, 0xc3c), (0xc77, 0xc77),
    (0xc84, 0xc84), (0xd00, 0xd00), (0xd3b, 0xd3c), (0xd81, 0xd81), (0xeba, 0xeba), (0x166d, 0x166d),
    (0x1734, 0x1734), (0x180f, 0x180f), (0x1885, 0x1886), (0x1abf, 0x1ace), (0x1b7d, 0x1b7e),
    (0x1df6, 0x1dfb), (0x2e43, 0x2e4f), (0x2e52, 0x2e5d), (0xa82c, 0xa82c), (0xa8c5, 0xa8c5),
    (0xa8ff, 0xa8ff), (0xa9bd, 0xa9bd), (0x10d24, 0x10d27), (0x10eab, 0x10ead), (0x10f46, 0x10f50),
    (0x10f55, 0x10f59), (0x10f82, 0x10f89), (0x11070, 0x11070), (0x11073, 0x11074), (0x110c2, 0x110c2),
    (0x110cd, 0x110cd), (0x111c9, 0x111c9), (0x111cf, 0x111cf), (0x1123e, 0x1123e), (0x1133b, 0x1133b),
    (0x11438, 0x1143f), (0x11442, 0x11444), (0x11446, 0x11446), (0x1144b, 0x1144f), (0x1145a, 0x1145b),
    (0x1145d, 0x1145e), (0x11660, 0x1166c), (0x116b9, 0x116b9), (0x1182f, 0x11837), (0x11839, 0x1183b),
    (0x1193b, 0x1193c), (0x1193e, 0x1193e), (0x11943, 0x11946), (0x119d4, 0x119d7), (0x119da, 0x119db),
    (0x119e0, 0x119e0), (0x119e2, 0x119e2), (0x11a01, 0x11a0a), (0x11a33, 0x11a38), (0x11a3b, 0x11a47),
    (0x11a51, 0x11a56), (0x11a59, 0x11a5b), (0x11a8a, 0x11a96), (0x11a98, 0x11a9c), (0x11a9e, 0x11aa2),
    (0x11c30, 0x11c36), (0x11c38, 0x11c3d), (0x11c3f, 0x11c3f), (0x11c41, 0x11c45), (0x11c70, 0x11c71),
    (0x11c92, 0x11ca7), (0x11caa, 0x11cb0), (0x11cb2, 0x11cb3), (0x11cb5, 0x11cb6), (0x11d31, 0x11d36),
    (0x11d3a, 0x11d3a), (0x11d3c, 0x11d3d), (0x11d3f, 0x11d45), (0x11d47, 0x11d47), (0x11d90, 0x11d91),
    (0x11d95, 0x11d95), (0x11d97, 0x11d97), (0x11ef3, 0x11ef4), (0x11ef7, 0x11ef8), (0x11fff, 0x11fff),
    (0x12ff1, 0x12ff2), (0x13430, 0x13438), (0x16e97, 0x16e9a), (0x16f4f, 0x16f4f), (0x16fe2, 0x16fe2),
    (0x16fe4, 0x16fe4), (0x1cf00, 0x1cf2d), (0x1cf30, 0x1cf46), (0x1e000, 0x1e006), (0x1e008, 0x1e018),
    (0x1e01b, 0x1e021), (0x1e023, 0x1e024), (0x1e026, 0x1e02a), (0x1e130, 0x1e136), (0x1e2ae, 0x1e2ae),
    (0x1e2ec, 0x1e2ef), (0x1e944, 0x1e94a), (0x1e95e, 0x1e95f),
)
UNICODE_8_CHANGES: dict[int, str] = {
    code: "Lo" for low, high in _CHANGED_RANGES for code in range(low, high + 1)
}
UNICODE_8_CHANGES.update({0x166D: "Po", 0x1734: "Mn", 0x111C9: "Po"})


def category(char: str) -> str:
    """The character's general category as Unicode 8.0 gave it (see UNICODE_8_CHANGES)."""
    return UNICODE_8_CHANGES.get(ord(char)) or unicodedata.category(char)


def _is_cjk(code: int) -> bool:
    """True for a character of BERT's CJK ideograph ranges."""
    return any(low <= code <= high for low, high in _CJK)


def _is_punctuation(char: str) -> bool:
    """BERT's punctuation: ASCII's symbols, or any character of a Unicode P* category."""
    return char in _ASCII_PUNCTUATION or category(char).startswith("P")


def normalize(text: str) -> str:
    """BERT's uncased normaliser: clean, CJK spaced, accents stripped, lowercased."""
    if text.isascii():
        return text.translate(_ASCII_CONTROLS).lower()
    kept = []
    for char in text:
        kind = category(char)
        if char in "\t\n\r" or kind in _SPACES:
            kept.append(" ")
        elif kind in _DROPPED or char == "\ufffd":
            continue
        elif _is_cjk(ord(char)):
            kept.append(f" {char} ")
        else:
            kept.append(char)
    decomposed = unicodedata.normalize("NFD", "".join(kept))
    bare = "".join(c for c in decomposed if category(c) != "Mn")
    # Character by character, as BERT does: str.lower() alone makes a word's final capital
    # sigma the final small sigma (ς), where BERT's lowercasing gives the medial one (σ).
    return "".join(c.lower() for c in bare) if "\u03a3" in bare else bare.lower()


class WordPiece:
    """A BERT uncased WordPiece vocabulary (one token a line, its id the line number)."""

    def __init__(self, vocab: Path, max_tokens: int | None = None, cache: int = WORD_CACHE) -> None:
        """Read the vocabulary; max_tokens caps an encoding's length, [CLS] and [SEP] included."""
        self.vocab: dict[str, int] = {}
        with Path(vocab).open(encoding="utf-8") as lines:
            for number, line in enumerate(lines):
                self.vocab[line.rstrip()] = number  # a repeated token keeps its last line
        for token in ("[UNK]", "[CLS]", "[SEP]"):
            if token not in self.vocab:
                raise ValueError(f"{vocab}: no {token} token in the vocabulary")
        if max_tokens is not None and max_tokens < 2:
            raise ValueError("max_tokens must leave room for [CLS] and [SEP]")
        self.max_tokens = max_tokens
        self.unk, self.cls, self.sep = self.vocab["[UNK]"], self.vocab["[CLS]"], self.vocab["[SEP]"]
        self._longest = max(len(token) for token in self.vocab)
        specials = [t for t in SPECIAL_TOKENS if t in self.vocab]
        self._special = re.compile("(" + "|".join(map(re.escape, specials)) + ")")
        self._word = lru_cache(maxsize=cache)(self._pieces)

    def encode(self, text: str) -> list[int]:
        """The ids of text: [CLS], its words' pieces (cut to max_tokens), [SEP]."""
        room = None if self.max_tokens is None else self.max_tokens - 2
        ids = [self.cls]
        for piece_ids in self._words(text):
            ids.extend(piece_ids)
            if room is not None and len(ids) > room:
                del ids[room + 1:]
                break
        ids.append(self.sep)
        return ids

    def tokens(self, text: str) -> list[str]:
        """The tokens of text as strings (for reading; the model takes encode's ids)."""
        names = {number: token for token, number in self.vocab.items()}
        return [names[number] for number in self.encode(text)]

    def _words(self, text: str) -> Iterator[tuple[int, ...]]:
        """Each word's ids in order; special tokens written in the text are themselves."""
        parts = self._special.split(text) if "[" in text else [text]
        for index, part in enumerate(parts):
            if index % 2:  # the splitter's captured group: a special token
                yield (self.vocab[part],)
                continue
            for word in normalize(part).split():
                yield self._word(word)

    def _pieces(self, chunk: str) -> tuple[int, ...]:
        """The ids of a whitespace-free chunk: its punctuation alone, its words in pieces."""
        ids: list[int] = []
        start = 0
        for end, char in enumerate(chunk):
            if _is_punctuation(char):
                if end > start:
                    ids.extend(self._word_pieces(chunk[start:end]))
                ids.extend(self._word_pieces(char))
                start = end + 1
        if start < len(chunk):
            ids.extend(self._word_pieces(chunk[start:]))
        return tuple(ids)

    def _word_pieces(self, word: str) -> list[int]:
        """Greedy longest-match-first pieces of one word, or [UNK] for the whole word."""
        if len(word) > MAX_WORD_CHARS:
            return [self.unk]
        ids = []
        start = 0
        while start < len(word):
            prefix = CONTINUATION if start else ""
            end = min(len(word), start + self._longest)
            while end > start:
                found = self.vocab.get(prefix + word[start:end])
                if found is not None:
                    ids.append(found)
                    break
                end -= 1
            else:
                return [self.unk]
            start = end
        return ids
