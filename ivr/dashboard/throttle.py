"""How fast anyone may guess dashboard passwords: slowed down, never locked out.

Every attempt is counted before its password is checked (an atomic increment in the
`limits` storage), so parallel guesses are all counted. Three limits apply:

- per account (the user name typed): the first IVR_LOGIN_MAX_FAILURES attempts within
  IVR_LOGIN_WINDOW_SECONDS go straight through; after that each attempt must wait
  after the one before it, 1 s, 2 s, 4 s... up to IVR_LOGIN_MAX_DELAY_SECONDS. The
  real user is slowed down during an attack, not shut out. A browser that has logged
  in to that account before (a signed "known device" cookie) has its own count, so
  guesses from elsewhere do not slow it;
- per client address (IVR_LOGIN_ADDRESS_LIMIT, resolved through IVR_TRUSTED_PROXIES):
  guesses spread over many user names;
- for the whole service (IVR_LOGIN_GLOBAL_LIMIT): guesses spread over addresses too.

A successful login clears that account's count.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping
from typing import Any

from limits import RateLimitItem, parse_many
from limits.storage import Storage
from limits.strategies import FixedWindowRateLimiter

MAX_NAME = 64  # the users table's limit: longer names are refused before any database work


def _key(*parts: str) -> str:
    """A short storage key, whatever the user typed."""
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8", "replace")).hexdigest()[:40]
    return f"ivr-login/{parts[0]}/{digest}"


def _limits(settings: Mapping[str, Any], name: str) -> list[RateLimitItem]:
    """A setting in `limits` notation ("50/10 minutes"), or a ValueError that names it."""
    try:
        return parse_many(str(settings[name]))
    except ValueError as exc:
        raise ValueError(f"{name}={settings[name]!r} is not a limit such as '50/10 minutes': "
                         f"{exc}") from None


class LoginThrottle:
    """The dashboard's login limits on one `limits` storage."""

    def __init__(self, storage: Storage, settings: Mapping[str, Any],
                 clock: Callable[[], float]) -> None:
        self.storage = storage
        self.limiter = FixedWindowRateLimiter(storage)
        self.clock = clock
        self.free = max(1, int(settings["IVR_LOGIN_MAX_FAILURES"]))
        self.window = max(1, int(settings["IVR_LOGIN_WINDOW_SECONDS"]))
        self.max_delay = max(1, int(settings["IVR_LOGIN_MAX_DELAY_SECONDS"]))
        self.per_address = _limits(settings, "IVR_LOGIN_ADDRESS_LIMIT")
        self.overall = _limits(settings, "IVR_LOGIN_GLOBAL_LIMIT")

    def delay(self, attempt: int) -> int:
        """Seconds the ``attempt``-th try (counted past the free ones) waits after the last."""
        return min(self.max_delay, 1 << min(attempt - 1, 30))

    def admit(self, account: str, address: str, device: str = "") -> int:
        """Count an attempt; 0 to go ahead, else the seconds to wait before trying again."""
        for item, who in [*((i, "all") for i in self.overall),
                          *((i, address) for i in self.per_address)]:
            if not self.limiter.hit(item, "ivr-login", who):
                reset = self.limiter.get_window_stats(item, "ivr-login", who).reset_time
                return self._seconds(reset, item.get_expiry())
        tries = self.storage.incr(_key("tries", account, device), self.window)
        if tries <= self.free:
            return 0
        gate = _key("gate", account, device)
        # The first attempt after the gate reopens passes, and closes it for the next delay.
        if self.storage.incr(gate, self.delay(tries - self.free)) == 1:
            return 0
        return self._seconds(self.storage.get_expiry(gate), self.max_delay)

    def _seconds(self, reset: float, longest: int) -> int:
        """Whole seconds until ``reset``: at least 1, never more than the window itself."""
        return min(longest, max(1, math.ceil(reset - self.clock())))

    def succeeded(self, account: str, device: str = "") -> None:
        """Forget the count this login was made under (a known device's, or the account's)."""
        for part in ("tries", "gate"):
            self.storage.clear(_key(part, account, device))
