"""Turn a menu YAML file into a validated Menu, or a list of file:line problems."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ivr.engine.hours import Schedule, parse_days, parse_ranges
from ivr.engine.types import NODE_ID
from ivr.lookup.actions import parse_actions
from ivr.lookup.config import parse_sources
from ivr.menu.model import (
    SPECIAL_TARGETS,
    Defaults,
    Language,
    Menu,
    SpeechSettings,
)
from ivr.menu.parsing import KEYS, ParseContext
from ivr.menu.phrases import complete_messages, parse_messages
from ivr.menu.source import YAML11_BOOLEANS, Problem, Problems, Value, Where, compose
from ivr.nodes import COMMON_FIELDS, NODE_KINDS, Node

TOP_FIELDS = ("menu", "name", "numbers", "default", "languages", "start", "main", "defaults",
              "global_keys", "hours", "messages", "speech", "sources", "actions", "receipts", "nodes",
              "countries")
LANG_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
DEFAULT_LOCALES = {"en": "en-US", "fr": "fr-FR", "ro": "ro-RO", "de": "de-DE", "es": "es-ES",
                   "it": "it-IT", "pt": "pt-PT", "nl": "nl-NL", "pl": "pl-PL"}


class MenuError(Exception):
    """A menu file that cannot be loaded; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _version(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()[:10]


def load_menu(path: str | Path, display_name: str | None = None) -> Menu:
    """Load and validate one menu file; raises MenuError with every problem found."""
    path = Path(path)
    name = display_name or str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MenuError([Problem(Where(name, 1), f"cannot read the file: {exc.strerror}")]) from None
    return load_text(data, name, default_id=path.stem)


def load_text(data: bytes | str, file: str, default_id: str = "menu") -> Menu:
    """Load and validate menu YAML given as text; raises MenuError."""
    raw = data.encode() if isinstance(data, str) else data
    problems = Problems()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MenuError([Problem(Where(file, 1), f"the file is not UTF-8 text ({exc.reason})")]) from None
    root = compose(text, file, problems)
    if root is None:
        raise MenuError(problems.sorted())
    if not root.is_mapping:
        root.error("a menu file is a mapping with 'languages', 'start' and 'nodes'")
        raise MenuError(problems.sorted())
    menu = _build(root, text, raw, default_id, problems)
    if problems.errors or menu is None:
        raise MenuError(problems.sorted())
    return menu


def _build(root: Value, text: str, raw: bytes, default_id: str, problems: Problems) -> Menu | None:
    """Read every top-level section; problems accumulate rather than stopping early."""
    top = root.fields("the menu")
    ctx = ParseContext(problems)

    menu_id = default_id
    if (v := top.get("menu")) is not None:
        menu_id = v.text("a menu id") or default_id
    if not NODE_ID.match(menu_id):
        root.error(f"menu id {menu_id!r} must be letters, digits, _ or - (starting with a letter)")
    title = (v.text("a name") if (v := top.get("name")) else None) or menu_id

    numbers: list[str] = []
    if (v := top.get("numbers")) is not None:
        for item in v.items():
            number = item.text("a phone number")
            if number is not None and not E164.match(number):
                item.error(f"{number!r} is not an E.164 phone number like +15551234567")
            elif number is not None:
                numbers.append(number)
    is_default = bool(v.boolean("default")) if (v := top.get("default")) is not None else False
    countries_value = top.get("countries")
    countries = _countries(countries_value)

    languages = _languages(top.require("languages", "the languages callers can use"), problems)
    ctx.languages = list(languages)

    hours_value = top.get("hours")
    schedules = _schedules(hours_value, problems)
    # A schedule with mistakes is still a known name: its errors are reported once.
    ctx.schedule_names = set(schedules)
    if hours_value is not None and hours_value.is_mapping:
        ctx.schedule_names |= {str(k.value) for k, _ in hours_value.node.value}

    defaults = _defaults(top.get("defaults"), ctx)
    global_keys = _global_keys(top.get("global_keys"), ctx)
    messages = parse_messages(top.get("messages"), languages)
    speech = _speech(top.get("speech"), ctx)
    sources = parse_sources(top.get("sources"), problems, ctx.source_names)
    actions = parse_actions(top.get("actions"), problems, ctx.action_names)
    receipts_value = top.get("receipts")
    receipts = _receipts(receipts_value, ctx)

    nodes: dict[str, Node] = {}
    declared: set[str] = set()  # every node name written, even one that failed to parse
    nodes_value = top.require("nodes", "the menu's nodes, by name")
    if nodes_value is not None:
        for key, item in nodes_value.pairs():
            declared.add(str(key.node.value))
            node = _node(str(key.node.value), key, item, ctx)
            if node is not None:
                nodes[node.id] = node
        if nodes_value.is_mapping and not nodes_value.node.value:
            nodes_value.error("a menu needs at least one node")

    start_value = top.require("start", "the first node of a call")
    start = ctx.target(start_value) if start_value else ""
    main_value = top.get("main")
    main = (ctx.target(main_value) if main_value else "") or ("main" if "main" in nodes else start)
    top.done()
    if "main" in nodes and main != "main":
        problems.error(nodes["main"].where, "a node named 'main' must be the main menu ('main: "
                       f"main'); 'main' as a target always means the main menu, here {main!r}")

    for target, where in ctx.targets:
        if target in declared or target in SPECIAL_TARGETS:
            continue
        import difflib

        close = difflib.get_close_matches(target, list(nodes), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        problems.error(where, f"no node named {target!r}{hint}")
    for name, target in (("start", start), ("main", main)):
        if target in SPECIAL_TARGETS and target not in declared:
            problems.error(top.key_where(name), f"{name} must name a node, not {target!r}")

    notes = complete_messages(nodes, messages, languages)
    if problems.errors or not languages:
        return None
    return Menu(
        id=menu_id,
        name=title,
        file=root.file,
        version=_version(raw),
        numbers=tuple(numbers),
        is_default=is_default,
        languages=languages,
        start=start,
        main=main,
        defaults=defaults,
        global_keys=global_keys,
        schedules=schedules,
        messages=messages,
        nodes=nodes,
        speech=speech,
        source=text,
        sources=sources,
        actions=actions,
        receipts=receipts,
        receipts_where=receipts_value.where if receipts_value is not None else None,
        notes=(*notes, *(p for p in problems.items if p.severity == "warning")),
        countries=countries,
        countries_where=countries_value.where if countries_value is not None else None,
    )


def _speech(value: Value | None, ctx: ParseContext) -> SpeechSettings:
    """``speech: {jump: true, confirm_below: 0.4, person: {en: [librarian]}}``."""
    if value is None:
        return SpeechSettings()
    fields = value.fields("speech")
    out: dict[str, Any] = {}
    if (v := fields.get("jump")) is not None:
        out["jump"] = v.boolean("jump")
    if (v := fields.get("confirm_below")) is not None:
        out["confirm_below"] = v.number("confirm_below (a Twilio Confidence)", 0.0, 1.0)
    if (v := fields.get("person")) is not None:
        out["person"] = ctx.phrases(v)
    fields.done()
    return SpeechSettings(**{k: v for k, v in out.items() if v is not None})


def _languages(value: Value | None, problems: Problems) -> dict[str, Language]:
    """``languages: {en: {locale, voice, speech_model, name}}``."""
    from ivr import twilio_lang

    out: dict[str, Language] = {}
    if value is None:
        return out
    for key, item in value.pairs():
        code = str(key.node.value)
        if getattr(key.node, "style", None) is None and code.lower() in YAML11_BOOLEANS:
            key.error(f"unquoted key {code!r} is a boolean in YAML 1.1; write it in quotes: "
                      f'"{code}"')  # still declared, so later mentions are not errors too
        if not LANG_CODE.match(code):
            key.error(f"language code {code!r} should look like en, fr, ro or pt-BR")
            continue
        fields = item.fields(f"language {code!r}") if item.is_mapping else None
        if fields is None and not item.is_null:
            item.error(f"expected locale/voice settings for {code!r}")
            continue
        locale_value = fields.get("locale") if fields else None
        locale = locale_value.text("a locale like en-US") if locale_value else None
        locale = locale or DEFAULT_LOCALES.get(code)
        if not locale:
            (locale_value or key).error(f"language {code!r} needs a locale, like {code}-XX")
            continue
        voice_value = fields.get("voice") if fields else None
        voice = voice_value.text("a voice") if voice_value else None
        voice = voice or twilio_lang.suggest_voice(locale) or "woman"
        model_value = fields.get("speech_model") if fields else None
        model = model_value.text("a speech model") if model_value else None
        if not model:
            try:
                model = twilio_lang.speech_model_for(locale)
            except ValueError:  # Twilio cannot recognise it; `ivr check` says so
                model = "default"
        name_value = fields.get("name") if fields else None
        name = (name_value.text("a name") if name_value else None) or code
        if fields:
            fields.done()
        out[code] = Language(code, locale, voice, model, name, key.where)
    if not out and not problems.errors:
        value.error("declare at least one language, e.g. en: {locale: en-US}")
    return out


def _schedules(value: Value | None, problems: Problems) -> dict[str, Schedule]:
    """``hours: {name: {timezone, weekly, closed, special}}``."""
    out: dict[str, Schedule] = {}
    if value is None:
        return out
    for key, item in value.pairs():
        name = str(key.node.value)
        fields = item.fields(f"schedule {name!r}")
        tz_value = fields.require("timezone", "an IANA timezone like Europe/Bucharest")
        timezone = tz_value.text("a timezone") if tz_value else None
        if tz_value and timezone:
            try:
                ZoneInfo(timezone)
            except (ZoneInfoNotFoundError, ValueError):
                tz_value.error(f"unknown timezone {timezone!r} (use an IANA name like "
                               "Europe/Paris or America/New_York)")
                timezone = None
        weekly: dict[int, tuple[tuple[int, int], ...]] = {}
        if (w := fields.require("weekly", "opening hours per day, like mon-fri: 09:00-17:00")):
            for day_key, hours in w.pairs():
                days, error = parse_days(str(day_key.node.value))
                if error:
                    day_key.error(error)
                ranges, error = parse_ranges(hours.text("hours like 09:00-17:00") or "closed")
                if error:
                    hours.error(error)
                for day in days:
                    if day in weekly:
                        day_key.error(f"{str(day_key.node.value)!r} sets a day that is already set")
                    weekly[day] = ranges
        closed: set[date] = set()
        if (c := fields.get("closed")) is not None:
            for item_date in c.items():
                parsed = _date(item_date)
                if parsed:
                    closed.add(parsed)
        special: dict[date, tuple[tuple[int, int], ...]] = {}
        if (s := fields.get("special")) is not None:
            for day_key, hours in s.pairs():
                parsed = _date(day_key)
                ranges, error = parse_ranges(hours.text("hours like 09:00-12:00") or "closed")
                if error:
                    hours.error(error)
                if parsed:
                    special[parsed] = ranges
        fields.done()
        if timezone:
            out[name] = Schedule(name, timezone, weekly, frozenset(closed), special)
    return out


def _date(value: Value) -> date | None:
    """A date written as YYYY-MM-DD."""
    text = value.text("a date like 2026-12-25")
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        value.error(f"expected a date like 2026-12-25, found {text!r}")
        return None


def _defaults(value: Value | None, ctx: ParseContext) -> Defaults:
    """``defaults: {timeout, tries, fallback, max_call}``."""
    if value is None:
        return Defaults()
    fields = value.fields("defaults")
    out: dict[str, Any] = {}
    if (v := fields.get("timeout")) is not None:
        out["timeout"] = v.integer("timeout (seconds)", 1, 60)
    if (v := fields.get("tries")) is not None:
        out["tries"] = v.integer("tries", 1, 10)
    if (v := fields.get("fallback")) is not None:
        out["fallback"] = ctx.target(v)
    if (v := fields.get("max_call")) is not None:
        out["max_call"] = v.integer("max_call (seconds)", 30, 14400)
    fields.done()
    return Defaults(**{k: v for k, v in out.items() if v is not None})


def _global_keys(value: Value | None, ctx: ParseContext) -> dict[str, str]:
    """``global_keys: {"*": repeat, "#": back, "9": main, "0": agent}``."""
    out: dict[str, str] = {}
    if value is None:
        return out
    for key, item in value.pairs():
        name = str(key.node.value)
        if name not in KEYS:
            key.error(f"a global key is one of 0-9, * or # (in quotes), found {name!r}")
            continue
        out[name] = ctx.target(item)
    return out


def _countries(value: Value | None) -> frozenset[str]:
    """``countries: [FR, BE]``: where this menu's callbacks and texts may go (narrowing the
    operator's IVR_SMS_COUNTRIES, never widening it)."""
    if value is None:
        return frozenset()
    import phonenumbers

    found: set[str] = set()
    for item in value.items():
        code = (item.text("a two-letter country code") or "").strip().upper()
        if code not in phonenumbers.SUPPORTED_REGIONS:
            item.error(f"a country is a two-letter code such as FR or US, found {code!r}")
        else:
            found.add(code)
    if not found and not value.items():
        value.error("countries lists at least one country (leave it out to allow the "
                    "operator's IVR_SMS_COUNTRIES)")
    return frozenset(found)


def _receipts(value: Value | None, ctx: ParseContext) -> dict[str, str]:
    """``receipts``: the text a caller gets after leaving a message, per language (opt-in)."""
    if value is None:
        return {}
    if not value.is_mapping:
        text = value.text("the text of a receipt")
        return {"*": text.strip()} if text and text.strip() else {}
    out: dict[str, str] = {}
    for key, item in value.pairs():
        lang = str(key.node.value)
        if lang not in ctx.languages:
            key.error(f"language {lang!r} is not declared under 'languages'")
            continue
        text = item.text("the text of a receipt")
        if text and text.strip():
            out[lang] = text.strip()
        elif text is not None:
            item.error("a receipt needs some words")
    return out


def _node(node_id: str, key: Value, item: Value, ctx: ParseContext) -> Node | None:
    """One entry under ``nodes``: its kind decides which fields it takes."""
    if not NODE_ID.match(node_id) or node_id in ("repeat", "back"):
        key.error(f"node name {node_id!r} must be letters, digits, _ or - (starting with a "
                  f"letter) and not 'repeat' or 'back'")
        return None
    if not item.is_mapping:
        item.error(f"node {node_id!r} must be a mapping with a 'type'")
        return None
    fields = item.fields(f"node {node_id!r}")
    type_value = fields.require("type", "one of " + ", ".join(NODE_KINDS))
    kind_name = type_value.text("a node type") if type_value else None
    kind = NODE_KINDS.get(kind_name or "")
    if type_value is not None and kind_name is not None and kind is None:
        import difflib

        close = difflib.get_close_matches(kind_name, list(NODE_KINDS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        type_value.error(f"unknown node type {kind_name!r}{hint} (expected one of: "
                         f"{', '.join(NODE_KINDS)})")
    common: dict[str, Any] = {"id": node_id, "where": key.where}
    say_errors = 0
    if (v := fields.get("say")) is not None:
        before = len(ctx.problems.errors)
        common["say"] = ctx.prompt(v)
        say_errors = len(ctx.problems.errors) - before
    if (v := fields.get("timeout")) is not None:
        common["timeout"] = v.integer("timeout (seconds)", 1, 60)
    if (v := fields.get("tries")) is not None:
        common["tries"] = v.integer("tries", 1, 10)
    if (v := fields.get("fallback")) is not None:
        common["fallback"] = ctx.target(v)
    if (v := fields.get("description")) is not None:
        common["description"] = v.text("a description") or ""
    if (v := fields.get("phrases")) is not None:
        common["phrases"] = ctx.phrases(v)
    if (v := fields.get("label")) is not None:
        common["label"] = ctx.labels(v)
    fields.taken.update(COMMON_FIELDS)
    if kind is None:
        return None
    own = kind.parse_fields(fields, ctx)
    fields.done()
    if kind.kind in ("menu", "message", "language", "question") and common.get("say") is None \
            and not say_errors:  # a written but broken prompt is reported once, where it is
        empty = "say" in fields.entries
        ctx.problems.error(fields.key_where("say"), f"a {kind.kind} node needs "
                           + ("a non-empty 'say'" if empty else "'say'") + " (what the caller hears)")
    return kind(**{k: v for k, v in common.items() if v is not None}, **own)
