from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import duckdb
import pytest

from koppel import staging
from koppel.reports import quality_report
from tests.reports import builders as b

SINCE, UNTIL = date(2026, 11, 1), date(2026, 11, 30)
PROFILE = b.profile()
NOON = datetime(2026, 11, 10, 11, 0, tzinfo=UTC)


@pytest.fixture
def bare() -> Iterator[duckdb.DuckDBPyConnection]:
    """Only the core staging tables: no stage has added its own yet."""
    with duckdb.connect(":memory:") as con:
        con.execute("SET TimeZone='UTC'")
        con.execute(staging.CORE_DDL)
        yield con


def _run(con, run_id: str, at: datetime, status: str, **summary) -> None:
    con.execute(
        "INSERT INTO runs VALUES (?, 'shop', 'import', ?, ?, ?, ?)",
        [run_id, at, at + timedelta(minutes=1), status, json.dumps(summary)],
    )


def test_quality_report_counts_runs_retries_and_waits(bare):
    _run(bare, "r1", NOON, "completed", retries=2, throttle_wait_seconds=1.25)
    _run(bare, "r2", NOON + timedelta(hours=1), "failed", load={"retries": 3})
    _run(bare, "r3", NOON - timedelta(days=40), "completed", retries=50)

    report = quality_report(bare, since=SINCE, until=UNTIL, profile=PROFILE)

    assert report.runs == 2
    assert report.runs_by_status == {"completed": 1, "failed": 1}
    assert report.retries == 5
    assert report.throttle_wait_seconds == Decimal("1.25")
    tenth = next(d for d in report.days if d.day == date(2026, 11, 10))
    assert (tenth.runs, tenth.failed_runs) == (2, 1)


def test_quality_report_pass_rate_from_run_summaries_without_figures(bare):
    _run(bare, "r1", NOON, "completed", validated=10, quarantined=1)
    _run(bare, "r2", NOON, "completed", validated=10, passed=10)

    report = quality_report(bare, since=SINCE, until=UNTIL, profile=PROFILE)

    assert (report.checked, report.passed) == (20, 19)
    assert report.pass_rate == Decimal("0.95")


def test_quality_report_prefers_validation_figures(con):
    pytest.importorskip("koppel.validation.figures")
    staging.ensure_schema(con)
    con.execute(
        "INSERT INTO dq_runs VALUES ('r1', 'shop', 40, 30, 10, 0, 0, 0, 0, 0, ?)",
        [NOON],
    )
    _run(con, "r1", NOON, "completed", validated=999)

    report = quality_report(con, since=SINCE, until=UNTIL, profile=PROFILE)

    assert (report.checked, report.passed) == (40, 30)
    assert report.pass_rate == Decimal("0.75")


def test_quality_report_quarantine_per_reason(con):
    for order_id, reason in ((1, "bad_email"), (2, "bad_email"), (3, "no_lines")):
        b.add_order(con, order_id)
        b.quarantine(con, order_id, reason)

    report = quality_report(
        con, since=SINCE, until=date.today() + timedelta(days=1), profile=PROFILE
    )

    counts = {q.reason: (q.new, q.open) for q in report.quarantine}
    assert counts == {"bad_email": (2, 2), "no_lines": (1, 1)}


def test_quality_report_lists_schema_drift_events(bare):
    bare.execute(
        "CREATE TABLE schema_drift (run_id VARCHAR, resource VARCHAR, path VARCHAR, "
        "change VARCHAR, records INTEGER, detected_at TIMESTAMPTZ)"
    )
    bare.execute(
        "INSERT INTO schema_drift VALUES ('r1', 'orders', 'note', 'appeared', 3, ?)",
        [NOON],
    )

    report = quality_report(bare, since=SINCE, until=UNTIL, profile=PROFILE)

    assert [(d.resource, d.field, d.change) for d in report.drift] == [
        ("orders", "note", "appeared")
    ]


def test_quality_report_lag_from_order_to_booking(con):
    for order_id, hours in ((1, 1), (2, 2), (3, 30)):
        b.add_order(con, order_id)  # placed 12:00 Amsterdam = 11:00 UTC
        b.book(
            con,
            order_id,
            nummer=order_id,
            lines=[],
            booked_at=NOON + timedelta(hours=hours),
        )

    report = quality_report(con, since=SINCE, until=UNTIL, profile=PROFILE)

    assert report.lag is not None
    assert (report.lag.count, report.lag.median, report.lag.max) == (
        3,
        Decimal("2.00"),
        Decimal("30.00"),
    )
    assert sum(d.booked for d in report.days) == 3


def test_quality_report_missing_tables_become_notes(bare):
    report = quality_report(bare, since=SINCE, until=UNTIL)

    assert report.runs == 0
    assert report.lag is None
    assert len(report.notes) == 3
    assert len(report.days) == 30


def test_quality_report_views_are_json_ready(bare):
    _run(bare, "r1", NOON, "completed", validated=4, passed=3, retries=1)

    report = quality_report(bare, since=SINCE, until=UNTIL, profile=PROFILE)

    json.dumps(report.to_dict())
    rows = {r["figure"]: r["value"] for r in report.to_table_rows()}
    assert rows["pass rate"] == "75.0%"
    assert "| pass rate | 75.0% |" in report.to_markdown()
