"""A circuit breaker per source, per worker: stop hammering a source that is down."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass


@dataclass
class _Circuit:
    failures: int = 0
    open_until: float = 0.0


class CircuitBreaker:
    """After ``failures`` consecutive failures a source is skipped for ``cooldown`` seconds.

    When the cool-down ends one request is let through as a trial: a success closes
    the circuit, a failure opens it for another cool-down. "Not found" is a success:
    the source answered.
    """

    def __init__(self, failures: int = 3, cooldown: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.failures = max(1, failures)
        self.cooldown = cooldown
        self.clock = clock
        self._circuits: dict[Hashable, _Circuit] = {}
        self._lock = threading.Lock()

    def allow(self, key: Hashable) -> bool:
        """Whether to try the source now (an open circuit lets one trial through after its cool-down)."""
        with self._lock:
            circuit = self._circuits.get(key)
            if circuit is None or circuit.failures < self.failures:
                return True
            now = self.clock()
            if now < circuit.open_until:
                return False
            circuit.open_until = now + self.cooldown  # one trial; others keep skipping
            return True

    def record(self, key: Hashable, ok: bool) -> None:
        """The outcome of a request to the source."""
        with self._lock:
            circuit = self._circuits.setdefault(key, _Circuit())
            if ok:
                circuit.failures, circuit.open_until = 0, 0.0
                return
            circuit.failures += 1
            if circuit.failures >= self.failures:
                circuit.open_until = self.clock() + self.cooldown

    def is_open(self, key: Hashable) -> bool:
        """Whether requests to the source are being skipped right now."""
        with self._lock:
            circuit = self._circuits.get(key)
            return bool(circuit and circuit.failures >= self.failures
                        and self.clock() < circuit.open_until)
