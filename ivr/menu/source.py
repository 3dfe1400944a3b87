"""Reading YAML with line numbers: every value remembers where it was written.

PyYAML's composer gives nodes with marks; we walk them ourselves instead of using
the constructor, so duplicate keys, YAML 1.1 boolean traps and unknown keys can all
be reported together with ``file:line`` instead of being silently resolved.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass, field

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


def compose_nodes(text: str) -> yaml.Node | None:
    """The YAML node tree of ``text``, as PyYAML's pure-Python SafeLoader composes it.

    libyaml composes the same tree (same values, tags and positions) except that a
    plain scalar's style is "" instead of None, which is normalised here. A text
    libyaml refuses is composed again by the Python loader, so that syntax errors
    keep PyYAML's wording and position.
    """
    if _FAST_LOADER is not None:
        try:
            node = yaml.compose(text, Loader=_FAST_LOADER)
        except yaml.YAMLError:
            pass
        else:
            _plain_style_none(node)
            return node
    return yaml.compose(text, Loader=yaml.SafeLoader)


def _plain_style_none(root: yaml.Node | None) -> None:
    """Give plain scalars the style None, as the pure-Python composer does."""
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            if node.style == "":
                node.style = None
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.append(key)
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def compose(text: str, file: str, problems: Problems) -> Value | None:
    """Parse YAML text into a positioned value, reporting syntax errors with their line."""
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
