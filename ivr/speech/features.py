"""Sparse features of a normalised utterance: stems, stem bigrams, character n-grams."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from itertools import pairwise

# Character n-gram sizes inside each stem (with word boundary marks); they catch
# misrecognised letters and morphology that the stemmer leaves apart.
CHAR_NGRAMS = (3, 4)


@lru_cache(maxsize=200_000)
def char_ngrams(stem: str) -> tuple[str, ...]:
    """Character n-grams of one stem, prefixed with '#' so they never collide with words."""
    s = f"<{stem}>"
    return tuple("#" + s[i : i + n] for n in CHAR_NGRAMS for i in range(len(s) - n + 1))


def bigrams(tokens: list[str]) -> list[str]:
    """Adjacent stem pairs; a space never occurs inside a token, so they cannot collide with words."""
    return [f"{a} {b}" for a, b in pairwise(tokens)]


def rich_features(
    tokens: list[str],
    word_weights: dict[str, float] | None = None,
    stop: frozenset[str] = frozenset(),
) -> dict[str, float]:
    """Weighted bag of stems (or their fuzzy replacements), stem bigrams and char n-grams.

    word_weights, when given, replaces the plain stem counts (it carries the fuzzy
    expansion of unknown words); bigrams and n-grams always come from the tokens heard;
    stop lists function words that get no character n-grams.
    """
    feats: dict[str, float] = dict(Counter(tokens)) if word_weights is None else dict(word_weights)
    extra: Counter[str] = Counter(bigrams(tokens))
    for tok in tokens:
        if tok not in stop:  # n-grams of "is" would match "issue": no evidence there
            extra.update(char_ngrams(tok))
    for f, c in extra.items():
        feats[f] = feats.get(f, 0.0) + c
    return feats
