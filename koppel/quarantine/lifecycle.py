"""What happens to a quarantined order after it went in.

Release when it passes, retry on demand, ignore with a reason, and the
queries the pipeline asks: which orders are held back, which are due for
another look. See :mod:`koppel.quarantine` for the lifecycle.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import duckdb

from koppel.exceptions import QuarantineError
from koppel.quarantine.entries import transaction, unique_ids

__all__ = [
    "due_order_ids",
    "ignore",
    "ignored_order_ids",
    "open_order_ids",
    "open_stages",
    "release",
    "request_retry",
]


def _log(
    con: duckdb.DuckDBPyConnection,
    order_ids: Sequence[int],
    action: str,
    run_id: str | None,
    detail: str | None,
) -> None:
    if order_ids:
        con.execute(
            "INSERT INTO quarantine_events SELECT unnest(?), now(), ?, ?, ?",
            [list(order_ids), action, run_id, detail],
        )


def release(
    con: duckdb.DuckDBPyConnection,
    order_ids: Iterable[int],
    *,
    run_id: str,
    detail: str = "passed",
) -> None:
    """Let open orders leave quarantine; their entries become history.

    Ignored orders are left alone: only :func:`request_retry` reopens them.

    Args:
        con: an open staging connection.
        order_ids: the orders that passed.
        run_id: the run that released them.
        detail: why, for the event log (``passed``, ``no longer eligible``).
    """
    _release(con, order_ids, run_id=run_id, detail=detail)


def _release(
    con: duckdb.DuckDBPyConnection,
    order_ids: Iterable[int],
    *,
    run_id: str,
    detail: str,
) -> list[int]:
    ids = unique_ids(order_ids)
    if not ids:
        return []
    with transaction(con):
        con.execute(
            "UPDATE quarantine_entries SET status = 'released', closed_at = now(),"
            " closed_run_id = ?, updated_at = now()"
            " WHERE status = 'open' AND order_id IN (SELECT unnest(?))",
            [run_id, ids],
        )
        rows = con.execute(
            "UPDATE quarantine_orders SET status = 'released', closed_at = now(),"
            " closed_run_id = ?, retry_requested = FALSE, updated_at = now()"
            " WHERE status = 'open' AND order_id IN (SELECT unnest(?))"
            " RETURNING order_id",
            [run_id, ids],
        ).fetchall()
        released = sorted(int(r[0]) for r in rows)
        _log(con, released, "released", run_id, detail)
    return released


def _status_ids(con: duckdb.DuckDBPyConnection, statuses: Sequence[str]) -> set[int]:
    rows = con.execute(
        "SELECT order_id FROM quarantine_orders WHERE status IN (SELECT unnest(?))",
        [list(statuses)],
    ).fetchall()
    return {int(r[0]) for r in rows}


def open_order_ids(con: duckdb.DuckDBPyConnection) -> set[int]:
    """Orders that quarantine holds back from booking.

    That is every ``open`` order and every ``ignored`` one: an ignored order
    is never booked, so callers that exclude these ids are safe.
    """
    return _status_ids(con, ("open", "ignored"))


def ignored_order_ids(con: duckdb.DuckDBPyConnection) -> set[int]:
    """Orders an operator ignored; never booked until explicitly retried."""
    return _status_ids(con, ("ignored",))


def due_order_ids(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Open orders to validate again: retry asked, or a newer version staged.

    A newer version is a staged ``payload_hash`` that differs from the one
    quarantined (the shop sent the order again with changes).
    """
    rows = con.execute(
        """
        SELECT q.order_id FROM quarantine_orders q
        LEFT JOIN stg_orders o USING (order_id)
        WHERE q.status = 'open' AND (q.retry_requested OR (
            o.payload_hash IS NOT NULL
            AND o.payload_hash IS DISTINCT FROM q.payload_hash))
        ORDER BY q.order_id
        """
    ).fetchall()
    return [int(r[0]) for r in rows]


