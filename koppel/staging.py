"""DuckDB staging: one database file per profile, opened briefly per stage.

Tables (all created by :func:`ensure_schema`):

- ``raw_records``: every distinct shop payload as fetched (JSON, fetch time,
  run id), the audit trail's first link. Secrets are stripped before storing.
- ``stg_orders``, ``stg_order_lines``, ``stg_customers``, ``stg_addresses``,
  ``stg_payments``, ``stg_discounts``: normalised, typed, latest version per
  shop id. Money is DECIMAL(18,6), timestamps are TIMESTAMPTZ in UTC with the
  shop-local original kept where a watermark needs it.
- ``ref_order_states``, ``ref_countries``, ``ref_currencies``, ``ref_taxes``:
  reference data of the shop, refreshed each run.
- ``sync_state``: watermarks and cursors, keyed by name.
- ``runs``: one row per pipeline run with its summary.

Other modules add their own tables (quarantine, ledger, reports) through
:func:`ensure_schema` hooks registered with :func:`register_ddl`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from koppel.exceptions import StagingLockedError

__all__ = [
    "StagedOrders",
    "connect",
    "ensure_schema",
    "get_state",
    "read_staged",
    "register_ddl",
    "set_state",
    "upsert_frame",
]

log = logging.getLogger(__name__)

MONEY = "DECIMAL(18,6)"

CORE_DDL = f"""
CREATE TABLE IF NOT EXISTS raw_records (
    resource VARCHAR NOT NULL,
    record_id BIGINT NOT NULL,
    payload_hash VARCHAR NOT NULL,
    date_upd VARCHAR,
    fetched_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR NOT NULL,
    payload JSON NOT NULL,
    PRIMARY KEY (resource, record_id, payload_hash)
);

