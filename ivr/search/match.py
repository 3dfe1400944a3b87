"""Matching a spoken query against catalogue items: tolerant of phone speech recognition.

Text is folded with the project's speech normalisation (``ivr.speech.normalize``:
lower case, no diacritics, fillers dropped), so "amintiri din copilarie" meets
"Amintiri din copilărie". Each query word is matched to the catalogue's words
exactly or, when long enough, by edit distance (rapidfuzz), so "exupery" meets
"Exupéry" and "miserable" meets "Misérables". Word order and articles do not matter;
rare words weigh more than common ones.
"""

from __future__ import annotations

import heapq
import math
import os
import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from itertools import islice
from typing import Any

import jellyfish
from rapidfuzz import fuzz, process

from ivr.search import forms
from ivr.speech.normalize import (
    drop_fillers,
    fold,
    fold_word,
    primary_lang,
    stem_tokens,
    stopwords,
    tokenize,
)

MAX_QUERY_CHARS = 200  # a 500-character utterance is cut before any work is spent on it
MAX_QUERY_WORDS = 12
MAX_FUZZY = 8
NEAR = 0.85  # catalogue words a misheard query word may stand for
FORM = 0.9  # another form of the same word ("stories" / "story")
LOOKS_LIKE = 0.65  # a single word sounding like a catalogue word must also look like it
SOUNDS_LIKE = 0.8  # ... and words that sound alike ("nickel bee" = nickleby), when none is near
MIN_SOUND = 3  # letters of a sound key ("JKL"): shorter keys match too many words
MAX_SOUNDED = 4  # words said, at most, for sounds to count (not in a whole sentence)
SCAN = 10_000  # vocabularies up to this size are compared word by word
COMMON = 2_000  # a word more items hold than this only ranks what rarer words found
SPELLED = "keys:"  # a query term spelled on the keypad: "keys:4846" (query words hold no ":")
MAX_SPELLED = 30  # catalogue words a keypad prefix may stand for, the most common first
_KEYPAD = {c: d for d, letters in (("2", "abc"), ("3", "def"), ("4", "ghi"), ("5", "jkl"),
                                   ("6", "mno"), ("7", "pqrs"), ("8", "tuv"), ("9", "wxyz"))
           for c in letters}
RERANK = 50  # near ties among the first RERANK are settled by how much of a field is said
MAX_FORMS = 24  # catalogue words compared as other forms of one query word
MATCH = "_match"  # the key under which a result carries how well it matched (see `confidence`)
STRONG = 0.9  # a word said as the catalogue has it, or another form of it
HEARD = 0.5  # a word said, misheard perhaps, that an item holds
SAME_START = 5  # letters two words share at their start to be forms of one word
WHOLE = 0.9  # share of a field said in order for it to count as said whole

# Words that frame a request rather than name what is sought ("do you have ...").
FRAMING: dict[str, frozenset[str]] = {
    "en": frozenset("do you have got looking look search find something anything called titled "
                    "want need is there any please stock available book books sell "
                    "buy order re ll ve".split()),  # ("we re", "i ll", "we ve": said apart)
    "fr": frozenset("avez vous cherche chercher trouver quelque chose intitule voudrais "
                    "veux il y a est ce que disponible stock livre livres vendez "
                    "acheter commander auriez".split()),
    "ro": frozenset("aveti aveți caut cautam ceva numita intitulata vreau doresc exista "
                    "există disponibil stoc carte cartea carti cărți vindeți vindeti "
                    "cumpăr cumpar comand".split()),
}


# Framing words are not searched ("book" in "the jungle book"): a field is said whole
# without them.
_FRAMED = frozenset(fold(w) for words in FRAMING.values() for w in words)


def words_of(text: str) -> list[str]:
    """Folded words of catalogue text (apostrophes split words, as in "l'homme")."""
    if not text:
        return []
    # Lower-case ASCII words (most) are folded already.
    return [t if t.isascii() else fold_word(t) for t in tokenize(text, "xx")]


_HEADING_BREAK = re.compile(r"[;,:]|--")  # between headings, subdivisions, inversions


