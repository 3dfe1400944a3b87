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
from ivr.menu.source import Fields, Value, Where
from ivr.nodes.base import Node
from ivr.nodes.menu import MAX_HINT_CHARS, MAX_HINTS, spoken_key
from ivr.nodes.message import LINK, asks_for_text, text_caller
from ivr.nodes.routing import yes_or_no
from ivr.search import MAX_RESULTS, Catalogues, SearchResult, Spelling
from ivr.search.config import CatalogueConfig, parse_catalogue
from ivr.search.match import MAX_QUERY_CHARS, words_of
from ivr.speech.normalize import fold, normalize, stopwords

if TYPE_CHECKING:
    from ivr.engine.core import Call
    from ivr.menu.parsing import ParseContext

RESULTS, DETAILS, SPELL = "search:r:", "search:d:", "search:s:"
SPELL_KEY = "1"  # at the question, before any result: spell on the keypad instead
ITEM_KEY = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
QUERY_WORD = re.compile(r"^[a-z0-9]{1,32}$")
WIDE = 50  # items a refinement filters: the best matches of the query
MAX_REFINE = 6
REFINE_KEYS = "45678"  # 1-3 pick a result; 0, 9, * and # are the menus' usual global keys
SEALED = re.compile(r"^[A-Za-z0-9_-]{1,200}$")

# What the node says on its own, per language; `found` and `nothing` can be set per node.
PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "found": "I found {count} results.",
        "found_one": "I found one result.",
        "nothing": "Sorry, I found nothing for {query}.",
        "item": "{n}: {text}.",
        "choose": "For more about one of them, press its number or say it. Or say another search.",
        "choose_one": "For more about it, press 1 or say yes. Or say another search.",
        "more": "To hear about another result, press its number. Or say another search.",
        "refine_key": "For {label}, press {key}.",
        "nothing_refined": "Sorry, I found nothing for {query}, {label}.",
        "spell_offer": "Or, to spell it on the keypad, press 1.",
        "spell": "Spell the first word on the keypad, one key per letter: 2 for A B C, 3 for D E "
                 "F, and so on. Then press hash.",
        "spelled": "the keys {keys}",
        "hold_offer": "To {label}, press {key} or say {say}.",
        "hold_offer_key": "To {label}, press {key}.",
    },
    "fr": {
        "found": "J'ai trouvé {count} résultats.",
        "found_one": "J'ai trouvé un résultat.",
        "nothing": "Désolé, je n'ai rien trouvé pour {query}.",
        "item": "{n} : {text}.",
        "choose": "Pour en savoir plus sur l'un d'eux, tapez son numéro ou dites-le. Ou dites "
                  "une autre recherche.",
        "choose_one": "Pour en savoir plus, tapez 1 ou dites oui. Ou dites une autre recherche.",
        "more": "Pour un autre résultat, tapez son numéro. Ou dites une autre recherche.",
        "refine_key": "Pour {label}, tapez {key}.",
        "nothing_refined": "Désolé, je n'ai rien trouvé pour {query}, {label}.",
        "spell_offer": "Ou, pour l'épeler sur le clavier, tapez 1.",
        "spell": "Épelez le premier mot sur le clavier, une touche par lettre : 2 pour A B C, 3 "
                 "pour D E F, et ainsi de suite. Puis tapez dièse.",
        "spelled": "les touches {keys}",
        "hold_offer": "Pour {label}, tapez {key} ou dites {say}.",
        "hold_offer_key": "Pour {label}, tapez {key}.",
    },
    "ro": {
        "found": "Am găsit {count} rezultate.",
        "found_one": "Am găsit un rezultat.",
        "nothing": "Îmi pare rău, nu am găsit nimic pentru {query}.",
        "item": "{n}: {text}.",
        "choose": "Pentru detalii despre unul dintre ele, apăsați numărul lui sau spuneți-l. "
                  "Sau spuneți o altă căutare.",
        "choose_one": "Pentru detalii, apăsați 1 sau spuneți da. Sau spuneți o altă căutare.",
        "more": "Pentru alt rezultat, apăsați numărul lui. Sau spuneți o altă căutare.",
        "refine_key": "Pentru {label}, apăsați {key}.",
        "nothing_refined": "Îmi pare rău, nu am găsit nimic pentru {query}, {label}.",
        "spell_offer": "Sau, ca să îl scrieți cu tastatura, apăsați 1.",
        "spell": "Scrieți primul cuvânt cu tastatura, câte o tastă pentru fiecare literă: 2 pentru "
                 "A B C, 3 pentru D E F și așa mai departe. Apoi apăsați diez.",
        "spelled": "tastele {keys}",
        "hold_offer": "Pentru {label}, apăsați {key} sau spuneți {say}.",
        "hold_offer_key": "Pentru {label}, apăsați {key}.",
    },
}
# "the second one", "le deuxième", "al doilea" (folded)
ORDINALS: dict[str, dict[str, str]] = {
    "en": {"first": "1", "second": "2", "third": "3"},
    "fr": {"premier": "1", "premiere": "1", "deuxieme": "2", "second": "2", "seconde": "2",
           "troisieme": "3"},
    "ro": {"primul": "1", "prima": "1", "intai": "1", "doilea": "2", "doua": "2",
           "treilea": "3", "treia": "3"},
}

