"""Fixtures: a generated shop served on 127.0.0.1 and clients for it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from koppel.sandbox.prestashop import SandboxOptions, Shop, create_app, generate_shop
from koppel.sandbox.server import start_server
from koppel.settings import DEMO_PRESTASHOP_KEY

KEY = DEMO_PRESTASHOP_KEY
# The 30 days before this moment include the end of summer time (27 Oct 2024).
NOW = datetime(2024, 11, 5, 12, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
JSON = {"Output-Format": "JSON"}


@contextmanager
def serve(shop: Shop, **options: Any) -> Iterator[httpx.Client]:
    """Serve ``shop`` on loopback; yield a client authenticated with the key."""
    app = create_app(shop, SandboxOptions(**options))
    with start_server(app) as server:
        with httpx.Client(
            base_url=server.url + "/api", auth=(KEY, ""), trust_env=False, timeout=30
        ) as client:
            yield client


@pytest.fixture(scope="package")
def shop() -> Shop:
    """A 120-order shop shared by read-only tests (do not mutate it)."""
    return generate_shop(orders=120, seed=3, now=NOW)


@pytest.fixture(scope="package")
def api(shop: Shop) -> Iterator[httpx.Client]:
    """The shared shop served with default options (PrestaShop 8)."""
    with serve(shop) as client:
        yield client


@pytest.fixture
def fresh_shop() -> Shop:
    """A small shop a test may change."""
    return generate_shop(orders=30, seed=11, now=NOW)


def get_json(client: httpx.Client, path: str, **params: str) -> Any:
    """GET ``path`` as JSON, asserting a 200."""
    response = client.get(path, params=params, headers=JSON)
    assert response.status_code == 200, response.text
    return response.json()


def error_codes(response: httpx.Response) -> list[int]:
    """The PrestaShop error codes of a JSON error answer."""
    return [e["code"] for e in response.json()["errors"]]
