"""Text normalisation for spoken utterances: folding, filler removal, stemming."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

import snowballstemmer

# Snowball algorithm per supported language; any other code falls back to no stemming.
_SNOWBALL: dict[str, str] = {"en": "english", "fr": "french", "ro": "romanian"}

# Function words: kept as tokens (exact matches, bigrams) but given little weight by the
# index. In a 5-item menu IDF alone cannot tell "is" or "my" from a content word, because
# only one or two targets happen to use them. Question words and negations are kept out on
# purpose: "where", "why", "not" carry intent.
_STOPWORDS_RAW: dict[str, str] = {
    "en": "a an the i me my mine you your we our us it its is are was were be been am do does "
    "did to of in on at for with and or this that these those there have has had some any "
    "about from by as just would will should could",
    "fr": "le la les l un une des de du d au aux et ou en dans sur pour par avec je j tu il "
    "elle nous vous ils elles me m ma mon mes ton ta tes votre vos notre nos son sa ses ce c "
    "cet cette ces est suis es sont ai as avez avons ont été être que qu qui se s y",
    "ro": "un o unui unei niște și sau de la în pe cu din pentru despre spre eu tu el ea noi "
    "voi ei ele mea meu mele mei ta tău sa său nostru noastră este e sunt am ai a au ați "
    "fost să se mă îmi mi ce care că acest această asta ăsta",
}

# Romanian has two encodings of s/t with a mark below: the legacy cedilla (ş ţ) and the
# correct comma-below (ș ț). Speech engines emit either, so canonicalise before stemming.
_RO_CANON = str.maketrans({"ş": "ș", "ţ": "ț", "Ş": "ș", "Ţ": "ț"})

# Letters that NFKD does not decompose into base + combining mark.
_FOLD_EXTRA = str.maketrans(
    {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ł": "l", "ı": "i", "ſ": "s", "þ": "th"}
)

_APOSTROPHES = re.compile(r"[’'`´ʼ]")
_WORD = re.compile(r"[^\W_]+")

# Fillers are written naturally and normalised through the same tokenizer at import, so
# they stay consistent with whatever the tokenizer does to apostrophes and accents.
_UNIVERSAL_FILLERS = ("um", "umm", "uh", "uhh", "uhm", "erm", "hmm", "hm", "mm", "mhm")
_FILLERS_RAW: dict[str, tuple[str, ...]] = {
    "en": (
        "er",
        "ah",
        "oh",
        "okay",
        "ok",
        "please",
        "hello",
        "hi",
        "hey",
        "yeah",
        "well",
        "so",
        "you know",
        "i mean",
        "i'd like to",
        "i would like to",
        "i want to",
        "i wanna",
        "i need to",
        "i'd like",
        "i would like",
        "can you please",
        "could you please",
        "thank you",
        "thanks",
    ),
    "fr": (
        "euh",
        "heu",
        "ben",
        "bah",
        "alors",
        "voila",
        "voilà",
        "allo",
        "allô",
        "bonjour",
        "bonsoir",
        "merci",
        "s'il vous plaît",
        "s'il te plaît",
        "svp",
        "je voudrais",
        "j'aimerais",
        "je souhaite",
        "je souhaiterais",
        "je veux",
        "est-ce que",
        "s'il vous plait",
    ),
    "ro": (
        "ăă",
        "ăăă",
        "ă",
        "îî",
        "ee",
        "eee",
        "păi",
        "deci",
        "alo",
        "bună ziua",
        "bună",
        "mulțumesc",
        "vă rog",
        "te rog",
        "aș vrea să",
        "aș vrea",
        "aș dori să",
        "aș dori",
        "vreau să",
        "doresc să",
        "aș dori și eu",
    ),
}

# Romanian plural "-uri(le|lor)" is not removed by Snowball ("retururi" -> "returur"
# but "returul" -> "retur"), so strip it first; a 3-letter minimum keeps short words.
_RO_PLURAL = re.compile(r"^(.{3,}?)uri(le|lor)?$")


# Phone speech recognition writes numbers either way ("six" or "6"): both become digits.
# Articles that are also "one" (un, une, o) stay words.
_NUMBER_WORDS: dict[str, str] = {
    "en": "zero one two three four five six seven eight nine ten eleven twelve thirteen "
          "fourteen fifteen sixteen seventeen eighteen nineteen twenty",
    "fr": "zero _ deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze "
          "quinze seize dix-sept dix-huit dix-neuf vingt",
    "ro": "zero unu doi trei patru cinci sase sapte opt noua zece unsprezece doisprezece "
          "treisprezece paisprezece cincisprezece saisprezece saptesprezece optsprezece "
          "nouasprezece douazeci",
}
_EXTRA_NUMBERS = {"ro": {"doua": "2", "una": "1"}, "en": {}, "fr": {}}
# Words recognition splits or spells apart, and homophones it prefers, per language.
_JOINS: dict[str, dict[tuple[str, str], str]] = {
    "en": {("e", "mail"): "email", ("pay", "pal"): "paypal", ("log", "in"): "login",
           ("pass", "word"): "password", ("web", "site"): "website", ("re", "fund"): "refund",
           ("check", "out"): "checkout", ("in", "voice"): "invoice", ("on", "line"): "online"},
    "fr": {("e", "mail"): "email", ("pay", "pal"): "paypal", ("en", "ligne"): "enligne"},
    "ro": {("e", "mail"): "email", ("pay", "pal"): "paypal", ("on", "line"): "online"},
}
_HOMOPHONES: dict[str, dict[str, str]] = {
    "en": {"ours": "hours", "e-mail": "email", "parcels": "parcel", "buy": "bye"},
    "fr": {"mail": "email", "courriel": "email"},
    "ro": {"mail": "email", "mailul": "emailul"},
}


@lru_cache(maxsize=64)
def _numbers(lang: str) -> dict[str, str]:
    table = {w: str(i) for i, w in enumerate(_NUMBER_WORDS.get(lang, "").split()) if w != "_"}
    return {**table, **_EXTRA_NUMBERS.get(lang, {})}


def mend(tokens: list[str], lang: str) -> list[str]:
    """Numbers as digits, words recognition split apart joined, homophones replaced."""
    numbers, joins = _numbers(lang), _JOINS.get(lang, {})
    sounds = _HOMOPHONES.get(lang, {})
    out: list[str] = []
    i = 0
    while i < len(tokens):
        word = fold(tokens[i]) if lang == "ro" else tokens[i]
        if i + 1 < len(tokens) and (joined := joins.get((fold(tokens[i]), fold(tokens[i + 1])))):
            out.append(joined)
            i += 2
            continue
        out.append(numbers.get(fold(word), sounds.get(word, tokens[i])))
        i += 1
    return out


@lru_cache(maxsize=256)
def primary_lang(lang: str) -> str:
    """Return the primary subtag of a language code ("fr-CA" -> "fr")."""
    return re.split(r"[-_]", (lang or "").strip().lower(), maxsplit=1)[0]


def fold(text: str) -> str:
    """Lowercase and strip diacritics (ă â î ș ş ț ţ é ...) to plain base letters."""
    if text.isascii():  # no diacritics to strip (most catalogue words): the same, faster
        return text.lower().translate(_FOLD_EXTRA)
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_FOLD_EXTRA))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokenize(text: str, lang: str) -> list[str]:
    """Split lowercased, NFC text into word tokens, keeping accents for the stemmer."""
    lang = primary_lang(lang)
    text = unicodedata.normalize("NFC", text.lower())
    if lang == "ro":
        text = text.translate(_RO_CANON)
    # English contractions read better joined ("what's" -> "whats"); elsewhere the
    # apostrophe separates an elided article ("l'adresse" -> "l adresse").
    text = _APOSTROPHES.sub("" if lang == "en" else " ", text)
    return _WORD.findall(text)


@lru_cache(maxsize=64)
def _fillers(lang: str) -> dict[str, tuple[tuple[str, ...], ...]]:
    """Filler sequences as folded token tuples keyed by first token, longest first."""
    raw = _UNIVERSAL_FILLERS + _FILLERS_RAW.get(lang, ())
    seqs = {tuple(_fold_word(t) for t in tokenize(f, lang)) for f in raw}
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for seq in sorted((s for s in seqs if s), key=len, reverse=True):
        by_first.setdefault(seq[0], []).append(seq)
    return {k: tuple(v) for k, v in by_first.items()}


@lru_cache(maxsize=200_000)
def _fold_word(word: str) -> str:
    """Cached fold() for single tokens, which repeat a lot."""
    return fold(word)


def fold_word(word: str) -> str:
    """fold() of one word, remembered: words repeat a lot (a catalogue's topics)."""
    return _fold_word(word)


def drop_fillers(tokens: list[str], lang: str) -> list[str]:
    """Remove filler words/phrases (matched on folded forms) from a token list."""
    fillers = _fillers(primary_lang(lang))
    folded = [_fold_word(t) for t in tokens]
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for seq in fillers.get(folded[i], ()):
            if tuple(folded[i : i + len(seq)]) == seq:
                i += len(seq)
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


@lru_cache(maxsize=64)
def _stem_fn(lang: str) -> Callable[[str], str]:
    """Return a cached word-stemming function for a primary language code."""
    algo = _SNOWBALL.get(lang)
    if algo is None:
        return _fold_word
    stemmer = snowballstemmer.stemmer(algo)

    @lru_cache(maxsize=100_000)
    def stem(word: str) -> str:
        """Stem one accented word, then fold so accentless input meets the same stem."""
        if lang == "ro":
            # Callers' recognisers often drop the marks (sa, cand, inapoi): stem the
            # folded word, so "deschiși" and "deschisi" always meet.
            word = fold(word)
            m = _RO_PLURAL.match(word)
            if m:
                word = m.group(1)
        return fold(stemmer.stemWord(word))

    return stem


def stem_tokens(tokens: list[str], lang: str) -> list[str]:
    """Stem (and fold) each token with the language's Snowball stemmer, if any."""
    stem = _stem_fn(primary_lang(lang))
    return [stem(t) for t in tokens]


@lru_cache(maxsize=64)
def stopwords(lang: str) -> frozenset[str]:
    """Function words of a language in normalised (stemmed, folded) form; empty if unknown."""
    lang = primary_lang(lang)
    return frozenset(stem_tokens(tokenize(_STOPWORDS_RAW.get(lang, ""), lang), lang))


def normalize(text: str, lang: str) -> list[str]:
    """Tokens after lowercasing, accent folding, punctuation/filler removal and stemming."""
    if not text or not text.strip():
        return []
    return list(_normalize_cached(text, lang))


# Menus are rebuilt at run time with mostly unchanged phrases, so remember recent results.
@lru_cache(maxsize=50_000)
def _normalize_cached(text: str, lang: str) -> tuple[str, ...]:
    """Cached body of normalize(); returns an immutable tuple."""
    lang = primary_lang(lang)
    return tuple(stem_tokens(mend(drop_fillers(tokenize(text, lang), lang), lang), lang))
