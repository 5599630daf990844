"""Fixtures for the SnelStart sandbox tests: a fake clock and a client."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from koppel import settings
from koppel.sandbox.snelstart import SandboxOptions, SnelstartSandbox, create_app

CLIENTKEY = settings.DEMO_SNELSTART_CLIENTKEY
SUBSCRIPTION_KEY = settings.DEMO_SNELSTART_SUBSCRIPTION_KEY


class FakeClock:
    """A monotonic clock that only moves when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class SyncClient:
    """A synchronous client that drives the ASGI app in its own event loop."""

    def __init__(self, app: Any) -> None:
        self.loop = asyncio.new_event_loop()
        transport = httpx.ASGITransport(app=app)
        self.client = httpx.AsyncClient(
            transport=transport, base_url="http://127.0.0.1"
        )

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self.run(self.client.request(method, url, **kwargs))

    def run(self, awaitable: Any) -> Any:
        return self.loop.run_until_complete(awaitable)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)

    def close(self) -> None:
        self.run(self.client.aclose())
        self.loop.close()


class Api:
    """A logged-in test client of one sandbox."""

    def __init__(self, client: SyncClient, sandbox: SnelstartSandbox) -> None:
        self.client = client
        self.sandbox = sandbox
        self.token = self.login()

    def login(self, clientkey: str | None = None) -> str:
        clientkey = clientkey or next(iter(self.sandbox.clientkeys))
        response = self.client.post(
            "/b2b/token", data={"grant_type": "clientkey", "clientkey": clientkey}
        )
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    @property
    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token}",
            "Ocp-Apim-Subscription-Key": SUBSCRIPTION_KEY,
        }

    def get(self, path: str, **params: Any):
        return self.client.get(f"/v2{path}", params=params, headers=self.headers)

    def post(self, path: str, body: Any):
        return self.client.post(f"/v2{path}", json=body, headers=self.headers)

    def put(self, path: str, body: Any):
        return self.client.put(f"/v2{path}", json=body, headers=self.headers)

    def delete(self, path: str):
        return self.client.delete(f"/v2{path}", headers=self.headers)

    def one(self, resource: str, odata_filter: str) -> dict[str, Any]:
        rows = self.get(f"/{resource}", **{"$filter": odata_filter}).json()
        assert len(rows) == 1, rows
        return rows[0]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@contextmanager
def sandbox_api(**options: Any) -> Iterator[Api]:
    """A logged-in client of a new sandbox built with these options."""
    sandbox = SnelstartSandbox(SandboxOptions(**options))
    client = SyncClient(create_app(sandbox))
    try:
        yield Api(client, sandbox)
    finally:
        client.close()


@pytest.fixture
def api(clock: FakeClock) -> Iterator[Api]:
    with sandbox_api(clock=clock) as client:
        yield client


def codes(response) -> list[str]:
    """The error codes of a coded 400 body."""
    body = response.json()
    assert isinstance(body, list), body
    return [item["errorCode"] for item in body]


def order_body(api: Api, **overrides: Any) -> dict[str, Any]:
    """A valid verkooporder for a seeded customer and two seeded articles."""
    relatie = api.one("relaties", "Email eq 'sanne.devries@example.nl'")
    trui = api.one("artikelen", "Artikelcode eq 'MWS'")
    verzend = api.one("artikelen", "Artikelcode eq 'VERZEND-H'")
    body = {
        "relatie": {"id": relatie["id"]},
        "datum": "2024-05-01T00:00:00",
        "verkooporderBtwIngaveModel": "Inclusief",
        "orderreferentie": "PS-1",
        "regels": [
            {"artikel": {"id": trui["id"]}, "stuksprijs": 89.95, "aantal": 2},
            {
                "artikel": {"id": verzend["id"]},
                "omschrijving": "Verzendkosten",
                "stuksprijs": 6.95,
                "aantal": 1,
            },
        ],
    }
    body.update(overrides)
    return body
