"""Fault switches of the SnelStart sandbox, deterministic when seeded.

Every API call draws the same four numbers from one seeded generator, in a
fixed order, whether or not a switch is on, so a given sequence of calls
meets the same faults on every run. Besides the rates there are counters
(``*_next``) that hit the next N eligible calls exactly, for tests that must
not depend on chance.

Create-then-drop is the dangerous one: the POST is stored, then the caller
gets a 502 (``drop_mode="502"``) or an answer only after ``drop_seconds``
(``drop_mode="timeout"``, longer than the client waits). A client that simply
retries books twice.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

from koppel.exceptions import ConfigError

__all__ = ["Decision", "FaultInjector", "FaultOptions"]

DropMode = Literal["502", "timeout"]


@dataclass
class FaultOptions:
    """Which faults to inject, how often and how.

    Attributes:
        seed: seed of the generator behind the rates (None: not repeatable).
        error_rate: share of calls answered with a random 5xx.
        error_statuses: the statuses ``error_rate`` picks from.
        throttle_rate: share of calls answered 429 regardless of the limits.
        slow_rate: share of calls delayed by ``slow_seconds``.
        slow_seconds: delay of a slow call.
        drop_rate: share of POSTs stored and then dropped.
        drop_mode: answer a dropped POST with ``502`` or after a ``timeout``.
        drop_seconds: how long a ``timeout`` drop keeps the caller waiting.
        fail_next: the next N calls get a 5xx (first of ``error_statuses``).
        throttle_next: the next N calls get a 429.
        drop_next: the next N POSTs are stored and then dropped.
        token_fail_next: the next N token requests get a 503.
        retry_after: ``Retry-After`` seconds of an injected 429.
    """

    seed: int | None = None
    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 502, 503, 504)
    throttle_rate: float = 0.0
    slow_rate: float = 0.0
    slow_seconds: float = 0.0
    drop_rate: float = 0.0
    drop_mode: DropMode = "502"
    drop_seconds: float = 35.0
    fail_next: int = 0
    throttle_next: int = 0
    drop_next: int = 0
    token_fail_next: int = 0
    retry_after: int = 1

    def __post_init__(self) -> None:
        self.error_statuses = tuple(int(s) for s in self.error_statuses)
        problems = [
            f"`{f}` is {getattr(self, f)!r}, not a share from 0 to 1"
            for f in ("error_rate", "throttle_rate", "slow_rate", "drop_rate")
            if not 0.0 <= float(getattr(self, f)) <= 1.0
        ]
        if self.drop_mode not in ("502", "timeout"):
            problems.append(f"`drop_mode` is {self.drop_mode!r}, not '502'/'timeout'")
        if not self.error_statuses or any(
            not 500 <= s <= 599 for s in self.error_statuses
        ):
            problems.append(f"`error_statuses` {self.error_statuses!r} must be 5xx")
        if problems:
            msg = "invalid sandbox faults: " + "; ".join(problems)
            raise ConfigError(msg)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        data = asdict(self)
        data["error_statuses"] = list(self.error_statuses)
        return data


@dataclass(frozen=True)
class Decision:
    """What to do to one call."""

    throttle: bool = False
    error: int | None = None
    slow: float = 0.0
    drop: DropMode | None = None


class FaultInjector:
    """Draws a `Decision` per call from the current `FaultOptions`."""

    def __init__(self, options: FaultOptions | None = None) -> None:
        self._lock = threading.Lock()
        self.options = options or FaultOptions()
        self._random = random.Random(self.options.seed)

    def update(self, **changes: Any) -> FaultOptions:
        """Change some switches; a new ``seed`` restarts the generator.

        Raises:
            ConfigError: an unknown switch or an invalid value.
        """
        known = {f.name for f in fields(FaultOptions)}
        unknown = sorted(set(changes) - known)
        if unknown:
            msg = f"unknown fault switch(es) {unknown!r}; known: {sorted(known)}"
            raise ConfigError(msg)
        with self._lock:
            merged = {**asdict(self.options), **changes}
            self.options = FaultOptions(**merged)
            if "seed" in changes:
                self._random = random.Random(self.options.seed)
            return self.options

    def decide(self, *, is_post: bool) -> Decision:
        """The faults for the next API call."""
        with self._lock:
            o = self.options
            draws = [self._random.random() for _ in range(4)]
            pick = self._random.choice(o.error_statuses)
            if o.throttle_next > 0:
                o.throttle_next -= 1
                return Decision(throttle=True)
            if o.fail_next > 0:
                o.fail_next -= 1
                return Decision(error=o.error_statuses[0])
            if draws[0] < o.throttle_rate:
                return Decision(throttle=True)
            if draws[1] < o.error_rate:
                return Decision(error=pick)
            slow = o.slow_seconds if draws[2] < o.slow_rate else 0.0
            drop = o.drop_mode if is_post and draws[3] < o.drop_rate else None
            return Decision(slow=slow, drop=drop)

    def take_token_failure(self) -> bool:
        """Whether the next token request fails (``token_fail_next``)."""
        with self._lock:
            if self.options.token_fail_next > 0:
                self.options.token_fail_next -= 1
                return True
            return False

    def take_drop(self, decision: Decision) -> DropMode | None:
        """Whether to drop the answer of a POST that created a record.

        Called only after a successful create, so ``drop_next`` counts
        stored records, not refused requests.
        """
        with self._lock:
            if self.options.drop_next > 0:
                self.options.drop_next -= 1
                return self.options.drop_mode
            return decision.drop