@lru_cache(maxsize=50_000)
def _heading_part(part: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """One heading's (or subdivision's) words, and its neighbouring words joined. Cached:
    a catalogue's headings repeat ("Love stories", "Browsing: Fiction")."""
    folded = words_of(part)
    return tuple(folded), tuple(a + b for a, b in zip(folded, folded[1:], strict=False)
                                if 5 <= len(a + b) <= 24)


def heading_parts(text: str) -> tuple[list[str], list[str]]:
    """The words of subject headings ("Science fiction; Sea stories -- Juvenile fiction"),
    as ``words_of`` gives them, and each two neighbouring words of one heading joined
    ("sciencefiction", "seastories")."""
    words: list[str] = []
    joined: list[str] = []
    for part in _HEADING_BREAK.split(text):
        found, joins = _heading_part(part.strip())
        words += found
        joined += joins
    return words, joined


def heading_words(text: str) -> list[str]:
    """What a field of subject headings is indexed by: its words and its joined
    neighbours. A subject said as words ("science fiction") then meets the heading as a
    whole, as the caller's neighbouring words are joined too (``query_words``), rather
    than two words found anywhere in the item. Joins never cross "; ", " -- ", "," or
    ":" ("Browsing: Fiction")."""
    words, joined = heading_parts(text)
    return words + joined


# Number words, folded ("patruzeci" and "si" as recognition writes them): units and
# teens, tens, and the multipliers.
_UNITS: dict[str, str] = {
    "en": "zero one two three four five six seven eight nine ten eleven twelve thirteen "
          "fourteen fifteen sixteen seventeen eighteen nineteen",
    "fr": "zero un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze "
          "quinze seize",
    "ro": "zero unu doi trei patru cinci sase sapte opt noua zece unsprezece doisprezece "
          "treisprezece paisprezece cincisprezece saisprezece saptesprezece optsprezece "
          "nouasprezece",
}
_TENS: dict[str, str] = {
    "en": "_ _ twenty thirty forty fifty sixty seventy eighty ninety",
    "fr": "_ _ vingt trente quarante cinquante soixante",
    "ro": "_ _ douazeci treizeci patruzeci cincizeci saizeci saptezeci optzeci nouazeci",
}
_MORE: dict[str, dict[str, int]] = {
    "en": {"hundred": 100, "thousand": 1000},
    "fr": {"cent": 100, "cents": 100, "mille": 1000, "une": 1, "vingts": 20},
    "ro": {"suta": 100, "sute": 100, "mie": 1000, "mii": 1000, "una": 1, "un": 1, "doua": 2},
}
_AND = frozenset({"and", "et", "si"})
# Ordinals said for the numbers of kings and parts ("richard the third" = Richard III).
_ROMAN = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x")
_ORDINALS: dict[str, tuple[str, ...]] = {
    "en": ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
           "ninth", "tenth"),
    "fr": ("premier", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix"),
    "ro": ("intai", "doilea", "treilea", "patrulea", "cincilea", "saselea", "saptelea",
           "optulea", "noualea", "zecelea"),
    "ro-f": ("intaia", "doua", "treia", "patra", "cincea", "sasea", "saptea", "opta", "noua",
             "zecea"),  # "scrisoarea a treia"
    "fr-f": ("premiere", "deuxieme", "troisieme", "quatrieme", "cinquieme", "sixieme",
             "septieme", "huitieme", "neuvieme", "dixieme"),  # "la deuxième partie"
}
_PART_NUMBER = frozenset(_ROMAN[1:])  # "Scrisoarea I": "i" only after another word
MAX_JOIN = 4  # "beau de l'air": words recognition split apart, joined again
JOINED_SHARE = 0.8  # ... found as a catalogue word at least this long, as a share
# Titles written short that callers say whole, folded ("Dr Jekyll", "Mme Bovary", "Sf. Ilie").
_ABBREVIATED: dict[str, dict[str, str]] = {
    "en": {"doctor": "dr", "mister": "mr", "missus": "mrs", "misses": "mrs", "saint": "st",
           "mount": "mt", "captain": "capt", "professor": "prof"},
    "fr": {"docteur": "dr", "madame": "mme", "mademoiselle": "mlle", "monseigneur": "mgr",
           "saint": "st", "sainte": "ste", "capitaine": "cne"},
    "ro": {"doctor": "dr", "doctorul": "dr", "domnul": "dl", "doamna": "dna", "sfantul": "sf",
           "sfanta": "sf", "profesor": "prof", "profesorul": "prof"},
}


def _number_table(lang: str) -> dict[str, int]:
    table = {w: i for i, w in enumerate(_UNITS.get(lang, "").split())}
    table.update({w: 10 * i for i, w in enumerate(_TENS.get(lang, "").split()) if w != "_"})
    table.update(_MORE.get(lang, {}))
    return table


_NUMBERS = {lang: _number_table(lang) for lang in _UNITS}
# Digits as a number word of the language, up to the tens ("3" -> "three", "30" -> "trente").
_WORDS_FOR = {lang: {str(n): w for w, n in reversed(list(table.items())) if n < 100}
              for lang, table in _NUMBERS.items()}


def _spoken_numbers(words: list[str], lang: str) -> list[tuple[str, list[str]]]:
    """Runs of number words as digits: "huit cent treize" -> ("813", [its words])."""
    table = _NUMBERS.get(lang, {})
    out: list[tuple[str, list[str]]] = []
    run: list[str] = []
    for word in [*words, ""]:
        if word in table or (run and word in _AND):
            run.append(word)
            continue
        while run and run[-1] in _AND:
            run.pop()
        digits = [table.get(w) for w in run]
        if len(run) > 1 and all(d is not None and 0 <= d <= 9 for d in digits):
            # Digits said one by one ("eight one three", "one nine eight four"): 813, 1984.
            out.append(("".join(str(d) for d in digits), list(run)))
        elif run:
            total = current = 0
            for w in run:
                value = table.get(w)
                if value is None:
                    continue
                if value == 1000:
                    total, current = total + max(1, current) * 1000, 0
                elif value == 100:
                    current = max(1, current) * 100
                elif value == 20 and lang == "fr" and 2 <= current % 100 <= 4:
                    current = current - current % 100 + (current % 100) * 20  # quatre-vingt
                else:
                    current += value
            out.append((str(total + current), list(run)))
        run = []
    return out


def query_words(text: str, lang: str) -> list[str]:
    """The words of a spoken query worth searching for, folded; [] for empty or noise.

    After the words come alternatives, written ``joined=part part``: neighbouring words
    recognition may have split apart ("frank einstein" = frankeinstein), and numbers
    said as words ("huit cent treize" = 813). An alternative that matches a catalogue
    word counts as the words it stands for."""
    if len(text) > MAX_QUERY_CHARS:  # cut, without leaving half a word behind
        text = text[:MAX_QUERY_CHARS].rsplit(None, 1)[0]
    code = primary_lang(lang)
    tokens = drop_fillers(tokenize(text, "xx"), code)
    words = [fold(t) for t in tokens]
    framing = {fold(w) for w in FRAMING.get(code, frozenset())}
    words = [w for w in words if w not in framing][:2 * MAX_QUERY_WORDS]
    stop = stopwords(code)
    content = [w for w, s in zip(words, stem_tokens(words, code), strict=True) if s not in stop]
    content = list(dict.fromkeys(content))[:MAX_QUERY_WORDS]  # "the the the" is no query
    if not content:
        return []
    alternatives: dict[str, None] = {}
    for number, parts in _spoken_numbers(words, code):
        if len(parts) > 1 or number not in content:
            alternatives[f"{number}={' '.join(parts)}"] = None
        if (len(parts) == 1 and 1 <= int(number) <= len(_ROMAN)  # "scrisoarea trei" = III
                and not forms.function_word(parts[0])):  # not "un", "o"
            alternatives[f"{_ROMAN[int(number) - 1]}={parts[0]}"] = None
    said_as = _WORDS_FOR.get(code, {})
    for word in content:  # "3 men in a boat" = Three Men in a Boat
        if word.isdigit() and word in said_as:
            alternatives[f"{said_as[word]}={word}"] = None
    for table in (_ORDINALS.get(code, ()), _ORDINALS.get(f"{code}-f", ())):
        for n, ordinal in enumerate(table):
            if ordinal in content:
                alternatives[f"{_ROMAN[n]}={ordinal}"] = None
    short = _ABBREVIATED.get(code, {})
    for word in content:  # "doctor jekyll and mister hyde" = Dr Jekyll and Mr Hyde
        if word in short:
            alternatives[f"{short[word]}={word}"] = None
    for size in range(2, MAX_JOIN + 1):
        for i in range(len(words) - size + 1):
            parts = words[i:i + size]
            joined = "".join(parts)
            if 5 <= len(joined) <= 24 and _may_start(parts[0], content) and parts[-1] not in _AND \
                    and len(set(parts)) == size:
                alternatives[f"{joined}={' '.join(parts)}"] = None
    return content + list(alternatives)[:MAX_QUERY_WORDS]


def terms_of(words: Sequence[str]) -> tuple[list[tuple[str, int]], int]:
    """(what to look up, how many of the caller's words it stands for), and how many words
    the caller said, from ``query_words``' output."""
    plain = [w for w in words if "=" not in w]
    out = [(w, 1) for w in plain]
    for alternative in words:
        if "=" in alternative:
            joined, _, parts = alternative.partition("=")
            out.append((joined, max(1, sum(p in plain for p in parts.split()))))
    return out, len(plain)


def _similar(word: str, vocabulary: Sequence[str], exact: set[str]) -> list[tuple[str, float]]:
    """Catalogue words that ``word`` may stand for, with a similarity in (0, 1]."""
    out = [(word, 1.0)] if word in exact else []
    if len(word) < 4:
        return out
    # "dickins" meets "dickens", "monty" "monte", "blanche" "blanc"; "fizzle" not "file":
    # a word of fewer than five letters must be closer.
    cutoff = 85 if len(word) < 5 else 80
    for found, score, _ in process.extract(word, vocabulary, scorer=fuzz.ratio,
                                           score_cutoff=cutoff, limit=MAX_FUZZY):
        if len(found) < 5 and score < 85:
            continue
        if found != word:  # a near miss counts, but less than the word itself
            out.append((found, NEAR * score / 100))
    return out


def word_forms(word: str) -> list[str]:
    """The other English forms a word may have in a catalogue: singular or plural
    ("stories" / "story", "boots" / "boot"), and a past participle's verb ("knitted")."""
    if len(word) < 4 or not word.isascii():
        return []
    if word.endswith("ies"):
        return [word[:-3] + "y"]
    if word.endswith("es"):
        return [word[:-2], word[:-1]]
    if word.endswith("s") and not word.endswith("ss"):
        return [word[:-1]]
    if word.endswith("ed"):
        stem = word[:-2]
        return [stem, stem + "e"] + ([stem[:-1]] if len(stem) > 2 and stem[-1] == stem[-2] else [])
    return [word + "s", word + "es"] + ([word[:-1] + "ies"] if word.endswith("y") else [])


def sound_key(word: str) -> str:
    """How a word sounds, roughly: its Metaphone code without the half-vowels Y and W
    ("mollyair" and "moliere" are both MLR)."""
    return jellyfish.metaphone(word).replace("Y", "").replace("W", "") if word.isascii() else ""


def keypad(word: str) -> str:
    """A folded word as the keys that spell it ("hugo" -> "4846"); digits stay digits."""
    return "".join(_KEYPAD.get(c, c if c.isdigit() else "") for c in word)


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
        self.rarest = math.log(1 + total)  # a word the catalogue lacks weighs as the rarest
        self._near: dict[str, list[str]] | None = None
        self._keys: list[tuple[str, str]] | None = None  # (keypad code, word), sorted
        # sound key -> words, built with the vocabulary (55 ms for 68,000 words), not
        # on a caller's step
        self._sounds: dict[str, list[str]] = {}
        for w in self.words:
            if len(w) >= 4 and len(k := sound_key(w)) >= MIN_SOUND:
                self._sounds.setdefault(k, []).append(w)
        if len(self.words) > SCAN:
            self._near = {}
            for w in self.words:
                if len(w) >= 3:
                    for key in _deletions(w):
                        self._near.setdefault(key, []).append(w)

    def similar(self, word: str) -> list[tuple[str, float]]:
        """Catalogue words that ``word`` may stand for, with a similarity in (0, 1]."""
        if word.startswith(SPELLED):
            return self.spelled(word[len(SPELLED):])
        if self._near is None or len(word) < 4:
            found = _similar(word, self.words, self.exact)
        else:
            near = self._near
            choices = sorted({w for key in _deletions(word) for w in near.get(key, ())})
            found = _similar(word, choices, self.exact)
        other = {w for w in word_forms(word) if w in self.exact}
        if word not in self.exact:  # a word the catalogue holds as said needs no other form
            other.update(self.forms(word))
        # another form of the word counts as FORM, even when it is also a near miss
        found = [(w, max(s, FORM) if w in other else s) for w, s in found]
        have = {w for w, _ in found}
        return found + [(w, FORM) for w in sorted(other - have)]

    def forms(self, word: str) -> list[str]:
        """Catalogue words that are other forms of ``word`` (plural, gender, case) in one
        of the languages compared (``ivr.search.forms``): "negre" -> "negru"."""
        out: list[str] = []
        seen = 0
        for prefix in sorted(forms.prefixes(word)):
            at = bisect_left(self.words, prefix)
            while at < len(self.words) and self.words[at].startswith(prefix) \
                    and seen < MAX_FORMS:
                other = self.words[at]
                at += 1
                if other == word or abs(len(other) - len(word)) > 3:
                    continue
                seen += 1
                if forms.same_word(word, other) and other not in out:
                    out.append(other)
        return out

    def factors(self, options: Sequence[tuple[str, float]]) -> list[tuple[str, float]]:
        """Each of a term's ``similar`` words with what it scores (similarity squared times
        rarity). A word near the one said, when the catalogue holds the word said or
        another form of it, counts as rare as that word at most: "eastern" in a title does
        not outweigh the "western(s)" said, found in a subject heading."""
        said = [self.idf[w] for w, s in options if s >= FORM and w in self.idf]
        cap = max(said) if said else math.inf
        return [(w, s * s * (self.idf[w] if s >= FORM else min(self.idf[w], cap)))
                for w, s in options]

    def terms_near(self, words: Sequence[str]) -> list[list[tuple[str, float]]]:
        """``similar`` for each term of ``terms_of(words)``. In a short query (a name, a
        title: at most MAX_SOUNDED words said), words recognition split apart, not all of
        them catalogue words, that joined are near no catalogue word may still sound like
        one ("nickel bee" = nickleby, "molly air" = moliere), and so may a word near no
        catalogue word ("flober" = flaubert)."""
        terms, said = terms_of(words)
        parts = {w.partition("=")[0]: w.partition("=")[2].split() for w in words if "=" in w}
        out = []
        for term, count in terms:
            found = self.similar(term)
            # (not with a number among the parts: "3menin" would sound like "menin"
            # and count the same words twice)
            if not found and count > 1 and said <= MAX_SOUNDED and term.isalpha() and not all(
                    p in self.exact for p in parts.get(term, ())):
                found = self.sounding(term)
            elif not found and count == 1 and said <= MAX_SOUNDED and "=" not in term \
                    and len(term) >= 5:  # a name misheard as another spelling ("flober")
                found = [(w, s) for w, s in self.sounding(term) if s >= SOUNDS_LIKE * LOOKS_LIKE]
            out.append(found)
        return out

    def sounding(self, word: str) -> list[tuple[str, float]]:
        """Catalogue words that sound like ``word``: the same sound key, or that key and one
        more letter ("flowbear" FLBR, "flaubert" FLBRT), the closer the more they also
        look alike."""
        key = sound_key(word)
        if len(key) < MIN_SOUND:
            return []
        found = list(self._sounds.get(key, ()))
        for letter in "BFHJKLMNPRSTX0":  # Metaphone's consonant codes
            found += self._sounds.get(key + letter, ())
        looks = sorted(((fuzz.ratio(word, w) / 100, w) for w in found), reverse=True)
        return [(w, SOUNDS_LIKE * ratio) for ratio, w in looks[:MAX_FUZZY]]

    def spelled(self, digits: str) -> list[tuple[str, float]]:
        """Words whose keypad code starts with ``digits``: the whole word first (1.0), then
        the most common of the longer ones (0.9)."""
        if len(digits) < 2 or not digits.isdigit():
            return []
        if self._keys is None:
            self._keys = sorted((keypad(w), w) for w in self.words)
        keys = self._keys
        found: list[tuple[str, str]] = []
        at = bisect_left(keys, (digits, ""))
        while at < len(keys) and keys[at][0].startswith(digits) and len(found) < 20 * MAX_SPELLED:
            found.append(keys[at])
            at += 1
        found.sort(key=lambda cw: (cw[0] != digits, -self.counts[cw[1]], cw[1]))
        return [(w, 1.0 if code == digits else 0.9) for code, w in found[:MAX_SPELLED]]


class CatalogueIndex:
    """Rows searchable by their weighted fields; built once per catalogue version."""

    def __init__(self, rows: Iterable[Mapping[str, Any]], fields: Mapping[str, int],
                 key: str, vocabulary: Vocabulary | None = None,
                 headings: Iterable[str] = ()) -> None:
        """``vocabulary``: the whole catalogue's, when these rows are candidates drawn from
        a larger catalogue (SQL), so that near words and rarity are the catalogue's.
        ``headings``: fields of subject headings, indexed by ``heading_words``."""
        self.rows: list[dict[str, Any]] = [dict(r) for r in rows]
        self.fields = dict(fields)
        self.by_key = {str(r.get(key, "")).strip(): i for i, r in enumerate(self.rows)}
        # word -> item -> the heaviest field weight the word appears in for that item
        self.postings: dict[str, dict[int, int]] = {}
        postings = self.postings
        self.texts: list[list[list[str]]] = []  # each searched field's folded words
        headings = set(headings)
        for i, row in enumerate(self.rows):
            texts = []
            for name, weight in self.fields.items():
                text = str(row.get(name) or "")
                if name in headings:
                    folded, joined = heading_parts(text)
                    indexed = folded + joined
                else:
                    folded = indexed = words_of(text)
                for word in indexed:
                    items = postings.get(word)
                    if items is None:
                        postings[word] = {i: weight}
                    elif i not in items or items[i] < weight:
                        items[i] = weight
                texts.append(folded)
            self.texts.append(texts)
        # Heaviest first, so that a word too common to scan whole yields its best items
        # (a word fewer items hold is scanned whole: its order does not matter).
        for word, items in self.postings.items():
            if len(items) > COMMON:
                self.postings[word] = dict(sorted(items.items(), key=lambda p: -p[1]))
        self.vocabulary = vocabulary if vocabulary is not None else Vocabulary(
            {w: len(items) for w, items in self.postings.items()}, len(self.rows))

    def get(self, key: str) -> dict[str, Any] | None:
        """One row by its key."""
        i = self.by_key.get(key.strip())
        return dict(self.rows[i]) if i is not None else None

    def search(self, words: Sequence[str], limit: int, vocabulary: Vocabulary | None = None,
               near: Sequence[list[tuple[str, float]]] | None = None) -> list[dict[str, Any]]:
        """The best ``limit`` rows for query ``words`` (from ``query_words``), best first.

        ``vocabulary``: the whole catalogue's, when these rows are candidates drawn from
        a larger catalogue (SQL), so that near words and rarity are the catalogue's.
        ``near``: each term's ``vocabulary.similar``, when the caller has them already."""
        if not words:
            return []
        vocabulary = vocabulary or self.vocabulary
        terms, said = terms_of(words)
        if near is None:
            near = vocabulary.terms_near(words)
        held = [sum(len(self.postings.get(w, ())) for w, _ in options) for options in near]
        # A word hundreds of items hold ("novel") only adds to what rarer words found.
        rare = [i for i, n in enumerate(held) if 0 < n <= COMMON]
        if not rare and any(held):
            rare = [min((i for i, n in enumerate(held) if n), key=lambda i: held[i])]
        scores: dict[int, float] = {}
        covered: dict[int, int] = {}
        for i in sorted(rare, key=lambda i: held[i]) + [i for i in range(len(terms))
                                                          if i not in rare]:
            best: dict[int, float] = {}
            for found, factor in vocabulary.factors(near[i]):
                postings = self.postings.get(found, {})
                pairs = islice(postings.items(), COMMON) if i in rare else (
                    (item, postings[item]) for item in scores if item in postings)
                for item, weight in pairs:
                    if factor * weight > best.get(item, 0.0):
                        best[item] = factor * weight
            for item, score in best.items():
                scores[item] = scores.get(item, 0.0) + score
                covered[item] = covered.get(item, 0) + terms[i][1]
        # Two of the words said (one of one or two), so one stray match is not enough and
        # a sentence around a title ("my son needs treasure island for school") still is.
        # A sentence with exactly one catalogue word in it, said as the catalogue has it
        # ("looking for a present, maybe a nice scarf"), needs only that one.
        exact = sum(1 for (term, _), options in zip(terms, near, strict=True)
                    if "=" not in term and any(s == 1.0 for _, s in options))
        needed = 1 if said <= 2 or exact == 1 else 2
        many = said > 1
        # Ranked by words covered and score; then how much of a field the words fill
        # (at most one point: "blugi" is all of "blugi", a third of "geaca de blugi")
        # settles near ties among the first RERANK.
        first = heapq.nsmallest(RERANK, (i for i in scores if covered[i] >= needed),
                                key=lambda i: (-covered[i] if many else 0, -scores[i], i))
        matched = {found for options in near for found, _ in options}

        phrase = " ".join(w for w in words if "=" not in w)

        def fill(i: int) -> float:  # how much of a field the words are, and look like
            return max((sum(w in matched for w in text) / len(text)
                        + fuzz.token_sort_ratio(phrase, " ".join(text)) / 100
                        for text in self.texts[i] if text), default=0.0) / 2

        ranked = sorted(first, key=lambda i: (-covered[i] if many else 0,
                                              -(scores[i] + fill(i)), i))
        return [{**self.rows[i], MATCH: self.confidence(i, words, near, vocabulary)}
                for i in ranked[:limit]]

    def confidence(self, i: int, words: Sequence[str], near: Sequence[list[tuple[str, float]]],
                   vocabulary: Vocabulary) -> dict[str, Any]:
        """How well row ``i`` answers the query: ``said``, the share of what the caller
        named that it holds (each word weighed by its rarity, a word the catalogue lacks
        as the rarest, a misheard one by its likeness), and ``field``, the largest share
        of one of its fields that the caller said in its order, word for word or in
        another form of each word ("war of the worlds" is not "world war"); ``words``,
        the share of the words said that it holds, misheard perhaps; ``looks``, how
        much what was said looks like one of its titles or names, letter by letter;
        ``single``, 1 when one of its fields is a single word, and it was said; ``heard``,
        the words said (folded) that it holds, misheard perhaps."""
        terms, said = terms_of(words)
        have = {w for text in self.texts[i] for w in text}
        idf, rarest = vocabulary.idf, vocabulary.rarest
        plain = [t for t, _ in terms[:said]]
        best = [0.0] * said
        strong = [False] * said  # said as the item has it, in another form, or its start
        weight = [idf.get(w, rarest) for w in plain]
        position: dict[str, int] = {}  # a strongly matched catalogue word -> the word said
        parts = [w.partition("=")[2].split() for w in words if "=" in w]
        for n, options in enumerate(near):
            at = [n] if n < said else [plain.index(p) for p in parts[n - said] if p in plain]
            # Words joined again stand for one whole word, not for one that is only the
            # first of them: "sports bra" is not "sports" (shoes); "get salome" may be
            # "salome" (what comes before the name is the sentence's).
            size = _joined_size(terms[n][0], parts[n - said]) if n >= said else 0
            for found, similarity in options:
                if found not in have or (len(found) < size and found[:3] == terms[n][0][:3]):
                    continue
                for p in at:
                    best[p] = max(best[p], similarity)
                    # (words recognition split apart, joined again: "pie jama" = pyjama)
                    if similarity >= STRONG or len(at) > 1 or _same_start(plain[p], found):
                        strong[p] = True
                if similarity >= STRONG and at:
                    position.setdefault(found, at[0])
        total = sum(weight) or 1.0
        share = sum(w * b for w, b in zip(weight, best, strict=True)) / total
        heard = sum(b >= HEARD for b in best) / max(1, said)
        field = looks = single = 0.0
        lead = False  # one of the heaviest fields (a title, a name) said whole
        heaviest = max(self.fields.values(), default=0)
        phrase = " ".join(plain)
        for text, counts in zip(self.texts[i], self.fields.values(), strict=True):
            text = [w for w in text if not forms.function_word(w) and w not in _FRAMED] or text
            if not text:
                continue
            size = sum(idf.get(w, rarest) for w in set(text))
            run = _in_order([(position[w], w) for w in text if w in position])
            # one word said whole ("Anna") counts only if it is most of what was named
            if len(set(text)) == 1 and run:
                single = 1.0
            if len(set(text)) > 1 or share >= 0.5:
                whole = sum(idf.get(w, rarest) for w in set(run)) / size
                field = max(field, whole)
                lead = lead or (counts == heaviest and whole >= WHOLE)
            if len(text) <= 2 * MAX_QUERY_WORDS:  # a title or a name, not a list of topics
                looks = max(looks, fuzz.ratio(phrase, " ".join(text)) / 100)
        return {"said": round(share, 3), "field": round(min(1.0, field), 3),
                "words": round(heard, 3), "looks": round(looks, 3), "single": single,
                "heard": tuple(plain[n] for n in range(said) if best[n] >= HEARD),
                "strong": sum(strong),
                "other_number": _other_number(words, self.texts[i], have), "lead": lead}


def _may_start(word: str, content: Sequence[str]) -> bool:
    """Whether a word may begin words joined again: one worth searching, or one dropped
    only because its stem is a function word's ("para" in "para pluie" = parapluie)."""
    return word in content or (word.isalpha() and len(word) >= 3
                               and not forms.function_word(word))


def _joined_size(term: str, parts: Sequence[str]) -> float:
    """The length a catalogue word needs to stand for ``parts`` joined into ``term``
    (0 for an alternative that is not a join: a number, a short form)."""
    if term != "".join(parts):
        return 0.0
    content = [p for p in parts if not forms.function_word(p)]
    return JOINED_SHARE * sum(len(p) for p in content) if len(content) > 1 else 0.0


def _same_start(said: str, found: str) -> bool:
    """Whether one word is the other with an ending added ("aeneid", "aeneidos"): the same
    word in another language or form, not a word that merely sounds alike."""
    short = min(len(said), len(found))
    start = len(os.path.commonprefix((said, found)))
    return start >= SAME_START and start >= 0.75 * short


def _other_number(words: Sequence[str], texts: Sequence[Sequence[str]], have: set[str]) -> bool:
    """Whether the caller said a number the item lacks while the item has a number of a
    part or a volume the caller did not say: "part two" is not "Henry IV, Part 1",
    "scrisoarea a doua" not "Scrisoarea I". (A year among its subjects is no such number.)"""
    said_as: dict[str, set[str]] = {}  # what was said -> it and the numbers it stands for
    for word in words:
        number, _, said = word.partition("=")
        # ("un", "o": an article, not the number one)
        if said and (number.isdigit() or number in _ROMAN) and not forms.function_word(said):
            said_as.setdefault(said, {said}).add(number)
        elif not said and word.isdigit():
            said_as.setdefault(word, {word})
    if not said_as or all(f & have for f in said_as.values()):
        return False
    every = set().union(*said_as.values())
    return any(w not in every and ((w.isdigit() and len(w) <= 2) or w in _PART_NUMBER
                                   or (w == "i" and n > 0))
               for text in texts for n, w in enumerate(text))


def _in_order(hits: list[tuple[int, str]]) -> list[str]:
    """The longest run of catalogue words whose query positions rise (not necessarily
    adjacent), as words: what of a field the caller said in its order."""
    best: list[list[tuple[int, str]]] = []
    for pos, word in hits:
        chain = max((c for c in best if c[-1][0] < pos), key=len, default=[])
        best.append([*chain, (pos, word)])
    return [w for _, w in max(best, key=len, default=[])]
