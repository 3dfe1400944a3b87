"""Understanding spoken requests: one decision over the whole menu, then go, confirm or refine.

Shared by the node kinds that listen. In order:
  1. the words the node's prompt tells the caller to say ("say agent") lead where the
     prompt says;
  2. a request for a person ("can I speak to someone") goes where the 0 key goes;
  3. otherwise the node's own options and every speakable destination of the menu are
     ranked together by one index; the node's own options get a bounded prior
     (``LOCAL_PRIOR``), never a short-circuit, so an exact or strong match anywhere
     beats a weak local one.
A confident match with low recognition confidence is confirmed ("Did you mean
returns?"); an unsure one gets the two or three best candidates by name; "nothing
found" is the last resort, and a refinement that fails offers the main topics. The
pending question travels in the call state (``pending``) like everything else; every
spoken step's journey line carries the ranking (``| a=0.91,b=0.40``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ivr.engine.messages import YES_NO
from ivr.engine.types import Input, Redirect, Silence, Turn
from ivr.nodes.directory import (
    allowed,
    directory,
    directory_entries,
    distinct,
    evidence_index,
    hangup_phrases,
    is_a_person,
    label,
    local_index,
    local_targets,
    menu_index,
    offerable,
    person_target,
    phrase_words,
    plain_words,
    said_prompt_word,
    speakable,
    topics,
)
from ivr.speech import Decision, Scored, decide_from_ranking, fold, intents
from ivr.speech.intents import builtin_intent
from ivr.speech.normalize import primary_lang
from ivr.speech.person import asks_for_person

if TYPE_CHECKING:
    from ivr.engine.core import Call

MAX_CANDIDATES = 3
RANK_LIMIT = 8  # candidates ranked per request (before the prior re-orders them)
# What the node the caller stands on adds to its own options' scores: enough to settle
# a near tie, never enough to beat a clearly better match elsewhere.
LOCAL_PRIOR = 0.06
# Decision thresholds for a menu-wide ranking (the index's defaults were tuned on a flat
# set of 77 intents; a menu is smaller and a refinement is cheap next to a wrong route).
# Tuned on the dev half of the callers' set (benchmarks/bench_menus.py); the optimum is flat.
CONFIDENT_SCORE = 0.40
CONFIDENT_MARGIN = 0.24
REFINE_SCORE = 0.15  # under this, nothing is offered: "nothing found"
CONFIRM_SCORE = 0.25  # a lone candidate under this is no better than nothing
PICK_SCORE = 0.3  # naming one of the offered: at least this, and PICK_MARGIN ahead
PICK_MARGIN = 0.1
UNANSWERED = 0.12  # see Cuts.unanswered
# How much of a destination's evidence score (what the menu says about it besides its
# phrases) is added to what its phrases leave; under 1, so phrases weigh more.
EVIDENCE_WEIGHT = 0.8


@dataclass(frozen=True)
class Cuts:
    """Where a menu-wide ranking's best score means go, offer, confirm or nothing."""

    confident: float  # go straight: at least this,
    margin: float  # and this far ahead of the runner-up
    refine: float  # offer candidates scoring at least this (under it: nothing found)
    confirm: float  # a lone candidate: "Did you mean ...?" from this score on
    prior: float = 0.06  # added to the node's own options: settles near ties, no more
    # Under this best score nothing in the menu answers the request ("do you have wifi"):
    # the caller hears so, with the main topics, rather than three unrelated ones.
    unanswered: float = 0.0


