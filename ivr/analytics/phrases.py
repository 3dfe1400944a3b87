"""Add a phrase to a node of a menu file's text, touching nothing else.

The YAML is composed (not loaded) to find where the node's ``phrases`` are written,
and the phrase is inserted there as text, in the style already used (a flow list
``[a, b]`` or a block list ``- a``): comments, layout and every other line stay as
they are, so the draft's diff shows one added phrase.
"""

from __future__ import annotations

import json
import re

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_PLAIN = re.compile(r"^[^\W\d_][\w' .-]*(?<![ .])$")  # needs no quotes, even inside [ ]
MAX_PHRASE = 100  # characters (the loader's own limit per phrase)


class PhraseError(ValueError):
    """The phrase cannot be placed automatically (the editor can still do it)."""


# Plain words YAML reads as something other than text (1.1 booleans, null): quoted.
_NOT_TEXT = frozenset({"y", "yes", "n", "no", "true", "false", "on", "off", "null"})


def scalar(text: str) -> str:
    """``text`` as a YAML scalar that is safe inside a flow list (and read as text)."""
    if _PLAIN.match(text) and ": " not in text and text.lower() not in _NOT_TEXT:
        return text
    return json.dumps(text, ensure_ascii=False)


def _get(mapping: MappingNode, key: str) -> tuple[ScalarNode, Node] | None:
    for key_node, value in mapping.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            return key_node, value
    return None


def _last_scalar(node: Node) -> Node:
    """The last leaf written inside ``node`` (where a block collection's text really ends)."""
    while isinstance(node, MappingNode | SequenceNode) and node.value and not node.flow_style:
        last = node.value[-1]
        node = last[1] if isinstance(last, tuple) else last
    return node


def _line_end(text: str, index: int) -> int:
    end = text.find("\n", index)
    return len(text) if end < 0 else end


def _end_of(text: str, node: Node) -> int:
    """The end of the line where ``node``'s text really ends: a block scalar (``>-``, ``|``)
    ends after its line break and any blank lines, which belong to whatever follows."""
    index = node.end_mark.index
    while index > node.start_mark.index and text[index - 1] in " \t\r\n":
        index -= 1
    return _line_end(text, index)


def _insert(text: str, index: int, piece: str) -> str:
    return text[:index] + piece + text[index:]


def _append_to_flow(text: str, node: MappingNode | SequenceNode, piece: str) -> str:
    """Insert ``piece`` as the last entry of a flow collection (before its closing bracket)."""
    close = node.end_mark.index - 1
    if text[close] not in "]}":
        raise PhraseError("the list does not end where expected")
    before = close
    while before > node.start_mark.index + 1 and text[before - 1] in " \t\r\n":
        before -= 1
    separator = ", " if node.value else ""
    return _insert(text, before, separator + piece)


def _append_key(text: str, mapping: MappingNode, line: str) -> str:
    """Add ``key: value`` as the last entry of a block mapping, at its keys' indentation."""
    if mapping.flow_style:
        return _append_to_flow(text, mapping, line)
    indent = mapping.value[0][0].start_mark.column if mapping.value else 0
    end = _end_of(text, _last_scalar(mapping))
    return _insert(text, end, "\n" + " " * indent + line)


def add_phrase(text: str, node_id: str, lang: str, phrase: str) -> str:
    """``text`` with ``phrase`` added to the ``lang`` phrases of node ``node_id``."""
    phrase = " ".join(phrase.split())
    if not phrase or len(phrase) > MAX_PHRASE:
        raise PhraseError(f"a phrase has 1 to {MAX_PHRASE} characters")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise PhraseError(f"the menu text is not valid YAML: {exc}") from None
    nodes = _get(root, "nodes") if isinstance(root, MappingNode) else None
    if nodes is None or not isinstance(nodes[1], MappingNode):
        raise PhraseError("the menu has no nodes mapping")
    found = _get(nodes[1], node_id)
    if found is None or not isinstance(found[1], MappingNode):
        raise PhraseError(f"the menu has no node {node_id!r}")
    node = found[1]
    entry = scalar(phrase)
    phrases = _get(node, "phrases")
    if phrases is None:
        return _append_key(text, node, f"phrases: {{{lang}: [{entry}]}}")
    value = phrases[1]
    if isinstance(value, SequenceNode):  # a bare list: the same phrases in every language
        target: Node = value
    elif isinstance(value, MappingNode):
        in_lang = _get(value, lang)
        if in_lang is None:
            return _append_key(text, value, f"{lang}: [{entry}]")
        target = in_lang[1]
    else:
        raise PhraseError("the node's phrases are neither a list nor a mapping")
    if isinstance(target, ScalarNode) and target.value == "":  # `en:` with nothing yet
        end = target.end_mark.index
        return _insert(text, end, f" [{entry}]")
    if not isinstance(target, SequenceNode):
        raise PhraseError(f"the {lang} phrases are not a list")
    if target.flow_style:
        return _append_to_flow(text, target, entry)
    last = target.value[-1]
    line_start = text.rfind("\n", 0, last.start_mark.index) + 1
    dash = re.match(r"\s*-\s*", text[line_start:])
    indent = text[line_start:line_start + len(dash.group(0))] if dash else "- "
    end = _end_of(text, _last_scalar(last))
    return _insert(text, end, "\n" + indent + entry)
