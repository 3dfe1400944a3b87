"""Node kinds: one module each. Adding a kind means adding a module and a line here."""

from __future__ import annotations

from ivr.nodes.base import COMMON_FIELDS, Node
from ivr.nodes.callback import CallbackNode
from ivr.nodes.hangup import HangupNode
from ivr.nodes.hours import HoursNode
from ivr.nodes.language import LanguageNode
from ivr.nodes.lookup import LookupNode
from ivr.nodes.menu import MenuNode
from ivr.nodes.message import MessageNode
from ivr.nodes.question import QuestionNode
from ivr.nodes.queue import QueueNode
from ivr.nodes.search import SearchNode
from ivr.nodes.transfer import TransferNode
from ivr.nodes.voicemail import VoicemailNode

NODE_KINDS: dict[str, type[Node]] = {
    kind.kind: kind
    for kind in (MenuNode, MessageNode, TransferNode, HoursNode, LanguageNode, HangupNode,
                 QuestionNode, LookupNode, VoicemailNode, SearchNode, CallbackNode, QueueNode)
}

__all__ = ["COMMON_FIELDS", "NODE_KINDS", "Node"]
