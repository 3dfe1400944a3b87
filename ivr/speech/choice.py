"""Which matcher routes live calls: auto (the default), lexical, or hybrid.

``auto`` mixes the lexical score with the sentence-embedding model that measured best
on callers' utterances for each language within a 60 ms spoken step (all-MiniLM-L6-v2
for English, the multilingual Universal Sentence Encoder for French, multilingual e5 for
Romanian and every other language; ``encoders.FAST_MODELS``).
``hybrid`` runs a model in every language (MiniLM for English, multilingual e5-small
for the others: e5 costs 14-25 ms per utterance). ``lexical`` runs no model. The models
ship inside PyPI packages (the embeddings extra); without them ``auto`` and ``hybrid``
fall back to ``lexical``. Indexes are built once per menu version and language; the
menu's phrases are embedded when the version loads (``prepare``, ivr/nodes/warmup.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Protocol

from .index import PhraseIndex
from .result import Decision, Scored

log = logging.getLogger(__name__)
KINDS = ("auto", "lexical", "hybrid")
DEFAULT_KIND = "auto"
_kind = "lexical"


def use_matcher(kind: str) -> str:
    """Route live calls with ``kind``; returns the kind in use (lexical if hybrid cannot load).

    The model is loaded here, at start-up, so that no caller waits for it and a missing
    extra is reported once, clearly, instead of on a call.
    """
    global _kind
    if kind not in KINDS:
        raise ValueError(f"IVR_MATCHER must be one of {', '.join(KINDS)}, not {kind!r}")
    if kind in ("hybrid", "auto"):
        try:
            for model in sorted(_models(kind)):
                _encoder(model)
        except (ImportError, OSError) as exc:  # not installed, refused, or a file missing
            log.warning("IVR_MATCHER=%s needs the embeddings extra and its models (%s); "
                        "routing with the lexical matcher", kind, exc)
            kind = "lexical"
    _kind = kind
    return kind


def _models(kind: str) -> set[str]:
    from .encoders import FAST_MODELS, default_model, fast_model

    if kind == "auto":
        return {m for m in (fast_model(lang) for lang in ("en", "ro", *FAST_MODELS)) if m}
    return {default_model("en"), default_model("fr")}


def _encoder(model: str) -> object:
    from .encoders import get_encoder

    return get_encoder(model)


def model_for(lang: str) -> str | None:
    """The embedding model live calls run for a menu language, or None (words alone)."""
    if _kind == "lexical":
        return None
    from .encoders import default_model, fast_model

    return fast_model(lang) if _kind == "auto" else default_model(lang)


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
    model = model_for(lang)
    if model is not None:
        from .embed import HybridIndex

        return HybridIndex(entries, lang, model)
    return PhraseIndex(entries, lang)


def prepare(phrases: Iterable[str], lang: str) -> int:
    """Embed phrases now (when a menu loads) so no caller's step has to; returns how many were new.

    Nothing to do for the lexical matcher, whose indexes need no model.
    """
    model = model_for(lang)
    if model is None:
        return 0
    from .encoders import get_encoder

    encoder = get_encoder(model)
    new = list(dict.fromkeys(p for p in phrases if p.strip() and not encoder.knows(p)))
    if new:
        encoder.encode(new)
    return len(new)
