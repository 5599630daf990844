from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from koppel import settings


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect API for the few flow-level tests."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield


@dataclass
class World:
    """Both sandboxes on loopback and a profile that points at them."""

    profile: Path
    database: Path
    shop: Any
    snelstart: Any
    prestashop_url: str
    snelstart_url: str

    @property
    def administration(self) -> Any:
        return self.snelstart.administration(settings.DEMO_SNELSTART_CLIENTKEY)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    from koppel.cli import start_sandboxes, write_sandbox_profile

    for name, value in settings.DEMO_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(Path(__file__).parents[2])
    ps_server, sn_server, shop, sandbox = start_sandboxes(orders=60, seed=7)
    try:
        profile = write_sandbox_profile(tmp_path / "data", ps_server.url, sn_server.url)
        yield World(
            profile=profile,
            database=tmp_path / "data" / "demo.duckdb",
            shop=shop,
            snelstart=sandbox,
            prestashop_url=ps_server.url,
            snelstart_url=sn_server.url,
        )
    finally:
        ps_server.stop()
        sn_server.stop()