# Per kind of index ("kind" or "kind:model"): a hybrid index mixes in an embedding
# score, which is on each model's own scale. All tuned on the dev half of the callers'
# set (benchmarks/bench_menus.py), never on its test half.
CUTS: dict[str, Cuts] = {
    "lexical": Cuts(CONFIDENT_SCORE, CONFIDENT_MARGIN, REFINE_SCORE, CONFIRM_SCORE, LOCAL_PRIOR),
    "hybrid": Cuts(CONFIDENT_SCORE, CONFIDENT_MARGIN, REFINE_SCORE, CONFIRM_SCORE, LOCAL_PRIOR),
    # The embedding scores are rescaled so that the index's own "unrelated" level is 0, so
    # a right answer that shares no word with the menu still scores low (0.1-0.3): these
    # models go straight from lower scores, on smaller margins, and offer sooner.
    # Under 0.12 (the same for the three models, checked on every menu and language of
    # the dev halves) the best candidate is no evidence: "do you have wifi" hears that
    # nothing was found and the main topics, not three unrelated ones.
    "hybrid:minilm-l6-int8": Cuts(0.25, 0.10, 0.06, 0.15, 0.06, UNANSWERED),
    "hybrid:use-m3": Cuts(0.20, 0.14, 0.06, 0.15, 0.03, UNANSWERED),
    "hybrid:e5-small-q4": Cuts(0.20, 0.10, 0.06, 0.15, 0.06, UNANSWERED),
}


def cuts_for(index: object) -> Cuts:
    """The cuts of an index's kind (and model, for a hybrid one)."""
    kind = getattr(index, "kind", "lexical")
    model = getattr(getattr(index, "encoder", None), "name", "")
    return CUTS.get(f"{kind}:{model}") or CUTS.get(kind) or CUTS["lexical"]


FILL_SCORE = 0.05  # a runner-up offered beside a lone candidate scores at least this
OFFER_RATIO = 0.3
MAX_TOPICS = 6
# What "something else" sounds like at a mini-menu: ask the node's question again.
SOMETHING_ELSE = {"en": ("something else", "none of those", "neither", "none", "other"),
                  "fr": ("autre chose", "aucun", "aucune", "rien de tout ca"),
                  "ro": ("altceva", "nimic din astea", "niciuna", "niciunul")}


def _scores(candidates: Sequence[Scored]) -> str:
    return ",".join(f"{c.target}={c.score:.2f}" for c in candidates)


def go_or_confirm(call: Call, target: str, score: float, confidence: float | None,
                  utterance: str, how: str, ranking: str = "") -> Turn:
    """Act on a confident match, unless speech recognition itself was unsure."""
    threshold = call.menu.speech.confirm_below
    if confidence is not None and confidence < threshold:
        call.log("speech", utterance,
                 f"confirm:{target}:{score:.2f}:asr={confidence:.2f}{ranking}")
        return ask_confirmation(call, target)
    call.log("speech", utterance, f"{how}:{target}:{score:.2f}{ranking}")
    return call.go(target)


def ask_confirmation(call: Call, target: str) -> Turn:
    """"Did you mean ...?" — yes goes there, no asks the node's question again."""
    call.set_pending(f"confirm:{target}")
    text = call.menu.message("confirm", call.state.lang).format(
        label=label(call.menu, target, call.state.lang))
    gather = call.gather([call.speak_text(text)], timeout=5, hints=_yes_no_hints(call))
    return call.turn([gather, Redirect(call.next("silence"))])


def offer(call: Call, candidates: Sequence[Scored], utterance: str, ranking: str = "") -> Turn:
    """A spoken mini-menu of the best few candidates."""
    targets = [c.target for c in candidates[:MAX_CANDIDATES]]
    call.log("speech", utterance, f"refine:{_scores(candidates[:MAX_CANDIDATES])}{ranking}")
    call.set_pending("refine:" + ",".join(targets))
    return ask_refinement(call, targets)


def ask_refinement(call: Call, targets: Sequence[str], intro: str = "refine_intro",
                   before: Sequence[str] = ()) -> Turn:
    """Speak the mini-menu for ``targets`` (by their labels) and listen."""
    lang = call.state.lang
    menu = call.menu
    parts = [*before, menu.message(intro, lang)]
    parts += [menu.message("refine_option", lang).format(label=label(menu, t, lang), key=i + 1)
              for i, t in enumerate(targets)]
    parts.append(menu.message("refine_other", lang))
    hints = tuple(label(menu, t, lang) for t in targets)
    gather = call.gather([call.speak_text(" ".join(parts))], timeout=6, hints=hints)
    return call.turn([gather, Redirect(call.next("silence"))])


