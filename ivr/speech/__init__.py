"""Offline multilingual phrase matcher routing spoken utterances to menu targets.

Pure Python + rapidfuzz + snowballstemmer; no web, telephony or database imports.
"""

from __future__ import annotations

from .choice import Matcher, make_index, matcher_in_use, prepare, use_matcher
from .index import PhraseIndex, decide_from_ranking
from .normalize import fold, normalize
from .result import Decision, Scored
from .vectorfile import keep_vectors_in

__all__ = ["Decision", "Matcher", "PhraseIndex", "Scored", "decide_from_ranking", "fold",
           "keep_vectors_in", "make_index", "matcher_in_use", "normalize", "prepare",
           "use_matcher"]