# Words around a number that point at a result: "the second one", "numéro deux", "numărul doi".
POINTING = frozenset("the one number no result option please that le la l numero resultat "
                     "celui celle ci pe cel cea numarul nr rezultatul varianta al a".split())


@dataclass(frozen=True)
class Refinement:
    """"only audiobooks", "in French", "by another author": the results narrowed by a field."""

    name: str
    column: str  # `field:` in the YAML
    say: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # lang -> phrases
    key: str = ""
    contains: str = ""  # the field holds these words ("audiobook" in "book, audiobook")
    equals: str = ""  # the field is this value ("fr")
    other: bool = False  # the field differs from the results heard ("another author")
    label: Prompt | None = None

    def keeps(self, row: Mapping[str, Any], others: set[str]) -> bool:
        """Whether an item stays; ``others``: this field's values in the results heard."""
        value = str(row.get(self.column) or "")
        if self.other:
            return fold(value).strip() not in others
        if self.equals:
            return fold(value).strip() == fold(self.equals).strip()
        have = set(words_of(value))
        return all(w in have for w in words_of(self.contains))


@dataclass(frozen=True)
class TextDetails:
    """"Text me the details": the SMS a caller can ask for after hearing an item's details."""

    body: Prompt  # a template over the item's fields, per language
    where: Where
    link: str = ""  # may hold {key}: the item's page
    key: str = "4"


@dataclass(frozen=True)
class Hold:
    """After an item's details: "To place a hold on it, press 5 or say place a hold"; the
    caller goes to ``node`` (a lookup node with an ``action``) with the item."""

    node: str
    key: str
    where: Where
    say: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # lang -> phrases
    label: Prompt | None = None


@dataclass(frozen=True)
class Context:
    """What the caller searched and how they narrowed it, kept in the pending question:
    ``search:r:KEYS~query-words~REFS`` (REFS: a refinement's number, or for "another
    ..." its number and the keys of the results it was said after: ``2.L0001.L0002``),
    and after details, with ``hold``, ``~ITEM``: the key of the item heard, sealed."""

    keys: tuple[str, ...] = ()
    query: tuple[str, ...] = ()
    refs: tuple[str, ...] = ()
    item: str = ""

    def encode(self, kind: str) -> str:
        text = f"{kind}{','.join(self.keys)}~{'-'.join(self.query)}~{','.join(self.refs)}"
        return f"{text}~{self.item}" if self.item else text

    @classmethod
    def decode(cls, pending: str) -> Context:
        body = pending[len(RESULTS):] if pending.startswith((RESULTS, DETAILS)) else ""
        keys, _, rest = body.partition("~")
        query, _, refs = rest.partition("~")
        refs, _, item = refs.partition("~")
        return cls(tuple(k for k in keys.split(",") if k),
                   tuple(w for w in query.split("-") if QUERY_WORD.match(w)),
                   tuple(r for r in refs.split(",") if r),
                   item if SEALED.match(item) else "")


@dataclass(frozen=True)
class SearchNode(Node):
    """Ask what the caller looks for, read the best items, give one item's details."""

    catalogue: CatalogueConfig | None = None
    result: Prompt | None = None
    details: Prompt | None = None
    found: Prompt | None = None
    nothing: Prompt | None = None
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
        for name in ("found", "nothing"):
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
        for name in ("result", "details", "found", "nothing"):
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
        items = self._narrow(call, list(result.items), context.refs)
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
        call.log(event, what, f"found:{len(keys)}")
        intro = (self._template(call, self.found, {"count": str(len(keys))}) if self.found
                 else None) or (self._phrase(call, "found_one") if len(keys) == 1
                                else self._phrase(call, "found").format(count=len(keys)))
        call.state = replace(call.state, tries=0)
        return self._choose(call, RESULTS, replace(context, keys=tuple(keys)),
                            [call.speak_text(" ".join([intro, *lines]))])

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


def _text_details(value: Value, ctx: ParseContext,
                  refine: tuple[Refinement, ...]) -> TextDetails | None:
    """``text_me: {body: {en: "{title} by {author}: {shelf}"}, link: https://.../{key},
    key: "4"}``."""
    if not value.is_mapping:
        value.error("text_me is a mapping: body (a template per language), and optionally "
                    "link and key")
        return None
    fields = value.fields("text_me")
    body = None
    if (v := fields.require("body", "the text to send, a template over the item's fields "
                            "per language: {en: \"{title} by {author}\"}")) is not None:
        body = template(v, ctx)
    link = ""
    if (v := fields.get("link")) is not None:
        link = (v.text("a link (https://...)") or "").strip()
        if link and not LINK.match(link.replace("{key}", "KEY")):
            v.error(f"link must be an http(s) address without spaces (it may hold {{key}}), "
                    f"found {link!r}")
            link = ""
    key = "4"
    if (v := fields.get("key")) is not None:
        key = v.text("a key") or ""
        if len(key) != 1 or key not in REFINE_KEYS:
            v.error(f"text_me's key is one of {', '.join(REFINE_KEYS)} (1-3 pick a result; "
                    "0, 9, * and # are left to the menu)")
    if any(r.key == key for r in refine):
        (v or value).error(f"key {key} is already a refinement's: give text_me another key")
    fields.done()
    if body is None:
        return None
    return TextDetails(body, value.where, link, key)


