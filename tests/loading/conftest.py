"""Fixtures for the loading tests: profiles, a scripted fake API, the sandbox."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from koppel import settings, staging
from koppel.profile import Profile, parse_profile
from koppel.sandbox.server import RunningServer, start_server
from koppel.sandbox.snelstart import (
    FaultOptions,
    SandboxOptions,
    SnelstartSandbox,
    create_app,
)
from koppel.snelstart.client import SnelstartClient
from koppel.snelstart.throttle import Throttle, ThrottleLimits
from tests.loading.plans import FAKE_URL, UNLIMITED, profile_data

CLIENTKEY = settings.DEMO_SNELSTART_CLIENTKEY
SUBSCRIPTION_KEY = settings.DEMO_SNELSTART_SUBSCRIPTION_KEY


@pytest.fixture
def make_profile(tmp_path: Path) -> Callable[..., Profile]:
    """Build a profile with its data dir under tmp_path."""

    def make(url: str = FAKE_URL, *, loading: dict | None = None, **snel: Any):
        data = profile_data(tmp_path / "data", url, **snel)
        if loading:
            data["loading"] = loading
        return parse_profile(data)

    return make


class NoSleep:
    """Records the waits instead of sleeping; its clock moves by them."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self.now = 1_000_000.0

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


@dataclass
class FakeApi:
    """A scripted SnelStart: a token endpoint and queued API answers.

    ``answers`` are popped per API call; when empty, ``default`` answers.
    Every request is kept in ``requests`` for assertions.
    """

    answers: list[Any] = field(default_factory=list)
    default: Callable[[httpx.Request], httpx.Response] | None = None
    token_answers: list[httpx.Response] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)
    tokens_issued: int = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/b2b/token":
            if self.token_answers:
                return self.token_answers.pop(0)
            self.tokens_issued += 1
            body = {
                "access_token": f"token-{self.tokens_issued}",
                "token_type": "bearer",
                "expires_in": 3599,
            }
            return httpx.Response(200, json=body)
        if self.answers:
            answer = self.answers.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer
        if self.default is not None:
            return self.default(request)
        return httpx.Response(200, json=[])

    @property
    def api_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path.startswith("/v2/")]


def json_response(status: int, body: Any, **headers: str) -> httpx.Response:
    """An httpx response with a JSON body (numbers kept as written)."""
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **headers},
    )


@pytest.fixture
def fake_api() -> FakeApi:
    return FakeApi()


@pytest.fixture
def make_client(make_profile: Callable[..., Profile]) -> Iterator[Callable]:
    """Clients on a FakeApi, with recorded (not real) sleeps."""
    clients: list[SnelstartClient] = []

    def make(api: FakeApi, *, clock: Callable[[], float] | None = None, **snel):
        profile = make_profile(**{**UNLIMITED, **snel})
        sleep = NoSleep()
        throttle = Throttle(
            ThrottleLimits(
                calls_per_minute=profile.snelstart.calls_per_minute,
                calls_per_hour=profile.snelstart.calls_per_hour,
                concurrency=profile.snelstart.concurrency,
            ),
            key=f"fake-{len(clients)}-{id(api)}",
            clock=sleep.clock,
            sleep=sleep,
        )
        extra = {"clock": clock} if clock is not None else {}
        client = SnelstartClient(
            profile.snelstart,
            clientkey=SecretStr(CLIENTKEY),
            subscription_key=SecretStr(SUBSCRIPTION_KEY),
            transport=httpx.MockTransport(api),
            throttle=throttle,
            sleep=sleep,
            backoff_base=0.01,
            **extra,
        )
        client.sleeps = sleep  # type: ignore[attr-defined]
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[SnelstartSandbox, RunningServer]]:
    """One sandbox server per test module (reset before each test)."""
    sandbox = SnelstartSandbox(SandboxOptions(throttling=False))
    server = start_server(create_app(sandbox))
    try:
        yield sandbox, server
    finally:
        server.stop()


@dataclass
class SandboxEnv:
    """A reset sandbox, a profile pointing at it and a way to open clients."""

    sandbox: SnelstartSandbox
    url: str
    profile: Profile
    make_profile: Callable[..., Profile]
    clients: list[SnelstartClient] = field(default_factory=list)

    def client(self, profile: Profile | None = None) -> SnelstartClient:
        client = SnelstartClient(
            (profile or self.profile).snelstart,
            clientkey=SecretStr(CLIENTKEY),
            subscription_key=SecretStr(SUBSCRIPTION_KEY),
            backoff_base=0.005,
        )
        self.clients.append(client)
        return client

    def faults(self, **switches: Any) -> None:
        self.sandbox.set_faults(**switches)

    @property
    def admin(self) -> Any:
        return self.sandbox.administration(CLIENTKEY)

    def connect(self, profile: Profile | None = None) -> Any:
        return staging.connect((profile or self.profile).database_path)


@pytest.fixture
def env(served, make_profile) -> Iterator[SandboxEnv]:
    sandbox, server = served
    sandbox.reset()
    sandbox.faults.update(**FaultOptions().to_dict())
    profile = make_profile(server.url, **UNLIMITED)
    result = SandboxEnv(sandbox, server.url, profile, make_profile)
    try:
        yield result
    finally:
        for client in result.clients:
            client.close()
