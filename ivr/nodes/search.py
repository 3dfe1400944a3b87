"""``type: search`` — "Say a title, an author or a subject": search a catalogue by voice.

The caller says what they are looking for; the node reads the best two or three
items ("I found 3 results. 1: Les Misérables, by Victor Hugo ..."), the caller picks
one by key or by voice and hears its details, or says another query. Nothing found,
silence and a source that is slow or down all end in a clear sentence and a new try,
bounded by ``tries``, then the fallback. Items come from an injected ``Catalogues``
(``call.lookups``): the engine does no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ivr.engine.types import Action, Event, Input, Redirect, Silence, Turn
from ivr.lookup import FAILED, NOT_FOUND
from ivr.lookup.node_fields import by_value, template
from ivr.lookup.speak import MissingField, placeholders, render
from ivr.menu.model import Prompt
from ivr.menu.source import Fields, Where
from ivr.nodes.base import Node
from ivr.nodes.menu import MAX_HINT_CHARS, MAX_HINTS, spoken_key
from ivr.nodes.routing import yes_or_no
from ivr.search import MAX_RESULTS, Catalogues, SearchResult
from ivr.search.config import CatalogueConfig, parse_catalogue
from ivr.search.match import MAX_QUERY_CHARS, words_of

if TYPE_CHECKING:
    from ivr.engine.core import Call
    from ivr.menu.loader import ParseContext

RESULTS, DETAILS = "search:r:", "search:d:"
ITEM_KEY = re.compile(r"^[A-Za-z0-9_-]{1,32}$")

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
        if (v := fields.get("next")) is not None:
            out["next"] = ctx.target(v)
        return {k: v for k, v in out.items() if v is not None}

    def targets(self) -> list[tuple[str, Where]]:
        """``next`` and the fallback."""
        return [*super().targets(), (self.next, self.where)]

    def prompts(self) -> list[tuple[str, Prompt]]:
        """The question, the templates and the value names."""
        out = super().prompts()
        for name in ("result", "details", "found", "nothing"):
            if (prompt := getattr(self, name)) is not None:
                out.append((name, prompt))
        for name, table in self.values.items():
            out += [(f"values.{name}.{value}", p) for value, p in table.items()]
        return out

    def fields_used(self) -> dict[str, Where]:
        """Item fields the templates read, for linting against the catalogue's columns."""
        used: dict[str, Where] = {}
        for prompt in (self.result, self.details):
            if prompt is None:
                continue
            for version in prompt.versions.values():
                for placeholder in placeholders(version.text or ""):
                    used.setdefault(placeholder.field, prompt.where)
        return used

    # ---- the call -------------------------------------------------------------

    def enter(self, call: Call) -> Turn:
        """Ask what the caller is looking for."""
        return self._ask(call, [])

    def _ask(self, call: Call, before: Iterable[Action]) -> Turn:
        hints = self.hints.get(call.state.lang, ())[:MAX_HINTS]
        gather = call.gather(call.hear(self.say), timeout=self.timeout_for(call), hints=hints)
        return call.turn([*before, gather, Redirect(call.next("silence"))])

    def handle(self, call: Call, event: Event) -> Turn:
        """A query, or — once results are read — a pick, another query or silence."""
        pending = call.state.pending
        keys = pending[len(RESULTS):].split(",") if pending.startswith((RESULTS, DETAILS)) else []
        if isinstance(event, Silence):
            if pending.startswith(DETAILS):  # they heard what they wanted and said nothing more
                call.log("silence", outcome=f"done:go:{self.next}")
                return call.go(self.next)
            return self._miss(call, "silence", [call.message("no_input")], keys)
        if not isinstance(event, Input):
            return super().handle(call, event)
        if keys:
            pick = self._pick(call, event, keys)
            if pick is not None:
                return self._details(call, keys, pick)
        if len(event.digits) == 1 and (turn := call.global_key(event.digits)) is not None:
            return turn
        speech = event.speech.strip()[:4 * MAX_QUERY_CHARS]  # query_words cuts it further
        if keys and speech and yes_or_no(speech, call.state.lang) is False:
            call.log("search_again", speech[:32], "ask")
            return call.enter(self.id, [])
        if not speech:
            return self._miss(call, "no_match", [call.message("no_match")], keys)
        return self._search(call, speech)

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
        catalogues = call.lookups if isinstance(call.lookups, Catalogues) else None
        if catalogues is None or self.catalogue is None:
            return self._failed(call, "no_catalogues")
        lang = call.state.lang
        said = " ".join(words_of(speech)[:8])
        result = catalogues.search(call.menu, self.catalogue, speech, lang, self.max_results)
        if result.status == FAILED:
            return self._failed(call, result.reason)
        lines: list[str] = []
        keys: list[str] = []
        for item in result.items:
            key = str(item.get(self.catalogue.key, ""))
            text = self._render(call, self.result, item)
            if text is None or not ITEM_KEY.match(key):
                continue
            keys.append(key)
            lines.append(self._phrase(call, "item").format(n=len(keys), text=text.rstrip(".")))
        if result.status == NOT_FOUND or not keys:
            call.log("search", said[:48], "nothing")
            sorry = self._template(call, self.nothing, {"query": said}) if self.nothing else None
            return self._miss(call, "nothing_found", [call.speak_text(
                sorry or self._phrase(call, "nothing").format(query=said or "?"))], [])
        call.log("search", said[:48], f"found:{len(keys)}")
        intro = (self._template(call, self.found, {"count": str(len(keys))}) if self.found
                 else None) or (self._phrase(call, "found_one") if len(keys) == 1
                                else self._phrase(call, "found").format(count=len(keys)))
        call.state = replace(call.state, tries=0)
        return self._choose(call, RESULTS, keys, [call.speak_text(" ".join([intro, *lines]))])

    def _choose(self, call: Call, kind: str, keys: list[str], before: list[Action]) -> Turn:
        """Listen for a pick or another query after the results or one item's details."""
        call.set_pending(kind + ",".join(keys))
        name = "more" if kind == DETAILS else ("choose_one" if len(keys) == 1 else "choose")
        hints = self.hints.get(call.state.lang, ())[:MAX_HINTS]
        gather = call.gather([call.speak_text(self._phrase(call, name))],
                             timeout=self.timeout_for(call), hints=hints)
        return call.turn([*before, gather, Redirect(call.next("silence"))])

    def _details(self, call: Call, keys: list[str], key: str) -> Turn:
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
        return self._choose(call, DETAILS, keys, [call.speak_text(text)])

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

    def _miss(self, call: Call, reason: str, sorry: list[Action], keys: list[str]) -> Turn:
        """Count a failed try: ask again (the list's choices, or the question), or fall back."""
        tries = call.state.tries + 1
        limit = self.tries_for(call)
        call.log(reason, "", f"try {tries}/{limit}")
        if tries >= limit:
            call.clear_pending()
            return call.fallback(sorry)
        if keys:
            call.state = replace(call.state, tries=tries)
            return self._choose(call, RESULTS, keys, sorry)
        return call.enter(self.id, sorry, tries=tries)

