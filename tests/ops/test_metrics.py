from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from koppel import staging
from koppel.ops import metrics

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.fixture
def con():
    with staging.connect(":memory:") as connection:
        yield connection


def run(con, run_id, hours_ago, loaded, status="completed", kind="import"):
    started = NOW - timedelta(hours=hours_ago)
    metrics.record_run(
        con,
        run_id=run_id,
        profile="demo",
        kind=kind,
        started_at=started,
        finished_at=started + timedelta(minutes=1),
        status=status,
        summary={"loaded": loaded},
    )


def stage_order(con, order_id, hours_ago, eligible=True):
    frame = pd.DataFrame(
        [
            {
                "order_id": order_id,
                "eligible": eligible,
                "date_upd": NOW - timedelta(hours=hours_ago),
                "payload_hash": "h",
                "run_id": "r",
                "fetched_at": NOW,
            }
        ]
    )
    staging.upsert_frame(con, "stg_orders", frame, ["order_id"])


def test_record_run_updates_the_same_row_when_finished(con):
    started = NOW - timedelta(minutes=5)
    metrics.record_run(
        con,
        run_id="r1",
        profile="demo",
        kind="import",
        started_at=started,
        finished_at=None,
        status="running",
    )
    metrics.record_run(
        con,
        run_id="r1",
        profile="demo",
        kind="import",
        started_at=started,
        finished_at=NOW,
        status="completed",
        summary={"loaded": 4},
    )
    [record] = metrics.last_runs(con)
    assert (record.status, record.finished_at, record.summary) == (
        "completed",
        NOW,
        {"loaded": 4},
    )


def test_record_run_refuses_naive_times(con):
    with pytest.raises(ValueError):
        metrics.record_run(
            con,
            run_id="r",
            profile="demo",
            kind="import",
            started_at=NOW.replace(tzinfo=None),
            finished_at=None,
            status="running",
        )


def test_last_runs_newest_first_and_limited(con):
    for i in range(7):
        run(con, f"r{i}", hours_ago=10 - i, loaded=i)
    records = metrics.last_runs(con, limit=3)
    assert [r.run_id for r in records] == ["r6", "r5", "r4"]


def test_last_booking_ignores_runs_that_booked_nothing_or_failed(con):
    run(con, "booked", hours_ago=30, loaded=2)
    run(con, "empty", hours_ago=2, loaded=0)
    run(con, "failed", hours_ago=1, loaded=5, status="failed")
    run(con, "preview", hours_ago=1, loaded=5, kind="dry-run")
    assert metrics.last_booking_at(con) == NOW - timedelta(hours=30, minutes=-1)


def test_silent_stop_fires_when_nothing_booked_but_orders_arrived(con):
    run(con, "old", hours_ago=48, loaded=3)
    run(con, "recent", hours_ago=1, loaded=0)
    stage_order(con, 1, hours_ago=5)
    alert = metrics.check_silent_stop(con, profile="demo", hours=24, now=NOW)
    assert alert is not None
    assert alert.eligible_orders == 1
    assert alert.last_booking_at == NOW - timedelta(hours=48, minutes=-1)


@pytest.mark.parametrize(
    "case", ["recent-booking", "no-eligible-orders", "too-young", "only-ineligible"]
)
def test_silent_stop_stays_quiet(con, case):
    run(con, "first", hours_ago=48, loaded=0)
    if case == "recent-booking":
        run(con, "booked", hours_ago=3, loaded=1)
        stage_order(con, 1, hours_ago=2)
    elif case == "too-young":
        con.execute("DELETE FROM runs")
        run(con, "young", hours_ago=2, loaded=0)
        stage_order(con, 1, hours_ago=1)
    elif case == "only-ineligible":
        stage_order(con, 1, hours_ago=1, eligible=False)
    assert metrics.check_silent_stop(con, profile="demo", hours=24, now=NOW) is None


def test_booked_nummers_reads_the_ledger_and_maps_unknown_to_none(con):
    con.execute(
        "DROP TABLE IF EXISTS ledger_orders;"
        "CREATE TABLE ledger_orders (order_id BIGINT, nummer BIGINT);"
        "INSERT INTO ledger_orders VALUES (1, 1001), (2, NULL)"
    )
    assert metrics.booked_nummers(con, [2, 1, 3]) == {1: 1001, 2: None, 3: None}


def test_booked_nummers_without_ledger_is_all_none(con):
    con.execute("DROP TABLE IF EXISTS ledger_orders")
    assert metrics.booked_nummers(con, [4]) == {4: None}
