"""The exactly-once ledger and the audit trail, in the profile's DuckDB file.

SnelStart accepts no idempotency key, so koppel keeps its own:

- ``ledger_orders``: one row per shop order. Before an order is POSTed its
  row says ``pending`` with the payload hash and the deterministic
  orderreferentie / betalingskenmerk, committed first; after SnelStart's 201
  it says ``booked`` with SnelStart's id and nummer. A ``pending`` row found
  later (restart, timeout, lost response) is looked up in SnelStart by its
  orderreferentie before anything is posted again.
- ``ledger_records``: the same for relaties and artikelen koppel creates, by
  plan key, so a second run or a retry reuses them instead of creating twins.
- ``audit_trail``: per order, every step with a timestamp: the mapped payload
  as sent, SnelStart's answer (status, id, nummer, error codes), look-ups,
  changes after booking and flags. With the raw shop payload from
  ``raw_records`` this is the order's whole history (:func:`order_history`).

Writes are batched per chunk of orders, one transaction each: an intent
commit covers a whole chunk before any of its POSTs leaves.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
import pandas as pd

from koppel.plan import dumps
from koppel.staging import register_ddl

__all__ = [
    "AuditEvent",
    "Ledger",
    "LedgerRow",
    "booked_orders",
    "order_history",
]

LEDGER_DDL = """
CREATE TABLE IF NOT EXISTS ledger_orders (
    order_id BIGINT PRIMARY KEY,
    status VARCHAR NOT NULL,
    payload_hash VARCHAR NOT NULL,
    shop_hash VARCHAR,
    orderreferentie VARCHAR NOT NULL,
    betalingskenmerk VARCHAR,
    snelstart_id VARCHAR,
    nummer BIGINT,
    attempts INTEGER NOT NULL,
    run_id VARCHAR NOT NULL,
    intent_at TIMESTAMPTZ NOT NULL,
    booked_at TIMESTAMPTZ,
    changed_hash VARCHAR,
    flag VARCHAR,
    payload JSON,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS ledger_records (
    kind VARCHAR NOT NULL,
    key VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    snelstart_id VARCHAR,
    payload_hash VARCHAR,
    run_id VARCHAR NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (kind, key)
);

CREATE TABLE IF NOT EXISTS audit_trail (
    order_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    run_id VARCHAR NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    stage VARCHAR NOT NULL,
    payload_hash VARCHAR,
    http_status INTEGER,
    snelstart_id VARCHAR,
    nummer BIGINT,
    codes VARCHAR,
    message VARCHAR,
    detail JSON
);
"""
register_ddl(LEDGER_DDL)

# Ledger statuses of an order.
PENDING = "pending"  # intent committed; the POST may or may not have landed
BOOKED = "booked"  # SnelStart confirmed (201, or found by its reference)
REJECTED = "rejected"  # SnelStart refused it (400); nothing was created
EXTERNAL = "external"  # booked outside koppel (duplicate check), never posted

_ORDER_COLUMNS = [
    "order_id",
    "status",
    "payload_hash",
    "shop_hash",
    "orderreferentie",
    "betalingskenmerk",
    "snelstart_id",
    "nummer",
    "attempts",
    "run_id",
    "intent_at",
    "booked_at",
    "changed_hash",
    "flag",
    "payload",
    "updated_at",
]


@dataclass
class LedgerRow:
    """One order's ledger state (a row of ``ledger_orders``)."""

    order_id: int
    status: str
    payload_hash: str
    orderreferentie: str
    betalingskenmerk: str | None = None
    shop_hash: str | None = None
    snelstart_id: str | None = None
    nummer: int | None = None
    attempts: int = 0
    run_id: str = ""
    intent_at: datetime | None = None
    booked_at: datetime | None = None
    changed_hash: str | None = None
    flag: str | None = None
    payload: str | None = None
    updated_at: datetime | None = None


@dataclass
class AuditEvent:
    """One step in an order's history."""

    order_id: int
    stage: str
    payload_hash: str | None = None
    http_status: int | None = None
    snelstart_id: str | None = None
    nummer: int | None = None
    codes: Sequence[str] = ()
    message: str | None = None
    detail: Any = None
    recorded_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class Ledger:
    """The run's view of the ledger: read once, changes written in batches.

    Only one load per profile runs at a time (loading holds a lock), so the
    rows read at the start stay authoritative for the run; ``flush`` writes
    the queued changes in one transaction.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, run_id: str) -> None:
        self.con = con
        self.run_id = run_id
        self.rows: dict[int, LedgerRow] = {}
        self._dirty: dict[int, LedgerRow] = {}
        self._records: dict[tuple[str, str], dict[str, Any]] = {}
        self._dirty_records: dict[tuple[str, str], dict[str, Any]] = {}
        self._events: list[AuditEvent] = []
        self._seq = 0

    def load(self, order_ids: Iterable[int] | None = None) -> dict[int, LedgerRow]:
        """Read ledger rows (all when ``order_ids`` is None) into the view."""
        sql = f"SELECT {', '.join(_ORDER_COLUMNS)} FROM ledger_orders"
        params: list[Any] = []
        if order_ids is not None:
            ids = sorted({int(i) for i in order_ids}) or [-1]
            sql += " WHERE order_id IN (SELECT unnest(?))"
            params = [ids]
        for values in self.con.execute(sql, params).fetchall():
            row = LedgerRow(**dict(zip(_ORDER_COLUMNS, values, strict=True)))
            self.rows[int(row.order_id)] = row
        self._seq = self._next_seq()
        return self.rows

    def load_records(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Read the relaties and artikelen koppel created or updated."""
        cursor = self.con.execute(
            "SELECT kind, key, status, snelstart_id, payload_hash FROM ledger_records"
        )
        for kind, key, status, sid, phash in cursor.fetchall():
            self._records[(kind, key)] = {
                "status": status,
                "snelstart_id": sid,
                "payload_hash": phash,
            }
        return self._records

    def record(self, kind: str, key: str) -> dict[str, Any] | None:
        """The ledger entry of a relatie or artikel, if any."""
        return self._records.get((kind, key))

    def shop_hashes(self, order_ids: Iterable[int]) -> dict[int, str]:
        """The staged shop payload hash of each order (when staged)."""
        ids = sorted({int(i) for i in order_ids}) or [-1]
        rows = self.con.execute(
            "SELECT order_id, payload_hash FROM stg_orders "
            "WHERE order_id IN (SELECT unnest(?))",
            [ids],
        ).fetchall()
        return {int(i): str(h) for i, h in rows}

    def _next_seq(self) -> int:
        row = self.con.execute("SELECT coalesce(max(seq), 0) FROM audit_trail")
        return int(row.fetchone()[0])  # type: ignore[index]

    def put(self, row: LedgerRow) -> None:
        """Queue a new state of an order's row."""
        row.updated_at = datetime.now(UTC)
        row.run_id = self.run_id
        self.rows[row.order_id] = row
        self._dirty[row.order_id] = row

    def put_record(
        self,
        kind: str,
        key: str,
        status: str,
        snelstart_id: str | None,
        payload_hash: str | None,
    ) -> None:
        """Queue the state of a relatie or artikel koppel writes."""
        entry = {
            "status": status,
            "snelstart_id": snelstart_id,
            "payload_hash": payload_hash,
        }
        self._records[(kind, key)] = entry
        self._dirty_records[(kind, key)] = entry

    def event(self, event: AuditEvent) -> None:
        """Queue an audit event."""
        self._events.append(event)

    def flush(self) -> None:
        """Write every queued change in one transaction."""
        if not (self._dirty or self._dirty_records or self._events):
            return
        self.con.execute("BEGIN TRANSACTION")
        try:
            self._write_orders()
            self._write_records()
            self._write_events()
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self._dirty.clear()
        self._dirty_records.clear()
        self._events.clear()

    def _write_orders(self) -> None:
        if not self._dirty:
            return
        frame = pd.DataFrame(
            [[getattr(r, c) for c in _ORDER_COLUMNS] for r in self._dirty.values()],
            columns=_ORDER_COLUMNS,
        ).astype({"nummer": "Int64", "attempts": "int64", "order_id": "int64"})
        _upsert(self.con, "ledger_orders", frame, ["order_id"])

    def _write_records(self) -> None:
        if not self._dirty_records:
            return
        now = datetime.now(UTC)
        frame = pd.DataFrame(
            [
                [k, key, e["status"], e["snelstart_id"], e["payload_hash"]]
                + [self.run_id, now]
                for (k, key), e in self._dirty_records.items()
            ],
            columns=[
                "kind",
                "key",
                "status",
                "snelstart_id",
                "payload_hash",
                "run_id",
                "updated_at",
            ],
        )
        _upsert(self.con, "ledger_records", frame, ["kind", "key"])

    def _write_events(self) -> None:
        if not self._events:
            return
        rows = []
        for e in self._events:
            self._seq += 1
            detail = None if e.detail is None else dumps(e.detail)
            codes = json.dumps(list(e.codes)) if e.codes else None
            rows.append(
                [e.order_id, self._seq, self.run_id, e.recorded_at, e.stage]
                + [e.payload_hash, e.http_status, e.snelstart_id, e.nummer]
                + [codes, e.message, detail]
            )
        frame = pd.DataFrame(
            rows,
            columns=[
                "order_id",
                "seq",
                "run_id",
                "recorded_at",
                "stage",
                "payload_hash",
                "http_status",
                "snelstart_id",
                "nummer",
                "codes",
                "message",
                "detail",
            ],
        ).astype({"http_status": "Int64", "nummer": "Int64"})
        self.con.register("_audit_frame", frame)
        try:
            self.con.execute("INSERT INTO audit_trail SELECT * FROM _audit_frame")
        finally:
            self.con.unregister("_audit_frame")


def _upsert(
    con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, key: list[str]
) -> None:
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    updates = ", ".join(
        f'"{c}" = excluded."{c}"' for c in frame.columns if c not in key
    )
    con.register("_ledger_frame", frame)
    try:
        con.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _ledger_frame "
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
        )
    finally:
        con.unregister("_ledger_frame")


