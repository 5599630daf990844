"""Fill a QualityReport from the tables the stages write.

One function per source table. Each reads only what exists: a missing table
adds a note to the report instead of failing it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import duckdb

from koppel.reports.sources import read_frame, table_columns

if TYPE_CHECKING:
    from koppel.reports.quality import QualityDay, QualityReport

__all__ = ["add_checks", "add_drift", "add_lag", "add_quarantine", "add_runs"]

Days = dict[date, "QualityDay"]
FAILED_STATUSES = frozenset({"failed", "crashed", "error", "cancelled"})
DRIFT_TABLES = ("schema_drift", "drift_events", "schema_drift_events")


def _local_day(value: Any, zone: ZoneInfo | Any) -> date | None:
    if isinstance(value, datetime):
        return value.astimezone(zone).date()
    return None


def _day_of(days: Days, value: Any, zone: ZoneInfo | Any) -> QualityDay | None:
    """The report day a timestamp falls on, if it is in the period."""
    day = _local_day(value, zone)
    return None if day is None else days.get(day)


def _summary(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


def _figure(summary: dict[str, Any], name: str) -> Any:
    """A figure at the top of a run summary or in its ``load`` section."""
    if name in summary:
        return summary[name]
    nested = summary.get("load")
    return nested.get(name) if isinstance(nested, dict) else None


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value or 0))
    except ArithmeticError:
        return Decimal(0)


def _runs(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime
) -> Sequence[tuple[Any, ...]]:
    if not table_columns(con, "runs"):
        return []
    return con.execute(
        "SELECT started_at, status, summary FROM runs "
        "WHERE started_at >= ? AND started_at < ? ORDER BY started_at",
        [start, end],
    ).fetchall()


def add_runs(
    con: duckdb.DuckDBPyConnection,
    report: QualityReport,
    days: Days,
    start: datetime,
    end: datetime,
    zone: ZoneInfo | Any,
) -> None:
    """Runs per status and day; retries and throttle waits from summaries."""
    statuses: Counter[str] = Counter()
    for started_at, status, raw in _runs(con, start, end):
        summary = _summary(raw)
        statuses[str(status)] += 1
        report.retries += _int(_figure(summary, "retries"))
        report.throttle_wait_seconds += _decimal(
            _figure(summary, "throttle_wait_seconds")
        )
        day = _day_of(days, started_at, zone)
        if day is not None:
            day.runs += 1
            day.failed_runs += str(status) in FAILED_STATUSES
    report.runs = sum(statuses.values())
    report.runs_by_status = dict(statuses)


def _checks(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime
) -> list[tuple[Any, int, int]]:
    """(when, checked, passed) per validation run.

    From validation's own figures (``dq_runs``) when they exist, else from
    the run summaries (``validated`` and ``passed``, or validated minus
    quarantined).
    """
    if table_columns(con, "dq_runs"):
        rows = con.execute(
            "SELECT validated_at, checked, passed FROM dq_runs "
            "WHERE validated_at >= ? AND validated_at < ?",
            [start, end],
        ).fetchall()
        return [(at, _int(checked), _int(passed)) for at, checked, passed in rows]
    result = []
    for started_at, _status, raw in _runs(con, start, end):
        summary = _summary(raw)
        checked = _int(_figure(summary, "validated"))
        passed = _figure(summary, "passed")
        if passed is None:
            passed = max(checked - _int(_figure(summary, "quarantined")), 0)
        result.append((started_at, checked, _int(passed)))
    return result


def add_checks(
    con: duckdb.DuckDBPyConnection,
    report: QualityReport,
    days: Days,
    start: datetime,
    end: datetime,
    zone: ZoneInfo | Any,
) -> None:
    """Orders checked by validation and how many passed, per day."""
    for at, checked, passed in _checks(con, start, end):
        report.checked += checked
        report.passed += passed
        day = _day_of(days, at, zone)
        if day is not None:
            day.checked += checked
            day.passed += passed


def add_quarantine(
    con: duckdb.DuckDBPyConnection,
    report: QualityReport,
    days: Days,
    start: datetime,
    end: datetime,
    zone: ZoneInfo | Any,
) -> None:
    """Quarantine entries per reason (new in the period, open now)."""
    from koppel.reports.quality import ReasonCount

    if not table_columns(con, "quarantine_entries"):
        report.notes.append("no quarantine table yet")
        return
    frame = read_frame(
        con,
        "SELECT reason_code, "
        "count(*) FILTER (WHERE created_at >= ? AND created_at < ?) AS new, "
        "count(*) FILTER (WHERE status = 'open') AS still_open "
        "FROM quarantine_entries GROUP BY reason_code "
        "ORDER BY new DESC, still_open DESC, reason_code",
        [start, end],
    )
    report.quarantine = [
        ReasonCount(str(r.reason_code), int(r.new), int(r.still_open))
        for r in frame.itertuples(index=False)
        if int(r.new) or int(r.still_open)
    ]
    rows = con.execute(
        "SELECT order_id, min(created_at) FROM quarantine_entries "
        "WHERE created_at >= ? AND created_at < ? GROUP BY order_id",
        [start, end],
    ).fetchall()
    for _order_id, created_at in rows:
        day = _day_of(days, created_at, zone)
        if day is not None:
            day.quarantined += 1


def _pick(columns: set[str], *names: str) -> str | None:
    return next((n for n in names if n in columns), None)


def add_drift(
    con: duckdb.DuckDBPyConnection,
    report: QualityReport,
    start: datetime,
    end: datetime,
) -> None:
    """Schema-drift events recorded by validation in the period."""
    from koppel.reports.quality import DriftEvent

    for table in DRIFT_TABLES:
        columns = table_columns(con, table)
        when = _pick(columns, "detected_at", "recorded_at", "seen_at", "created_at")
        if not columns or when is None:
            continue
        what = _pick(columns, "field", "path", "key", "field_path") or "NULL"
        change = _pick(columns, "change", "event", "kind", "action") or "NULL"
        resource = _pick(columns, "resource", "entity") or "NULL"
        rows = con.execute(
            f"SELECT {when}, {resource}, {what}, {change} FROM {table} "
            f"WHERE {when} >= ? AND {when} < ? ORDER BY {when}",
            [start, end],
        ).fetchall()
        report.drift = [
            DriftEvent(
                at.isoformat() if isinstance(at, datetime) else str(at),
                str(res or ""),
                str(fld or ""),
                str(chg or ""),
            )
            for at, res, fld, chg in rows
        ]
        return
    report.notes.append("no schema-drift table yet")


def _percentile(values: Sequence[Decimal], share: Decimal) -> Decimal:
    """Nearest-rank percentile of sorted values."""
    rank = max(
        int((share * len(values)).to_integral_value(rounding="ROUND_CEILING")), 1
    )
    return values[rank - 1]


def add_lag(
    con: duckdb.DuckDBPyConnection,
    report: QualityReport,
    days: Days,
    start: datetime,
    end: datetime,
    zone: ZoneInfo | Any,
) -> None:
    """Hours from order to booking, for orders booked in the period."""
    from koppel.reports.quality import LagStats

    if not table_columns(con, "ledger_orders") or not table_columns(con, "stg_orders"):
        report.notes.append("no ledger yet: no lag from order to booking")
        return
    rows = con.execute(
        "SELECT l.booked_at, epoch(l.booked_at - coalesce(o.date_add, o.date_upd)) "
        "FROM ledger_orders l JOIN stg_orders o USING (order_id) "
        "WHERE l.status = 'booked' AND l.booked_at >= ? AND l.booked_at < ?",
        [start, end],
    ).fetchall()
    hours: list[Decimal] = []
    per_day: dict[date, list[Decimal]] = {}
    for booked_at, seconds in rows:
        if seconds is None:
            continue
        value = (Decimal(str(seconds)) / 3600).quantize(Decimal("0.01"))
        hours.append(value)
        day = _day_of(days, booked_at, zone)
        if day is not None:
            day.booked += 1
            per_day.setdefault(day.day, []).append(value)
    for key, values in per_day.items():
        days[key].median_lag_hours = _percentile(sorted(values), Decimal("0.5"))
    if hours:
        hours.sort()
        report.lag = LagStats(
            len(hours),
            _percentile(hours, Decimal("0.5")),
            _percentile(hours, Decimal("0.9")),
            hours[-1],
        )
