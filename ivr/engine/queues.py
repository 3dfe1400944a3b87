"""What the engine may ask about queues (the adapter answers from the agents' states).

Pure: a Protocol the web adapter implements with the database; the engine and the
queue node only call it. Without one (tests of the engine alone, the terminal),
every queue is taken as staffed and empty.
"""

from __future__ import annotations

from typing import Protocol


class Queues(Protocol):
    """Agents' availability and queue sizes, as the adapter knows them."""

    def agents_available(self, menu: str, node: str, agents: tuple[str, ...]) -> int:
        """How many of ``agents`` (a queue node's numbers) are available now."""
        ...

    def waiting(self, queue: str) -> int:
        """How many callers wait in ``queue`` now."""
        ...