def booked_orders(con: duckdb.DuckDBPyConnection) -> dict[int, str]:
    """Orders booked in SnelStart, with the staged shop payload hash then.

    Compare the hash with ``stg_orders.payload_hash``: a different value
    means the shop changed the order after it was booked (plan it again so
    loading can apply the profile's ``on_change`` policy). Orders booked
    outside koppel (duplicate check) count as booked.

    Returns:
        shop order id -> shop payload hash at booking ("" when the order was
        not staged at the time).
    """
    rows = con.execute(
        "SELECT order_id, coalesce(shop_hash, '') FROM ledger_orders "
        "WHERE status IN ('booked', 'external')"
    ).fetchall()
    return {int(oid): str(h) for oid, h in rows}


def order_history(
    con: duckdb.DuckDBPyConnection, order_id: int
) -> list[dict[str, Any]]:
    """One order's whole history, oldest first.

    Starts with every distinct raw shop payload staging fetched (stage
    ``shop``), then the audit trail: the mapped payload as sent (``intent``),
    SnelStart's answers (``response``), look-ups, changes and flags.

    Returns:
        JSON-ready dicts with ``at``, ``stage``, ``run_id`` and the details.
    """
    history: list[dict[str, Any]] = []
    shop = con.execute(
        "SELECT fetched_at, run_id, payload_hash, payload FROM raw_records "
        "WHERE resource = 'orders' AND record_id = ? ORDER BY fetched_at",
        [int(order_id)],
    ).fetchall()
    for at, run_id, phash, payload in shop:
        history.append(
            {
                "at": _iso(at),
                "stage": "shop",
                "run_id": run_id,
                "payload_hash": phash,
                "payload": json.loads(payload) if payload else None,
            }
        )
    events = con.execute(
        "SELECT recorded_at, run_id, stage, payload_hash, http_status, "
        "snelstart_id, nummer, codes, message, detail FROM audit_trail "
        "WHERE order_id = ? ORDER BY seq",
        [int(order_id)],
    ).fetchall()
    for at, run_id, stage, phash, status, sid, nummer, codes, message, detail in events:
        entry: dict[str, Any] = {"at": _iso(at), "stage": stage, "run_id": run_id}
        for name, value in (
            ("payload_hash", phash),
            ("http_status", status),
            ("snelstart_id", sid),
            ("nummer", nummer),
            ("codes", json.loads(codes) if codes else None),
            ("message", message),
            ("detail", json.loads(detail) if detail else None),
        ):
            if value is not None:
                entry[name] = value
        history.append(entry)
    return history


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return str(value)