CREATE TABLE IF NOT EXISTS stg_orders (
    order_id BIGINT PRIMARY KEY,
    reference VARCHAR,
    id_shop INTEGER,
    customer_id BIGINT,
    address_delivery_id BIGINT,
    address_invoice_id BIGINT,
    carrier_id BIGINT,
    currency_iso VARCHAR,
    conversion_rate {MONEY},
    current_state INTEGER,
    state_name VARCHAR,
    state_paid BOOLEAN,
    state_logable BOOLEAN,
    state_invoice BOOLEAN,
    eligible BOOLEAN NOT NULL,
    payment VARCHAR,
    module VARCHAR,
    total_products {MONEY},
    total_products_wt {MONEY},
    total_shipping_tax_incl {MONEY},
    total_shipping_tax_excl {MONEY},
    carrier_tax_rate DECIMAL(9,3),
    total_wrapping_tax_incl {MONEY},
    total_wrapping_tax_excl {MONEY},
    total_discounts_tax_incl {MONEY},
    total_discounts_tax_excl {MONEY},
    total_paid_tax_incl {MONEY},
    total_paid_tax_excl {MONEY},
    total_paid_real {MONEY},
    gift BOOLEAN,
    gift_message VARCHAR,
    invoice_number BIGINT,
    invoice_date TIMESTAMPTZ,
    date_add TIMESTAMPTZ,
    date_upd TIMESTAMPTZ,
    date_upd_local VARCHAR,
    paid_at TIMESTAMPTZ,
    payload_hash VARCHAR NOT NULL,
    run_id VARCHAR NOT NULL,
    fetched_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS stg_order_lines (
    line_id BIGINT PRIMARY KEY,
    order_id BIGINT NOT NULL,
    position INTEGER NOT NULL,
    product_id BIGINT,
    product_attribute_id BIGINT,
    product_name VARCHAR,
    product_reference VARCHAR,
    product_base_reference VARCHAR,
    product_ean13 VARCHAR,
    quantity BIGINT,
    unit_price_tax_incl {MONEY},
    unit_price_tax_excl {MONEY},
    total_price_tax_incl {MONEY},
    total_price_tax_excl {MONEY},
    tax_rate DECIMAL(9,3),
    id_customization BIGINT,
    run_id VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS stg_customers (
    customer_id BIGINT PRIMARY KEY,
    email VARCHAR,
    firstname VARCHAR,
    lastname VARCHAR,
    company VARCHAR,
    siret VARCHAR,
    is_guest BOOLEAN,
    deleted BOOLEAN,
    id_lang INTEGER,
    date_add TIMESTAMPTZ,
    date_upd TIMESTAMPTZ,
    run_id VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS stg_addresses (
    address_id BIGINT PRIMARY KEY,
    customer_id BIGINT,
    company VARCHAR,
    firstname VARCHAR,
    lastname VARCHAR,
    address1 VARCHAR,
    address2 VARCHAR,
    postcode VARCHAR,
    city VARCHAR,
    country_id BIGINT,
    country_iso VARCHAR,
    phone VARCHAR,
    phone_mobile VARCHAR,
    vat_number VARCHAR,
    deleted BOOLEAN,
    date_upd TIMESTAMPTZ,
    run_id VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS stg_payments (
    payment_id BIGINT PRIMARY KEY,
    order_reference VARCHAR,
    amount {MONEY},
    currency_iso VARCHAR,
    payment_method VARCHAR,
    transaction_id VARCHAR,
    date_add TIMESTAMPTZ,
    run_id VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS stg_discounts (
    discount_id BIGINT PRIMARY KEY,
    order_id BIGINT NOT NULL,
    cart_rule_id BIGINT,
    name VARCHAR,
    value_tax_incl {MONEY},
    value_tax_excl {MONEY},
    free_shipping BOOLEAN,
    run_id VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS ref_order_states (
    state_id INTEGER PRIMARY KEY,
    name VARCHAR,
    paid BOOLEAN,
    logable BOOLEAN,
    invoice BOOLEAN,
    shipped BOOLEAN,
    delivery BOOLEAN
);

CREATE TABLE IF NOT EXISTS ref_countries (
    country_id BIGINT PRIMARY KEY,
    iso_code VARCHAR,
    name VARCHAR
);

CREATE TABLE IF NOT EXISTS ref_currencies (
    currency_id BIGINT PRIMARY KEY,
    iso_code VARCHAR,
    conversion_rate {MONEY}
);

CREATE TABLE IF NOT EXISTS ref_taxes (
    tax_id BIGINT PRIMARY KEY,
    rate DECIMAL(9,3),
    name VARCHAR
);

CREATE TABLE IF NOT EXISTS sync_state (
    name VARCHAR PRIMARY KEY,
    value VARCHAR,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY,
    profile VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    status VARCHAR NOT NULL,
    summary JSON
);
"""

_EXTRA_DDL: list[str] = []


def register_ddl(ddl: str) -> None:
    """Add ``CREATE TABLE IF NOT EXISTS`` statements run by ensure_schema."""
    if ddl not in _EXTRA_DDL:
        _EXTRA_DDL.append(ddl)


@contextlib.contextmanager
def connect(
    path: str | Path, *, read_only: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the profile's DuckDB file for one stage and close it after.

    DuckDB allows one writing process per file; a second one fails at once,
    which is turned into :class:`StagingLockedError` with the fix.

    Raises:
        StagingLockedError: when another process holds the file.
    """
    path = Path(path)
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            msg = (
                f"`{path}` is in use by another koppel process; wait for that "
                "run to finish (one run per profile at a time)"
            )
            raise StagingLockedError(msg) from exc
        raise
    try:
        con.execute("SET TimeZone='UTC'")
        if not read_only:
            ensure_schema(con)
        yield con
    finally:
        con.close()


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table koppel needs if it does not exist yet."""
    con.execute(CORE_DDL)
    for ddl in _EXTRA_DDL:
        con.execute(ddl)


def upsert_frame(
    con: duckdb.DuckDBPyConnection,
    table: str,
    frame: pd.DataFrame,
    key: Sequence[str],
) -> int:
    """Insert or replace rows of ``frame`` into ``table`` by ``key``.

    DuckDB's ON CONFLICT keeps the first of two rows with one key in a batch,
    so the frame is de-duplicated first, keeping the last occurrence.

    Returns:
        The number of rows written.
    """
    if frame.empty:
        return 0
    frame = frame.drop_duplicates(subset=list(key), keep="last")
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    updates = ", ".join(
        f'"{c}" = excluded."{c}"' for c in frame.columns if c not in key
    )
    conflict = ", ".join(f'"{k}"' for k in key)
    action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    con.register("_upsert_frame", frame)
    try:
        con.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _upsert_frame "
            f"ON CONFLICT ({conflict}) {action}"
        )
    finally:
        con.unregister("_upsert_frame")
    return len(frame)


def get_state(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    """Read a watermark or cursor by name."""
    row = con.execute("SELECT value FROM sync_state WHERE name = ?", [name]).fetchone()
    return None if row is None else row[0]


def set_state(con: duckdb.DuckDBPyConnection, name: str, value: str) -> None:
    """Store a watermark or cursor by name."""
    con.execute(
        "INSERT INTO sync_state VALUES (?, ?, now()) ON CONFLICT (name) "
        "DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        [name, value],
    )


@dataclass
class StagedOrders:
    """The staged rows of a batch of orders, one DataFrame per table.

    Money columns hold Decimal objects (object dtype), never floats.
    """

    orders: pd.DataFrame
    lines: pd.DataFrame
    customers: pd.DataFrame
    addresses: pd.DataFrame
    payments: pd.DataFrame
    discounts: pd.DataFrame

    def __len__(self) -> int:
        return len(self.orders)


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> pd.DataFrame:
    cursor = con.execute(sql, params)
    columns = [d[0] for d in cursor.description]
    return pd.DataFrame(cursor.fetchall(), columns=columns, dtype=object)


def read_staged(
    con: duckdb.DuckDBPyConnection, order_ids: Sequence[int] | None = None
) -> StagedOrders:
    """Read staged orders and everything they refer to.

    Args:
        con: an open staging connection.
        order_ids: the orders to read; None reads every staged order.

    Returns:
        Frames whose money columns are Decimals (fetched row-wise from DuckDB
        so no float conversion can happen on the way).
    """
    if order_ids is None:
        where, params = "TRUE", []
    else:
        ids = sorted({int(i) for i in order_ids})
        if not ids:
            ids = [-1]
        where, params = "o.order_id IN (SELECT unnest(?))", [ids]
    orders = _frame(
        con, f"SELECT * FROM stg_orders o WHERE {where} ORDER BY order_id", params
    )
    lines = _frame(
        con,
        f"SELECT l.* FROM stg_order_lines l JOIN stg_orders o "
        f"USING (order_id) WHERE {where} ORDER BY order_id, position",
        params,
    )
    customers = _frame(
        con,
        "SELECT c.* FROM stg_customers c WHERE customer_id IN "
        f"(SELECT customer_id FROM stg_orders o WHERE {where})",
        params,
    )
    addresses = _frame(
        con,
        "SELECT a.* FROM stg_addresses a WHERE address_id IN "
        "(SELECT address_delivery_id FROM stg_orders o WHERE "
        f"{where} UNION SELECT address_invoice_id FROM stg_orders o "
        f"WHERE {where})",
        params + params,
    )
    payments = _frame(
        con,
        "SELECT p.* FROM stg_payments p WHERE order_reference "
        f"IN (SELECT reference FROM stg_orders o WHERE {where})",
        params,
    )
    discounts = _frame(
        con,
        f"SELECT d.* FROM stg_discounts d JOIN stg_orders o "
        f"USING (order_id) WHERE {where} ORDER BY discount_id",
        params,
    )
    return StagedOrders(orders, lines, customers, addresses, payments, discounts)
