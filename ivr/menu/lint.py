"""`ivr check`: everything the loader accepts but a caller would still trip over."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from ivr import twilio_lang
from ivr.engine.hours import Schedule
from ivr.menu.loader import MenuError, load_menu
from ivr.menu.model import Menu
from ivr.menu.numbers_lint import check_numbers
from ivr.menu.source import Problem, Problems, Where
from ivr.nodes.directory import DESTINATIONS
from ivr.nodes.menu import MAX_HINTS, MenuNode
from ivr.nodes.question import QuestionNode
from ivr.search.lint import lint_searches
from ivr.speech import intents
from ivr.speech.spoken import fold

if TYPE_CHECKING:
    from ivr.lookup.policy import SourcePolicy


def lint(menu: Menu, prompts_dir: Path | None,
         policy: SourcePolicy | None = None,
         countries: frozenset[str] | None = None) -> list[Problem]:
    """Problems in a menu that loaded; sources meet ``policy`` (default: the environment's),
    phone numbers ``countries`` (default: IVR_SMS_COUNTRIES, else the menu's own lines')."""
    problems = Problems()
    problems.items.extend(menu.notes)
    check_numbers(menu, problems, countries)
    _languages(menu, problems)
    _reachability(menu, problems)
    _prompts(menu, prompts_dir, problems)
    _options(menu, problems)
    _labels(menu, problems)
    _hours(menu, problems)
    _lookups(menu, problems, policy)
    _texts(menu, problems)
    _queues(menu, prompts_dir, problems)
    lint_searches(menu, problems)
    return problems.sorted()


def _languages(menu: Menu, problems: Problems) -> None:
    """Twilio must be able to speak and hear every declared language."""
    for lang in menu.languages.values():
        if (why := twilio_lang.voice_locale_ok(lang.voice, lang.locale)) is not None:
            problems.error(lang.where, why)
        if (why := twilio_lang.recognition_ok(lang.locale)) is not None:
            problems.error(lang.where, f"speech input: {why}")
        elif not twilio_lang.model_supports(lang.speech_model, lang.locale):
            problems.error(lang.where, f"speech model {lang.speech_model!r} cannot recognise "
                           f"{lang.locale}; use {twilio_lang.speech_model_for(lang.locale)!r}")
        if lang.code.split("-")[0] not in intents.languages():
            problems.warning(lang.where, f"language {lang.code!r} has no built-in spoken "
                             "intents (closing, repeat, go back, main menu): callers of it "
                             "end, repeat or go back with the keys only")


def spoken_destinations(menu: Menu) -> set[str]:
    """Nodes a caller can ask for by name: their own `phrases`, or an option's leading there.

    These are what a `question` node (and, with `speech: {jump: true}`, a `menu` node)
    searches. A message's text is searched too, but a node found only through its
    text is not counted: it was most likely forgotten, not meant to be asked for.
    """
    out: set[str] = set()
    for node in menu.nodes.values():
        if node.kind in DESTINATIONS and any(node.phrases.values()):
            out.add(node.id)
        for lang in menu.languages:
            for target, words in node.option_phrases(lang):
                if words and target in menu.nodes and menu.nodes[target].kind in DESTINATIONS:
                    out.add(target)
    return out


def _searches_everywhere(menu: Menu, node_id: str) -> bool:
    """Whether a spoken request at this node may go anywhere in the menu (as the engine does)."""
    node = menu.nodes[node_id]
    return isinstance(node, QuestionNode) or (isinstance(node, MenuNode) and menu.speech.jump)


def _edges(menu: Menu, node_id: str, spoken: set[str] | None = None) -> set[str]:
    """Nodes a caller can go to from ``node_id`` (special targets resolved)."""
    node = menu.nodes[node_id]
    out = set()
    targets = [t for t, _ in node.targets()]
    if _searches_everywhere(menu, node_id):
        targets += sorted(spoken_destinations(menu) if spoken is None else spoken)
    if node.listens or node.kind == "message":
        targets += list(menu.global_keys.values())
    if node.listens and menu.defaults.fallback and not node.fallback:
        targets.append(menu.defaults.fallback)
    if node.kind == "transfer" and menu.defaults.fallback:
        targets.append(menu.defaults.fallback)
    for target in targets:
        if target == "main":
            out.add(menu.main)
        elif target == "back":
            out.add(menu.main)
        elif target != "repeat":
            out.add(target)
    return {target for target in out if target in menu.nodes}


def _reachability(menu: Menu, problems: Problems) -> None:
    """Unreachable nodes, dead ends, and loops that never listen."""
    spoken = spoken_destinations(menu)
    edges = {n: _edges(menu, n, spoken) for n in menu.nodes}
    seen = {menu.start}
    todo = [menu.start]
    while todo:
        for nxt in edges[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    for node_id, node in menu.nodes.items():
        if node_id not in seen:
            problems.warning(node.where, f"node {node_id!r} can never be reached from "
                             f"{menu.start!r}")
    # Which nodes can reach the end of a call (a hangup or a transfer)?
    reverse: dict[str, set[str]] = defaultdict(set)
    for source, targets in edges.items():
        for target in targets:
            reverse[target].add(source)
    # A node that listens and has no fallback ends the call itself once its tries are used.
    can_end = {n for n, node in menu.nodes.items() if node.ends_call
               or (node.listens and not (node.fallback or menu.defaults.fallback))}
    todo = list(can_end)
    while todo:
        for source in reverse[todo.pop()]:
            if source not in can_end:
                can_end.add(source)
                todo.append(source)
    for node_id in sorted(seen - can_end):
        problems.error(menu.nodes[node_id].where, f"no way out: from {node_id!r} a caller can "
                       "never reach a hangup or a transfer (add a fallback or a goodbye)")
    # Nodes that move on without waiting (hours) must not loop among themselves.
    instant = {n for n, node in menu.nodes.items() if node.kind == "hours"}
    for start in instant:
        stack, visited = [start], set()
        while stack:
            current = stack.pop()
            for nxt in edges[current] & instant:
                if nxt == start:
                    problems.error(menu.nodes[start].where, f"{start!r} loops back to itself "
                                   "without the caller doing anything")
                    stack = []
                    break
                if nxt not in visited:
                    visited.add(nxt)
                    stack.append(nxt)
    for node in menu.nodes.values():
        if node.kind == "transfer":
            no_answer: str | None = getattr(node, "no_answer", None)
            if (no_answer or node.fallback or menu.defaults.fallback) == node.id:
                problems.error(node.where, f"when nobody answers, {node.id!r} would dial again "
                               "forever: point no_answer somewhere else")


def _prompts(menu: Menu, prompts_dir: Path | None, problems: Problems) -> None:
    """Translations, audio files and Twilio's text limits."""
    for node in menu.nodes.values():
        for label, prompt in node.prompts():
            versions = prompt.versions
            if "*" not in versions:
                missing = [code for code in menu.languages if code not in versions]
                if missing:
                    problems.warning(prompt.where, f"{node.id}.{label} has no "
                                     f"{', '.join(missing)} version (callers will hear "
                                     f"{menu.default_language})")
            for code, spoken in versions.items():
                # A prompt for any language ("*") is spoken with every language's voice.
                voices = {menu.languages[c].voice for c in menu.languages} if code == "*" \
                    else {(menu.languages.get(code) or menu.languages[menu.default_language]).voice}
                for voice in sorted(voices):
                    limit = twilio_lang.say_text_limit(voice)
                    if spoken.text and len(spoken.text) > limit:
                        problems.error(prompt.where, f"{node.id}.{label} ({code}) is "
                                       f"{len(spoken.text)} characters; {voice} speaks at most "
                                       f"{limit}")
                if spoken.audio and prompts_dir is not None:
                    if not (prompts_dir / spoken.audio).is_file():
                        severity = problems.warning if spoken.text else problems.error
                        fallback = " (its text is spoken instead)" if spoken.text else ""
                        severity(prompt.where, f"audio file prompts/{spoken.audio} is missing"
                                 f"{fallback}")
                    elif Path(spoken.audio).suffix.lower() not in (".wav", ".mp3", ".aiff",
                                                                  ".gsm", ".ulaw"):
                        problems.error(prompt.where, f"Twilio cannot play {spoken.audio}: use "
                                       "wav, mp3, aiff, gsm or ulaw")


def _options(menu: Menu, problems: Problems) -> None:
    """Shared phrases, missing phrases per language, keys that shadow global keys."""
    for node in menu.nodes.values():
        sets = node.phrase_sets()
        if not sets:
            continue
        owners: dict[tuple[str, str], str] = {}
        total: dict[str, int] = defaultdict(int)
        for label, phrases in sets:
            for code, items in phrases.items():
                total[code] += len(items)
                # A phrase for any language ("*") competes with every language's phrases.
                codes = list(menu.languages) if code == "*" else [code]
                for phrase, lang in ((p, c) for p in items for c in codes):
                    folded = (lang, fold(phrase))
                    if folded in owners and owners[folded] != label:
                        problems.error(node.where, f"in {node.id!r}, the phrase {phrase!r} "
                                       f"({code}) belongs to both {owners[folded]} and {label}")
                    owners.setdefault(folded, label)
            if node.kind == "menu" and phrases and "*" not in phrases:
                missing = [c for c in menu.languages if c not in phrases]
                if missing:
                    problems.warning(node.where, f"in {node.id!r}, {label} has no phrases in "
                                     f"{', '.join(missing)}: those callers must press a key")
        for code, count in total.items():
            if count > MAX_HINTS:
                problems.warning(node.where, f"{node.id!r} has {count} {code} phrases; Twilio "
                                 f"takes {MAX_HINTS} hints, the rest are not sent as hints")
        for key, where in node.keys():
            if key in menu.global_keys:
                problems.warning(where, f"key {key!r} in {node.id!r} hides the global key "
                                 f"{key!r} ({menu.global_keys[key]}) there")
        if node.kind == "language" and len(menu.languages) < 2:
            problems.warning(node.where, "a language choice with only one language declared")


def _labels(menu: Menu, problems: Problems) -> None:
    """Every destination a caller can be offered by voice is named, once, in each language."""
    from ivr.nodes.directory import speakable

    names = speakable(menu)
    seen: dict[tuple[str, str], str] = {}
    for node_id in sorted(names, key=lambda n: menu.nodes[n].where.line):
        node = menu.nodes[node_id]
        missing = [code for code in menu.languages if not node.own_label(code)]
        if missing:
            problems.warning(node.where, f"{node_id!r} can be offered by voice but has no "
                             f"label in {', '.join(missing)} (add label: {{{missing[0]}: ...}}; "
                             "until then callers hear its first phrase)")
        for code in menu.languages:
            text = node.own_label(code)
            if not text:
                continue
            folded = (code, fold(text))
            if folded in seen:
                problems.warning(node.where, f"{node_id!r} has the same {code} label as "
                                 f"{seen[folded]!r} ({text!r}): callers could not tell them apart")
            seen.setdefault(folded, node_id)


def _texts(menu: Menu, problems: Problems) -> None:
    """Texts to callers: one per language, and short enough for one SMS segment."""
    from ivr.engine.texts import segments
    from ivr.nodes.message import MessageNode

    bodies: list[tuple[Where, str, dict[str, str]]] = []
    for node in menu.nodes.values():
        if isinstance(node, MessageNode) and node.text_me is not None:
            texts = {code: node.text_me.text_for(code, menu.default_language)
                     for code in menu.languages}
            if "*" not in node.text_me.body:
                missing = [c for c in menu.languages if c not in node.text_me.body]
                if missing:
                    problems.warning(node.text_me.where, f"{node.id!r} text_me has no text in "
                                     f"{', '.join(missing)}: those callers get the "
                                     f"{menu.default_language} text")
            bodies.append((node.text_me.where, f"{node.id!r} text_me", texts))
    if menu.receipts:
        bodies.append((menu.receipts_where or Where(menu.file, 1), "the receipt",
                       {code: menu.receipt(code) for code in menu.languages}))
    for where, what, texts in bodies:
        for code, text in texts.items():
            measured = segments(text)
            if measured.count <= 1:
                continue
            why = (f"UCS-2 because of {measured.first_ucs2!r}: 70 characters a segment"
                   if measured.encoding == "UCS-2" else "GSM-7: 160 characters a segment")
            problems.warning(where, f"{what} ({code}) is {measured.units} characters and takes "
                             f"{measured.count} SMS segments ({why}); each segment is paid: "
                             "shorten it")


def _queues(menu: Menu, prompts_dir: Path | None, problems: Problems) -> None:
    """Queue phrases in every language (else the first language's are said), the music."""
    from ivr.engine.messages import QUEUE_MESSAGE_NAMES

    queues = [node for node in menu.nodes.values() if node.kind == "queue"]
    if not queues:
        return
    first = next(iter(menu.languages))
    for code, language in menu.languages.items():
        missing = [n for n in QUEUE_MESSAGE_NAMES if n not in menu.messages.get(code, {})]
        if missing:
            problems.warning(language.where, f"language {code!r} has no built-in queue phrases: "
                             f"callers waiting in {queues[0].id!r} hear them in {first!r}; add "
                             f"messages: {{{code}: {{...}}}} with: {', '.join(missing)}")
    for node in queues:
        music = str(getattr(node, "music", ""))
        if music and prompts_dir is not None and not (prompts_dir / music).is_file():
            problems.warning(node.where, f"{node.id!r} music prompts/{music} is missing "
                             "(callers hear a pause instead)")


def _hours(menu: Menu, problems: Problems) -> None:
    """Schedules that are never open are usually a typo."""
    for schedule in menu.schedules.values():
        if not any(schedule.weekly.values()) and not schedule.special:
            problems.warning(Where(menu.file, 1), f"schedule {schedule.name!r} is never open")
        _ = Schedule  # schedules are validated by the loader; this lints only their content


def _lookups(menu: Menu, problems: Problems, policy: SourcePolicy | None) -> None:
    """Sources: what the operator refuses, CSV files and columns, fields no source gives."""
    import csv

    from ivr.lookup.policy import SourcePolicy
    from ivr.nodes.lookup import LookupNode

    nodes = [n for n in menu.nodes.values() if isinstance(n, LookupNode)]
    used = {n.source for n in nodes}
    rules = policy or (SourcePolicy.from_settings({}) if menu.sources or menu.actions
                       else SourcePolicy())
    for declared in menu.sources.values():
        if declared.name not in used:
            problems.warning(declared.where, f"source {declared.name!r} is not used by any lookup")
        for where, severity, message in rules.problems(declared):
            (problems.error if severity == "error" else problems.warning)(where, message)
    acting = {n.action for n in nodes if n.action}
    for action in menu.actions.values():
        if action.name not in acting:
            problems.warning(action.where, f"action {action.name!r} is not run by any lookup "
                             "node (action: <name>)")
        for where, severity, message in rules.problems(action):
            (problems.error if severity == "error" else problems.warning)(where, message)
    for node in nodes:
        if node.action and node.verify is None and node.identify == "keypad":
            problems.warning(node.where, f"{node.id!r} runs action {node.action!r} for whoever "
                             "keys a number: add verify (a PIN) so that only its holder can")
    for node in nodes:
        source = menu.sources.get(node.source)
        if source is None:
            continue
        columns: set[str] | None = None
        if source.kind == "http" and source.fields:
            columns = set(source.fields)
        elif source.kind == "csv":
            if not Path(menu.file).is_file():
                continue  # a menu not read from a file we can see (tests, display names)
            path = Path(menu.file).parent / source.file
            try:
                with path.open(newline="", encoding="utf-8-sig") as handle:
                    columns = set(next(csv.reader(handle), []))
            except OSError:
                problems.error(source.where, f"source {source.name!r}: file {source.file} not "
                               f"found next to {Path(menu.file).name}")
                continue
            if source.key not in columns:
                problems.error(source.where, f"source {source.name!r}: {source.file} has no "
                               f"column {source.key!r} (columns: {', '.join(sorted(columns))})")
        if columns is not None:
            for name, where in node.fields_used().items():
                if name not in columns:
                    problems.error(where, f"{node.id!r} uses {{{name}}} but source "
                                   f"{source.name!r} gives only {', '.join(sorted(columns))}")
        if node.identify == "caller_id" and node.verify and node.verify.by == "caller_id":
            problems.warning(node.where, f"{node.id!r} identifies the caller by caller ID "
                             "already; verify by caller_id adds nothing")


def check_paths(paths: list[Path], prompts_dir: Path | None,
                policy: SourcePolicy | None = None) -> tuple[list[Problem], int]:
    """Check files and folders of menus together; returns (problems, files checked)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml")))
        else:
            found.append(path)
    # A file named twice (a folder and one of its files) is checked once.
    files = list({p.resolve(): p for p in found}.values())
    problems: list[Problem] = []
    menus: list[Menu] = []
    for file in files:
        try:
            menu = load_menu(file)
        except MenuError as exc:
            problems.extend(exc.problems)
            continue
        menus.append(menu)
        problems.extend(lint(menu, prompts_dir, policy))
    problems.extend(_across(menus))
    return problems, len(files)


def _across(menus: list[Menu]) -> list[Problem]:
    """Problems between menus: a number claimed twice, ids reused, several defaults."""
    problems = Problems()
    numbers: dict[str, str] = {}
    ids: dict[str, str] = {}
    for menu in menus:
        where = Where(menu.file, 1)
        if menu.id in ids:
            problems.error(where, f"menu id {menu.id!r} is also used by {ids[menu.id]}")
        ids.setdefault(menu.id, menu.file)
        for number in menu.numbers:
            if number in numbers:
                problems.error(where, f"number {number} is also answered by {numbers[number]}")
            numbers.setdefault(number, menu.file)
    defaults = [m for m in menus if m.is_default]
    if len(defaults) > 1:
        for menu in defaults[1:]:
            problems.error(Where(menu.file, 1), f"more than one default menu "
                           f"({', '.join(m.id for m in defaults)})")
    return problems.sorted()