def spend_try(call: Call, utterance: str, node_tries: int) -> Turn | None:
    """A spoken step that again sends the caller nowhere (a second refinement, a "did you
    mean" after one) counts as a try, like an invalid key: None to go on, or the node's
    fallback once the tries are used up ("purple elephant banana" must not loop for ever)."""
    if call.state.tries + 1 >= node_tries:
        call.log("speech", utterance, "nothing")
        return call.retry("nothing_found", node_tries, input=utterance)
    call.state = replace(call.state, tries=call.state.tries + 1)
    return None


def offer_topics(call: Call, utterance: str, node_tries: int, *, sorry: str,
                 again: bool = False, ranking: str | None = None) -> Turn:
    """Nothing fits: say so and read the main topics by name (or ask again if there are none).

    The topics are read at most once per visit of a node: not in answer to the topics
    themselves (``again``), nor once two tries are spent. With ``ranking`` (a request the
    menu does not answer), the journey line reads "nothing:topics:... | ranking", so the
    wording still counts as not understood."""
    found = [t for t in topics(call.menu) if t != call.state.node][:MAX_TOPICS]
    if len(found) < 2 or again or call.state.tries > 1:
        call.log("speech", utterance, f"nothing{ranking or ''}")
        return call.retry("nothing_found", node_tries, input=utterance)
    tries = call.state.tries + 1
    if tries >= node_tries:
        call.log("speech", utterance, f"nothing{ranking or ''}")
        return call.retry("nothing_found", node_tries, input=utterance)
    listed = f"topics:{','.join(found)}"
    call.log("speech", utterance, listed if ranking is None else f"nothing:{listed}{ranking}")
    call.state = replace(call.state, tries=tries)
    call.set_pending("topics:" + ",".join(found))
    return ask_refinement(call, found, "topics_intro", before=[call.menu.message(sorry,
                                                                                  call.state.lang)])


def _yes_no_hints(call: Call) -> tuple[str, ...]:
    yes, no = YES_NO.get(call.state.lang.split("-")[0], YES_NO["en"])
    return (*yes[:3], *no[:2])


def _plain(text: str) -> str:
    """Folded words only: "Yes." and "yes" compare equal."""
    return " ".join(re.findall(r"[\w']+", fold(text)))


def yes_or_no(text: str, lang: str) -> bool | None:
    """True for a yes, False for a no, None when it is neither."""
    said = _plain(text)
    yes, no = YES_NO.get(lang.split("-")[0], YES_NO["en"])
    if said in {_plain(w) for w in no}:
        return False
    if said in {_plain(w) for w in yes}:
        return True
    words = said.split()
    if any(_plain(w) in words for w in no if " " not in w):
        return False
    if any(_plain(w) in words for w in yes if " " not in w):
        return True
    return None


def _something_else(text: str, lang: str) -> bool:
    return _plain(text) in {_plain(w) for w in SOMETHING_ELSE.get(lang.split("-")[0], ())}


