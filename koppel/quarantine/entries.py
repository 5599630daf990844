"""The quarantine tables and :func:`add`, which puts orders in quarantine.

Each write runs in one transaction and logs what it did to
``quarantine_events``. See :mod:`koppel.quarantine` for the lifecycle.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import duckdb
import pandas as pd

from koppel.exceptions import QuarantineError
from koppel.reasons import Reason
from koppel.staging import register_ddl

__all__ = ["QuarantineEntry", "Stage", "add", "transaction", "unique_ids"]

log = logging.getLogger(__name__)

Stage = Literal["validate", "map", "load"]
STAGES: tuple[str, ...] = ("validate", "map", "load")
VALUE_MAX = 500  # characters of a failing value kept in the table

DDL = """
CREATE TABLE IF NOT EXISTS quarantine_orders (
    order_id BIGINT PRIMARY KEY,
    status VARCHAR NOT NULL,
    payload_hash VARCHAR,
    date_upd TIMESTAMPTZ,
    first_run_id VARCHAR NOT NULL,
    last_run_id VARCHAR NOT NULL,
    retry_requested BOOLEAN NOT NULL,
    ignore_reason VARCHAR,
    opened_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    closed_at TIMESTAMPTZ,
    closed_run_id VARCHAR
);

CREATE TABLE IF NOT EXISTS quarantine_entries (
    order_id BIGINT NOT NULL,
    stage VARCHAR NOT NULL,
    reason_code VARCHAR NOT NULL,
    field VARCHAR NOT NULL,
    value VARCHAR,
    message VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    payload_hash VARCHAR,
    date_upd TIMESTAMPTZ,
    raw_resource VARCHAR,
    raw_record_id BIGINT,
    raw_payload_hash VARCHAR,
    first_run_id VARCHAR NOT NULL,
    last_run_id VARCHAR NOT NULL,
    seen INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    closed_at TIMESTAMPTZ,
    closed_run_id VARCHAR
);

CREATE TABLE IF NOT EXISTS quarantine_events (
    order_id BIGINT NOT NULL,
    happened_at TIMESTAMPTZ NOT NULL,
    action VARCHAR NOT NULL,
    run_id VARCHAR,
    detail VARCHAR
);
"""

register_ddl(DDL)

_KEY = "e.order_id = n.order_id AND e.stage = n.stage AND " + (
    "e.reason_code = n.reason_code AND e.field = n.field"
)


@dataclass(frozen=True)
class QuarantineEntry:
    """One reason why one order cannot be booked, from any stage.

    Attributes:
        order_id: the shop's order id.
        reason: the machine-readable reason code.
        field: the failing field, e.g. ``customers[387].email``; None when
            the problem is the order as a whole.
        value: the offending value as text (SnelStart's error codes for
            ``Reason.SNELSTART_REJECTED``); None when there is none.
        message: what failed and what is allowed, for the operator.
        payload_hash: the order version that failed; None looks it up in
            ``stg_orders``.
        date_upd: that version's ``date_upd``; None looks it up too.
    """

    order_id: int
    reason: Reason
    field: str | None = None
    value: str | None = None
    message: str = ""
    payload_hash: str | None = None
    date_upd: datetime | None = None

    @classmethod
    def from_issue(cls, issue: Any) -> QuarantineEntry:
        """Build an entry from anything with the same attributes.

        A :class:`koppel.plan.PlanIssue` is the usual source.
        """
        return cls(
            order_id=int(issue.order_id),
            reason=Reason(issue.reason),
            field=issue.field,
            value=None if issue.value is None else str(issue.value),
            message=issue.message,
        )


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Run the block atomically; join the caller's transaction if one is open."""
    if in_transaction(con):
        yield  # the caller's transaction commits or rolls back for us
        return
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def in_transaction(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the caller opened a transaction on this connection.

    NOTE: DuckDB's Python API cannot tell, and a failed BEGIN aborts the
    open transaction; in autocommit mode every statement gets a new id,
    inside a transaction the id stays, so two reads tell them apart.
    """
    first = con.execute("SELECT txid_current()").fetchall()
    second = con.execute("SELECT txid_current()").fetchall()
    return first == second


def unique_ids(order_ids: Iterable[int]) -> list[int]:
    """Distinct order ids as sorted ints."""
    return sorted({int(i) for i in order_ids})


def _check_stage(stage: str) -> None:
    if stage not in STAGES:
        msg = f"quarantine stage {stage!r} is unknown; use one of {list(STAGES)}"
        raise QuarantineError(msg)


def _entries_frame(entries: Sequence[QuarantineEntry], stage: str) -> pd.DataFrame:
    rows = [
        {
            "order_id": int(e.order_id),
            "stage": stage,
            "reason_code": Reason(e.reason).value,
            "field": e.field or "",
            "value": None if e.value is None else str(e.value)[:VALUE_MAX],
            "message": e.message or Reason(e.reason).value,
            "payload_hash": e.payload_hash,
            "date_upd": e.date_upd,
        }
        for e in entries
    ]
    frame = pd.DataFrame(rows, dtype=object)
    keys = ["order_id", "stage", "reason_code", "field"]
    return frame.drop_duplicates(subset=keys, keep="first")


def _stage_new_entries(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> None:
    """Create temp table ``_q_new``: entries with their version and raw ref."""
    con.register("_q_frame", frame)
    try:
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE _q_new AS
            WITH n AS (
                SELECT f.order_id, f.stage, f.reason_code, f.field, f.value,
                       f.message,
                       coalesce(f.payload_hash, o.payload_hash) AS payload_hash,
                       coalesce(CAST(f.date_upd AS TIMESTAMPTZ), o.date_upd)
                           AS date_upd,
                       o.run_id AS staged_by
                FROM _q_frame f LEFT JOIN stg_orders o USING (order_id)
            ), raw AS (
                SELECT v.order_id, r.payload_hash AS raw_payload_hash,
                       row_number() OVER (
                           PARTITION BY v.order_id
                           ORDER BY (r.payload_hash = v.payload_hash) DESC,
                                    (r.run_id = v.staged_by) DESC,
                                    r.fetched_at DESC
                       ) AS rn
                FROM (SELECT DISTINCT order_id, payload_hash, staged_by FROM n) v
                JOIN raw_records r
                  ON r.resource = 'orders' AND r.record_id = v.order_id
            )
            SELECT n.* EXCLUDE (staged_by),
                   CASE WHEN raw.raw_payload_hash IS NOT NULL THEN 'orders' END
                       AS raw_resource,
                   CASE WHEN raw.raw_payload_hash IS NOT NULL THEN n.order_id END
                       AS raw_record_id,
                   raw.raw_payload_hash,
                   NOT EXISTS (
                       SELECT 1 FROM quarantine_entries e
                       WHERE e.status IN ('open', 'ignored') AND {_KEY}
                   ) AS is_new
            FROM n LEFT JOIN raw ON raw.order_id = n.order_id AND raw.rn = 1
            """
        )
    finally:
        con.unregister("_q_frame")