def request_retry(
    con: duckdb.DuckDBPyConnection, order_ids: Sequence[int] | None
) -> list[int]:
    """Mark orders to be validated again by the next run.

    Args:
        con: an open staging connection.
        order_ids: the orders; None marks every open order. Naming an
            ignored order reopens it (the only way back from ``ignored``).
            Ids not in quarantine are left out of the result.

    Returns:
        The order ids now marked, sorted.
    """
    if order_ids is not None and not order_ids:
        return []
    statuses = ["open"] if order_ids is None else ["open", "ignored"]
    where = "" if order_ids is None else " AND order_id IN (SELECT unnest(?))"
    params: list[Any] = [statuses] + (
        [] if order_ids is None else [unique_ids(order_ids)]
    )
    with transaction(con):
        reopened = con.execute(
            "SELECT order_id FROM quarantine_orders"
            f" WHERE status = 'ignored' AND status IN (SELECT unnest(?)){where}",
            params,
        ).fetchall()
        rows = con.execute(
            "UPDATE quarantine_orders SET status = 'open', retry_requested = TRUE,"
            " ignore_reason = NULL, closed_at = NULL, closed_run_id = NULL,"
            " updated_at = now()"
            f" WHERE status IN (SELECT unnest(?)){where} RETURNING order_id",
            params,
        ).fetchall()
        again = [int(r[0]) for r in reopened]
        con.execute(
            "UPDATE quarantine_entries SET status = 'open', closed_at = NULL,"
            " updated_at = now() WHERE status = 'ignored'"
            " AND order_id IN (SELECT unnest(?))",
            [again or [-1]],
        )
        marked = sorted(int(r[0]) for r in rows)
        _log(con, again, "reopened", None, "retry of an ignored order")
        _log(con, marked, "retry", None, None)
    return marked


def ignore(con: duckdb.DuckDBPyConnection, order_id: int, reason_text: str) -> None:
    """Record that an order is never to be booked, and why.

    Works for quarantined orders and for staged orders not in quarantine
    (e.g. a test order), so an operator can stop either from being booked.

    Raises:
        QuarantineError: when the reason is empty or the order is neither
            in quarantine nor staged.
    """
    text = (reason_text or "").strip()
    if not text:
        msg = f"ignoring order {order_id} needs a reason; got {reason_text!r}"
        raise QuarantineError(msg)
    known = con.execute(
        "SELECT (SELECT count(*) FROM quarantine_orders WHERE order_id = ?)"
        " + (SELECT count(*) FROM stg_orders WHERE order_id = ?)",
        [order_id, order_id],
    ).fetchone()
    if not known or not known[0]:
        msg = (
            f"order {order_id!r} is neither in quarantine nor staged; check the "
            "id with `koppel quarantine PROFILE list --status all`"
        )
        raise QuarantineError(msg)
    with transaction(con):
        con.execute(
            """
            INSERT INTO quarantine_orders
            SELECT ?, 'ignored', o.payload_hash, o.date_upd, 'operator',
                   'operator', FALSE, ?, now(), now(), now(), NULL
            FROM (SELECT 1) LEFT JOIN stg_orders o ON o.order_id = ?
            ON CONFLICT (order_id) DO UPDATE SET status = 'ignored',
                ignore_reason = excluded.ignore_reason, retry_requested = FALSE,
                closed_at = excluded.closed_at, updated_at = excluded.updated_at
            """,
            [order_id, text, order_id],
        )
        con.execute(
            "UPDATE quarantine_entries SET status = 'ignored', updated_at = now()"
            " WHERE status = 'open' AND order_id = ?",
            [order_id],
        )
        _log(con, [order_id], "ignored", None, text)


def open_stages(
    con: duckdb.DuckDBPyConnection, order_ids: Iterable[int]
) -> dict[int, set[str]]:
    """The stages whose open entries hold each of these orders.

    Returns:
        order id -> stages (``validate``, ``map``, ``load``) for every open
        order among ``order_ids``; an empty set when no entry is open (an
        ignored order reopened by a retry).
    """
    ids = unique_ids(order_ids)
    if not ids:
        return {}
    rows = con.execute(
        "SELECT q.order_id, e.stage FROM quarantine_orders q"
        " LEFT JOIN quarantine_entries e"
        "   ON e.order_id = q.order_id AND e.status = 'open'"
        " WHERE q.status = 'open' AND q.order_id IN (SELECT unnest(?))",
        [ids],
    ).fetchall()
    stages: dict[int, set[str]] = {}
    for order_id, stage in rows:
        found = stages.setdefault(int(order_id), set())
        if stage is not None:
            found.add(stage)
    return stages
