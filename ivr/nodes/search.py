"""``type: search`` — "Say a title, an author or a subject": search a catalogue by voice.

The caller says what they are looking for; the node reads the best two or three
items ("I found 3 results. 1: Les Misérables, by Victor Hugo ..."), the caller picks
one by key or by voice and hears its details, or says another query. Nothing found,
silence and a source that is slow or down all end in a clear sentence and a new try,
bounded by ``tries``, then the fallback. Items come from an injected ``Catalogues``
(``call.lookups``): the engine does no I/O. With ``hold``, the details end with an offer
("To place a hold on it, press 5"): the item, sealed in the pending question, is handed
to a lookup node that identifies the caller and runs an action (``ivr.nodes.lookup``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ivr.engine.texts import MAX_BODY, with_link
from ivr.engine.types import Action, Event, Input, Redirect, Silence, Turn
from ivr.lookup import FAILED
from ivr.lookup.node_fields import by_value, template
from ivr.lookup.speak import MissingField, placeholders, render
from ivr.menu.model import Prompt
from ivr.menu.source import Fields, Where
from ivr.nodes.base import Node
from ivr.nodes.menu import MAX_HINT_CHARS, MAX_HINTS, spoken_key
from ivr.nodes.message import asks_for_text, text_caller
from ivr.nodes.routing import yes_or_no
from ivr.nodes.search_parts import (
    DETAILS,
    MAX_REFINE,
    QUERY_WORD,
    RESULTS,
    SPELL,
    Context,
    Hold,
    Refinement,
    TextDetails,
    _hold,
    _refinements,
    _says,
    _text_details,
)
from ivr.nodes.search_phrases import ORDINALS, PHRASES, POINTING, join_words
from ivr.search import MAX_RESULTS, Catalogues, SearchResult, Spelling
from ivr.search.answer import MISSING, NOT_FOUND, OUT_OF_STOCK
from ivr.search.config import CatalogueConfig, parse_catalogue
from ivr.search.match import MAX_QUERY_CHARS, words_of
from ivr.speech.normalize import fold

if TYPE_CHECKING:
    from ivr.engine.core import Call
    from ivr.menu.parsing import ParseContext

SPELL_KEY = "1"  # at the question, before any result: spell on the keypad instead
ITEM_KEY = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
WIDE = 50  # items a refinement filters: the best matches of the query

__all__ = ["DETAILS", "ITEM_KEY", "RESULTS", "SPELL", "Context", "Hold", "Refinement",
           "SearchNode", "TextDetails"]


@dataclass(frozen=True)
class SearchNode(Node):
    """Ask what the caller looks for, read the best items, give one item's details."""

    catalogue: CatalogueConfig | None = None
    result: Prompt | None = None
    details: Prompt | None = None
    found: Prompt | None = None
    nothing: Prompt | None = None
    not_found: Prompt | None = None  # "I couldn't find {query}."
    missing: Prompt | None = None  # "We have {query} in {have}, but not in {wanted}."
    out_of_stock: Prompt | None = None  # "Sorry, {query} is out of stock right now."
    values: Mapping[str, Mapping[str, Prompt]] = field(default_factory=dict)
    hints: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    max_results: int = MAX_RESULTS
    refine: tuple[Refinement, ...] = ()
    spell: bool = False
    hold: Hold | None = None
    text_me: TextDetails | None = None
    next: str = "back"

    kind = "search"
    summary = "ask for a title, author or product by voice, read the best matches and details"
    listens = True

    # ---- reading the YAML -----------------------------------------------------

    @classmethod
    def parse_fields(cls, fields: Fields, ctx: ParseContext) -> dict[str, Any]:
        """Read the catalogue, the templates, hints and where to go next."""
        out: dict[str, Any] = {}
        if fields.get("say") is None:
            fields.value.error("a search node needs 'say' (the question: \"Say a title, an "
                               "author or a subject.\")")
        if (v := fields.require("catalogue", "where items come from: {type: csv, file: "
                                "data/catalogue.csv, fields: {title: 3, author: 2}}")) is not None:
            out["catalogue"] = parse_catalogue(v)
        for name, example in (("result", "one item in the list: \"{title}, by {author}\""),
                              ("details", "one item in full: \"{title}, shelf {shelf}\"")):
            if (v := fields.require(name, example)) is not None:
                out[name] = template(v, ctx)
        for name in ("found", "nothing", "not_found", "missing", "out_of_stock"):
            if (v := fields.get(name)) is not None:
                out[name] = template(v, ctx)
        if (v := fields.get("values")) is not None:
            out["values"] = {str(k.node.value): by_value(item, "values", ctx.prompt,
                                                          with_field=False).choices
                             for k, item in v.pairs()}
        if (v := fields.get("hints")) is not None:
            hints: dict[str, tuple[str, ...]] = {}
            for key, item in v.pairs():
                lang = str(key.node.value)
                if lang not in ctx.languages:
                    key.error(f"hints for {lang!r}, which is not declared under 'languages'")
                    continue
                hints[lang] = tuple(h[:MAX_HINT_CHARS] for h in item.text_list("a hint"))
            out["hints"] = hints
        if (v := fields.get("max_results")) is not None:
            out["max_results"] = v.integer("max_results", 1, MAX_RESULTS)
        if (v := fields.get("refine")) is not None:
            out["refine"] = _refinements(v, ctx)
        if (v := fields.get("spell")) is not None:
            out["spell"] = v.boolean("spell")
        if (v := fields.get("hold")) is not None:
            out["hold"] = _hold(v, ctx, out.get("refine", ()))
        if (v := fields.get("text_me")) is not None:
            out["text_me"] = _text_details(v, ctx, out.get("refine") or ())
            hold = out.get("hold")
            if out["text_me"] is not None and hold is not None and hold.key == out["text_me"].key:
                v.error(f"key {hold.key} is already the hold's: give text_me another key")
        if (v := fields.get("next")) is not None:
            out["next"] = ctx.target(v)
        return {k: v for k, v in out.items() if v is not None}

    def targets(self) -> list[tuple[str, Where]]:
        """``next``, the hold's node and the fallback."""
        hold = [(self.hold.node, self.hold.where)] if self.hold else []
        return [*super().targets(), (self.next, self.where), *hold]

    def prompts(self) -> list[tuple[str, Prompt]]:
        """The question, the templates and the value names."""
        out = super().prompts()
        for name in ("result", "details", "found", "nothing", "not_found", "missing",
                     "out_of_stock"):
            if (prompt := getattr(self, name)) is not None:
                out.append((name, prompt))
        for name, table in self.values.items():
            out += [(f"values.{name}.{value}", p) for value, p in table.items()]
        out += [(f"refine.{r.name}.label", r.label) for r in self.refine if r.label is not None]
        if self.hold is not None and self.hold.label is not None:
            out.append(("hold.label", self.hold.label))
        if self.text_me is not None:
            out.append(("text_me.body", self.text_me.body))
        return out

    def fields_used(self) -> dict[str, Where]:
        """Item fields the templates read, for linting against the catalogue's columns."""
        used: dict[str, Where] = {}
        for prompt in (self.result, self.details, self.text_me.body if self.text_me else None):
            if prompt is None:
                continue
            linked = self.text_me is not None and prompt is self.text_me.body and self.text_me.link
            for version in prompt.versions.values():
                for placeholder in placeholders(version.text or ""):
                    if not (linked and placeholder.field == "link"):  # the node's own link
                        used.setdefault(placeholder.field, prompt.where)
        for refinement in self.refine:
            used.setdefault(refinement.column, self.where)
        return used

    # ---- the call -------------------------------------------------------------

    def enter(self, call: Call) -> Turn:
        """Ask what the caller is looking for."""
        return self._ask(call, [])

    def _ask(self, call: Call, before: Iterable[Action]) -> Turn:
        hints = self.hints.get(call.state.lang, ())[:MAX_HINTS]
        prompts = list(call.hear(self.say))
        if self.spell:
            prompts.append(call.speak_text(self._phrase(call, "spell_offer")))
        gather = call.gather(prompts, timeout=self.timeout_for(call), hints=hints)
        return call.turn([*before, gather, Redirect(call.next("silence"))])

    def _ask_spelling(self, call: Call) -> Turn:
        """Listen for keys that spell a word, ended by #."""
        call.set_pending(SPELL)
        call.log("spell", "", "ask")
        gather = call.gather([call.speak_text(self._phrase(call, "spell"))], input="dtmf",
                             timeout=self.timeout_for(call), num_digits=None,
                             finish_on_key="#")
        return call.turn([gather, Redirect(call.next("silence"))])

    def _spelled(self, call: Call, digits: str) -> Turn:
        """Items with a word the keys spell; a miss for too few keys."""
        keys = "".join(c for c in digits if c in "23456789")[:20]
        spelling = call.lookups if isinstance(call.lookups, Spelling) else None
        if spelling is None or self.catalogue is None:
            return self._failed(call, "no_catalogues")
        if len(keys) < 2:
            return self._miss(call, "no_match", [call.message("no_match")], Context())
        limit = self.max_results
        said = self._phrase(call, "spelled").format(keys=" ".join(keys))
        return self._find(call, said, Context(), None, Context(),
                          spelling.spell(call.menu, self.catalogue, keys, limit))

    def handle(self, call: Call, event: Event) -> Turn:
        """A query, or — once results are read — a pick, a refinement, another query or silence."""
        pending = call.state.pending
        context = Context.decode(pending)
        keys = list(context.keys)
        if pending == SPELL and isinstance(event, Input):
            if len(event.digits) == 1 and (turn := call.global_key(event.digits)) is not None:
                return turn
            return self._spelled(call, event.digits)
        if isinstance(event, Silence):
            if pending.startswith(DETAILS):  # they heard what they wanted and said nothing more
                call.log("silence", outcome=f"done:go:{self.next}")
                return call.go(self.next)
            return self._miss(call, "silence", [call.message("no_input")], context)
        if not isinstance(event, Input):
            return super().handle(call, event)
        if pending.startswith(DETAILS) and (turn := self._hold_asked(call, event, context)):
            return turn
        if pending.startswith(DETAILS) and context.item and self._asked_for_text(call, event):
            return self._send_text(call, context)
        if keys:
            pick = self._pick(call, event, keys)
            if pick is not None:
                return self._details(call, context, pick)
            if context.query and (refinement := self._refinement(call, event)) is not None:
                return self._refined(call, context, refinement)
        if self.spell and not keys and event.digits == SPELL_KEY:
            return self._ask_spelling(call)
        if len(event.digits) == 1 and (turn := call.global_key(event.digits)) is not None:
            return turn
        speech = event.speech.strip()[:4 * MAX_QUERY_CHARS]  # query_words cuts it further
        if keys and speech and yes_or_no(speech, call.state.lang) is False:
            call.log("search_again", speech[:32], "ask")
            return call.enter(self.id, [])
        if not speech:
            return self._miss(call, "no_match", [call.message("no_match")], context)
        return self._search(call, speech)

    def _refinement(self, call: Call, event: Input) -> Refinement | None:
        """The refinement asked for: its key, or its words with little else said."""
        if event.digits:
            return next((r for r in self.refine if r.key and r.key == event.digits), None)
        return next((r for r in self.refine
                     if _says(event.speech, r.say.get(call.state.lang, ()), call.state.lang)),
                    None)

    def _hold_asked(self, call: Call, event: Input, context: Context) -> Turn | None:
        """After details, the hold's key or words: on to its node with the item heard."""
        hold = self.hold
        if hold is None or not (event.digits == hold.key if event.digits else
                                _says(event.speech, hold.say.get(call.state.lang, ()),
                                      call.state.lang)):
            return None
        key = self._item_heard(call, context)
        if key is None:  # a forged or stale URL: not an item
            call.log("hold", "", "bad_state")
            return None
        call.log("hold", key, f"go:{hold.node}")
        call.clear_pending()
        call.handoff = {"from": self.id, "item": key}
        return call.go(hold.node)

    def _sealing(self, call: Call) -> str:
        return f"{call.menu.id}:{self.id}:{call.state.started}"

    def _seal_item(self, call: Call, key: str) -> str:
        """The item heard, sealed for the pending question ("" without a follow-up)."""
        wanted = self.hold is not None or self.text_me is not None
        seal = getattr(call.lookups, "seal", None) if wanted else None
        return str(seal(key, self._sealing(call))) if seal is not None else ""

    def _item_heard(self, call: Call, context: Context) -> str | None:
        """The key of the item whose details were read last; None if the state was forged."""
        unseal = getattr(call.lookups, "unseal", None)
        key = unseal(context.item, self._sealing(call)) if unseal and context.item else None
        return key if isinstance(key, str) and ITEM_KEY.match(key) else None

    def _asked_for_text(self, call: Call, event: Input) -> bool:
        """The "text me" key, or its words (and not a pick or a new search)."""
        return self.text_me is not None and asks_for_text(event, self.text_me.key,
                                                          call.state.lang)

    def _send_text(self, call: Call, context: Context) -> Turn:
        """Text the details of the item heard last to the caller, say how it went, and
        listen again for a pick or another search."""
        assert self.text_me is not None
        key = self._item_heard(call, context)
        catalogues = call.lookups if isinstance(call.lookups, Catalogues) else None
        if key is None:
            call.log("text", "", "bad_state")
            return self._miss(call, "no_match", [call.message("no_match")], context)
        if catalogues is None or self.catalogue is None:
            return self._failed(call, "no_catalogues")
        found = catalogues.item(call.menu, self.catalogue, key)
        if found.status == FAILED:
            return self._failed(call, found.reason)
        item = dict(found.items[0]) if found.items else None
        if item is not None and self.text_me.link:
            item["link"] = "{link}"  # where the body puts the node's link (else at the end)
        body = self._render(call, self.text_me.body, item) if item is not None else None
        link = self.text_me.link.replace("{key}", key)
        text = with_link(body.strip()[:MAX_BODY - len(link) - 1], link) if body else None
        said = text_caller(call, f"{self.id}:{key}", text, key)
        return self._choose(call, DETAILS, context, [said])

    def _pick(self, call: Call, event: Input, keys: list[str]) -> str | None:
        """The item the caller chose: its number by key or by voice ("two", "the second one")."""
        lang = call.state.lang.split("-")[0]
        said = event.digits or spoken_key(event.speech, lang) or ""
        words = words_of(event.speech)
        if not said and 0 < len(words) <= 4:
            # "number two", "le deuxième": a number among pointing words, not "les trois
            # mousquetaires", which is a new search.
            ordinals = ORDINALS.get(lang, ORDINALS["en"])
            for number in (ordinals.get, lambda w: spoken_key(w, lang)):  # "the second one"
                found = [(w, n) for w in words if (n := number(w)) and n.isdigit()]
                if len(found) == 1 and all(w in POINTING for w in words if w != found[0][0]):
                    said = found[0][1]
                    break
        if not said and len(keys) == 1 and yes_or_no(event.speech, lang) is True:
            said = "1"
        if said.isdigit() and 1 <= int(said) <= len(keys):
            return keys[int(said) - 1]
        return None

    def _search(self, call: Call, speech: str) -> Turn:
        query = tuple(w for w in words_of(speech) if QUERY_WORD.match(w))[:10]
        return self._find(call, speech, Context(query=query), None, Context())

    def _refined(self, call: Call, context: Context, refinement: Refinement) -> Turn:
        """The last query again, narrowed by one more refinement."""
        number = str(self.refine.index(refinement))
        ref = ".".join([number, *context.keys]) if refinement.other else number
        refs = tuple(r for r in context.refs if r != ref)[-(MAX_REFINE - 1):] + (ref,)
        narrowed = replace(context, refs=refs)
        return self._find(call, " ".join(context.query), narrowed, refinement, context)

    def _narrow(self, call: Call, items: list[Mapping[str, Any]],
                refs: tuple[str, ...]) -> list[Mapping[str, Any]] | None:
        """The items every refinement keeps; None when a source failed on the way."""
        catalogues = call.lookups if isinstance(call.lookups, Catalogues) else None
        for ref in refs:
            number, *heard = ref.split(".")
            if not number.isdigit() or int(number) >= len(self.refine):
                continue
            refinement = self.refine[int(number)]
            others: set[str] = set()
            for key in heard[:MAX_RESULTS]:
                if catalogues is None or self.catalogue is None:
                    return None
                found = catalogues.item(call.menu, self.catalogue, key)
                if found.status == FAILED:
                    return None
                others |= {fold(str(i.get(refinement.column) or "")).strip()
                           for i in found.items}
            items = [i for i in items if refinement.keeps(i, others)]
        return items

    def _find(self, call: Call, speech: str, context: Context, refinement: Refinement | None,
              before: Context, spelled: SearchResult | None = None) -> Turn:
        """Search (or take what spelling found), narrow by the context's refinements, and
        read the best items."""
        catalogues = call.lookups if isinstance(call.lookups, Catalogues) else None
        if catalogues is None or self.catalogue is None:
            return self._failed(call, "no_catalogues")
        lang = call.state.lang
        said = speech if spelled is not None else " ".join(words_of(speech)[:8])
        limit = WIDE if self.refine else self.max_results
        result = spelled or catalogues.search(call.menu, self.catalogue, speech, lang, limit)
        if result.status == FAILED:
            return self._failed(call, result.reason)
        if (result.verdict == MISSING or result.verdict == NOT_FOUND and result.items) \
                and not context.refs:
            return self._not_there(call, result, said, context, before)
        items = self._narrow(call, list(result.items) if result.verdict != NOT_FOUND else [],
                             context.refs)
        if items is None:
            return self._failed(call, "refine")
        lines: list[str] = []
        keys: list[str] = []
        for item in items:
            key = str(item.get(self.catalogue.key, ""))
            text = self._render(call, self.result, item)
            if text is None or not ITEM_KEY.match(key):
                continue
            keys.append(key)
            lines.append(self._phrase(call, "item").format(n=len(keys), text=text.rstrip(".")))
            if len(keys) >= self.max_results:
                break
        event = "refine" if refinement is not None else "search"
        what = refinement.name if refinement is not None else said[:48]
        if not keys:
            call.log(event, what, "nothing")
            label = self._label(call, refinement) if refinement is not None else ""
            if label:
                sorry = self._phrase(call, "nothing_refined").format(query=said or "?", label=label)
            else:
                sorry = (self._template(call, self.nothing, {"query": said}) if self.nothing
                         else None) or self._phrase(call, "nothing").format(query=said or "?")
            return self._miss(call, "nothing_found", [call.speak_text(sorry)], before)
        call.log(event, what, f"found:{len(keys)}" if result.verdict != OUT_OF_STOCK
                 else f"out_of_stock:{len(keys)}")
        if result.verdict == OUT_OF_STOCK:  # said first, then what there is, to hear more
            named = (result.named or said)[:MAX_QUERY_CHARS] or "?"
            intro = (self._template(call, self.out_of_stock, {"query": named})
                     if self.out_of_stock else None) or \
                self._phrase(call, "out_of_stock").format(query=named)
        else:
            intro = (self._template(call, self.found, {"count": str(len(keys))}) if self.found
                     else None) or (self._phrase(call, "found_one") if len(keys) == 1
                                    else self._phrase(call, "found").format(count=len(keys)))
        call.state = replace(call.state, tries=0)
        return self._choose(call, RESULTS, replace(context, keys=tuple(keys)),
                            [call.speak_text(" ".join([intro, *lines]))])

    def _not_there(self, call: Call, result: SearchResult, said: str, context: Context,
                   before: Context) -> Turn:
        """What the caller named is not there: say so first; then the closest item, as one
        alternative, or a new search (and the key for a person)."""
        named = (result.named or said)[:MAX_QUERY_CHARS] or "?"
        lang = call.state.lang
        if result.verdict == MISSING and result.missing:
            attribute, wanted, have = result.missing
            values = {"query": named, "wanted": wanted, "attribute": attribute,
                      "have": join_words(list(have), lang)}
            sorry = (self._template(call, self.missing, values) if self.missing else None) or \
                self._phrase(call, "missing" if have else "missing_none").format(**values)
            call.log("search", named[:48], f"missing:{attribute}")
        else:
            sorry = (self._template(call, self.not_found, {"query": named}) if self.not_found
                     else None) or self._phrase(call, "not_found").format(query=named)
            item = result.items[0] if result.items and self.catalogue is not None else None
            key = str(item.get(self.catalogue.key, "")) if item and self.catalogue else ""
            text = self._render(call, self.result, item) if item is not None else None
            if text is not None and ITEM_KEY.match(key):
                call.log("search", named[:48], "not_found:closest")
                call.state = replace(call.state, tries=0)
                closest = self._phrase(call, "closest").format(text=text.rstrip("."))
                return self._choose(call, RESULTS, replace(context, keys=(key,)),
                                    [call.speak_text(f"{sorry} {closest}")])
            call.log("search", named[:48], "not_found")
        person = self._person_key(call)
        if person:
            sorry = f"{sorry} {self._phrase(call, 'person').format(key=person)}"
        return self._miss(call, "nothing_found", [call.speak_text(sorry)], before)

    def _person_key(self, call: Call) -> str:
        """The menu's key for where callers go when searching fails (a person), if any."""
        target = self.after_misses(call.menu.defaults.fallback)
        return next((k for k, t in call.menu.global_keys.items() if target and t == target), "")

    def _label(self, call: Call, refinement: Refinement) -> str:
        version = (refinement.label.for_language(call.state.lang, call.menu.default_language)
                   if refinement.label else None)
        return (version.text or "") if version else ""

    def _choose(self, call: Call, kind: str, context: Context, before: list[Action]) -> Turn:
        """Listen for a pick, a refinement or another query after results or details."""
        if kind != DETAILS:  # the item heard is for the hold offered after its details
            context = replace(context, item="")
        keys = context.keys
        encoded = context.encode(kind)
        call.set_pending(encoded if len(encoded) <= 400 else
                         replace(context, query=(), refs=()).encode(kind))
        name = "more" if kind == DETAILS else ("choose_one" if len(keys) == 1 else "choose")
        words = [self._phrase(call, name)]
        if kind == RESULTS and context.query:  # a spelled search has no words to narrow
            for refinement in self.refine:
                label = self._label(call, refinement)
                if refinement.key and label:
                    words.append(self._phrase(call, "refine_key").format(label=label,
                                                                         key=refinement.key))
        hints = self.hints.get(call.state.lang, ())
        if kind == DETAILS and self.hold is not None and context.item:
            words.insert(0, self._hold_offer(call, self.hold))
            hints = (*self.hold.say.get(call.state.lang, ())[:1], *hints)
        if kind == DETAILS and self.text_me is not None and context.item:
            words.insert(0, call.menu.message("text_offer", call.state.lang)
                         .replace("{key}", self.text_me.key))
        gather = call.gather([call.speak_text(" ".join(words))],
                             timeout=self.timeout_for(call), hints=hints[:MAX_HINTS])
        return call.turn([*before, gather, Redirect(call.next("silence"))])

    def _details(self, call: Call, context: Context, key: str) -> Turn:
        catalogues = call.lookups if isinstance(call.lookups, Catalogues) else None
        if catalogues is None or self.catalogue is None:
            return self._failed(call, "no_catalogues")
        result: SearchResult = catalogues.item(call.menu, self.catalogue, key)
        if result.status == FAILED:
            return self._failed(call, result.reason)
        text = self._render(call, self.details, result.items[0]) if result.items else None
        if text is None:
            return self._failed(call, "no_details")
        call.log("details", key, "heard")
        call.state = replace(call.state, tries=0)
        return self._choose(call, DETAILS, replace(context, item=self._seal_item(call, key)),
                            [call.speak_text(text)])

    def _hold_offer(self, call: Call, hold: Hold) -> str:
        version = hold.label.for_language(call.state.lang, call.menu.default_language) \
            if hold.label else None
        label = (version.text or "") if version else ""
        phrases = hold.say.get(call.state.lang, ())
        if phrases:
            return self._phrase(call, "hold_offer").format(label=label, key=hold.key,
                                                           say=phrases[0])
        return self._phrase(call, "hold_offer_key").format(label=label, key=hold.key)

    def _render(self, call: Call, prompt: Prompt | None, item: Mapping[str, Any]) -> str | None:
        """A template filled from an item; None when the item lacks a field it needs."""
        version = prompt.for_language(call.state.lang, call.menu.default_language) if prompt else None
        if version is None or not version.text:
            return None
        try:
            return render(version.text, item, call.state.lang, today=call.now.date(),
                          translate=lambda f, v: self._value(call, f, v))
        except MissingField:
            return None

    def _template(self, call: Call, prompt: Prompt | None, values: Mapping[str, str]) -> str | None:
        return self._render(call, prompt, values)

    def _value(self, call: Call, field_name: str, value: str) -> str | None:
        prompt = self.values.get(field_name, {}).get(value)
        version = prompt.for_language(call.state.lang, call.menu.default_language) if prompt else None
        return version.text if version else None

    def _phrase(self, call: Call, name: str) -> str:
        table = PHRASES.get(call.state.lang.split("-")[0], PHRASES["en"])
        return table[name]

    def _failed(self, call: Call, reason: str) -> Turn:
        """The catalogue is slow, down or broken: apologise and take the fallback at once."""
        call.log("search", "", f"failed:{reason}"[:64])
        call.clear_pending()
        return call.fallback([call.message("lookup_failed")])

    def _miss(self, call: Call, reason: str, sorry: list[Action], context: Context) -> Turn:
        """Count a failed try: ask again (the list's choices, or the question), or fall back."""
        tries = call.state.tries + 1
        limit = self.tries_for(call)
        call.log(reason, "", f"try {tries}/{limit}")
        if tries >= limit:
            call.clear_pending()
            return call.fallback(sorry)
        if context.keys:
            call.state = replace(call.state, tries=tries)
            return self._choose(call, RESULTS, context, sorry)
        return call.enter(self.id, sorry, tries=tries)
