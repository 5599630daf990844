"""The SnelStart sandbox: administrations, tokens, throttling and faults.

`SnelstartSandbox` holds the state; `koppel.sandbox.snelstart.app.create_app`
puts the HTTP API in front of it. Tests can inspect and change the state
directly (`administration`, `reset`, `set_faults`) or over HTTP under
``/_sandbox/``.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from koppel import settings
from koppel.exceptions import ConfigError
from koppel.sandbox.snelstart.auth import ALL_SCOPES, TokenIssuer
from koppel.sandbox.snelstart.faults import FaultInjector, FaultOptions
from koppel.sandbox.snelstart.seed import seed_administration
from koppel.sandbox.snelstart.store import Administration, StateFile, admin_key
from koppel.sandbox.snelstart.throttle import Limits, Throttle

__all__ = ["RequestRecord", "SandboxOptions", "SnelstartSandbox"]

logger = logging.getLogger(__name__)

Tier = Literal["production", "development"]
_NAMESPACE = uuid.UUID("0b8f4f0e-5a7c-4d1e-9a55-3c0d7e2b9f11")


def _demo_clientkeys() -> dict[str, str]:
    return {settings.DEMO_SNELSTART_CLIENTKEY: "Demo administratie"}


def _demo_subscription_keys() -> dict[str, str]:
    return {settings.DEMO_SNELSTART_SUBSCRIPTION_KEY: "demo"}


@dataclass
class SandboxOptions:
    """How a sandbox behaves; every field has a usable default.

    Attributes:
        clientkeys: koppelsleutel -> administration name; one administration
            per koppelsleutel (a list of keys is accepted too).
        subscription_keys: accepted ``Ocp-Apim-Subscription-Key`` values ->
            label (a list of keys is accepted too).
        state_file: JSON file that keeps the administrations across
            restarts; None keeps them in memory only.
        token_ttl: lifetime of a bearer token in seconds.
        tier: ``production`` (500/min, 5000/h, 50 at once) or
            ``development`` (100/min, 1000/h, 5 at once) gateway limits.
        calls_per_minute, calls_per_hour, concurrency: override the tier.
        minute_seconds, hour_seconds: length of the throttle windows (shorten
            them in tests instead of waiting).
        throttling: False switches the gateway limits off.
        faults: the fault switches (see `FaultOptions`).
        seed_data: fill new administrations with the demo data.
        scopes: koppelsleutel -> the scopes its tokens carry (default all).
        timezone: zone of the naive date-times the API writes.
        clock: monotonic seconds for token expiry and throttling.
        now: wall clock for ``modifiedOn`` (default: now in ``timezone``).
    """

    clientkeys: Mapping[str, str] = field(default_factory=_demo_clientkeys)
    subscription_keys: Mapping[str, str] = field(
        default_factory=_demo_subscription_keys
    )
    state_file: str | Path | None = None
    token_ttl: int = 3599
    tier: Tier = "production"
    calls_per_minute: int | None = None
    calls_per_hour: int | None = None
    concurrency: int | None = None
    minute_seconds: float = 60.0
    hour_seconds: float = 3600.0
    throttling: bool = True
    faults: FaultOptions = field(default_factory=FaultOptions)
    seed_data: bool = True
    scopes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    timezone: str = "Europe/Amsterdam"
    clock: Callable[[], float] = time.monotonic
    now: Callable[[], datetime] | None = None

    def limits(self) -> Limits:
        """The gateway limits these options ask for."""
        if self.tier == "development":
            tier = (
                settings.SNELSTART_DEV_CALLS_PER_MINUTE,
                settings.SNELSTART_DEV_CALLS_PER_HOUR,
                settings.SNELSTART_DEV_CONCURRENCY,
            )
        else:
            tier = (
                settings.SNELSTART_CALLS_PER_MINUTE,
                settings.SNELSTART_CALLS_PER_HOUR,
                settings.SNELSTART_CONCURRENCY,
            )
        if not self.throttling:
            return Limits(None, None, None)
        return Limits(
            self.calls_per_minute if self.calls_per_minute is not None else tier[0],
            self.calls_per_hour if self.calls_per_hour is not None else tier[1],
            self.concurrency if self.concurrency is not None else tier[2],
            self.minute_seconds,
            self.hour_seconds,
        )


@dataclass(frozen=True)
class RequestRecord:
    """One call the sandbox answered (for tests and ``/_sandbox/requests``)."""

    method: str
    path: str
    status: int
    administration: str | None


def _as_mapping(value: Any, label: str) -> dict[str, str]:
    """Keys -> names; a plain list of keys gets numbered names, never the key
    itself (administration names show in companyInfo and inspection)."""
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    names = {}
    for number, key in enumerate(value, start=1):
        demo = key == settings.DEMO_SNELSTART_CLIENTKEY and label == "Administratie"
        names[str(key)] = "Demo administratie" if demo else f"{label} {number}"
    return names


class SnelstartSandbox:
    """State and behaviour of the SnelStart B2B API sandbox."""

    def __init__(self, options: SandboxOptions | None = None) -> None:
        self.options = options or SandboxOptions()
        self.clientkeys = _as_mapping(self.options.clientkeys, "Administratie")
        self.subscription_keys = _as_mapping(
            self.options.subscription_keys, "Abonnement"
        )
        if not self.clientkeys or not self.subscription_keys:
            msg = "the SnelStart sandbox needs at least one clientkey and one "
            msg += "subscription key"
            raise ConfigError(msg)
        if self.options.tier not in ("production", "development"):
            msg = f"sandbox `tier` {self.options.tier!r} is not "
            msg += "'production' or 'development'"
            raise ConfigError(msg)
        self.zone = ZoneInfo(self.options.timezone)
        self.tokens = TokenIssuer(self.options.token_ttl, self.options.clock)
        self.throttle = Throttle(self.options.limits(), self.options.clock)
        self.faults = FaultInjector(self.options.faults)
        self.requests: deque[RequestRecord] = deque(maxlen=10_000)
        self._state = (
            StateFile(self.options.state_file) if self.options.state_file else None
        )
        self._lock = threading.RLock()
        self.administrations: dict[str, Administration] = {}
        self._load()

    def administration(self, clientkey: str | None = None) -> Administration:
        """The administration of a koppelsleutel (default: the first one).

        Raises:
            KeyError: the koppelsleutel is not configured.
        """
        key = clientkey if clientkey is not None else next(iter(self.clientkeys))
        if key not in self.clientkeys:
            msg = "that koppelsleutel is not configured in this sandbox"
            raise KeyError(msg)
        return self.administrations[admin_key(key)]

    def reset(self) -> None:
        """Empty every administration and seed it again; forget throttling."""
        with self._lock:
            self.administrations = {}
            for clientkey in self.clientkeys:
                self.administrations[admin_key(clientkey)] = self._new_admin(clientkey)
            self.throttle.reset()
            self.requests.clear()
            self.flush()

    def save(self) -> None:
        """Journal the changes since the last save (no-op without a state file).

        Called after every write, before the answer leaves: an acknowledged
        write survives even a killed sandbox, like in the real SnelStart.
        """
        if self._state is not None:
            with self._lock:
                self._state.append(self.administrations)

    def flush(self) -> None:
        """Write a full snapshot of the state file now (no-op without one)."""
        if self._state is not None:
            with self._lock:
                self._state.save(self.administrations)

    def close(self) -> None:
        """Compact the state file; call when the sandbox stops."""
        self.flush()

    def _load(self) -> None:
        stored = self._state.load() if self._state else {}
        for clientkey in self.clientkeys:
            key = admin_key(clientkey)
            self.administrations[key] = stored.get(key) or self._new_admin(clientkey)
        self.flush()

    def _new_admin(self, clientkey: str) -> Administration:
        name = self.clientkeys[clientkey]
        identifier = str(uuid.uuid5(_NAMESPACE, admin_key(clientkey)))
        admin = Administration(name, identifier)
        if self.options.seed_data:
            seed_administration(admin)
        return admin

    def now(self) -> datetime:
        """The current wall-clock time (timezone-aware)."""
        if self.options.now is not None:
            return self.options.now()
        return datetime.now(self.zone)

    def scopes_for(self, clientkey: str) -> tuple[str, ...]:
        """The scopes a token for this koppelsleutel carries."""
        return tuple(self.options.scopes.get(clientkey, ALL_SCOPES))

    def set_faults(self, **changes: Any) -> FaultOptions:
        """Switch faults at run time (see `FaultOptions` for the names)."""
        options = self.faults.update(**changes)
        logger.info("sandbox faults changed: %s", sorted(changes))
        return options

    def record(self, method: str, path: str, status: int, admin: str | None) -> None:
        """Remember an answered call."""
        self.requests.append(RequestRecord(method, path, status, admin))
