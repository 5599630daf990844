"""Client-side throttle: stay inside SnelStart's per-administration limits.

SnelStart's gateway counts calls per administration per minute and per hour
and caps the calls in flight. Every run of koppel that talks to one
administration shares one :class:`Throttle`, also across processes: the
buckets live in a small JSON file guarded by ``flock`` and each call in
flight holds one of ``concurrency`` slot files. A process killed with SIGKILL
drops its locks with its file descriptors, so nothing stays held.

Each limit is a token bucket whose capacity (the burst) plus one window's
refill never exceeds the limit: at most ``limit`` calls fall into any window
of the given length, so koppel alone can never trip the gateway. The price is
a steady rate of ``(1 - burst_fraction)`` of the ceiling.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

__all__ = ["Throttle", "ThrottleLimits", "administration_key"]

log = logging.getLogger(__name__)

_SLOT_POLL_SECONDS = 0.005
_EPSILON = 1e-6
_MEMORY_STATES: dict[str, dict[str, Any]] = {}
_MEMORY_LOCK = threading.Lock()


def administration_key(api_url: str, clientkey: str) -> str:
    """A stable, secret-free name for one administration (hash of its key)."""
    digest = hashlib.sha256(f"{api_url}\n{clientkey}".encode()).hexdigest()
    return digest[:16]


@dataclass(frozen=True)
class ThrottleLimits:
    """Ceilings of one administration and the window lengths they apply to.

    The windows default to a real minute and hour; tests and benchmarks
    shrink them together with the sandbox's windows.
    """

    calls_per_minute: int
    calls_per_hour: int
    concurrency: int
    minute_seconds: float = 60.0
    hour_seconds: float = 3600.0
    burst_fraction: float = 0.05

    def buckets(self) -> dict[str, tuple[float, float]]:
        """Bucket name -> (capacity, refill tokens per second)."""
        result = {}
        for name, limit, window in (
            ("minute", self.calls_per_minute, self.minute_seconds),
            ("hour", self.calls_per_hour, self.hour_seconds),
        ):
            capacity = max(1.0, float(int(limit * self.burst_fraction)))
            refill = max(limit - capacity, 1.0) / window
            result[name] = (capacity, refill)
        return result


class Throttle:
    """A token bucket per administration, shared by threads and processes.

    Args:
        limits: the administration's ceilings.
        key: names the administration (see :func:`administration_key`).
        state_dir: directory for the shared state and slot files; None keeps
            the state in this process only (shared by its threads).
        clock: wall-clock seconds (shared between processes).
        sleep: how to wait; injectable for tests.
    """

    def __init__(
        self,
        limits: ThrottleLimits,
        *,
        key: str = "default",
        state_dir: str | Path | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limits = limits
        self.key = key
        self.state_dir = None if state_dir is None else Path(state_dir)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._local_slots = threading.BoundedSemaphore(limits.concurrency)
        self.waited_seconds = 0.0
        self.calls = 0
        if self.state_dir is not None:
            self.state_dir.mkdir(parents=True, exist_ok=True)

    @classmethod
    def for_profile(
        cls, profile: Any, clientkey: str, **limits_overrides: Any
    ) -> Throttle:
        """The throttle shared by every run of the profile's administration.

        State lives under ``<data_dir>/throttle/`` so concurrent processes
        (two runs, a backfill next to the schedule) share the ceilings.

        Args:
            profile: a :class:`koppel.profile.Profile`.
            clientkey: the koppelsleutel (only its hash is used).
            **limits_overrides: e.g. shorter windows for tests.
        """
        snel = profile.snelstart
        limits = ThrottleLimits(
            calls_per_minute=snel.calls_per_minute,
            calls_per_hour=snel.calls_per_hour,
            concurrency=snel.concurrency,
            **limits_overrides,
        )
        return cls(
            limits,
            key=administration_key(snel.api_url, clientkey),
            state_dir=Path(profile.data_dir) / "throttle",
        )

    @contextlib.contextmanager
    def acquire(self) -> Iterator[float]:
        """Wait for a concurrency slot and a token; yield the seconds waited."""
        started = time.monotonic()
        with self._slot():
            self._take_token()
            waited = time.monotonic() - started
            with self._lock:
                self.waited_seconds += waited
                self.calls += 1
            yield waited

    def block_for(self, seconds: float) -> None:
        """Hold every caller of this administration back (after a 429)."""
        until = self._clock() + max(0.0, seconds)
        with self._state() as state:
            state["blocked_until"] = max(state.get("blocked_until", 0.0), until)

    def _take_token(self) -> None:
        while True:
            with self._state() as state:
                wait = self._try_take(state, self._clock())
            if wait <= 0:
                return
            self._sleep(wait)

    def _try_take(self, state: dict[str, Any], now: float) -> float:
        """Refill, then take one token from every bucket or say how long."""
        blocked = state.get("blocked_until", 0.0) - now
        if blocked > 0:
            return blocked
        levels = {}
        wait = 0.0
        for name, (capacity, refill) in self.limits.buckets().items():
            tokens, last = state.get(name, (capacity, now))
            tokens = min(capacity, tokens + max(0.0, now - last) * refill)
            levels[name] = tokens
            if tokens < 1.0 - _EPSILON:
                # a hair longer, so float rounding cannot leave 0.999... tokens
                wait = max(wait, (1.0 - tokens) / refill + _EPSILON)
        if wait > 0:
            return wait
        for name, tokens in levels.items():
            state[name] = (max(0.0, tokens - 1.0), now)
        return 0.0

    @contextlib.contextmanager
    def _state(self) -> Iterator[dict[str, Any]]:
        if self.state_dir is None:
            with _MEMORY_LOCK:
                yield _MEMORY_STATES.setdefault(self.key, {})
            return
        path = self.state_dir / f"{self.key}.json"
        with self._lock, _locked(self.state_dir / f"{self.key}.lock"):
            state = _read_state(path)
            yield state
            _write_state(path, state)

    @contextlib.contextmanager
    def _slot(self) -> Iterator[None]:
        with self._local_slots:
            if self.state_dir is None:
                yield
                return
            handle = self._take_slot_file()
            try:
                yield
            finally:
                handle.close()

    def _take_slot_file(self) -> IO[bytes]:
        assert self.state_dir is not None
        count = self.limits.concurrency
        offset = (os.getpid() + threading.get_ident()) % count
        while True:
            for i in range(count):
                slot = (offset + i) % count
                path = self.state_dir / f"{self.key}.slot{slot}"
                handle = open(path, "ab")  # noqa: SIM115 - closed by caller
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    handle.close()
                    continue
                return handle
            time.sleep(_SLOT_POLL_SECONDS)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "ab") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read_state(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}


def _write_state(path: Path, state: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state), encoding="utf-8")
    os.replace(tmp, path)
