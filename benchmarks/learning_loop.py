"""The *Not understood* page's learning loop, as an admin would use it, for the benchmark.

1. Feed: every utterance of the part to learn from is said at its node ``at`` through the
   real engine, as a caller would; when the engine offers a few destinations (or asks
   "did you mean ...?"), the caller answers as one who wanted ``expect``: its number when
   it is offered, yes or no. The journey lines of those turns are kept.
2. The page: those lines go through the page's own functions (``ivr.analytics.wording``:
   what counts as not understood, grouped by similar wording, at most a page of groups),
   and each group gets the page's suggestions (``ivr.analytics.suggest``).
3. The admin: for each group, the destination the group's wording was written for (its
   ``expect``) is accepted when it is the first suggestion, picked when it is another
   suggestion, chosen from every destination otherwise; a group meant for nothing in the
   menu (``_none``), for ending the call (``_goodbye``) or for a place a phrase cannot be
   added to is left alone. Wordings the engine already routed (rightly or wrongly) never
   reach the page, so they are not learned either.
4. The draft: the accepted wordings are added as phrases (``ivr.analytics.phrases``, the
   page's own editing) to the menu's text, which is loaded as a new menu version.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from caller_outcomes import NOW

from ivr.analytics.phrases import PhraseError, add_phrase
from ivr.analytics.suggest import destinations, suggest
from ivr.analytics.wording import group, missed
from ivr.engine import core
from ivr.engine.types import Enter, Input
from ivr.menu.loader import load_text
from ivr.menu.model import Menu
from ivr.speech.normalize import fold

PAGE = 100  # groups the page lists


@dataclass
class Learned:
    """What one round of the loop did for one menu and language."""

    fed: int = 0
    listed: int = 0  # groups on the page
    actions: Counter[str] = field(default_factory=Counter)  # top, other, chosen, skipped...
    top1: int = 0  # groups whose right destination was the first suggestion
    top3: int = 0  # ... among the suggestions
    judged: int = 0  # groups with a right destination a phrase can be added to

    def record(self) -> dict[str, Any]:
        """As figures for the results file."""
        return {"fed": self.fed, "listed": self.listed, "accepted_top": self.actions["top"],
                "picked_other_suggestion": self.actions["other"],
                "chosen_from_list": self.actions["chosen"],
                "left_alone": sum(n for k, n in self.actions.items()
                                  if k not in ("top", "other", "chosen")),
                "suggestion_top1": round(self.top1 / self.judged, 4) if self.judged else 0.0,
                "suggestion_top3": round(self.top3 / self.judged, 4) if self.judged else 0.0}


def split(rows: Sequence[dict[str, str]], seed: int) -> tuple[list[dict[str, str]],
                                                              list[dict[str, str]]]:
    """Two halves of ``rows`` (the first a row longer when odd), shuffled with ``seed``."""
    order = list(rows)
    random.Random(seed).shuffle(order)
    cut = (len(order) + 1) // 2
    return order[:cut], order[cut:]


def journey(menu: Menu, row: dict[str, str], sid: str) -> list[dict[str, Any]]:
    """The journey lines of saying ``row['text']`` at ``row['at']`` (its first turn)."""
    start = core.start(menu, NOW)
    assert start.state is not None
    state = replace(start.state, node=row["at"], lang=row["lang"], path=(menu.main, row["at"]))
    entered = core.step(menu, state, Enter(), NOW)
    assert entered.state is not None
    turn = core.step(menu, entered.state, Input(speech=row["text"], confidence=0.9), NOW)
    steps = list(turn.steps)
    kind, _, rest = turn.state.pending.partition(":") if turn.state is not None else ("", "", "")
    offered = rest.split(",") if kind in ("refine", "topics", "confirm") else []
    if turn.state is not None and offered:
        # The caller answers what was offered, as one who wanted ``expect`` would: its
        # number when it is among the few, "yes" to it, "no" to another.
        if kind == "confirm":
            answer = "1" if offered[0] == row["expect"] else "2"
        else:
            answer = str(offered.index(row["expect"]) + 1) if row["expect"] in offered else ""
        if answer:
            steps += core.step(menu, turn.state, Input(digits=answer), NOW).steps
    return [{"call_sid": sid, "node": s.node, "event": s.event, "input": s.input,
             "outcome": s.outcome, "lang": s.lang or row["lang"]} for s in steps]


def learn(menu: Menu, text: str, rows: Sequence[dict[str, str]]) -> tuple[str, Learned]:
    """The menu's text with the wordings an admin would accept from ``rows`` added."""
    done = Learned(fed=len(rows))
    lines = [line for i, row in enumerate(rows) for line in journey(menu, row, f"C{i}")]
    expect: dict[tuple[str, str], str] = {}
    for row in rows:
        expect.setdefault((row["lang"], fold(" ".join(row["text"].split()))), row["expect"])
    groups = group(missed(lines), limit=PAGE)
    done.listed = len(groups)
    for grp in groups:
        lang = grp.lang
        right = expect.get((lang, fold(grp.wording)), "_none")
        places = {t for t, _ in destinations(menu, lang)}
        picks = suggest(menu, grp.node, lang, grp.wording, [t for t, _, _ in grp.candidates],
                        chosen=[t for t, _ in grp.chosen.most_common()])
        if right not in places:
            done.actions["nothing to add" if right.startswith("_") else "not a destination"] += 1
            continue
        done.judged += 1
        done.top1 += bool(picks) and picks[0] == right
        done.top3 += right in picks
        how = "top" if picks and picks[0] == right else ("other" if right in picks else "chosen")
        try:
            text = add_phrase(text, right, lang, grp.wording)
        except PhraseError:
            done.actions["could not add"] += 1
            continue
        done.actions[how] += 1
    return text, done


def learned_menu(menu: Menu, text: str, rows: Sequence[dict[str, str]]) -> tuple[Menu, Learned]:
    """The new version of ``menu`` after one round of the loop on ``rows``."""
    new_text, done = learn(menu, text, rows)
    return load_text(new_text, menu.file, default_id=menu.id), done
