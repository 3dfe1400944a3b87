"""Result types returned by the phrase matcher."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scored:
    """A target id with a calibrated score in [0, 1]."""

    target: str
    score: float


@dataclass(frozen=True)
class Decision:
    """Routing decision: "confident" (first candidate), "refine" (offer these) or "none"."""

    kind: str
    candidates: tuple[Scored, ...]
