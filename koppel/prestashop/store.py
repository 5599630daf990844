"""Writing extraction batches into DuckDB staging, one transaction each.

A batch replaces everything staging holds for its orders: the order rows,
their lines and discounts (deleted first, so a line removed in the shop
disappears here too) and the payments of their references. Raw records are
kept per distinct version. Orders whose related records could not all be
read are listed in ``extract_incomplete`` so the next run reads them again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import pandas as pd

from koppel.prestashop.frames import KEYS, for_duckdb
from koppel.staging import register_ddl, upsert_frame

__all__ = [
    "Batch",
    "incomplete_orders",
    "staged_versions",
    "write_batch",
    "write_refs",
]

INCOMPLETE_DDL = """
CREATE TABLE IF NOT EXISTS extract_incomplete (
    order_id BIGINT PRIMARY KEY,
    date_upd_local VARCHAR,
    resources VARCHAR NOT NULL,
    run_id VARCHAR NOT NULL,
    noted_at TIMESTAMPTZ NOT NULL
);
"""
register_ddl(INCOMPLETE_DDL)


@dataclass
class Batch:
    """The staging rows of one batch of changed orders.

    Attributes:
        frames: typed frames by table name (``raw_records`` and ``stg_*``).
        order_ids: the batch's orders; their lines and discounts are
            replaced, except for incomplete orders (kept until re-read).
        references: order reference per order id, whose payments are
            replaced the same way.
        incomplete: order id → (date_upd, resources that could not be
            read) for orders missing related records.
    """

    frames: dict[str, pd.DataFrame]
    order_ids: list[int]
    references: dict[int, str]
    incomplete: dict[int, tuple[str | None, list[str]]] = field(default_factory=dict)

    @classmethod
    def merge(cls, batches: Sequence[Batch]) -> Batch:
        """One batch holding the rows of several (later ones win)."""
        tables = dict.fromkeys(t for b in batches for t in b.frames)
        frames = {
            table: pd.concat(
                [b.frames[table] for b in batches if table in b.frames],
                ignore_index=True,
            )
            for table in tables
        }
        merged = cls(frames, [], {})
        for batch in batches:
            merged.order_ids += batch.order_ids
            merged.references |= batch.references
            merged.incomplete |= batch.incomplete
        merged.order_ids = sorted(set(merged.order_ids))
        return merged

    def __len__(self) -> int:
        return len(self.order_ids)


def staged_versions(
    con: duckdb.DuckDBPyConnection, order_ids: Sequence[int]
) -> dict[int, tuple[str | None, str, bool]]:
    """What staging holds for these orders.

    Returns:
        order id → (date_upd_local, payload_hash, incomplete).
    """
    if not order_ids:
        return {}
    rows = con.execute(
        "SELECT o.order_id, o.date_upd_local, o.payload_hash, "
        "i.order_id IS NOT NULL FROM stg_orders o "
        "LEFT JOIN extract_incomplete i USING (order_id) "
        "WHERE o.order_id IN (SELECT unnest(?))",
        [list(order_ids)],
    ).fetchall()
    return {row[0]: (row[1], row[2], row[3]) for row in rows}


def incomplete_orders(con: duckdb.DuckDBPyConnection) -> dict[int, str | None]:
    """Orders staged with gaps, and their ``date_upd`` (shop-local)."""
    rows = con.execute(
        "SELECT order_id, date_upd_local FROM extract_incomplete"
    ).fetchall()
    return {row[0]: row[1] for row in rows}


def _delete_in(
    con: duckdb.DuckDBPyConnection, table: str, column: str, values: Iterable
) -> None:
    values = list(values)
    if values:
        con.execute(
            f"DELETE FROM {table} WHERE {column} IN (SELECT unnest(?))", [values]
        )


def _upsert(con: duckdb.DuckDBPyConnection, table: str, data: pd.DataFrame) -> int:
    if data.empty:
        return 0
    if table == "raw_records":
        data = data.drop_duplicates(subset=list(KEYS[table]))
        con.register("_raw_batch", data)
        try:
            con.execute(
                "INSERT INTO raw_records SELECT * FROM _raw_batch "
                "ON CONFLICT DO NOTHING"
            )
        finally:
            con.unregister("_raw_batch")
        return len(data)
    return upsert_frame(con, table, for_duckdb(data, table), KEYS[table])


def write_batch(
    con: duckdb.DuckDBPyConnection, batch: Batch, *, run_id: str, now: datetime
) -> None:
    """Write one batch in a single transaction (all of it or nothing)."""
    whole_ids = [i for i in batch.order_ids if i not in batch.incomplete]
    references = {batch.references[i] for i in whole_ids if i in batch.references}
    con.begin()
    try:
        _delete_in(con, "stg_order_lines", "order_id", whole_ids)
        _delete_in(con, "stg_discounts", "order_id", whole_ids)
        _delete_in(con, "stg_payments", "order_reference", sorted(references))
        for table, data in batch.frames.items():
            _upsert(con, table, data)
        _delete_in(con, "extract_incomplete", "order_id", batch.order_ids)
        for order_id, (date_upd, resources) in batch.incomplete.items():
            con.execute(
                "INSERT INTO extract_incomplete VALUES (?, ?, ?, ?, ?)",
                [order_id, date_upd, ",".join(sorted(resources)), run_id, now],
            )
        con.commit()
    except BaseException:
        con.rollback()
        raise


def write_refs(
    con: duckdb.DuckDBPyConnection, frames: Mapping[str, pd.DataFrame]
) -> None:
    """Refresh the ``ref_*`` tables with what this run read."""
    con.begin()
    try:
        for table, data in frames.items():
            _upsert(con, table, data)
        con.commit()
    except BaseException:
        con.rollback()
        raise
