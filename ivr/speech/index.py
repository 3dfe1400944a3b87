"""PhraseIndex: route an utterance to the target whose example phrases it resembles.

The score of a target mixes four views, each in [0, 1], with weights summing to 1:
  * cosine of the utterance with the target's whole bag of phrases (stems, bigrams,
    character n-grams; TF-IDF with IDF over targets),
  * best cosine with a single example phrase (stems only),
  * rapidfuzz token_set_ratio with the nearest example phrase,
  * multinomial naive-Bayes posterior over targets (same rich features).
The cosines and fuzzy ratio are absolute similarities (so unrelated speech scores low);
the posterior sharpens the choice between similar targets. An exact phrase scores 1.0.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence

from rapidfuzz import fuzz, process

from .features import bigrams, char_ngrams, rich_features
from .normalize import normalize, primary_lang, stopwords
from .result import Decision, Scored

# Default decision thresholds, tuned on Banking77 *train* only (benchmarks/bench_speech.py
# --tune): held-out train utterances for K = 5, 10, 30 phrases per target, plus intents left
# out of the index as out-of-domain callers, minimising an outcome cost (wrong confident
# route 3, wrong refinement 1.5, in-domain "none" 1, right refinement 0.25, each extra
# option read out 0.03; out-of-domain confident 2, refinement 0.5). The optimum is flat:
# the margin does most of the work, and any score under 0.30 is below REFINE_SCORE anyway.
CONFIDENT_SCORE = 0.30
CONFIDENT_MARGIN = 0.24
REFINE_SCORE = 0.25
# Offer the third candidate when within this of the best (1.0: whenever OFFER_RATIO allows).
THIRD_GAP = 1.0
# Alternatives scoring under this fraction of the best are not offered.
OFFER_RATIO = 0.3

# Component weights of the calibrated score (sum to 1 so the score stays in [0, 1]);
# chosen on Banking77 train held-out utterances (first K per intent indexed, rest scored).
W_TARGET = 0.35
W_PHRASE = 0.15
W_FUZZY = 0.15
W_BAYES = 0.35

# Naive-Bayes additive smoothing and softmax temperature (on per-feature mean log-likelihood).
NB_ALPHA = 0.1
NB_TEMPERATURE = 0.3
# Target cosine at which the posterior counts in full (below it, scaled by sqrt(cos / gate)).
BAYES_GATE = 0.3

# Below this rapidfuzz ratio a query word is not treated as a misrecognition of a known word.
FUZZY_TERM_CUTOFF = 80.0
# Only words this long are expanded: short words have too many 1-edit neighbours.
FUZZY_MIN_LEN = 4
# How many leading targets the fuzzy (rapidfuzz token_set_ratio) view re-scores.
FUZZY_TARGETS = 10
# Words commoner than this (IDF over targets below it) skip the per-phrase view: they
# are near-stopwords with long postings and little evidence.
PHRASE_MIN_IDF = 0.5
# IDF multiplier for function words (see normalize.stopwords).
STOPWORD_WEIGHT = 0.2
# Non-exact scores stay below an exact phrase match, which scores 1.0.
NON_EXACT_CAP = 0.99


def _damp(tf: float) -> float:
    """Sublinear term frequency, so a repeated word does not dominate a vector."""
    return 1.0 + math.log(tf) if tf > 1.0 else tf


def _unit(weights: dict[str, float]) -> dict[str, float]:
    """Scale a sparse vector to unit L2 norm."""
    norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
    return {t: w / norm for t, w in weights.items()}


class PhraseIndex:
    """Sparse multi-view phrase index; see the module docstring for the scoring."""

    kind = "lexical"

    def __init__(self, entries: Sequence[tuple[str, Sequence[str]]], lang: str) -> None:
        """Build the index from (target id, example phrases) pairs for one language."""
        self.lang = primary_lang(lang)
        self._stop = stopwords(self.lang)
        self.targets: list[str] = []
        self._phrase_target: list[int] = []
        self._phrase_text: list[str] = []
        self._exact: dict[tuple[str, ...], int] = {}
        target_rich: list[Counter[str]] = []
        phrase_words: list[dict[str, float]] = []
        for target, phrases in entries:
            t_idx = len(self.targets)
            self.targets.append(target)
            rich: Counter[str] = Counter()
            for phrase in phrases:
                toks = normalize(phrase, self.lang)
                if not toks:
                    continue
                # First target wins when two targets share an identical phrase.
                self._exact.setdefault(tuple(toks), t_idx)
                words = Counter(toks)
                rich.update(words)
                rich.update(bigrams(toks))
                phrase_words.append(dict(words))
                self._phrase_target.append(t_idx)
                self._phrase_text.append(" ".join(toks))
            # Character n-grams follow the stem counts; counting them per stem is cheaper.
            # Counter.update over an iterable counts in C, so repeat it rather than loop.
            for stem, c in [(t, c) for t, c in rich.items() if " " not in t and t not in self._stop]:
                for _ in range(c):
                    rich.update(char_ngrams(stem))
            target_rich.append(rich)

        # IDF over targets (not phrases): a word said in every phrase of one target is
        # exactly what identifies it, while a word spread over many targets is not.
        n = max(len(self.targets), 1)
        df: Counter[str] = Counter()
        for rich in target_rich:
            df.update(rich.keys())
        self._idf = {t: math.log(1.0 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        for t in self._stop & self._idf.keys():
            self._idf[t] *= STOPWORD_WEIGHT
        self._oov_idf = math.log(1.0 + (n + 0.5) / 0.5)
        self._words = sorted({w for counts in phrase_words for w in counts})

        self._phrase_post = self._postings(phrase_words)
        self._target_phrases: list[list[str]] = [[] for _ in self.targets]
        for p_idx, text in enumerate(self._phrase_text):
            self._target_phrases[self._phrase_target[p_idx]].append(text)

        # Naive Bayes in sparse form: log P(f|t) = log(alpha / Z_t) + log((c + alpha) / alpha),
        # so only features the target has need a posting; the rest is a per-target base.
        # Cosine and Bayes weights share one posting list so a query walks it once.
        vocab = max(len(df), 1)
        self._nb_base = [math.log(NB_ALPHA / (sum(r.values()) + NB_ALPHA * vocab)) for r in target_rich]
        post: dict[str, list[tuple[int, float, float]]] = defaultdict(list)
        for t_idx, rich in enumerate(target_rich):
            for f, w in _unit({f: _damp(c) * self._idf[f] for f, c in rich.items()}).items():
                post[f].append((t_idx, w, math.log((rich[f] + NB_ALPHA) / NB_ALPHA)))
        self._target_post = dict(post)

    def _postings(self, docs: Sequence[Mapping[str, float]]) -> dict[str, list[tuple[int, float]]]:
        """Inverted lists feature -> (doc, L2-normalised tf-idf weight)."""
        post: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for d_idx, counts in enumerate(docs):
            for t, w in _unit({t: _damp(c) * self._idf[t] for t, c in counts.items()}).items():
                post[t].append((d_idx, w))
        return dict(post)

    def _expand_words(self, toks: list[str]) -> tuple[dict[str, float], float]:
        """Word counts with unknown words replaced by close known ones; plus unmatched mass."""
        words: dict[str, float] = {}
        unknown_sq = 0.0
        for tok, c in Counter(toks).items():
            if tok in self._idf:
                words[tok] = words.get(tok, 0.0) + c
                continue
            near = []
            if len(tok) >= FUZZY_MIN_LEN and self._words:
                near = process.extract(
                    tok, self._words, scorer=fuzz.ratio, score_cutoff=FUZZY_TERM_CUTOFF, limit=1
                )
            if near:
                # A likely misrecognition stands for its closest known word, discounted.
                term, sim, _ = near[0]
                words[term] = words.get(term, 0.0) + c * sim / 100.0
            else:
                # Unknown words still count in the norm, so a query of unknown words scores low.
                unknown_sq += (_damp(c) * self._oov_idf) ** 2
        return words, unknown_sq

    def _target_views(self, feats: dict[str, float], unknown_sq: float) -> tuple[list[float], list[float]]:
        """Cosine with each target's bag and naive-Bayes posterior, in one postings walk."""
        n = len(self.targets)
        cos = [0.0] * n
        ll = [0.0] * n
        norm_sq = unknown_sq
        total = 0.0
        for f, c in feats.items():
            idf = self._idf.get(f)
            if idf is None:
                # Unheard n-grams/bigrams count in the norm, so novel speech scores low.
                norm_sq += (_damp(c) * self._oov_idf) ** 2
                continue
            qw = _damp(c) * idf
            norm_sq += qw * qw
            total += c
            for t_idx, cw, lw in self._target_post[f]:
                cos[t_idx] += qw * cw
                ll[t_idx] += c * lw
        norm = math.sqrt(norm_sq) or 1.0
        if total <= 0.0:
            return cos, [0.0] * n
        ll = [x + base * total for x, base in zip(ll, self._nb_base, strict=True)]
        # Mean log-likelihood per feature keeps the temperature meaningful for any length.
        top = max(ll)
        scale = total * NB_TEMPERATURE
        ex = [math.exp((x - top) / scale) for x in ll]
        z = sum(ex)
        return [min(x / norm, 1.0) for x in cos], [e / z for e in ex]

    def _phrase_view(self, words: dict[str, float], unknown_sq: float) -> list[float]:
        """Best cosine of the stemmed words with any single phrase of each target."""
        q = {t: _damp(c) * self._idf[t] for t, c in words.items()}
        norm = math.sqrt(sum(w * w for w in q.values()) + unknown_sq) or 1.0
        dots: dict[int, float] = defaultdict(float)
        for t, w in q.items():
            if self._idf[t] < PHRASE_MIN_IDF:
                continue  # near-stopwords: long postings, little evidence
            for p_idx, pw in self._phrase_post[t]:
                dots[p_idx] += w * pw
        best = [0.0] * len(self.targets)
        owner = self._phrase_target
        for p_idx, s in dots.items():
            if s > best[owner[p_idx]]:
                best[owner[p_idx]] = s
        return [min(s / norm, 1.0) for s in best]

    def _scores(self, toks: list[str], limit: int) -> dict[int, float]:
        """Calibrated scores of the most plausible targets for a normalised utterance."""
        words, unknown_sq = self._expand_words(toks)
        target_cos, posterior = self._target_views(rich_features(toks, words, self._stop), unknown_sq)
        phrase_cos = self._phrase_view(words, unknown_sq)
        # The posterior is relative (it sums to 1 even for nonsense that shares one
        # n-gram with a target), so it is gated by the absolute cosine evidence.
        prelim = [
            W_TARGET * tc + W_PHRASE * pc + W_BAYES * pb * min(1.0, tc / BAYES_GATE) ** 0.5
            for tc, pc, pb in zip(target_cos, phrase_cos, posterior, strict=True)
        ]
        # The fuzzy view (rapidfuzz over whole phrases) is the costly one, so it only
        # re-scores the leading candidates; it can only raise them, so order is kept.
        n_cand = max(FUZZY_TARGETS, limit)
        cands = sorted(range(len(prelim)), key=prelim.__getitem__, reverse=True)[:n_cand]
        text = " ".join(toks)
        scores: dict[int, float] = {}
        for t_idx in cands:
            if prelim[t_idx] <= 0.0:
                continue
            best = process.extractOne(text, self._target_phrases[t_idx], scorer=fuzz.token_set_ratio)
            fz = best[1] / 100.0 if best else 0.0
            scores[t_idx] = min(prelim[t_idx] + W_FUZZY * fz, NON_EXACT_CAP)
        exact = self._exact.get(tuple(toks))
        if exact is not None:
            scores[exact] = 1.0
        return scores

    def rank(self, utterance: str, limit: int = 3) -> list[Scored]:
        """Best targets for an utterance, highest calibrated score first."""
        toks = normalize(utterance, self.lang)
        if not toks or not self.targets:
            return []
        scores = self._scores(toks, limit)
        best = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[: max(limit, 0)]
        return [Scored(self.targets[t], round(s, 6)) for t, s in best if s > 0.0]

    def knows(self, utterance: str) -> bool:
        """Whether any content word of the utterance is a word of some phrase (not only near one)."""
        toks = normalize(utterance, self.lang)
        return any(t in self._idf for t in toks if t not in self._stop)

    def decide(self, utterance: str) -> Decision:
        """Confident choice, a short list to offer, or none, using the module thresholds."""
        return decide_from_ranking(self.rank(utterance, limit=3))


