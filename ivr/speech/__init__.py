"""Offline multilingual phrase matcher routing spoken utterances to menu targets.

Pure Python + rapidfuzz + snowballstemmer; no web, telephony or database imports.
"""

from __future__ import annotations

from .index import PhraseIndex, decide_from_ranking
from .normalize import fold, normalize
from .result import Decision, Scored

__all__ = ["Decision", "PhraseIndex", "Scored", "decide_from_ranking", "fold", "normalize"]
