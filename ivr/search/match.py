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
SCAN = 10_000  # vocabularies up to this size are compared word by word
COMMON = 2_000  # a word more items hold than this only ranks what rarer words found
RERANK = 50  # items whose titles are compared with the whole phrase

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


def _deletions(word: str) -> set[str]:
    """The word and every string one letter shorter."""
    return {word, *(word[:i] + word[i + 1:] for i in range(len(word)))}


class Vocabulary:
    """A catalogue's words and how many items hold each: what misheard words may stand
    for, and how rare (telling) each word is.

    Up to SCAN words, a misheard word is compared with every word. A larger vocabulary
    (a catalogue of 100,000 works holds tens of thousands of words) is first narrowed to
    the words that share a one-letter-shorter form with it (its neighbours within one
    letter dropped on each side: a letter misheard, missing or added), and only those
    are compared; near words further apart are not found there."""

    def __init__(self, counts: Mapping[str, int], items: int) -> None:
        self.counts = dict(counts)
        self.words = sorted(self.counts)
        self.exact = set(self.words)
        total = max(1, items)
        self.idf = {w: math.log(1 + total / max(1, n)) for w, n in self.counts.items()}
        self._near: dict[str, list[str]] | None = None
        if len(self.words) > SCAN:
            self._near = {}
            for w in self.words:
                if len(w) >= 3:
                    for key in _deletions(w):
                        self._near.setdefault(key, []).append(w)

    def similar(self, word: str) -> list[tuple[str, float]]:
        """Catalogue words that ``word`` may stand for, with a similarity in (0, 1]."""
        if self._near is None or len(word) < 4:
            return _similar(word, self.words, self.exact)
        near = self._near
        choices = sorted({w for key in _deletions(word) for w in near.get(key, ())})
        return _similar(word, choices, self.exact)


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
        self.vocabulary = Vocabulary({w: len(items) for w, items in self.postings.items()},
                                     len(self.rows))

    def get(self, key: str) -> dict[str, Any] | None:
        """One row by its key."""
        i = self.by_key.get(key.strip())
        return dict(self.rows[i]) if i is not None else None

    def search(self, words: Sequence[str], limit: int,
               vocabulary: Vocabulary | None = None) -> list[dict[str, Any]]:
        """The best ``limit`` rows for query ``words`` (from ``query_words``), best first.

        ``vocabulary``: the whole catalogue's, when these rows are candidates drawn from
        a larger catalogue (SQL), so that near words and rarity are the catalogue's."""
        if not words:
            return []
        vocabulary = vocabulary or self.vocabulary
        near = [vocabulary.similar(word) for word in words]
        held = [sum(len(self.postings.get(w, ())) for w, _ in options) for options in near]
        # A word hundreds of items hold ("novel") only adds to what rarer words found.
        rare = [i for i, n in enumerate(held) if 0 < n <= COMMON]
        if not rare and any(held):
            rare = [min((i for i, n in enumerate(held) if n), key=lambda i: held[i])]
        scores: dict[int, float] = {}
        covered: dict[int, int] = {}
        for i in sorted(rare, key=lambda i: held[i]) + [i for i in range(len(words))
                                                          if i not in rare]:
            best: dict[int, float] = {}
            for found, similarity in near[i]:
                factor = similarity * similarity * vocabulary.idf[found]
                postings = self.postings.get(found, {})
                pairs = postings.items() if i in rare else (
                    (item, postings[item]) for item in scores if item in postings)
                for item, weight in pairs:
                    if factor * weight > best.get(item, 0.0):
                        best[item] = factor * weight
            for item, score in best.items():
                scores[item] = scores.get(item, 0.0) + score
                covered[item] = covered.get(item, 0) + 1
        needed = max(1, math.ceil(len(words) / 2))  # half the words, so one stray match is not enough
        many = len(words) > 1
        # Ranked by words covered and score; the title's likeness to the whole phrase
        # (at most one point) settles near ties among the first RERANK.
        first = sorted((i for i in scores if covered[i] >= needed),
                       key=lambda i: (-covered[i] if many else 0, -scores[i], i))[:RERANK]
        phrase = " ".join(words)
        ranked = sorted(first, key=lambda i: (
            -covered[i] if many else 0,
            -(scores[i] + fuzz.token_set_ratio(phrase, self.titles[i]) / 100), i))
        return [dict(self.rows[i]) for i in ranked[:limit]]