def handle_pending(call: Call, event: object, node_tries: int) -> Turn | None:
    """Answer a pending confirmation or refinement; None when nothing is pending."""
    pending = call.state.pending
    if not pending:
        return None
    kind, _, rest = pending.partition(":")
    targets = [t for t in rest.split(",") if t]
    call.clear_pending()
    gone = [t for t in targets if t not in call.menu.nodes and t not in ("main", "back")]
    if gone:  # the menu was reloaded since the question was asked
        return call.menu_changed(gone[0])
    if isinstance(event, Silence):
        return call.retry("silence", node_tries)
    if not isinstance(event, Input):
        return call.enter(call.state.node, [], tries=call.state.tries)
    said = event.speech
    if kind == "confirm" and targets:
        answer = ({"1": True, "2": False}.get(event.digits) if event.digits
                  else yes_or_no(said, call.state.lang))
        if answer is True:
            call.log("confirm", event.digits or said, f"yes:go:{targets[0]}")
            return call.go(targets[0])
        if answer is False:
            call.log("confirm", event.digits or said, "no")
            return call.retry("not_confirmed", node_tries)
    if kind in ("refine", "topics") and targets:
        if event.digits and event.digits.isdigit() and 1 <= int(event.digits) <= len(targets):
            choice = targets[int(event.digits) - 1]
            call.log(kind, event.digits, f"go:{choice}")
            return call.go(choice)
        if said:
            picked = _pick_among(call, targets, said)
            if picked is not None:
                call.log(kind, said, f"go:{picked}")
                return call.go(picked)
    if event.digits and (turn := call.global_key(event.digits)) is not None:
        return turn
    if said and not _something_else(said, call.state.lang):
        # A new request instead of a choice: understood like any other, and if it
        # still finds nothing, the main topics are read out by name.
        node = call.menu.nodes[call.state.node]
        return understand(call, said, event.confidence, node_tries,
                          search_all=_searches(call, node), after_refine=kind != "topics",
                          after_topics=kind == "topics")
    # "Something else", an unknown key: ask the node's question again.
    return call.retry("no_match", node_tries, input=event.digits or said)


def _searches(call: Call, node: object) -> bool:
    searches = getattr(node, "searches_everywhere", None)
    return bool(searches(call)) if searches is not None else call.menu.speech.jump


def _pick_among(call: Call, targets: Sequence[str], said: str) -> str | None:
    """Which of the offered targets a spoken answer names (by label or phrases).

    Ranked by the menu's own index (no index is built on a caller's step): the best
    offered target, if it scores well and clearly ahead of the other offered ones. The
    exact phrase of a destination not offered is a new request, not a pick: "bilet pe
    telefon", said when the tickets menu was offered, is the app option it names.
    """
    lang = call.state.lang
    found = menu_index(call.menu, lang).rank(said[:500], limit=RANK_LIMIT)
    if found and found[0].score >= 1.0 and found[0].target not in targets:
        return None
    ranked = [c for c in found if c.target in targets]
    if not ranked or ranked[0].score < PICK_SCORE:
        return None
    if len(ranked) > 1 and ranked[0].score - ranked[1].score < PICK_MARGIN:
        return None
    return ranked[0].target


def with_evidence(call: Call, ranked: Sequence[Scored], utterance: str, *,
                  search_all: bool) -> list[Scored]:
    """The phrases' ranking, raised by what the menu says about each destination.

    A destination's evidence (its answer, description, the options beneath it, the prompt
    line announcing it: ``directory.evidence_entries``) scores ``EVIDENCE_WEIGHT`` of what
    it would as phrases, and a destination keeps the better of that and its phrases' score:
    a destination the phrases miss is found by what its answer says, while a phrase match
    keeps its score (an exact phrase, 1.0, stays ahead of any evidence). Raising the
    phrases' score by the evidence as well ("noisy-or") sent more callers straight on the
    dev halves but turned ambiguous requests ("my order and my payment") into routes."""
    if not search_all or EVIDENCE_WEIGHT <= 0.0:
        return list(ranked)
    index = evidence_index(call.menu, call.state.lang)
    if index is None:
        return list(ranked)
    scores = {c.target: c.score for c in ranked}
    for cand in index.rank(utterance, limit=RANK_LIMIT):
        base = scores.get(cand.target, 0.0)
        if base < 1.0:
            scores[cand.target] = max(base, round(EVIDENCE_WEIGHT * cand.score, 4))
    return sorted((Scored(t, s) for t, s in scores.items()), key=lambda c: -c.score)


