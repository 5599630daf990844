"""Reads for the reports from the profile's DuckDB file.

Reports read what other stages write (staging, quarantine, ledger, runs,
validation figures). A table a stage has not created yet, or a column an
older file lacks, reads as empty rather than failing: a report on a young
database is still a report. Money is fetched row-wise, so it stays Decimal.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

__all__ = [
    "has_table",
    "read_booked_ids",
    "read_frame",
    "read_ledger",
    "read_line_totals",
    "read_order_keys",
    "read_quarantine",
    "read_shop_orders",
    "table_columns",
]

_SHOP_COLUMNS = (
    "order_id",
    "reference",
    "eligible",
    "state_name",
    "payment",
    "module",
    "total_paid_tax_incl",
    "total_paid_tax_excl",
    "total_shipping_tax_incl",
    "total_shipping_tax_excl",
    "carrier_tax_rate",
    "total_wrapping_tax_incl",
    "total_wrapping_tax_excl",
    "total_discounts_tax_incl",
    "total_discounts_tax_excl",
    "payload_hash",
)

_LEDGER_COLUMNS = (
    "order_id",
    "status",
    "orderreferentie",
    "betalingskenmerk",
    "snelstart_id",
    "nummer",
    "shop_hash",
    "changed_hash",
    "flag",
    "payload",
    "booked_at",
)


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    """The column names of ``table`` in the main schema; empty when absent."""
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = ? AND table_schema = 'main'",
        [table],
    ).fetchall()
    return {str(r[0]) for r in rows}


def has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether ``table`` exists."""
    return bool(table_columns(con, table))


def read_frame(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()
) -> pd.DataFrame:
    """Run a query into an object-dtype frame (Decimals stay Decimals)."""
    cursor = con.execute(sql, list(params))
    columns = [d[0] for d in cursor.description]
    return pd.DataFrame(cursor.fetchall(), columns=columns, dtype=object)


def _select(columns: Sequence[str], present: set[str], alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    return ", ".join(
        f"{prefix}{c}" if c in present else f"NULL AS {c}" for c in columns
    )


def read_shop_orders(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime
) -> pd.DataFrame:
    """Staged orders placed in ``[start, end)``.

    An order without ``date_add`` (a zeroed date in the shop) counts by its
    ``date_upd``. The frame has ``placed_at`` plus the columns reports use.
    """
    present = table_columns(con, "stg_orders")
    if not present:
        return pd.DataFrame(columns=[*_SHOP_COLUMNS, "placed_at"], dtype=object)
    return read_frame(
        con,
        f"SELECT {_select(_SHOP_COLUMNS, present)}, "
        "coalesce(date_add, date_upd) AS placed_at FROM stg_orders "
        "WHERE coalesce(date_add, date_upd) >= ? "
        "AND coalesce(date_add, date_upd) < ? ORDER BY order_id",
        [start, end],
    )


def read_order_keys(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every staged order's id and reference, whatever its date."""
    if not has_table(con, "stg_orders"):
        return pd.DataFrame(columns=["order_id", "reference"], dtype=object)
    return read_frame(con, "SELECT order_id, reference FROM stg_orders")


def read_line_totals(
    con: duckdb.DuckDBPyConnection, order_ids: Sequence[int]
) -> pd.DataFrame:
    """Line totals per order and VAT rate (incl and excl)."""
    columns = ["order_id", "tax_rate", "incl", "excl"]
    if not order_ids or not has_table(con, "stg_order_lines"):
        return pd.DataFrame(columns=columns, dtype=object)
    return read_frame(
        con,
        "SELECT order_id, tax_rate, sum(total_price_tax_incl) AS incl, "
        "sum(total_price_tax_excl) AS excl FROM stg_order_lines "
        "WHERE order_id IN (SELECT unnest(?)) GROUP BY order_id, tax_rate "
        "ORDER BY order_id, tax_rate",
        [sorted({int(i) for i in order_ids})],
    )


def read_ledger(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Loading's ledger of orders (``ledger_orders``), one row per order.

    Columns: order id, status (pending / booked / rejected / external), the
    references booked, SnelStart's id and nummer, the shop hashes, the flag,
    the payload as sent and when it was booked.
    """
    present = table_columns(con, "ledger_orders")
    if not present:
        return pd.DataFrame(columns=list(_LEDGER_COLUMNS), dtype=object)
    return read_frame(
        con, f"SELECT {_select(_LEDGER_COLUMNS, present)} FROM ledger_orders"
    )


def read_booked_ids(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime
) -> list[str]:
    """SnelStart ids the ledger holds for orders placed in ``[start, end)``."""
    if not has_table(con, "ledger_orders") or not has_table(con, "stg_orders"):
        return []
    rows = con.execute(
        "SELECT l.snelstart_id FROM ledger_orders l JOIN stg_orders o "
        "USING (order_id) WHERE l.status IN ('booked', 'external') "
        "AND l.snelstart_id IS NOT NULL "
        "AND coalesce(o.date_add, o.date_upd) >= ? "
        "AND coalesce(o.date_add, o.date_upd) < ?",
        [start, end],
    ).fetchall()
    return sorted({str(r[0]) for r in rows})


def read_quarantine(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Quarantined orders still held back (open or ignored), with reasons.

    Columns: ``order_id``, ``status`` and ``reasons`` (comma-separated
    reason codes of the order's open entries).
    """
    columns = ["order_id", "status", "reasons"]
    if not has_table(con, "quarantine_orders"):
        return pd.DataFrame(columns=columns, dtype=object)
    reasons = "NULL"
    if has_table(con, "quarantine_entries"):
        reasons = (
            "(SELECT string_agg(DISTINCT e.reason_code, ',' ORDER BY "
            "e.reason_code) FROM quarantine_entries e WHERE e.order_id = "
            "q.order_id AND e.status = q.status)"
        )
    return read_frame(
        con,
        f"SELECT q.order_id, q.status, {reasons} AS reasons "
        "FROM quarantine_orders q WHERE q.status IN ('open', 'ignored')",
    )
