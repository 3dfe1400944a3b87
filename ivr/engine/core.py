"""The call engine: a menu, a call's state and an event in; a Turn out.

Pure: it reads no files, clock or network. Adapters (the webhooks, the terminal
simulator, tests) give it the time and the caller's input and render its Turn.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ivr.engine.types import (
    MAX_PATH,
    Action,
    CallbackRequest,
    CallState,
    Event,
    Gather,
    Hangup,
    Leave,
    Next,
    Pause,
    Play,
    QueueWait,
    Speak,
    Step,
    Turn,
)
from ivr.menu.model import Language, Menu, Prompt

if TYPE_CHECKING:
    from ivr.engine.lookups import Lookups
    from ivr.engine.queues import Queues
    from ivr.engine.texts import Texts

MAX_HOPS = 16  # nodes entered in one turn without waiting for the caller


class EngineError(Exception):
    """The menu led the engine somewhere it cannot go (a loop without input)."""


def _always(_: str) -> bool:
    return True


class Call:
    """One turn of one call: what nodes use to speak, listen and move on."""

    def __init__(
        self,
        menu: Menu,
        state: CallState,
        now: datetime,
        audio_available: Callable[[str], bool] = _always,
        *,
        caller: str = "",
        lookups: Lookups | None = None,
        texts: Texts | None = None,
        countries: frozenset[str] | None = None,
        queues: Queues | None = None,
    ) -> None:
        self.menu = menu
        self.state = state
        self.now = now
        self.audio_available = audio_available
        self.caller = caller  # the caller's number (Twilio's From); "" when unknown
        self.lookups = lookups  # live data for lookup nodes; None = no data sources
        self.texts = texts  # texts to the caller ("text me this"); None = texts are off
        # Where callbacks may go (two-letter countries); None = no list (engine tests)
        self.countries = countries
        self.queues = queues  # agents' availability and queue sizes; None = not known
        self.steps: list[Step] = []
        self.requests: list[CallbackRequest] = []  # callbacks asked for in this turn
        self.entered: list[str] = []  # nodes entered this turn, in order
        # What a node hands the next node it sends the caller to in this turn (a search
        # node's chosen item for a hold); never kept in the state: a node that needs it
        # beyond this turn seals it into its pending question.
        self.handoff: dict[str, str] = {}
        self.hops = 0

    # ---- what the caller hears ------------------------------------------------

    @property
    def language(self) -> Language:
        """The caller's current language."""
        return self.menu.languages.get(self.state.lang) or next(iter(self.menu.languages.values()))

    def speak_text(self, text: str, lang: str | None = None) -> Speak:
        """Text in ``lang`` (default: the caller's), with that language's voice."""
        language = self.menu.languages.get(lang or self.state.lang, self.language)
        return Speak(text, language.locale, language.voice)

    def hear(self, prompt: Prompt | None, lang: str | None = None) -> list[Speak | Play]:
        """A prompt in the caller's language: the recording if there is one, else its text."""
        if prompt is None:
            return []
        lang = lang or self.state.lang
        version = prompt.for_language(lang, self.menu.default_language)
        if version is None:
            return []
        if version.audio and self.audio_available(version.audio):
            return [Play(version.audio, version.text or "")]
        if version.text:
            return [self.speak_text(version.text, lang)]
        return []

    def message(self, name: str) -> Speak:
        """A system phrase (sorry, goodbye...) in the caller's language."""
        return self.speak_text(self.menu.message(name, self.state.lang))

    # ---- what the engine waits for -------------------------------------------

    def next(self, event: str) -> Next:
        """A callback to this call's current state with ``event``."""
        return Next(self.state, event)

    def gather(
        self,
        prompts: Iterable[Speak | Play | Pause],
        *,
        timeout: int,
        input: str = "dtmf speech",
        num_digits: int | None = 1,
        hints: tuple[str, ...] = (),
        finish_on_key: str = "",
    ) -> Gather:
        """Listen in the caller's language while playing ``prompts``.

        ``num_digits=None`` with ``finish_on_key="#"`` collects a number of any length
        that the caller ends with # (Twilio leaves the # out of Digits).
        """
        language = self.language
        return Gather(
            prompts=tuple(prompts),
            then=self.next("in"),
            input=input,
            timeout=timeout,
            num_digits=num_digits,
            finish_on_key=finish_on_key,
            locale=language.locale,
            speech_model=language.speech_model,
            hints=hints,
        )

    def log(self, event: str, input: str = "", outcome: str = "", node: str | None = None) -> None:
        """Add a line to the call's journey."""
        self.steps.append(Step(node or self.state.node, event, input, outcome, self.state.lang))

    def turn(self, actions: Iterable[Action]) -> Turn:
        """Package the actions with the journey lines gathered so far."""
        return Turn(tuple(actions), tuple(self.steps), self.state, tuple(self.requests),
                    tuple(self.entered))

    # ---- moving around -------------------------------------------------------

    def go(self, target: str, before: Iterable[Action] = (), *, tries: int = 0) -> Turn:
        """Enter ``target`` (a node id, or repeat/back/main) after playing ``before``."""
        before = list(before)
        if target == "repeat":
            return self.enter(self.state.node, before, tries=tries)
        if target == "back":
            back = self._back_target()
            if back not in self.menu.nodes:
                return self.menu_changed(back, before)
            return self.enter(back, before)
        if target == "main":
            self.state = replace(self.state, path=())
            return self.enter(self.menu.main, before)
        return self.enter(target, before, tries=tries)

    def menu_changed(self, missing: str, before: Iterable[Action] = ()) -> Turn:
        """The caller was heading for a node a menu reload removed: restart at the main menu."""
        self.log("menu_changed", outcome=f"missing:{missing}")
        self.state = replace(self.state, path=(), pending="", version=self.menu.version)
        target = self.menu.main if self.menu.main in self.menu.nodes else self.menu.start
        return self.enter(target, [*before, self.message("menu_changed")])

    def _back_target(self) -> str:
        path = self.state.path
        if path and path[-1] == self.state.node:
            path = path[:-1]
        return path[-1] if path else self.menu.main

    def enter(self, node_id: str, before: list[Action], *, tries: int = 0) -> Turn:
        """Move the call to ``node_id`` and let that node speak."""
        self.hops += 1
        if self.hops > MAX_HOPS:
            raise EngineError(f"more than {MAX_HOPS} nodes without caller input (at {node_id!r})")
        node = self.menu.nodes[node_id]
        self.entered.append(node_id)
        path = self.state.path
        if node.returnable:
            path = path[: path.index(node_id)] if node_id in path else path
            path = (*path, node_id)[-MAX_PATH:]
        self.state = CallState(
            self.state.menu,
            node_id,
            self.state.lang,
            tries,
            path,
            self.state.started,
            self.state.version,
            # When the caller joined a queue matters only to the queue and what it leads to
            # (a callback is due from then); elsewhere it would only make new URLs.
            queued=self.state.queued if node.keeps_queued else 0,
        )
        turn = node.enter(self)
        return Turn((*before, *turn.actions), turn.steps, turn.state, turn.requests,
                    turn.entered)

    def request_callback(self, request: CallbackRequest) -> None:
        """Ask the adapter to keep a callback request once this turn is answered."""
        self.requests.append(request)

    def set_pending(self, pending: str) -> None:
        """Ask a question within the current node (a confirmation or a refinement)."""
        self.state = replace(self.state, pending=pending)

    def clear_pending(self) -> None:
        """The pending question was answered."""
        self.state = replace(self.state, pending="")

    def set_language(self, lang: str) -> None:
        """Switch the caller to ``lang`` for the rest of the call."""
        self.state = replace(self.state, lang=lang)

    def retry(
        self, reason: str, node_tries: int, before: Iterable[Action] = (), *, input: str = ""
    ) -> Turn:
        """Ask again after a miss, or go to the fallback once the tries are used up."""
        tries = self.state.tries + 1
        self.log(reason, input, f"try {tries}/{node_tries}")
        sorry: list[Action] = []
        if reason != "not_confirmed":  # after "no, not that" just ask again
            name = {"silence": "no_input", "nothing_found": "nothing_found"}.get(reason,
                                                                               "no_match")
            sorry = [self.message(name)]
        if tries >= node_tries:
            return self.fallback([*before, *sorry])
        return self.enter(self.state.node, [*before, *sorry], tries=tries)

    def fallback(self, before: Iterable[Action] = ()) -> Turn:
        """Send the caller to the node's fallback (or say goodbye when there is none)."""
        node = self.menu.nodes[self.state.node]
        target = node.after_misses(self.menu.defaults.fallback)
        self.log("fallback", outcome=f"go:{target}" if target else "hangup")
        if not target or target == self.state.node:
            return self.goodbye(before)
        return self.go(target, [*before, self.message("fallback")])

    def goodbye(self, before: Iterable[Action] = (), *, say_goodbye: bool = True) -> Turn:
        """End the call politely."""
        goodbye = [self.message("goodbye")] if say_goodbye else []
        return self.turn([*before, *goodbye, Hangup()])

    def global_key(self, digits: str) -> Turn | None:
        """Handle a key that works everywhere, if ``digits`` is one."""
        target = self.menu.global_keys.get(digits)
        if target is None:
            return None
        self.log("key", digits, f"global:{target}")
        return self.go(target, tries=self.state.tries if target == "repeat" else 0)


