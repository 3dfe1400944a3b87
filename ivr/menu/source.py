"""Reading YAML with line numbers: every value remembers where it was written.

PyYAML's composer gives nodes with marks; we walk them ourselves instead of using
the constructor, so duplicate keys, YAML 1.1 boolean traps and unknown keys can all
be reported together with ``file:line`` instead of being silently resolved.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

# Plain scalars YAML 1.1 readers turn into booleans: a phrase "no" or a language
# code "no" (Norwegian) silently becomes False in most other tools.
YAML11_BOOLEANS = {"yes", "no", "on", "off", "y", "n", "true", "false"}


@dataclass(frozen=True, order=True)
class Where:
    """A place in a menu file."""

    file: str
    line: int
    column: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One finding about a menu file: an error stops it from loading, a warning does not."""

    where: Where
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.where}: {self.severity}: {self.message}"


@dataclass
class Problems:
    """Collects problems so that a file reports all of them at once."""

    items: list[Problem] = field(default_factory=list)

    def error(self, where: Where, message: str) -> None:
        """Record an error at ``where``."""
        self.items.append(Problem(where, message, "error"))

    def warning(self, where: Where, message: str) -> None:
        """Record a warning at ``where``."""
        self.items.append(Problem(where, message, "warning"))

    @property
    def errors(self) -> list[Problem]:
        """The problems that stop a menu from loading."""
        return [p for p in self.items if p.severity == "error"]

    def sorted(self) -> list[Problem]:
        """All problems in file order."""
        return sorted(self.items, key=lambda p: (p.where, p.message))


class Value:
    """A YAML node with its position; conversions report problems instead of raising."""

    def __init__(self, node: yaml.Node, file: str, problems: Problems) -> None:
        self.node = node
        self.file = file
        self.problems = problems

    @property
    def where(self) -> Where:
        """Where this value starts in its file."""
        mark = self.node.start_mark
        return Where(self.file, mark.line + 1, mark.column + 1)

    def error(self, message: str) -> None:
        """Record an error at this value."""
        self.problems.error(self.where, message)

    def _child(self, node: yaml.Node) -> Value:
        return Value(node, self.file, self.problems)

    @property
    def is_mapping(self) -> bool:
        """True for a YAML mapping."""
        return isinstance(self.node, yaml.MappingNode)

    @property
    def is_sequence(self) -> bool:
        """True for a YAML list."""
        return isinstance(self.node, yaml.SequenceNode)

    @property
    def is_scalar(self) -> bool:
        """True for a single value."""
        return isinstance(self.node, yaml.ScalarNode)

    @property
    def is_null(self) -> bool:
        """True for an empty value or ``null``/``~``."""
        return (
            self.is_scalar
            and getattr(self.node, 'style', None) is None
            and self.node.value in ("", "~", "null", "Null", "NULL")
        )

    def _kind(self) -> str:
        if self.is_mapping:
            return "a mapping"
        if self.is_sequence:
            return "a list"
        return f"{self.node.value!r}"

    def text(self, what: str = "text", *, allow_empty: bool = False) -> str | None:
        """This value as a string, or None after reporting why it is not one."""
        if not self.is_scalar:
            self.error(f"expected {what}, found {self._kind()}")
            return None
        raw = str(self.node.value)
        if getattr(self.node, 'style', None) is None and raw.lower() in YAML11_BOOLEANS:
            self.error(
                f"unquoted {raw!r} is a boolean in YAML 1.1 (other tools read it as "
                f'true/false); write it in quotes: "{raw}"'
            )
            return None
        if self.is_null and not allow_empty:
            self.error(f"expected {what}, found nothing")
            return None
        return raw

    def integer(self, what: str, low: int, high: int) -> int | None:
        """This value as a whole number in [low, high]."""
        raw = self.text(what)
        if raw is None:
            return None
        try:
            number = int(raw)
        except ValueError:
            self.error(f"expected {what} as a whole number, found {raw!r}")
            return None
        if not low <= number <= high:
            self.error(f"{what} must be between {low} and {high}, found {number}")
            return None
        return number

    def number(self, what: str, low: float, high: float) -> float | None:
        """This value as a number in [low, high]."""
        raw = self.text(what)
        if raw is None:
            return None
        try:
            number = float(raw)
        except ValueError:
            self.error(f"expected {what} as a number, found {raw!r}")
            return None
        if not low <= number <= high:
            self.error(f"{what} must be between {low} and {high}, found {raw}")
            return None
        return number

    def boolean(self, what: str) -> bool | None:
        """This value as true/false; yes/no/on/off are refused as ambiguous."""
        if not self.is_scalar:
            self.error(f"expected true or false for {what}, found {self._kind()}")
            return None
        raw = str(self.node.value).lower()
        if raw in ("true", "false"):
            return raw == "true"
        self.error(f"expected true or false for {what}, found {self.node.value!r}")
        return None

    def items(self) -> list[Value]:
        """The entries of a list (a single value counts as a list of one)."""
        if self.is_sequence:
            return [self._child(n) for n in self.node.value]
        if self.is_null:
            return []
        return [self]

    def text_list(self, what: str) -> list[str]:
        """A list of strings (a single string is a list of one)."""
        out = []
        for item in self.items():
            value = item.text(what)
            if value is not None:
                out.append(value)
        return out

    def pairs(self) -> Iterator[tuple[Value, Value]]:
        """Key/value pairs of a mapping, reporting duplicate keys."""
        if not self.is_mapping:
            if not self.is_null:
                self.error(f"expected a mapping (key: value lines), found {self._kind()}")
            return
        seen: dict[str, yaml.Node] = {}  # positions are worked out only for a duplicate
        for key_node, value_node in self.node.value:
            key = self._child(key_node)
            if not key.is_scalar:
                key.error("a key must be a plain name")
                continue
            name = str(key_node.value)
            if name in seen:
                first = seen[name].start_mark.line + 1
                key.error(f"duplicate key {name!r} (first written at line {first})")
                continue
            seen[name] = key_node
            yield key, self._child(value_node)

    def fields(self, context: str) -> Fields:
        """This mapping's keys as a checklist of expected fields."""
        return Fields(self, context)


