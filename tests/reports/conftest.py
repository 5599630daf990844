from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from koppel import staging


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory staging database with the ledger and quarantine tables."""
    import koppel.ledger  # noqa: F401 - registers its tables

    pytest.importorskip("koppel.quarantine")
    with staging.connect(":memory:") as connection:
        yield connection
