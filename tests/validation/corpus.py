"""Load fixture files of staged rows into a staging database; reusable.

A fixture is a JSON object in the staging contract: ``orders``, ``lines``,
``customers``, ``addresses``, ``payments`` and ``discounts`` arrays of rows
with the ``stg_*`` column names, money as strings (``"12.950000"``) and
timestamps as ISO strings with an offset. Besides the rows it says what it
is (``kind``, ``quirk`` from the PrestaShop reference) and what validation
must find (``expect``: order id -> reason codes; empty for a clean order).

Staging a fixture writes what extract would: the ``stg_*`` rows (bookkeeping
columns filled in), a ``raw_records`` payload per order listing its order
rows exactly as the fixture has them (a line listed twice stays twice there,
while ``stg_order_lines`` keeps one row per line id) and the shop's reference
data from ``corpus/reference.json``.

Usage::

    with staged_db(load_fixture("clean"), load_fixture("bad/04_total_off_by_cents"))
        as con:
        result = validate_orders(con, profile=profile, run_id="corpus")
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from koppel import staging
from koppel.reasons import Reason

__all__ = [
    "CORPUS",
    "Fixture",
    "bad_fixtures",
    "frozen_now",
    "good_fixtures",
    "load_fixture",
    "seed_reference",
    "stage_fixture",
    "stage_fixtures",
    "staged_db",
]

CORPUS = Path(__file__).parent / "corpus"
RUN_ID = "corpus-run"
FETCHED_AT = "2024-03-14T09:30:00+00:00"

# fixture key -> (staging table, primary key)
TABLES: dict[str, tuple[str, str]] = {
    "orders": ("stg_orders", "order_id"),
    "lines": ("stg_order_lines", "line_id"),
    "customers": ("stg_customers", "customer_id"),
    "addresses": ("stg_addresses", "address_id"),
    "payments": ("stg_payments", "payment_id"),
    "discounts": ("stg_discounts", "discount_id"),
}


@dataclass(frozen=True)
class Fixture:
    """One fixture file: rows per staged table and the expected outcome."""

    name: str
    kind: str
    quirk: str | None
    expect: dict[int, frozenset[Reason]]
    rows: dict[str, list[dict[str, Any]]] = field(repr=False)

    @property
    def order_ids(self) -> list[int]:
        """The staged orders of the fixture."""
        return [int(o["order_id"]) for o in self.rows.get("orders", [])]


def load_fixture(name: str | Path) -> Fixture:
    """Read ``corpus/<name>.json`` (or a path) into a :class:`Fixture`."""
    path = Path(name)
    if not path.suffix:
        path = CORPUS / f"{name}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    expect = {
        int(order_id): frozenset(Reason(r) for r in reasons)
        for order_id, reasons in data.get("expect", {}).items()
    }
    rows = {key: list(data.get(key, [])) for key in TABLES}
    rel = path.relative_to(CORPUS) if path.is_relative_to(CORPUS) else path
    name_text = str(rel.with_suffix(""))
    return Fixture(name_text, data.get("kind", ""), data.get("quirk"), expect, rows)


def bad_fixtures() -> list[Fixture]:
    """Every malformed-order fixture, in file order."""
    return [load_fixture(p) for p in sorted((CORPUS / "bad").glob("*.json"))]


def good_fixtures() -> list[Fixture]:
    """Every fixture of unusual but valid orders, in file order."""
    return [load_fixture(p) for p in sorted((CORPUS / "good").glob("*.json"))]


def _hash(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _frame(rows: list[dict[str, Any]], extra: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame([{**extra, **row} for row in rows], dtype=object)


def stage_fixture(
    con: duckdb.DuckDBPyConnection, fixture: Fixture, *, run_id: str = RUN_ID
) -> None:
    """Write one fixture's rows and raw payloads as extract would."""
    stage_fixtures(con, [fixture], run_id=run_id)


def stage_fixtures(
    con: duckdb.DuckDBPyConnection,
    fixtures: Sequence[Fixture],
    *,
    run_id: str = RUN_ID,
) -> None:
    """Write the rows and raw payloads of several fixtures in one batch.

    Each order gets a ``payload_hash`` computed from its rows unless the
    fixture gives one, so editing a fixture's order makes a newer version.
    """
    rows = {key: [r for f in fixtures for r in f.rows[key]] for key in TABLES}
    lines_of: dict[int, list[dict[str, Any]]] = {}
    for line in rows["lines"]:
        lines_of.setdefault(int(line["order_id"]), []).append(line)
    orders, raw = [], []
    for order in rows["orders"]:
        lines = lines_of.get(int(order["order_id"]), [])
        phash = order.get("payload_hash") or _hash(order, lines)
        orders.append({**order, "payload_hash": phash})
        raw.append(_raw_record(order, lines, phash, run_id))
    rows["orders"] = orders
    for key, (table, pk) in TABLES.items():
        extra = {"run_id": run_id}
        if key == "orders":
            extra["fetched_at"] = FETCHED_AT
        if rows[key]:
            staging.upsert_frame(con, table, _frame(rows[key], extra), [pk])
    if raw:
        staging.upsert_frame(
            con,
            "raw_records",
            _frame(raw, {}),
            ["resource", "record_id", "payload_hash"],
        )


def _raw_record(
    order: dict[str, Any], lines: list[dict[str, Any]], phash: str, run_id: str
) -> dict[str, Any]:
    """The order's raw payload: its rows as the fixture lists them."""
    date_upd = order.get("date_upd_local") or order.get("date_upd")
    payload = {
        "id": order["order_id"],
        "reference": order.get("reference"),
        "id_customer": str(order.get("customer_id")),
        "date_upd": date_upd,
        "associations": {"order_rows": [{"id": str(ln["line_id"])} for ln in lines]},
    }
    return {
        "resource": "orders",
        "record_id": order["order_id"],
        "payload_hash": phash,
        "date_upd": date_upd,
        "fetched_at": FETCHED_AT,
        "run_id": run_id,
        "payload": json.dumps(payload),
    }


def seed_reference(
    con: duckdb.DuckDBPyConnection, path: Path = CORPUS / "reference.json"
) -> None:
    """Fill the ``ref_*`` tables with the shop reference data of the corpus."""
    data = json.loads(path.read_text(encoding="utf-8"))
    keys = {
        "ref_countries": "country_id",
        "ref_taxes": "tax_id",
        "ref_currencies": "currency_id",
        "ref_order_states": "state_id",
    }
    for table, key in keys.items():
        staging.upsert_frame(con, table, _frame(data[table], {}), [key])


@contextmanager
def staged_db(
    *fixtures: Fixture, run_id: str = RUN_ID, path: str | Path = ":memory:"
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A staging database (in memory by default) holding these fixtures."""
    with staging.connect(path) as con:
        seed_reference(con)
        stage_fixtures(con, fixtures, run_id=run_id)
        yield con


def frozen_now() -> datetime:
    """The corpus's "now": shortly after its orders were placed."""
    return datetime(2024, 3, 15, 12, 0, tzinfo=UTC)
