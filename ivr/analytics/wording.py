"""What callers said that the menu did not understand, grouped by similar wording.

A spoken step is "not understood" when the matcher found nothing (with or without the
main topics offered), offered a refinement, was unsure, or the caller said "no" at its
confirmation; a retry with the
caller's words (no_match) and a search that found nothing count too. Each spoken
journey line carries the matcher's ranking (``| target=0.91,other=0.40``), so a group
shows the candidates the matcher considered.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from rapidfuzz import fuzz

from ivr.ops.logs import mask_phone_numbers
from ivr.speech.normalize import fold

SPOKEN_EVENTS = ("speech", "no_match", "nothing_found", "confirm", "search", "refine", "topics")
REMOVED = "[removed]"  # ivr.analytics.retention: words past their retention period
REASONS = {"nothing": "nothing found", "refine": "a refinement", "unsure": "unsure",
           "topics": "the main topics offered",
           "no": "\u201cno\u201d at the confirmation", "retry": "asked again",
           "search": "search found nothing"}
SIMILAR = 82  # rapidfuzz token_set_ratio at or above which two wordings share a group
MAX_WORDINGS = 3_000  # distinct wordings grouped per page (the most frequent)
_SCORE = re.compile(r"([A-Za-z][A-Za-z0-9_-]{0,63})=(\d+(?:\.\d+)?)")
_WORDS = re.compile(r"[^\w']+")


@dataclass(frozen=True)
class Missed:
    """One thing one caller said that was not understood."""

    call_sid: str
    text: str
    lang: str
    node: str
    reason: str
    candidates: tuple[tuple[str, float], ...]
    chosen: str = ""  # where the caller went next by choosing among what was offered


def ranking(outcome: str) -> tuple[tuple[str, float], ...]:
    """The candidates and scores a spoken step's outcome lists (its ranking, else its offer)."""
    head, _, tail = outcome.partition(" | ")
    listed = tail or (head.removeprefix("refine:") if head.startswith("refine:") else "")
    found = [(m.group(1), float(m.group(2))) for m in _SCORE.finditer(listed)]
    if not found and head.startswith(("unsure:", "confirm:", "match:", "jump:")):
        parts = head.split(":")
        if len(parts) > 2:
            try:
                found = [(parts[1], float(parts[2]))]
            except ValueError:
                found = []
    return tuple(found)


def clean_text(text: str) -> str:
    """An utterance as shown: spaces tidied, phone numbers masked."""
    return mask_phone_numbers(" ".join(text.split()))


def missed(steps: Iterable[Mapping[str, Any]]) -> list[Missed]:
    """The not-understood utterances in journey lines ordered by call, then time.

    One per call and wording: a "nothing" and the retry after it are one thing said.
    """
    out: list[Missed] = []
    seen: set[tuple[str, str]] = set()
    pending: dict[str, Mapping[str, Any]] = {}  # per call: the last confirmation asked
    offered: dict[str, int] = {}  # per call: the wording (index in out) a choice answers

    def add(step: Mapping[str, Any], reason: str, candidates: tuple[tuple[str, float], ...]
            ) -> None:
        text = clean_text(str(step.get("input") or ""))
        sid = str(step.get("call_sid") or "")
        if (not text or text == REMOVED or all(c in "0123456789*#" for c in text)
                or (sid, fold(text)) in seen):
            return
        seen.add((sid, fold(text)))
        out.append(Missed(sid, text, str(step.get("lang") or ""), str(step.get("node") or ""),
                          reason, candidates))
        if reason in ("refine", "unsure", "topics"):
            offered[sid] = len(out) - 1
        else:
            offered.pop(sid, None)

    def chose(sid: str, target: str) -> None:
        """The caller answered what was offered by choosing ``target``."""
        index = offered.pop(sid, None)
        if index is not None and target:
            out[index] = replace(out[index], chosen=target)

    for step in steps:
        event, outcome = str(step.get("event") or ""), str(step.get("outcome") or "")
        sid = str(step.get("call_sid") or "")
        if event == "speech":
            head = outcome.split(":", 1)[0].split(" ", 1)[0]
            if head in ("nothing", "refine", "unsure", "topics"):
                add(step, head, ranking(outcome) if head != "topics" else ())
            elif head == "confirm":
                pending[sid] = step
            else:  # understood: whatever was offered before is answered
                offered.pop(sid, None)
        elif event in ("refine", "topics") and outcome.startswith("go:"):
            chose(sid, outcome[3:])
        elif event == "confirm" and outcome.startswith("yes:go:"):
            chose(sid, outcome[7:])
        elif event == "confirm" and outcome.startswith("no") and sid in pending:
            asked = pending.pop(sid)
            add(asked, "no", ranking(str(asked.get("outcome") or "")))
        elif event in ("no_match", "nothing_found"):
            add(step, "retry", ())
        elif event == "search" and outcome == "nothing":
            add(step, "search", ())
    return out


@dataclass
class Group:
    """Similar wordings and what became of them."""

    wording: str  # the most frequent wording of the group
    lang: str
    count: int = 0
    wordings: Counter[str] = field(default_factory=Counter)
    languages: Counter[str] = field(default_factory=Counter)
    nodes: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    scores: dict[str, list[float]] = field(default_factory=dict)
    chosen: Counter[str] = field(default_factory=Counter)  # where callers chose to go next

    @property
    def candidates(self) -> list[tuple[str, int, float]]:
        """(destination, times considered, best score), the most considered first."""
        rows = [(target, len(values), max(values)) for target, values in self.scores.items()]
        return sorted(rows, key=lambda r: (-r[1], -r[2], r[0]))

    @property
    def node(self) -> str:
        """Where it was said most."""
        return self.nodes.most_common(1)[0][0] if self.nodes else ""


def _key(text: str) -> str:
    return " ".join(w for w in _WORDS.split(fold(text)) if w)


def group(items: Sequence[Missed], limit: int = 100) -> list[Group]:
    """Group similar wordings (same language, token-set similarity), the largest first."""
    by_text: dict[tuple[str, str], list[Missed]] = {}
    for item in items:
        by_text.setdefault((item.lang, _key(item.text)), []).append(item)
    ordered = sorted(by_text.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:MAX_WORDINGS]
    groups: list[tuple[str, Group]] = []
    for (lang, key), said in ordered:
        home = next((g for k, g in groups if g.lang == lang
                     and fuzz.token_set_ratio(k, key) >= SIMILAR), None)
        if home is None:
            home = Group(said[0].text, lang)
            groups.append((key, home))
        for item in said:
            home.count += 1
            home.wordings[item.text] += 1
            home.languages[item.lang] += 1
            home.nodes[item.node] += 1
            home.reasons[REASONS.get(item.reason, item.reason)] += 1
            for target, score in item.candidates:
                home.scores.setdefault(target, []).append(score)
            if item.chosen:
                home.chosen[item.chosen] += 1
    found = [g for _, g in groups]
    for each in found:
        each.wording = each.wordings.most_common(1)[0][0]
    return sorted(found, key=lambda g: (-g.count, g.wording))[:limit]
