"""Other forms of a word — plural, gender, case — from maintained sources, not word lists.

A word's forms meet through keys: per language, its Snowball stem (``snowballstemmer``,
as the speech matcher uses) and the stem of its dictionary lemma (``simplemma``'s
lemma tables), so Romanian "neagră", "negre" and "negri" meet "negru", French "noires"
meets "noir", English "stories" meets "story". A word said or typed without its
diacritics is looked up as every form it could be ("sepci" is "șepci", so "șapcă";
"sorturi" is "sorturi" or "șorturi"), since speech and text searches often come without.
Keys are compared within one language only (a French stem never meets an English one).
The languages are those of the menus loaded (``use_languages``), by default the three
the project ships.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from itertools import product

import simplemma
from simplemma.strategies.dictionaries import DEFAULT_DICTIONARY_FACTORY

from ivr.speech.normalize import _STOPWORDS_RAW, fold, stem_tokens, tokenize

DEFAULT_LANGUAGES = ("en", "fr", "ro")
MIN_LETTERS = 3  # "in", "la" and "de" have no useful other forms
_languages: tuple[str, ...] = DEFAULT_LANGUAGES


def _supported(lang: str) -> bool:
    try:
        simplemma.lemmatize("a", lang=lang)
    except ValueError:
        return False
    return True


def use_languages(langs: tuple[str, ...] | list[str] | set[str]) -> tuple[str, ...]:
    """Compare forms in these languages from now on (the menus' languages that the lemma
    tables know); returns the ones kept."""
    global _languages
    kept = tuple(sorted({lang.split("-")[0].lower() for lang in langs} & _known()))
    if kept and kept != _languages:
        _languages = kept
        form_keys.cache_clear()
    return _languages


@lru_cache(maxsize=1)
def _known() -> frozenset[str]:
    """The languages simplemma has lemma tables for, read from its list (loading each
    table to find out took most of a second, on the first search of a call)."""
    try:
        from simplemma.strategies.dictionaries.dictionary_factory import SUPPORTED_LANGUAGES
    except ImportError:  # another layout of the package: ask it, one table at a time
        return frozenset(lang for lang in ("bg", "ca", "cs", "cy", "da", "de", "el", "en",
                                           "es", "et", "fi", "fr", "ga", "gd", "gl", "hu",
                                           "hy", "id", "it", "lt", "lv", "nb", "nl", "pl",
                                           "pt", "ro", "ru", "sk", "sl", "sv", "tr", "uk")
                         if _supported(lang))
    return frozenset(str(lang) for lang in SUPPORTED_LANGUAGES)


@lru_cache(maxsize=20_000)
def lemma(word: str, lang: str) -> str:
    """The folded dictionary form of a folded word in ``lang`` (the word itself if unknown)."""
    return fold(simplemma.lemmatize(word, lang=lang))


MAX_UNFOLDED = 3  # lemmas kept for one word written without diacritics
MAX_SPELLINGS = 256  # ways with diacritics looked up for one such word, at most


@lru_cache(maxsize=32)
def _accents(lang: str) -> Mapping[str, tuple[str, ...]]:
    """Each plain letter -> the letters with diacritics that fold to it in ``lang``'s
    lemma table ("s" -> "ș", "ş" in Romanian; "e" -> "é", "è", "ê", "ë" in French): read
    from the table's own words, once, in a few hundredths of a second."""
    try:
        table = DEFAULT_DICTIONARY_FACTORY.get_dictionary(lang)  # the one lemmatize reads
    except (ValueError, OSError):
        return {}
    raw = getattr(table, "_dict", None)  # simplemma 2: bytes, read without decoding each
    if isinstance(raw, dict):
        letters = set(b"".join(w for w in raw if not w.isascii()).decode().lower())
    else:
        letters = set("".join(w for w in table if not w.isascii()).lower())
    out: dict[str, list[str]] = {}
    for letter in sorted(letters):
        plain = fold(letter)
        if not letter.isascii() and len(plain) == 1 and plain.isascii() and plain.isalpha():
            out.setdefault(plain, []).append(letter)
    return {k: tuple(v) for k, v in out.items()}


@lru_cache(maxsize=20_000)
def _unfolded(word: str, lang: str) -> tuple[str, ...]:
    """The folded lemmas of the forms with diacritics a folded word may be, where they
    differ from it ("sepci" is "șepci", so "sapca"): each way of writing it with the
    language's diacritics is looked up in the lemma table (none past MAX_SPELLINGS)."""
    accents = _accents(lang)
    options = [(c, *accents.get(c, ())) for c in word]
    count = 1
    for choice in options:
        count *= len(choice)
    if count == 1 or count > MAX_SPELLINGS:
        return ()
    table = DEFAULT_DICTIONARY_FACTORY.get_dictionary(lang)
    out: list[str] = []
    for letters in product(*options):
        spelled = "".join(letters)
        base = table.get(spelled) if spelled != word else None
        if base is not None and (folded := fold(str(base))) != word and folded not in out:
            out.append(folded)
            if len(out) >= MAX_UNFOLDED:
                break
    return tuple(out)


def lemmas(word: str, lang: str) -> tuple[str, ...]:
    """A folded word's folded lemma in ``lang``, then those of the forms with diacritics it
    may have lost."""
    return (lemma(word, lang), *_unfolded(word, lang))


@lru_cache(maxsize=200_000)
def form_keys(word: str) -> frozenset[str]:
    """``lang:stem`` keys of a folded word: two words sharing one are forms of each other."""
    if len(word) < MIN_LETTERS or not word.isalpha():
        return frozenset()
    keys = set()
    for lang in _languages:
        for stem in stem_tokens([word, *lemmas(word, lang)], lang):
            keys.add(f"{lang}:{stem}")
    return frozenset(keys)


def function_word(word: str) -> bool:
    """Whether a folded word is an article, a preposition ... in one of the languages
    ("the", "of", "de", "la"): it says nothing of which item is meant."""
    return word in _function_words(_languages)


@lru_cache(maxsize=8)
def _function_words(langs: tuple[str, ...]) -> frozenset[str]:
    return frozenset(fold(w) for lang in langs for w in tokenize(_STOPWORDS_RAW.get(lang, ""),
                                                                  lang))


def prefixes(word: str) -> set[str]:
    """Where a word's other forms start, in a sorted vocabulary: its first letters and
    those of its lemmas ("neagra" -> "neag", "negr")."""
    if len(word) < MIN_LETTERS or not word.isalpha():
        return set()
    out = {word[:4]}
    for lang in _languages:
        out.update(base[:4] for base in lemmas(word, lang))
    return {p for p in out if len(p) >= MIN_LETTERS}


def same_word(a: str, b: str) -> bool:
    """Whether two folded words are forms of one word in one of the languages."""
    return a == b or bool(form_keys(a) & form_keys(b))


def warm() -> None:
    """Load the lemma tables of the languages compared now, not on a caller's search."""
    for lang in _languages:
        lemma("words", lang)
        _accents(lang)
