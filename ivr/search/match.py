"""Matching a spoken query against catalogue items: tolerant of phone speech recognition.

Text is folded with the project's speech normalisation (``ivr.speech.normalize``:
lower case, no diacritics, fillers dropped), so "amintiri din copilarie" meets
"Amintiri din copilărie". Each query word is matched to the catalogue's words
exactly or, when long enough, by edit distance (rapidfuzz), so "exupery" meets
"Exupéry" and "miserable" meets "Misérables". Word order and articles do not matter;
rare words weigh more than common ones.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rapidfuzz import fuzz, process

from ivr.speech.normalize import drop_fillers, fold, primary_lang, stem_tokens, stopwords, tokenize

MAX_QUERY_CHARS = 200  # a 500-character utterance is cut before any work is spent on it
MAX_QUERY_WORDS = 12
MAX_FUZZY = 8
NEAR = 0.85  # catalogue words a misheard query word may stand for

# Words that frame a request rather than name what is sought ("do you have ...").
FRAMING: dict[str, frozenset[str]] = {
    "en": frozenset("do you have got looking look search find something anything called titled "
                    "want need is there any please stock available book books".split()),
    "fr": frozenset("avez vous cherche chercher trouver quelque chose intitule voudrais "
                    "veux il y a est ce que disponible stock livre livres".split()),
    "ro": frozenset("aveti aveți caut cautam ceva numita intitulata vreau doresc exista "
                    "există disponibil stoc carte cartea carti cărți".split()),
}


def words_of(text: str) -> list[str]:
    """Folded words of catalogue text (apostrophes split words, as in "l'homme")."""
    return [fold(t) for t in tokenize(text, "xx")]


def query_words(text: str, lang: str) -> list[str]:
    """The words of a spoken query worth searching for, folded; [] for empty or noise."""
    if len(text) > MAX_QUERY_CHARS:  # cut, without leaving half a word behind
        text = text[:MAX_QUERY_CHARS].rsplit(None, 1)[0]
    code = primary_lang(lang)
    tokens = drop_fillers(tokenize(text, "xx"), code)
    words = [fold(t) for t in tokens]
    framing = {fold(w) for w in FRAMING.get(code, frozenset())}
    words = [w for w in words if w not in framing]
    stop = stopwords(code)
    content = [w for w, s in zip(words, stem_tokens(words, code), strict=True) if s not in stop]
    return list(dict.fromkeys(content))[:MAX_QUERY_WORDS]  # "the the the" is no query


def _similar(word: str, vocabulary: Sequence[str], exact: set[str]) -> list[tuple[str, float]]:
    """Catalogue words that ``word`` may stand for, with a similarity in (0, 1]."""
    out = [(word, 1.0)] if word in exact else []
    if len(word) < 4:
        return out
    cutoff = 85 if len(word) < 8 else 80  # "dickins" meets "dickens", "fizzle" not "file"
    for found, score, _ in process.extract(word, vocabulary, scorer=fuzz.ratio,
                                           score_cutoff=cutoff, limit=MAX_FUZZY):
        if found != word:  # a near miss counts, but less than the word itself
            out.append((found, NEAR * score / 100))
    return out


class CatalogueIndex:
    """Rows searchable by their weighted fields; built once per catalogue version."""

    def __init__(self, rows: Iterable[Mapping[str, Any]], fields: Mapping[str, int],
                 key: str) -> None:
        self.rows: list[dict[str, Any]] = [dict(r) for r in rows]
        self.fields = dict(fields)
        self.by_key = {str(r.get(key, "")).strip(): i for i, r in enumerate(self.rows)}
        # word -> item -> the heaviest field weight the word appears in for that item
        self.postings: dict[str, dict[int, int]] = {}
        self.titles: list[str] = []
        first = next(iter(self.fields), "")
        for i, row in enumerate(self.rows):
            for name, weight in self.fields.items():
                for word in words_of(str(row.get(name) or "")):
                    items = self.postings.setdefault(word, {})
                    items[i] = max(items.get(i, 0), weight)
            self.titles.append(" ".join(words_of(str(row.get(first) or ""))))
        self.vocabulary = sorted(self.postings)
        self.exact = set(self.vocabulary)
        total = max(1, len(self.rows))
        self.idf = {w: math.log(1 + total / len(items)) for w, items in self.postings.items()}

    def get(self, key: str) -> dict[str, Any] | None:
        """One row by its key."""
        i = self.by_key.get(key.strip())
        return dict(self.rows[i]) if i is not None else None

    def search(self, words: Sequence[str], limit: int) -> list[dict[str, Any]]:
        """The best ``limit`` rows for query ``words`` (from ``query_words``), best first."""
        if not words:
            return []
        scores: dict[int, float] = {}
        covered: dict[int, int] = {}
        for word in words:
            best: dict[int, float] = {}
            for found, similarity in _similar(word, self.vocabulary, self.exact):
                idf = self.idf[found]
                for item, weight in self.postings[found].items():
                    score = similarity * similarity * weight * idf
                    if score > best.get(item, 0.0):
                        best[item] = score
            for item, score in best.items():
                scores[item] = scores.get(item, 0.0) + score
                covered[item] = covered.get(item, 0) + 1
        needed = max(1, math.ceil(len(words) / 2))  # half the words, so one stray match is not enough
        phrase = " ".join(words)
        ranked = sorted(
            (i for i in scores if covered[i] >= needed),
            key=lambda i: (-covered[i] if len(words) > 1 else 0,
                           -(scores[i] + fuzz.token_set_ratio(phrase, self.titles[i]) / 100),
                           i),
        )
        return [dict(self.rows[i]) for i in ranked[:limit]]