def start(
    menu: Menu,
    now: datetime,
    audio_available: Callable[[str], bool] = _always,
    *,
    caller: str = "",
    lookups: Lookups | None = None,
    texts: Texts | None = None,
    countries: frozenset[str] | None = None,
    queues: Queues | None = None,
) -> Turn:
    """A new call reaches ``menu``: enter its start node."""
    state = CallState(
        menu.id,
        menu.start,
        menu.default_language,
        0,
        (),
        int(now.timestamp()),
        menu.version,
    )
    call = Call(menu, state, now, audio_available, caller=caller, lookups=lookups, texts=texts,
                countries=countries, queues=queues)
    call.log("call", outcome=f"menu:{menu.id}", node=menu.start)
    return call.enter(menu.start, [])


def step(
    menu: Menu,
    state: CallState,
    event: Event,
    now: datetime,
    audio_available: Callable[[str], bool] = _always,
    *,
    caller: str = "",
    lookups: Lookups | None = None,
    texts: Texts | None = None,
    countries: frozenset[str] | None = None,
    queues: Queues | None = None,
) -> Turn:
    """Apply one caller event to a call in progress (``caller``: Twilio's From)."""
    call = Call(menu, state, now, audio_available, caller=caller, lookups=lookups, texts=texts,
                countries=countries, queues=queues)
    if state.lang not in menu.languages:
        call.set_language(menu.default_language)
    if state.started and now.timestamp() - state.started > menu.defaults.max_call:
        call.log("too_long", outcome="hangup")
        return call.turn([call.message("too_long"), Hangup()])
    if state.node not in menu.nodes:
        return call.menu_changed(state.node)  # the menu was reloaded and this node is gone
    return menu.nodes[state.node].handle(call, event)


def wait(menu: Menu, state: CallState, info: QueueWait, now: datetime,
         audio_available: Callable[[str], bool] = _always) -> Turn:
    """What a caller waiting in a queue hears next (the <Enqueue> wait URL), or a <Leave>."""
    call = Call(menu, state, now, audio_available)
    if state.lang not in menu.languages:
        call.set_language(menu.default_language)
    node = menu.nodes.get(state.node)
    waits = getattr(node, "wait", None)
    if node is None or waits is None:
        call.log("queue_wait", outcome="leave:menu_changed")
        return call.turn([Leave("gone")])
    turn: Turn = waits(call, info)
    return turn


def utcnow() -> datetime:
    """The current time, aware (adapters pass this in; tests pass their own)."""
    return datetime.now(UTC)
