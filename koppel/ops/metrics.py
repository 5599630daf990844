"""Run records in the ``runs`` table, and the silent-stop check.

Every flow run writes one row: its kind (import, rescan, backfill chunk…),
start, end, status and summary (counts, seconds per stage, HTTP calls per
API). ``koppel status`` and the silent-stop guard read them back.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

__all__ = [
    "RunRecord",
    "booked_nummers",
    "SilentStop",
    "check_silent_stop",
    "eligible_orders_since",
    "last_booking_at",
    "last_runs",
    "record_run",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunRecord:
    """One row of ``runs``."""

    run_id: str
    profile: str
    kind: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    summary: dict[str, Any]


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None:
        msg = f"`{name}` must be timezone-aware, got {value!r}"
        raise ValueError(msg)
    return value


def record_run(
    con: Any,
    *,
    run_id: str,
    profile: str,
    kind: str,
    started_at: datetime,
    finished_at: datetime | None,
    status: str,
    summary: Mapping[str, Any] | None = None,
) -> None:
    """Insert or update a run's row (a run records itself when it starts and
    again when it ends).

    Raises:
        ValueError: on naive datetimes.
    """
    _aware(started_at, "started_at")
    if finished_at is not None:
        _aware(finished_at, "finished_at")
    body = json.dumps(dict(summary or {}), sort_keys=True, default=str)
    con.execute(
        "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id) DO "
        "UPDATE SET finished_at = excluded.finished_at, status = excluded.status, "
        "summary = excluded.summary",
        [run_id, profile, kind, started_at, finished_at, status, body],
    )


def _record(row: tuple[Any, ...]) -> RunRecord:
    run_id, profile, kind, started, finished, status, summary = row
    data = json.loads(summary) if isinstance(summary, str) else (summary or {})
    return RunRecord(run_id, profile, kind, started, finished, status, data)


def last_runs(con: Any, limit: int = 5) -> list[RunRecord]:
    """The most recent runs, newest first."""
    rows = con.execute(
        "SELECT run_id, profile, kind, started_at, finished_at, status, summary "
        "FROM runs ORDER BY started_at DESC LIMIT ?",
        [limit],
    ).fetchall()
    return [_record(r) for r in rows]


def last_booking_at(con: Any) -> datetime | None:
    """When a run last booked at least one order (its end time)."""
    row = con.execute(
        "SELECT max(finished_at) FROM runs WHERE status = 'completed' AND "
        "kind <> 'dry-run' AND "
        "TRY_CAST(json_extract(summary, '$.loaded') AS BIGINT) > 0"
    ).fetchone()
    return None if row is None else row[0]


def _first_run_at(con: Any) -> datetime | None:
    row = con.execute("SELECT min(started_at) FROM runs").fetchone()
    return None if row is None else row[0]


def eligible_orders_since(con: Any, since: datetime) -> int:
    """Eligible shop orders staged with a change at or after ``since``."""
    row = con.execute(
        "SELECT count(*) FROM stg_orders WHERE eligible AND date_upd >= ?",
        [_aware(since, "since")],
    ).fetchone()
    return int(row[0]) if row else 0


@dataclass(frozen=True)
class SilentStop:
    """A profile booked nothing for too long although the shop had orders.

    Attributes:
        profile: the profile name.
        hours: the configured ``schedule.silent_stop_hours``.
        last_booking_at: when the last order was booked (None: never).
        eligible_orders: eligible orders changed in the window.
    """

    profile: str
    hours: int
    last_booking_at: datetime | None
    eligible_orders: int


def check_silent_stop(
    con: Any, *, profile: str, hours: int, now: datetime
) -> SilentStop | None:
    """Detect a silent stop: nothing booked for ``hours`` while eligible
    orders arrived.

    A profile that has run for less than ``hours`` is not judged yet.

    Returns:
        The alert, or None when all is well.
    """
    window_start = _aware(now, "now") - timedelta(hours=hours)
    last = last_booking_at(con)
    if last is not None and last >= window_start:
        return None
    first = _first_run_at(con)
    if first is None or first > window_start:
        return None
    eligible = eligible_orders_since(con, window_start)
    if eligible == 0:
        return None
    log.warning(
        "profile %s booked nothing for %d hours while %d eligible orders arrived",
        profile,
        hours,
        eligible,
    )
    return SilentStop(profile, hours, last, eligible)


def booked_nummers(con: Any, order_ids: Sequence[int]) -> dict[int, Any]:
    """Shop order id -> SnelStart verkooporder nummer, from the ledger.

    Orders the ledger does not know (or knows without a nummer) map to None.
    """
    ids = sorted({int(i) for i in order_ids})
    found: dict[int, Any] = dict.fromkeys(ids)
    tables = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables"
        ).fetchall()
    }
    if not ids or "ledger_orders" not in tables:
        return found
    rows = con.execute(
        "SELECT order_id, nummer FROM ledger_orders WHERE order_id IN "
        "(SELECT unnest(?))",
        [ids],
    ).fetchall()
    for order_id, nummer in rows:
        found[int(order_id)] = None if nummer is None else int(nummer)
    return found