def rank(call: Call, utterance: str, *, search_all: bool) -> list[Scored]:
    """The node's options and (if allowed) every destination, best first, prior applied."""
    node = call.menu.nodes[call.state.node]
    lang = call.state.lang
    own = local_targets(node, lang)
    index = menu_index(call.menu, lang) if search_all else local_index(call.menu, node, lang)
    ranked: list[Scored] = []
    prior = cuts_for(index).prior
    # Where closings are understood (builtin_request), a ranking ends the call only on the
    # words of an option that does: "can someone call me back" is not "end the call".
    careful = primary_lang(lang) in intents.languages()
    for cand in with_evidence(call, index.rank(utterance, limit=RANK_LIMIT), utterance,
                              search_all=search_all):
        if not (allowed(call.menu, node, lang, cand.target) if search_all else cand.target in own):
            continue
        if careful and cand.target in call.menu.nodes and \
                call.menu.nodes[cand.target].kind == "hangup" and \
                plain_words(utterance) not in hangup_phrases(call.menu, lang):
            continue
        score = cand.score
        if cand.target in own and score < 1.0:
            score = min(score + prior, 0.99)
        ranked.append(Scored(cand.target, round(score, 4)))
    ranked.sort(key=lambda c: -c.score)
    knows = getattr(index, "knows", None)
    if ranked and ranked[0].score < CONFIRM_SCORE and knows is not None and not knows(utterance):
        return []  # weak, and not one word of the menu's: spelling near-misses are no evidence
    return ranked


def decide(call: Call, ranked: Sequence[Scored]) -> Decision:
    """Confident, refine (2-3 candidates) or none, for a menu-wide ranking.

    A matcher whose scores are on its own scale may bring its own thresholds
    (``decide_ranking(ranked) -> Decision``); the defaults suit the lexical one.
    """
    index = menu_index(call.menu, call.state.lang)
    own = getattr(index, "decide_ranking", None)
    decision: Decision
    if own is not None:
        decision = own(ranked)
    else:
        cut = cuts_for(index)
        decision = decide_from_ranking(ranked, confident_score=cut.confident,
                                       confident_margin=cut.margin, refine_score=cut.refine,
                                       offer_ratio=OFFER_RATIO)
    if decision.kind != "refine":
        return decision
    # A hang-up or a plumbing node is never offered; the next candidates take their place.
    top = decision.candidates[0].score
    can = [c for c in ranked if offerable(call.menu, c.target)]
    keep = set(distinct(call.menu, call.state.lang, [c.target for c in can]))
    can = [c for c in can if c.target in keep]
    refine = cuts_for(index).refine
    fit = [c for c in can if c.score >= max(refine, top * OFFER_RATIO)][:MAX_CANDIDATES]
    if len(fit) == 1:
        # Unsure of one: offer the runner-up too rather than a lone "Did you mean ...?".
        fit += [c for c in can if c not in fit and c.score >= FILL_SCORE][:1]
    return Decision("refine", tuple(fit)) if fit else Decision("none", ())


def person_request(call: Call, utterance: str, confidence: float | None, *,
                   search_all: bool = True) -> Turn | None:
    """Go where the 0 key goes when the caller asks for a person; None otherwise.

    A request for the people of one department goes to them instead: "someone in
    admissions" to the admissions office when the menu has one, and a bare "an adviser"
    said in a submenu that offers its own people to those."""
    menu = call.menu
    lang = call.state.lang
    person = person_target(menu)
    if person is None or person == call.state.node or not asks_for_person(
            utterance[:500], lang, (*menu.speech.person.get(lang, ()),
                                    *menu.speech.person.get("*", ()))):
        return None
    desk = _department(call, utterance[:500], person, search_all=search_all)
    return go_or_confirm(call, desk or person, 1.0, confidence, utterance[:500], "person")


def _department(call: Call, utterance: str, person: str, *, search_all: bool) -> str | None:
    """The people a request for a person names, or this submenu's own people; else None.

    Any transfer or queue of the menu counts here, even one not otherwise reached by
    speech from elsewhere: a caller asking for "someone in admissions" means them."""
    menu = call.menu
    lang = call.state.lang
    here = call.state.node
    own = [t for t in local_targets(menu.nodes[here], lang)
           if t not in (person, here) and is_a_person(menu, t)]
    index = menu_index(menu, lang)
    found = with_evidence(call, index.rank(utterance, limit=RANK_LIMIT), utterance,
                          search_all=search_all)
    named = [c.target for c in found if c.target not in (person, here)
             and is_a_person(menu, c.target)
             and (search_all or c.target in own) and c.score >= cuts_for(index).confident]
    if named:
        return named[0]
    return own[0] if len(own) == 1 else None


