"""Gateway throttling per administration: calls per minute, per hour, at once.

Like Azure API Management's rate limits, the windows slide: a call is
refused while the window already holds the allowed number of calls, and
``Retry-After`` says when the oldest of them leaves it. The clock and the
window lengths are injectable, so tests need not wait a real minute.
Refused calls do not count.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Limits", "Throttle"]


@dataclass(frozen=True)
class Limits:
    """Allowed calls per window and concurrent calls (None: unlimited)."""

    per_minute: int | None
    per_hour: int | None
    concurrent: int | None
    minute_seconds: float = 60.0
    hour_seconds: float = 3600.0


@dataclass
class _Usage:
    minute: deque[float] = field(default_factory=deque)
    hour: deque[float] = field(default_factory=deque)
    in_flight: int = 0


class Throttle:
    """Counts calls per administration and refuses those over the limits."""

    def __init__(
        self, limits: Limits, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits
        self.clock = clock
        self._usage: dict[str, _Usage] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str) -> int | None:
        """Start a call for an administration.

        Returns:
            None when the call may go ahead (release it with `release`), or
            the seconds to wait (``Retry-After``) when it is refused.
        """
        with self._lock:
            now = self.clock()
            usage = self._usage.setdefault(key, _Usage())
            wait = self._wait(usage, now)
            if wait is not None:
                return wait
            usage.minute.append(now)
            usage.hour.append(now)
            usage.in_flight += 1
            return None

    def release(self, key: str) -> None:
        """End a call started with `acquire`."""
        with self._lock:
            usage = self._usage.get(key)
            if usage is not None and usage.in_flight > 0:
                usage.in_flight -= 1

    def reset(self) -> None:
        """Forget all counted calls."""
        with self._lock:
            self._usage.clear()

    def _wait(self, usage: _Usage, now: float) -> int | None:
        limits = self.limits
        waits = [
            _window_wait(usage.minute, now, limits.minute_seconds, limits.per_minute),
            _window_wait(usage.hour, now, limits.hour_seconds, limits.per_hour),
        ]
        if limits.concurrent is not None and usage.in_flight >= limits.concurrent:
            waits.append(1)
        found = [w for w in waits if w is not None]
        return max(found) if found else None


def _window_wait(
    calls: deque[float], now: float, window: float, limit: int | None
) -> int | None:
    while calls and calls[0] <= now - window:
        calls.popleft()
    if limit is None or len(calls) < limit:
        return None
    return max(1, math.ceil(calls[0] + window - now))