def _says(speech: str, phrases: Iterable[str], lang: str) -> bool:
    """Whether the caller said one of ``phrases`` with at most one other word."""
    said = set(normalize(speech[:MAX_QUERY_CHARS], lang))
    if not said:
        return False
    stop = stopwords(lang)
    for phrase in phrases:
        words = set(normalize(phrase, lang))
        if words and words <= said and len(said - words - stop) <= 1:
            return True
    return False


def _hold(value: Value, ctx: ParseContext, refine: tuple[Refinement, ...]) -> Hold | None:
    """``hold: {node: place_hold, key: "5", say: {en: [place a hold]}, label: {en: place a
    hold on it}}``."""
    fields = value.fields("hold")
    node = ctx.target(v) if (v := fields.require(
        "node", "the lookup node that identifies the caller and runs the action")) else ""
    key = ""
    if (v := fields.require("key", "the key that asks for it, one of 4 to 8")) is not None:
        key = v.text("a key") or ""
        taken = next((r.name for r in refine if r.key == key), None)
        if len(key) != 1 or key not in REFINE_KEYS:
            v.error(f"the hold's key is one of {', '.join(REFINE_KEYS)} (1-3 pick a result; "
                    "0, 9, * and # are left to the menu)")
            key = ""
        elif taken is not None:
            v.error(f"key {key} is already refinement {taken!r}'s")
            key = ""
    say = _phrases(v, ctx) if (v := fields.get("say")) is not None else {}
    label = None
    if (v := fields.require("label", "what it does, per language: {en: place a hold on it}")) \
            is not None:
        label = template(v, ctx)
    fields.done()
    if not node or not key:
        return None
    return Hold(node, key, value.where, say, label)


def _phrases(value: Value, ctx: ParseContext) -> dict[str, tuple[str, ...]]:
    """What callers say for something, per declared language: ``{en: [only audiobooks]}``."""
    say: dict[str, tuple[str, ...]] = {}
    for key_value, phrases in value.pairs():
        lang = str(key_value.node.value)
        if lang not in ctx.languages:
            key_value.error(f"phrases for {lang!r}, which is not declared under 'languages'")
            continue
        say[lang] = tuple(p[:MAX_HINT_CHARS] for p in phrases.text_list("a phrase"))
    return say


def _refinements(value: Value, ctx: ParseContext) -> tuple[Refinement, ...]:
    """``refine: {audiobook: {field: formats, contains: audiobook, key: "7", label: ...,
    say: {en: [only audiobooks]}}, ...}``."""
    out: list[Refinement] = []
    for name_value, item in value.pairs():
        name = str(name_value.node.value)
        if len(out) == MAX_REFINE:
            name_value.error(f"at most {MAX_REFINE} refinements")
            break
        fields = item.fields(f"refinement {name!r}")
        args: dict[str, Any] = {}
        if (v := fields.require("field", "the column it narrows by, e.g. formats")) is not None:
            column = v.text("a column name") or ""
            if not re.match(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$", column):
                v.error(f"{column!r} is not a column name (letters, digits and _)")
            else:
                args["column"] = column
        ways = [k for k in ("contains", "equals", "other") if fields.get(k) is not None]
        if len(ways) != 1:
            item.error(f"refinement {name!r} needs one of contains (words the field holds), "
                       "equals (the field's value) or other: true (differs from the results "
                       "heard)")
        for way in ways[:1]:
            v = fields.get(way)
            assert v is not None
            if way == "other":
                args["other"] = bool(v.boolean("other"))
            else:
                args[way] = v.text(f"the value for {way}") or ""
        if (v := fields.get("key")) is not None:
            key = v.text("a key") or ""
            if len(key) != 1 or key not in REFINE_KEYS:
                v.error(f"a refinement's key is one of {', '.join(REFINE_KEYS)} (1-3 pick a "
                        f"result; 0, 9, * and # are left to the menu)")
            elif any(r.key == key for r in out):
                v.error(f"key {key} is already another refinement's")
            else:
                args["key"] = key
        if (v := fields.require("label", "what it does, per language: {en: only audiobooks}")) \
                is not None:
            args["label"] = template(v, ctx)
        if (v := fields.require("say", "what callers say for it, per language: {en: [only "
                                "audiobooks]}")) is not None:
            args["say"] = _phrases(v, ctx)
        fields.done()
        if "column" in args and len(ways) == 1:
            out.append(Refinement(name, **args))
    return tuple(out)