def _phrase_words(call: Call) -> frozenset[tuple[str, ...]]:
    """The menu's phrases and labels (built at load) and this node's options', as words:
    what the menu says itself wins over a built-in intent ("retour" at a shop whose
    returns are called "retour")."""
    lang = call.state.lang
    own = {plain_words(p) for _, words in call.menu.nodes[call.state.node].option_phrases(lang)
           for p in words}
    return phrase_words(call.menu, lang) | own


def builtin_request(call: Call, utterance: str, confidence: float | None) -> Turn | None:
    """Closing, repeat, go back, main menu: said anywhere, unless the menu's own words say it."""
    lang = call.state.lang
    intent = builtin_intent(utterance, lang)
    if intent is None or plain_words(utterance) in _phrase_words(call):
        return None
    if intent == "closing":
        if confidence is not None and confidence < call.menu.speech.confirm_below:
            return None  # never end a call on words the recogniser was unsure of
        call.log("speech", utterance, "closing:_goodbye")
        return call.goodbye()
    if intent == "back" and call.state.node == call.menu.main:
        intent = "repeat"
    call.log("speech", utterance, f"builtin:{intent}")
    return call.go(intent, tries=call.state.tries if intent == "repeat" else 0)


def understand(call: Call, utterance: str, confidence: float | None, node_tries: int, *,
               search_all: bool, after_refine: bool = False,
               after_topics: bool = False) -> Turn:
    """Route a spoken request: prompt words, a person, then one menu-wide decision."""
    menu = call.menu
    lang = call.state.lang
    node = menu.nodes[call.state.node]
    utterance = utterance[:500]
    if (target := said_prompt_word(menu, node, lang, utterance)) is not None:
        return go_or_confirm(call, target, 1.0, confidence, utterance, "prompt")
    if (turn := person_request(call, utterance, confidence, search_all=search_all)) is not None:
        return turn
    if (turn := builtin_request(call, utterance, confidence)) is not None:
        return turn
    ranked = rank(call, utterance, search_all=search_all)
    ranking = f" | {_scores(ranked[:MAX_CANDIDATES])}" if ranked else ""
    decision = decide(call, ranked)
    if decision.kind == "confident" and decision.candidates:
        best = decision.candidates[0]
        how = "match" if best.target in local_targets(node, lang) else "jump"
        return go_or_confirm(call, best.target, best.score, confidence, utterance, how, ranking)
    if decision.kind == "refine" and decision.candidates[0].score < cuts_for(
            menu_index(menu, lang)).unanswered:
        return offer_topics(call, utterance, node_tries, sorry="nothing_found",
                            again=after_topics, ranking=ranking)
    if decision.kind == "refine" and len(decision.candidates) >= 2:
        if (after_refine or after_topics) and (
                turn := spend_try(call, utterance, node_tries)) is not None:
            return turn
        return offer(call, decision.candidates, utterance, ranking)
    if decision.kind == "refine" and decision.candidates[0].score >= cuts_for(
            menu_index(menu, lang)).confirm:
        if (after_refine or after_topics) and (
                turn := spend_try(call, utterance, node_tries)) is not None:
            return turn
        best = decision.candidates[0]
        call.log("speech", utterance, f"unsure:{best.target}:{best.score:.2f}{ranking}")
        return ask_confirmation(call, best.target)
    if after_refine or after_topics or node.kind == "question":
        return offer_topics(call, utterance, node_tries, sorry="nothing_found",
                            again=after_topics)
    call.log("speech", utterance, f"nothing{ranking}")
    return call.retry("nothing_found", node_tries, input=utterance)


__all__ = ["ask_confirmation", "ask_refinement", "directory", "directory_entries", "handle_pending", "label",
           "offer", "rank", "speakable", "understand", "yes_or_no"]
