"""``type: lookup`` — "Enter your order number": look a record up and read the answer.

The caller keys (or says) an identifier, hears it read back digit by digit and
confirms it (1) or enters it again (2); optionally a second factor (caller ID,
postcode, PIN) must match the record before anything personal is spoken. The
record fills a per-language answer template, and may route the caller onward by
a field's value. The record comes from an injected ``Lookups`` (``call.lookups``):
the engine does no I/O. Identifiers travel sealed in the callback URL and appear
masked in the journey; a PIN is compared and forgotten.

With ``action: <name>`` the node places something for the identified caller (a hold on
the book a search node's caller chose): the item comes in ``call.handoff``, travels
sealed with the identifier, is read again from the search node's catalogue, and the
action (``ivr.lookup.actions``) runs once the caller is identified and verified.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ivr.engine.lookups import FAILED, NOT_FOUND, LookupResult
from ivr.engine.types import Action, Event, Input, Redirect, Silence, Turn
from ivr.lookup import ALREADY, DONE, Actions
from ivr.lookup.match import same_phone, same_secret, spoken_digits
from ivr.lookup.node_fields import ByValue, Verify, by_value, choice, template, verify
from ivr.lookup.speak import MissingField, digits, mask, placeholders, render
from ivr.menu.model import Prompt
from ivr.menu.source import Fields, Where
from ivr.nodes.base import Node
from ivr.nodes.menu import spoken_key
from ivr.nodes.routing import person_request, yes_or_no
from ivr.search import Catalogues

if TYPE_CHECKING:
    from datetime import date

    from ivr.engine.core import Call
    from ivr.menu.model import Menu
    from ivr.menu.parsing import ParseContext

IDENTIFY = ("keypad", "caller_id")
CONFIRM, VERIFY, ASK = "lookup:confirm:", "lookup:verify:", "lookup:ask:"
CARRY = "~"  # an action node seals "identifier~search node~item key"
WITHHELD = ("", "anonymous", "unknown", "restricted", "private", "blocked")


@dataclass(frozen=True)
class LookupNode(Node):
    """Ask for an identifier, look the record up, speak the answer, go on."""

    source: str = ""
    identify: str = "keypad"
    digits: int | None = None  # a fixed length
    min_digits: int = 2
    max_digits: int = 20
    speech: bool = True
    confirm: bool = True
    verify: Verify | None = None
    answer: Prompt | None = None
    answer_when: ByValue = field(default_factory=ByValue)
    values: Mapping[str, Mapping[str, Prompt]] = field(default_factory=dict)
    route: ByValue = field(default_factory=ByValue)
    next: str = "back"
    action: str = ""  # a name under the menu's `actions`: run it for the identified caller
    already: Prompt | None = None  # the action was done before ("already on hold")
    refused: Prompt | None = None  # the item is unknown or cannot take the action

    kind = "lookup"
    summary = "ask for an order or card number, look it up in a source, read the answer"
    listens = True

    # ---- reading the YAML -----------------------------------------------------

    @classmethod
    def parse_fields(cls, fields: Fields, ctx: ParseContext) -> dict[str, Any]:
        """Read the source, how to identify, the answer and where to go next."""
        out: dict[str, Any] = {}
        if (v := fields.require("source", "the name of a source under 'sources'")) is not None:
            name = v.text("a source name") or ""
            if name and name not in ctx.source_names:
                known = ", ".join(sorted(ctx.source_names)) or "none defined"
                v.error(f"unknown source {name!r} (defined under 'sources': {known})")
            out["source"] = name
        if (v := fields.get("identify")) is not None:
            out["identify"] = choice(v, "identify", IDENTIFY)
        if (v := fields.get("digits")) is not None:
            out["digits"] = v.integer("digits (a fixed length)", 2, 32)
        for name in ("min_digits", "max_digits"):
            if (v := fields.get(name)) is not None:
                out[name] = v.integer(name, 2, 32)
        if out.get("min_digits", 2) > out.get("max_digits", 20):
            fields.value.error("min_digits is more than max_digits")
        for name in ("speech", "confirm"):
            if (v := fields.get(name)) is not None:
                out[name] = v.boolean(name)
        if (v := fields.get("verify")) is not None:
            out["verify"] = verify(v, ctx)
        if (v := fields.require("answer", "what the caller hears, e.g. \"Order "
                                "{order_id:digits} is {status}\"")) is not None:
            out["answer"] = template(v, ctx)
        if (v := fields.get("answer_when")) is not None:
            out["answer_when"] = by_value(v, "answer_when", lambda item: template(item, ctx))
        if (v := fields.get("values")) is not None:
            out["values"] = {str(k.node.value): by_value(item, "values", ctx.prompt,
                                                          with_field=False).choices
                             for k, item in v.pairs()}
        if (v := fields.get("route")) is not None:
            out["route"] = by_value(v, "route", ctx.target)
        if (v := fields.get("next")) is not None:
            out["next"] = ctx.target(v)
        if (v := fields.get("action")) is not None:
            name = v.text("the name of an action under 'actions'") or ""
            if name and name not in ctx.action_names:
                known = ", ".join(sorted(ctx.action_names)) or "none defined"
                v.error(f"unknown action {name!r} (defined under 'actions': {known})")
            out["action"] = name
        for name in ("already", "refused"):
            if (v := fields.get(name)) is not None:
                if fields.get("action") is None:
                    v.error(f"'{name}' is what an action says: this node has no 'action'")
                out[name] = template(v, ctx)
        if out.get("identify") != "caller_id" and fields.get("say") is None:
            fields.value.error("a lookup node needs 'say' (the question: \"Please enter your "
                               "order number, then the hash key.\") unless it uses "
                               "identify: caller_id")
        return {k: v for k, v in out.items() if v is not None}

    def targets(self) -> list[tuple[str, Where]]:
        """``next``, the route targets and the fallback."""
        routes = [(str(t), self.where) for t in self.route.choices.values()]
        return [*super().targets(), (self.next, self.where), *routes]

    def prompts(self) -> list[tuple[str, Prompt]]:
        """The question, the answers, the second factor's question and the value names."""
        out = super().prompts()
        if self.answer:
            out.append(("answer", self.answer))
        out += [(f"answer_when {v}", p) for v, p in self.answer_when.choices.items()]
        out += [(name, p) for name in ("already", "refused")
                if (p := getattr(self, name)) is not None]
        if self.verify and self.verify.say:
            out.append(("verify.say", self.verify.say))
        for name, table in self.values.items():
            out += [(f"values.{name}.{value}", p) for value, p in table.items()]
        return out

    def fields_used(self) -> dict[str, Where]:
        """Record fields this node reads (templates, second factor, choices), for linting."""
        used: dict[str, Where] = {}
        # An action's templates speak the chosen item's fields too, which no source gives.
        templates = [] if self.action else [self.answer, *self.answer_when.choices.values()]
        for prompt in templates:
            for version in prompt.versions.values() if prompt else ():
                for placeholder in placeholders(version.text or ""):
                    used.setdefault(placeholder.field, prompt.where)
        for name in (self.answer_when.field, self.route.field,
                     self.verify.field if self.verify else ""):
            if name:
                used.setdefault(name, self.where)
        return used

    # ---- the call -------------------------------------------------------------

    def enter(self, call: Call) -> Turn:
        """Ask for the identifier (or use the caller's number)."""
        if self.action and self._carried(call) is None:
            call.log("action", outcome="no_item")
            return call.fallback([call.message("action_no_item")])
        if self.identify == "caller_id":
            if call.caller.strip().lower() in WITHHELD:
                call.log("lookup", outcome="no_caller_id")
                return call.fallback([call.message("lookup_no_caller_id")])
            return self._proceed(call, call.caller, [])
        return self._ask(call, [])

    def _ask(self, call: Call, before: Iterable[Action]) -> Turn:
        if self.action and not self._pending(call, ASK, ""):  # the item travels sealed
            return self._failed(call, "", "no_lookups")
        # A fixed length ends by itself, so # stays a key (a global "back"); else # ends it.
        gather = call.gather(call.hear(self.say), timeout=self.timeout_for(call),
                             input="dtmf speech" if self.speech else "dtmf",
                             num_digits=self.digits, finish_on_key="" if self.digits else "#")
        return call.turn([*before, gather, Redirect(call.next("silence"))])

    def handle(self, call: Call, event: Event) -> Turn:
        """The identifier, a yes/no to the read-back, or the second factor."""
        pending = call.state.pending
        if pending.startswith((CONFIRM, VERIFY, ASK)):
            identifier = self._unseal(call, pending.split(":", 2)[2])
            if identifier is None:  # a forged or stale URL: start this node again
                call.log("lookup", outcome="bad_state")
                return call.enter(self.id, [])
            if pending.startswith(CONFIRM):
                return self._on_confirm(call, event, identifier)
            if pending.startswith(VERIFY):
                return self._on_verify(call, event, identifier)
        if isinstance(event, Silence):
            return self._miss(call, "silence", [call.message("no_input")])
        if not isinstance(event, Input):
            return super().handle(call, event)
        if (turn := self._global(call, event)) is not None:
            return turn
        if event.speech and not event.digits and (
                turn := person_request(call, event.speech, event.confidence)) is not None:
            return turn  # "can I talk to someone" instead of a number
        # Twilio leaves the finishing # out of Digits; a simulator or a test may not.
        entered = event.digits.rstrip("#") or spoken_digits(event.speech, call.state.lang)
        if not self._valid(entered):
            return self._miss(call, "invalid", [call.message("lookup_invalid")],
                              input=mask(entered) if entered else "")
        if self.confirm:
            call.log("lookup_entry", mask(entered), "readback")
            return self._readback(call, entered, [])
        call.log("lookup_entry", mask(entered), "entered")
        return self._proceed(call, entered, [])

    def _global(self, call: Call, event: Input) -> Turn | None:
        """A lone key that works everywhere (no identifier is one key long)."""
        if len(event.digits) == 1:
            return call.global_key(event.digits)
        return None

    def _valid(self, entered: str) -> bool:
        if not entered.isdigit():
            return False
        if self.digits is not None:
            return len(entered) == self.digits
        return self.min_digits <= len(entered) <= self.max_digits

    def _context(self, call: Call) -> str:
        return f"{call.menu.id}:{self.id}:{call.state.started}"

    def _unseal(self, call: Call, token: str) -> str | None:
        """The identifier in a sealed token; an action node's item goes to ``call.handoff``
        (kept there while this node asks again)."""
        text = call.lookups.unseal(token, self._context(call)) if call.lookups else None
        if text is None or not self.action:
            return text
        identifier, origin, item = (text.split(CARRY) + ["", ""])[:3]
        if not origin or not item:
            return None
        call.handoff = {"from": origin, "item": item}
        return identifier

    def _pending(self, call: Call, kind: str, identifier: str) -> bool:
        if call.lookups is None:
            return False
        text = identifier
        if self.action:
            carried = self._carried(call)
            if carried is None:
                return False
            text = CARRY.join((identifier, *carried))
        call.set_pending(kind + call.lookups.seal(text, self._context(call)))
        return True

    @staticmethod
    def _carried(call: Call) -> tuple[str, str] | None:
        """(search node, item key) handed to this node, or None."""
        origin, item = call.handoff.get("from", ""), call.handoff.get("item", "")
        if not origin or not item or CARRY in origin + item:
            return None
        return origin, item

    def _readback(self, call: Call, identifier: str, before: Iterable[Action]) -> Turn:
        """"You entered 1 2 3 4. Press 1 or say yes..." — the identifier travels sealed."""
        if not self._pending(call, CONFIRM, identifier):
            return self._failed(call, identifier, "no_lookups")
        text = call.menu.message("lookup_readback", call.state.lang).format(
            digits=digits(identifier))
        gather = call.gather([call.speak_text(text)], timeout=self.timeout_for(call))
        return call.turn([*before, gather, Redirect(call.next("silence"))])

    def _on_confirm(self, call: Call, event: Event, identifier: str) -> Turn:
        if isinstance(event, Silence):
            return self._miss(call, "silence", [call.message("no_input")],
                              again=lambda b: self._readback(call, identifier, b))
        if not isinstance(event, Input):
            return self._readback(call, identifier, [])
        key = event.digits or spoken_key(event.speech, call.state.lang) or ""
        answer = {"1": True, "2": False}.get(key)
        if answer is None and not event.digits:
            answer = yes_or_no(event.speech, call.state.lang)
        if answer is True:
            call.log("confirm", event.digits or event.speech, "yes")
            call.clear_pending()
            return self._proceed(call, identifier, [])
        if answer is False:
            call.log("confirm", event.digits or event.speech, "no:again")
            return call.enter(self.id, [], tries=call.state.tries)
        call.clear_pending()
        if (turn := self._global(call, event)) is not None:
            return turn
        return self._miss(call, "no_match", [call.message("no_match")],
                          again=lambda b: self._readback(call, identifier, b))

    def _ask_factor(self, call: Call, identifier: str, before: Iterable[Action]) -> Turn:
        assert self.verify is not None
        if not self._pending(call, VERIFY, identifier):
            return self._failed(call, identifier, "no_lookups")
        # A PIN is keyed, never spoken aloud (and never sent to speech recognition).
        spoken = self.verify.by == "postcode" and self.speech
        gather = call.gather(call.hear(self.verify.say), timeout=self.timeout_for(call),
                             input="dtmf speech" if spoken else "dtmf",
                             num_digits=self.verify.digits,
                             finish_on_key="" if self.verify.digits else "#")
        return call.turn([*before, gather, Redirect(call.next("silence"))])

    def _on_verify(self, call: Call, event: Event, identifier: str) -> Turn:
        def again(before: list[Action]) -> Turn:
            return self._ask_factor(call, identifier, before)

        if isinstance(event, Silence):
            return self._miss(call, "silence", [call.message("no_input")], again=again)
        if not isinstance(event, Input):
            return again([])
        call.clear_pending()
        factor = event.digits or (spoken_digits(event.speech, call.state.lang)
                                  if self.verify and self.verify.by == "postcode" else "")
        if not factor:
            return self._miss(call, "invalid", [call.message("lookup_invalid")], again=again)
        return self._look_up(call, identifier, factor)

    def _proceed(self, call: Call, identifier: str, before: list[Action]) -> Turn:
        """The identifier is settled: ask the second factor first, or look it up now."""
        if self.verify and self.verify.by != "caller_id":
            return self._ask_factor(call, identifier, before)
        return self._look_up(call, identifier, None)

    def _look_up(self, call: Call, identifier: str, factor: str | None) -> Turn:
        if call.lookups is None:
            return self._failed(call, identifier, "no_lookups")
        result: LookupResult = call.lookups.find(call.menu, self.source,
                                                 {"id": identifier, "caller": call.caller})
        if result.status == FAILED:
            return self._failed(call, identifier, result.reason)
        if result.status == NOT_FOUND:
            call.log("lookup", mask(identifier), "not_found")
            sorry = call.message("lookup_not_found").text.format(digits=digits(identifier))
            if self.identify == "caller_id":
                return call.fallback([call.speak_text(sorry)])
            return self._miss(call, "not_found", [call.speak_text(sorry)])
        record = result.record
        if self.verify is not None:
            expected = str(record.get(self.verify.field) or "")
            if self.verify.by == "caller_id":
                ok = same_phone(call.caller, expected)
            else:
                ok = bool(expected) and same_secret(factor or "", expected)
            call.log("verify", "", f"{self.verify.by}:{'match' if ok else 'mismatch'}")
            if not ok:
                refused = [call.message("lookup_refused")]
                if self.verify.by == "caller_id":
                    return call.fallback(refused)
                return self._miss(call, "refused", refused,
                                  again=lambda b: self._ask_factor(call, identifier, b))
        if self.action:
            return self._act(call, identifier, record)
        return self._answer(call, identifier, record)

    def _act(self, call: Call, identifier: str, record: Mapping[str, Any]) -> Turn:
        """The caller is identified (and verified): run the action for the chosen item."""
        carried = self._carried(call)
        actions = call.lookups if isinstance(call.lookups, Actions) else None
        if carried is None or actions is None:
            call.log("action", mask(identifier), "no_item" if carried is None else
                     "failed:no_actions")
            return call.fallback([call.message("action_no_item" if carried is None
                                               else "action_failed")])
        origin, key = carried
        call.handoff = {}
        found = self._item(call, origin, key)
        if isinstance(found, str):
            if found == "unknown":
                call.log("action", mask(identifier), f"refused:unknown_item:{key}"[:64])
                return self._said(call, "refused", {**record}, [])
            call.log("action", mask(identifier), f"failed:{found}"[:64])
            return call.fallback([call.message("action_failed")])
        params: dict[str, Any] = {**record, "id": identifier, "item": key,
                                  "caller": call.caller}
        result = actions.act(call.menu, self.action, params)
        call.log("action", mask(identifier), f"{result.status}:{key}"[:64] if result.status
                 != FAILED else f"failed:{result.reason}"[:64])
        if result.status == FAILED:
            return call.fallback([call.message("action_failed")])
        fields = {**record, **found}  # the item's fields win: "{title}" is the book's
        if result.status == DONE:
            return self._answer(call, identifier, fields, done=True)
        return self._said(call, "already" if result.status == ALREADY else "refused", fields,
                          [])

    def _item(self, call: Call, origin: str, key: str) -> Mapping[str, Any] | str:
        """The chosen item, read again from the catalogue of the search node that offered
        it; "unknown", or a failure's reason."""
        from ivr.nodes.search import ITEM_KEY, SearchNode

        node = call.menu.nodes.get(origin)
        if not isinstance(node, SearchNode) or node.hold is None or \
                node.hold.node != self.id or node.catalogue is None or not ITEM_KEY.match(key):
            return "unknown"
        catalogues = call.lookups if isinstance(call.lookups, Catalogues) else None
        if catalogues is None:
            return "no_catalogues"
        result = catalogues.item(call.menu, node.catalogue, key)
        if result.status == FAILED:
            return result.reason or "catalogue"
        return result.items[0] if result.items else "unknown"

    def _said(self, call: Call, outcome: str, fields: Mapping[str, Any],
              before: list[Action]) -> Turn:
        """"Already on hold" or "cannot be held": the node's template, or the built-in
        phrase when it has none (or the item's fields are unknown); then ``next``."""
        prompt: Prompt | None = getattr(self, outcome)
        version = prompt.for_language(call.state.lang, call.menu.default_language) \
            if prompt else None
        text = ""
        if version is not None and version.text:
            try:
                text = render(version.text, fields, call.language.locale,
                              today=call.now.date(),
                              translate=lambda f, v: self._value(call.menu, call.state.lang,
                                                                 f, v))
            except MissingField:
                text = ""
        spoken = call.speak_text(text) if text else call.message(f"action_{outcome}")
        return call.go(self.next, [*before, spoken])

    def _answer(self, call: Call, identifier: str, record: Mapping[str, Any], *,
                done: bool = False) -> Turn:
        try:
            text = self.answer_text(call.menu, call.state.lang, record, call.now.date())
        except MissingField as missing:
            if done:  # it was done: say so plainly rather than that it failed
                call.log("answer", outcome=f"missing_field:{missing.args[0]}"[:64])
                return call.go(self.next, [call.message("action_done")])
            return self._failed(call, identifier, f"missing_field:{missing.args[0]}")
        target = self.next
        if self.route.field:
            target = str(self.route.choices.get(str(record.get(self.route.field)), self.next))
        if not done:
            call.log("lookup", mask(identifier), f"found:go:{target}")
        return call.go(target, [call.speak_text(text)])

    def answer_text(self, menu: Menu, lang: str, record: Mapping[str, Any], today: date) -> str:
        """The answer a found record gets in ``lang`` (MissingField when a value is absent).

        Shared by the phone and the help pages, so both say the same words.
        """
        prompt = self.answer
        if self.answer_when.field:
            prompt = self.answer_when.choices.get(str(record.get(self.answer_when.field)), prompt)
        version = prompt.for_language(lang, menu.default_language) if prompt else None
        language = menu.languages.get(lang) or next(iter(menu.languages.values()))
        # The locale, not the language: en-US and en-GB say dates in different orders.
        return render(version.text or "" if version else "", record, language.locale,
                      today=today, translate=lambda f, v: self._value(menu, lang, f, v))

    def _value(self, menu: Menu, lang: str, field_name: str, value: str) -> str | None:
        prompt = self.values.get(field_name, {}).get(value)
        version = prompt.for_language(lang, menu.default_language) if prompt else None
        return version.text if version else None

    def _failed(self, call: Call, identifier: str, reason: str) -> Turn:
        """The source is slow, down or broken: apologise and take the fallback."""
        call.log("lookup", mask(identifier), f"failed:{reason}"[:64])
        return call.fallback([call.message("lookup_failed")])

    def _miss(self, call: Call, reason: str, sorry: Sequence[Action], *, input: str = "",
              again: Callable[[list[Action]], Turn] | None = None) -> Turn:
        """Count a failed try: ask again (the same question), or the fallback at the limit."""
        tries = call.state.tries + 1
        limit = self.tries_for(call)
        call.log(reason, input, f"try {tries}/{limit}")
        if tries >= limit:
            call.clear_pending()
            return call.fallback(sorry)
        if again is None:
            return call.enter(self.id, list(sorry), tries=tries)
        call.state = replace(call.state, tries=tries)
        return again(list(sorry))


