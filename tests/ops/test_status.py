from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from koppel import staging
from koppel.ops import metrics
from koppel.ops.backfill import BackfillProgress, write_progress
from koppel.ops.status import collect_status, render_status
from koppel.profile import load_profile

ROOT = Path(__file__).parents[2]
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.fixture
def profile(tmp_path):
    text = (ROOT / "profiles" / "demo.toml").read_text(encoding="utf-8")
    path = tmp_path / "demo.toml"
    path.write_text(text.replace('data_dir = "data"', f'data_dir = "{tmp_path}"'))
    return load_profile(path)


def test_status_of_profile_that_never_ran(profile):
    status = collect_status(profile, now=NOW)
    assert status.state == "never run"
    assert status.schedule == "every 15 min (Europe/Amsterdam)"
    assert status.next_run == NOW + timedelta(minutes=15)  # NOW is on a quarter


def test_status_reads_runs_watermark_ledger_quarantine_and_backfills(profile):
    # raw DuckDB: only the core schema, plus the two tables status reads
    con = duckdb.connect(str(profile.database_path))
    try:
        con.execute("SET TimeZone='UTC'")
        con.execute(staging.CORE_DDL)
        metrics.record_run(
            con,
            run_id="r1",
            profile="demo",
            kind="import",
            started_at=NOW - timedelta(minutes=10),
            finished_at=NOW - timedelta(minutes=9),
            status="completed",
            summary={"loaded": 4, "quarantined": 1},
        )
        staging.set_state(con, "orders.watermark", "2026-12-01 12:55:00")
        write_progress(
            con, BackfillProgress("backfill:a/b/86400", 30, 12, "2026-11-13")
        )
        write_progress(con, BackfillProgress("backfill:c/d/86400", 3, 3, "2026-11-03"))
        con.execute(
            "CREATE TABLE ledger_orders (order_id BIGINT, status VARCHAR);"
            "INSERT INTO ledger_orders VALUES (1, 'booked'), (2, 'booked'),"
            " (3, 'intent');"
            "CREATE TABLE quarantine_orders (order_id BIGINT, status VARCHAR);"
            "INSERT INTO quarantine_orders VALUES (7, 'open'), (8, 'released');"
        )
    finally:
        con.close()
    status = collect_status(profile, now=NOW)
    assert status.state == "ok"
    assert [r.run_id for r in status.runs] == ["r1"]
    assert status.watermarks == {"orders.watermark": "2026-12-01 12:55:00"}
    assert status.ledger == {"booked": 2, "intent": 1}
    assert status.quarantine_open == 1
    assert [b.done for b in status.backfills] == [12]
    assert status.next_run == NOW + timedelta(minutes=15)
    text = render_status([status])
    assert "booked 2" in text
    assert "12/30 chunks" in text
    assert status.as_dict()["runs"][0]["loaded"] == 4


def test_status_of_database_held_by_another_process_is_busy(profile):
    import subprocess
    import sys

    with staging.connect(profile.database_path):
        pass
    code = (
        "import duckdb, sys\n"
        f"con = duckdb.connect({str(profile.database_path)!r})\n"
        "print('held', flush=True)\n"
        "sys.stdin.readline()\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "held"
        assert collect_status(profile, now=NOW).state.startswith("busy")
    finally:
        child.stdin.close()
        child.wait(timeout=30)