def decide_from_ranking(
    ranked: Sequence[Scored],
    confident_score: float | None = None,
    confident_margin: float | None = None,
    refine_score: float | None = None,
    third_gap: float | None = None,
    offer_ratio: float | None = None,
) -> Decision:
    """Turn a best-first ranking into a Decision; thresholds default to the module values.

    "refine" normally offers 2-3 candidates; when every alternative is far below the best
    (under offer_ratio of its score) it offers the best alone, as a yes/no confirmation.
    """
    cs = CONFIDENT_SCORE if confident_score is None else confident_score
    cm = CONFIDENT_MARGIN if confident_margin is None else confident_margin
    rs = REFINE_SCORE if refine_score is None else refine_score
    tg = THIRD_GAP if third_gap is None else third_gap
    ratio = OFFER_RATIO if offer_ratio is None else offer_ratio
    if not ranked or ranked[0].score < rs:
        return Decision("none", ())
    top = ranked[0]
    second = ranked[1].score if len(ranked) > 1 else 0.0
    # An exact example phrase (score 1.0) is what the menu author wrote for that target.
    exact = top.score >= 1.0 and second < 1.0
    if exact or (top.score >= cs and top.score - second >= cm):
        return Decision("confident", (top,))
    offer = [top]
    for i, cand in enumerate(ranked[1:3], start=1):
        # Reading out a target that scored a fraction of the best only lengthens the call.
        if cand.score < top.score * ratio or (i == 2 and cand.score < top.score - tg):
            break
        offer.append(cand)
    return Decision("refine", tuple(offer))