class Fields:
    """The keys of one mapping; ``done()`` reports the keys nobody asked for."""

    def __init__(self, value: Value, context: str) -> None:
        self.value = value
        self.context = context
        self.entries: dict[str, tuple[Value, Value]] = {}
        for key, item in value.pairs():
            name = str(key.node.value)
            if getattr(key.node, 'style', None) is None and name.lower() in YAML11_BOOLEANS:
                key.error(
                    f"unquoted key {name!r} is a boolean in YAML 1.1; write it in quotes: "
                    f'"{name}"'
                )
            self.entries[name] = (key, item)
        self.taken: set[str] = set()

    def get(self, name: str) -> Value | None:
        """The value under ``name``, if written (null counts as absent)."""
        self.taken.add(name)
        entry = self.entries.get(name)
        if entry is None or entry[1].is_null:
            return None
        return entry[1]

    def require(self, name: str, what: str) -> Value | None:
        """The value under ``name``, reporting its absence."""
        value = self.get(name)
        if value is None:
            self.value.error(f"{self.context} needs {name!r} ({what})")
        return value

    def key_where(self, name: str) -> Where:
        """Where the key ``name`` was written (or the mapping, if it was not)."""
        entry = self.entries.get(name)
        return entry[0].where if entry else self.value.where

    def done(self) -> None:
        """Report unknown keys, suggesting the closest expected one."""
        for name, (key, _) in self.entries.items():
            if name in self.taken:
                continue
            expected = sorted(self.taken)
            close = difflib.get_close_matches(name, expected, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            key.error(
                f"unknown key {name!r} in {self.context}{hint} "
                f"(expected one of: {', '.join(expected)})"
            )


# libyaml's parser, when PyYAML was built with it: several times faster on big menus.
_FAST_LOADER = getattr(yaml, "CSafeLoader", None)


# A menu nests a handful of levels and needs few aliases, if any. Past these limits a
# text is refused before its node tree is built: 5,000 nested "[" would exhaust the
# Python composer's recursion, and a few hundred bytes of aliases naming aliases would make
# anything that walks the tree visit billions of values (a "billion laughs").
MAX_DEPTH = 64  # nested lists and mappings
MAX_ALIASES = 100  # *alias uses in one file
MAX_ALIASED_VALUES = 10_000  # values all aliases together repeat (each counted expanded)



def compose_nodes(text: str) -> yaml.Node | None:
    """The YAML node tree of ``text``, as PyYAML's pure-Python SafeLoader composes it.

    libyaml composes the same tree (same values, tags and positions) except that a
    plain scalar's style is "" instead of None, which is normalised here. A text
    libyaml refuses is composed again by the Python loader, so that syntax errors
    keep PyYAML's wording and position. Nesting deeper than MAX_DEPTH is refused
    (a ComposerError at its line) by either path before anything recurses that deep.
    """
    if _FAST_LOADER is not None:
        try:
            node = yaml.compose(text, Loader=_FAST_LOADER)
        except yaml.MarkedYAMLError as exc:
            if "nesting depth" in str(exc.problem):  # libyaml's own limit (1,000 levels)
                raise _too_deep(exc.problem_mark) from None
        except yaml.YAMLError:
            pass
        else:
            _plain_style_none(node)
            return node
    return yaml.compose(text, Loader=_BoundedLoader)


def _too_deep(mark: yaml.Mark | None) -> yaml.composer.ComposerError:
    return yaml.composer.ComposerError(
        None, None, f"lists and mappings nest deeper than {MAX_DEPTH} levels here; "
        "a menu needs far fewer", mark)


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader, refusing to compose deeper than MAX_DEPTH (it recurses per level)."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        """Compose one node, counting the levels."""
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _too_deep(self.peek_event().start_mark)  # type: ignore[no-untyped-call]
            node: yaml.Node | None = super().compose_node(parent, index)
            return node
        finally:
            self._depth -= 1


def _plain_style_none(root: yaml.Node | None) -> None:
    """Give plain scalars the style None, as the pure-Python composer does; check the depth."""
    stack = [(root, 1)] if root is not None else []
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _too_deep(node.start_mark)
        if isinstance(node, yaml.ScalarNode):
            if node.style == "":
                node.style = None
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.append((key, depth + 1))
                stack.append((value, depth + 1))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, depth + 1) for item in node.value)


def _event_where(event: yaml.Event, file: str) -> Where:
    mark = event.start_mark
    return Where(file, mark.line + 1, mark.column + 1) if mark else Where(file, 1)


def check_shape(text: str, file: str, problems: Problems) -> bool:
    """Refuse nesting deeper than MAX_DEPTH and aliases beyond their budget, at their line.

    Reads the parser's events only (no tree is built, nothing is expanded): each
    anchor's size counts the values it holds, its own aliases expanded, so an alias
    costs what the tree walk would pay for it. Syntax errors are left to the composer.
    """
    try:
        return _scan(text, _FAST_LOADER or yaml.SafeLoader, file, problems)
    except yaml.YAMLError:
        return True  # a syntax error: the composer reports it, aliases unexpanded


def _scan(text: str, loader: Any, file: str, problems: Problems) -> bool:
    """check_shape with one parser; raises YAMLError on a syntax error."""
    sizes: dict[str, int] = {}  # anchor -> values it stands for, expanded
    open_anchors: list[str | None] = []  # the collections being read, innermost last
    counts: list[int] = []  # values inside each of them so far
    aliases = repeated = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.CollectionStartEvent):
            if len(counts) >= MAX_DEPTH:
                problems.error(_event_where(event, file), f"lists and mappings nest deeper "
                               f"than {MAX_DEPTH} levels here; a menu needs far fewer")
                return False
            open_anchors.append(event.anchor)
            counts.append(1)
            continue
        if isinstance(event, yaml.CollectionEndEvent):
            anchor, size = open_anchors.pop(), counts.pop()
            if anchor is not None:
                sizes[anchor] = size
            if counts:
                counts[-1] += size
            continue
        if isinstance(event, yaml.AliasEvent):
            aliases += 1
            if event.anchor in open_anchors:
                problems.error(_event_where(event, file), f"alias *{event.anchor} is "
                               f"inside its own anchor &{event.anchor}: it never ends")
                return False
            size = sizes.get(event.anchor or "", 1)
            repeated += size
            if aliases > MAX_ALIASES or repeated > MAX_ALIASED_VALUES:
                problems.error(_event_where(event, file), f"too many aliases: more than "
                               f"{MAX_ALIASES} uses, or more than {MAX_ALIASED_VALUES:,} "
                               "values repeated by them; write the values out instead")
                return False
            if counts:
                counts[-1] += size
            continue
        if isinstance(event, yaml.ScalarEvent):
            if event.anchor is not None:
                sizes[event.anchor] = 1
            if counts:
                counts[-1] += 1
    return True


# Where an anchor (&name) may start: only a text with one can hold aliases worth counting.
_ANCHOR = re.compile(r"(?:^|[\s\[\{,])&[^\s\[\]\{\},]", re.MULTILINE)


def compose(text: str, file: str, problems: Problems) -> Value | None:
    """Parse YAML text into a positioned value, reporting syntax errors with their line."""
    if _ANCHOR.search(text) and not check_shape(text, file, problems):
        return None
    try:
        node = compose_nodes(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        column = mark.column + 1 if mark else 1
        problems.error(Where(file, line, column), f"YAML syntax: {exc.problem or exc}")
        return None
    except yaml.YAMLError as exc:  # pragma: no cover - errors without a mark are rare
        problems.error(Where(file, 1), f"YAML syntax: {exc}")
        return None
    if node is None:
        problems.error(Where(file, 1), "the file is empty")
        return None
    return Value(node, file, problems)
