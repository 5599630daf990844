"""A run killed between SnelStart's 201 and the ledger's record of it.

Regression: the re-run found those orders in SnelStart (good) but flagged
them `changed_after_booking`, because their customers, created by the killed
run, now had another plan key in the payload. Found by killing `koppel run`
with SIGKILL while it booked against a slow sandbox.
"""

from __future__ import annotations

import duckdb
import pytest

from koppel import pipeline
from koppel.reasons import Reason

pytestmark = pytest.mark.slow


def _run(world) -> dict:
    ctx = pipeline.open_context(str(world.profile), pipeline.new_run_id())
    return pipeline.run_once(ctx)


def _forget_confirmations(database) -> int:
    """Put the ledger back to 'intent committed, answer never recorded'."""
    con = duckdb.connect(str(database))
    try:
        return (
            con.execute(
                "UPDATE ledger_orders SET status = 'pending', snelstart_id = NULL, "
                "nummer = NULL, booked_at = NULL WHERE status = 'booked' "
                "RETURNING order_id"
            )
            .fetchall()
            .__len__()
        )
    finally:
        con.close()


def test_rerun_after_lost_confirmations_recovers_without_flags(world):
    first = _run(world)
    assert first["customers_created"] > 0, "needs customers created by run 1"
    booked = world.administration.count("verkooporders")
    assert _forget_confirmations(world.database) == first["loaded"]

    second = _run(world)

    assert world.administration.count("verkooporders") == booked
    assert second["loaded"] == first["loaded"]  # recovered, none posted again
    assert second["quarantined"] == 0
    con = duckdb.connect(str(world.database), read_only=True)
    try:
        flagged = con.execute(
            "SELECT count(*) FROM quarantine_entries WHERE reason_code = ?",
            [str(Reason.CHANGED_AFTER_BOOKING)],
        ).fetchone()[0]
        statuses = dict(
            con.execute(
                "SELECT status, count(*) FROM ledger_orders GROUP BY status"
            ).fetchall()
        )
    finally:
        con.close()
    assert flagged == 0
    assert statuses == {"booked": first["loaded"]}
