from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from koppel.profile import Profile, load_profile
from tests.validation.corpus import load_fixture, staged_db

DEMO = Path(__file__).parents[2] / "profiles" / "demo.toml"


@pytest.fixture(scope="session")
def profile() -> Profile:
    return load_profile(DEMO)


@pytest.fixture(scope="module")
def clean_db() -> Iterator[duckdb.DuckDBPyConnection]:
    """One staging database per module holding the corpus's clean order."""
    with staged_db(load_fixture("clean")) as con:
        yield con


@pytest.fixture
def con(clean_db: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """The module's database inside a transaction rolled back after the test."""
    clean_db.execute("BEGIN TRANSACTION")
    try:
        yield clean_db
    finally:
        clean_db.execute("ROLLBACK")