def add(
    con: duckdb.DuckDBPyConnection,
    entries: Sequence[QuarantineEntry],
    *,
    run_id: str,
    stage: Stage,
    supersede: bool = False,
) -> None:
    """Put orders in quarantine, or record what a later run found again.

    An entry equal to an open one (same order, stage, reason and field) is
    updated in place (value, message, version, last run, times seen) rather
    than duplicated. An ignored order stays ignored; its new entries are
    recorded as ignored too. A released order is reopened.

    Args:
        con: an open staging connection.
        entries: the problems found; several per order are fine.
        run_id: the run that found them.
        stage: ``validate``, ``map`` or ``load``.
        supersede: the entries are everything now wrong with their orders:
            other open entries of those orders (any stage) are marked
            ``resolved``. Validation uses this; it sees the whole order.

    Raises:
        QuarantineError: when ``stage`` is not one of the three stages.
    """
    _check_stage(stage)
    if not entries:
        return
    frame = _entries_frame(entries, stage)
    with transaction(con):
        _stage_new_entries(con, frame)
        if supersede:
            _resolve_others(con, run_id)
        _update_known(con, run_id)
        _insert_new(con, run_id)
        _upsert_orders(con, run_id)
        _log_new(con, run_id, stage)
        con.execute("DROP TABLE _q_new")
    log.debug("quarantine: %d entries recorded at stage %s", len(frame), stage)


def _resolve_others(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    con.execute(
        f"""
        UPDATE quarantine_entries AS e SET status = 'resolved',
            closed_at = now(), closed_run_id = ?, updated_at = now()
        WHERE e.status = 'open'
          AND e.order_id IN (SELECT order_id FROM _q_new)
          AND NOT EXISTS (SELECT 1 FROM _q_new n WHERE {_KEY})
        """,
        [run_id],
    )


def _update_known(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    con.execute(
        f"""
        UPDATE quarantine_entries AS e SET value = n.value, message = n.message,
            payload_hash = n.payload_hash, date_upd = n.date_upd,
            raw_resource = n.raw_resource, raw_record_id = n.raw_record_id,
            raw_payload_hash = n.raw_payload_hash, last_run_id = ?,
            seen = e.seen + 1, updated_at = now()
        FROM _q_new AS n
        WHERE e.status IN ('open', 'ignored') AND {_KEY}
        """,
        [run_id],
    )


def _insert_new(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    con.execute(
        """
        INSERT INTO quarantine_entries
        SELECT n.order_id, n.stage, n.reason_code, n.field, n.value, n.message,
               CASE WHEN q.status = 'ignored' THEN 'ignored' ELSE 'open' END,
               n.payload_hash, n.date_upd, n.raw_resource, n.raw_record_id,
               n.raw_payload_hash, ?, ?, 1, now(), now(), NULL, NULL
        FROM _q_new AS n LEFT JOIN quarantine_orders AS q USING (order_id)
        WHERE n.is_new
        """,
        [run_id, run_id],
    )


def _upsert_orders(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    con.execute(
        """
        INSERT INTO quarantine_orders
        SELECT order_id, 'open', any_value(payload_hash), any_value(date_upd),
               ?, ?, FALSE, NULL, now(), now(), NULL, NULL
        FROM _q_new GROUP BY order_id
        ON CONFLICT (order_id) DO UPDATE SET
            first_run_id = CASE WHEN status = 'released'
                THEN excluded.first_run_id ELSE first_run_id END,
            opened_at = CASE WHEN status = 'released'
                THEN excluded.opened_at ELSE opened_at END,
            closed_at = CASE WHEN status = 'ignored' THEN closed_at END,
            closed_run_id = CASE WHEN status = 'ignored' THEN closed_run_id END,
            status = CASE WHEN status = 'ignored' THEN 'ignored' ELSE 'open' END,
            payload_hash = excluded.payload_hash,
            date_upd = excluded.date_upd,
            last_run_id = excluded.last_run_id,
            retry_requested = FALSE,
            updated_at = excluded.updated_at
        """,
        [run_id, run_id],
    )


def _log_new(con: duckdb.DuckDBPyConnection, run_id: str, stage: str) -> None:
    con.execute(
        """
        INSERT INTO quarantine_events
        SELECT order_id, now(), 'quarantined', ?,
               ? || ': ' || string_agg(reason_code, ', ' ORDER BY reason_code)
        FROM _q_new WHERE is_new GROUP BY order_id
        """,
        [run_id, stage],
    )
