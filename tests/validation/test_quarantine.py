"""The quarantine store: entries, lifecycle, and the views the CLI prints."""

from __future__ import annotations

import duckdb
import pytest

from koppel import quarantine
from koppel.exceptions import QuarantineError
from koppel.plan import PlanIssue
from koppel.quarantine import QuarantineEntry
from koppel.reasons import Reason
from tests.validation.corpus import load_fixture, stage_fixture, staged_db

CLEAN = load_fixture("clean")
ORDER = CLEAN.order_ids[0]


def _entry(reason: Reason = Reason.BAD_EMAIL, field: str = "customers[1].email"):
    return QuarantineEntry(ORDER, reason, field, "x", "`field` is wrong; got 'x'")


def _entries(con: duckdb.DuckDBPyConnection, status: str | None = None) -> list:
    sql = "SELECT reason_code, field, status, seen FROM quarantine_entries"
    if status:
        return con.execute(sql + " WHERE status = ?", [status]).fetchall()
    return con.execute(sql + " ORDER BY reason_code").fetchall()


def test_add_new_order_holds_it_back_with_its_entry(con):
    quarantine.add(con, [_entry()], run_id="r1", stage="validate")

    assert quarantine.open_order_ids(con) == {ORDER}
    assert _entries(con) == [("bad_email", "customers[1].email", "open", 1)]


def test_add_same_problem_again_counts_it_instead_of_duplicating(con):
    quarantine.add(con, [_entry()], run_id="r1", stage="validate")
    quarantine.add(con, [_entry()], run_id="r2", stage="validate")

    assert _entries(con) == [("bad_email", "customers[1].email", "open", 2)]
    assert quarantine.show(con, ORDER)["last_run_id"] == "r2"


def test_add_with_supersede_resolves_problems_not_found_again(con):
    first = [_entry(), _entry(Reason.NO_LINES, "order_lines")]
    quarantine.add(con, first, run_id="r1", stage="validate")
    quarantine.add(con, [_entry()], run_id="r2", stage="validate", supersede=True)

    assert _entries(con, "open") == [("bad_email", "customers[1].email", "open", 2)]
    assert _entries(con, "resolved") == [("no_lines", "order_lines", "resolved", 1)]


def test_add_without_supersede_keeps_other_stages_entries(con):
    quarantine.add(con, [_entry()], run_id="r1", stage="validate")
    rejected = QuarantineEntry(ORDER, Reason.SNELSTART_REJECTED, "snelstart", "E12")
    quarantine.add(con, [rejected], run_id="r1", stage="load")

    assert quarantine.open_stages(con, [ORDER]) == {ORDER: {"validate", "load"}}


def test_add_unknown_stage_is_refused(con):
    with pytest.raises(QuarantineError):
        quarantine.add(con, [_entry()], run_id="r1", stage="extract")  # type: ignore[arg-type]


def test_add_records_staged_version_and_raw_payload_reference(con):
    quarantine.add(con, [_entry()], run_id="r1", stage="validate")

    staged = con.execute(
        "SELECT payload_hash FROM stg_orders WHERE order_id = ?", [ORDER]
    ).fetchall()[0][0]
    detail = quarantine.show(con, ORDER)
    assert detail["payload_hash"] == staged
    assert detail["raw_payload"] == {
        "resource": "orders",
        "record_id": ORDER,
        "payload_hash": staged,
    }


def test_add_for_an_unstaged_order_has_no_raw_reference(con):
    entry = QuarantineEntry(9999, Reason.ORPHAN_LINE, "order_lines[1].order_id", "9999")
    quarantine.add(con, [entry], run_id="r1", stage="validate")

    detail = quarantine.show(con, 9999)
    assert detail["raw_payload"] is None
    assert detail["payload_hash"] is None


def test_add_inside_callers_transaction_rolls_back_with_it(clean_db):
    clean_db.execute("BEGIN TRANSACTION")
    quarantine.add(clean_db, [_entry()], run_id="r1", stage="validate")
    clean_db.execute("ROLLBACK")

    assert quarantine.open_order_ids(clean_db) == set()


def test_add_outside_a_transaction_commits_on_its_own():
    with staged_db(CLEAN) as con:
        quarantine.add(con, [_entry()], run_id="r1", stage="validate")
        con.execute("BEGIN TRANSACTION")
        con.execute("ROLLBACK")

        assert quarantine.open_order_ids(con) == {ORDER}


def test_entry_from_plan_issue_keeps_reason_field_and_value():
    issue = PlanIssue(
        7, Reason.AMBIGUOUS_CUSTOMER, "customer", "a@b.nl", "two relaties"
    )

    entry = QuarantineEntry.from_issue(issue)

    assert (entry.order_id, entry.reason, entry.field, entry.value) == (
        7,
        Reason.AMBIGUOUS_CUSTOMER,
        "customer",
        "a@b.nl",
    )


def test_release_lets_open_order_go_and_keeps_history(con):
    quarantine.add(con, [_entry()], run_id="r1", stage="validate")
    quarantine.release(con, [ORDER], run_id="r2")

    assert quarantine.open_order_ids(con) == set()
    assert _entries(con) == [("bad_email", "customers[1].email", "released", 1)]
    assert [e["action"] for e in quarantine.show(con, ORDER)["events"]] == [
        "quarantined",
        "released",
    ]


def test_add_after_release_reopens_the_order(con):
    quarantine.add(con, [_entry()], run_id="r1", stage="validate")
    quarantine.release(con, [ORDER], run_id="r2")
    quarantine.add(con, [_entry()], run_id="r3", stage="map")

    detail = quarantine.show(con, ORDER)
    assert detail["status"] == "open"
    assert detail["first_run_id"] == "r3"


def test_ignore_needs_a_reason(con):
    with pytest.raises(QuarantineError):
        quarantine.ignore(con, ORDER, "   ")


def test_ignore_unknown_order_is_refused(con):
    with pytest.raises(QuarantineError):
        quarantine.ignore(con, 424242, "typo?")


def test_ignore_staged_order_outside_quarantine_holds_it_back(con):
    quarantine.ignore(con, ORDER, "test order placed by the shop owner")

    assert quarantine.open_order_ids(con) == {ORDER}
    assert quarantine.ignored_order_ids(con) == {ORDER}
    assert quarantine.show(con, ORDER)["ignore_reason"] == (
        "test order placed by the shop owner"
    )


def test_ignored_order_is_not_released_and_new_entries_stay_ignored(con):
    quarantine.add(con, [_entry()], run_id="r1", stage="validate")
    quarantine.ignore(con, ORDER, "duplicate of 1043")
    quarantine.release(con, [ORDER], run_id="r2")
    quarantine.add(
        con, [_entry(Reason.NO_LINES, "order_lines")], run_id="r3", stage="validate"
    )

    assert quarantine.ignored_order_ids(con) == {ORDER}
    assert {status for _, _, status, _ in _entries(con)} == {"ignored"}


def test_request_retry_of_all_marks_open_orders_only(con):
    other = QuarantineEntry(777, Reason.ORPHAN_LINE, "order_lines[1].order_id")
    quarantine.add(con, [_entry(), other], run_id="r1", stage="validate")
    quarantine.ignore(con, 777, "never arrives")

    assert quarantine.request_retry(con, None) == [ORDER]
    assert quarantine.due_order_ids(con) == [ORDER]


def test_request_retry_of_ignored_order_reopens_it(con):
    quarantine.add(con, [_entry()], run_id="r1", stage="validate")
    quarantine.ignore(con, ORDER, "looked wrong")

    assert quarantine.request_retry(con, [ORDER, 5]) == [ORDER]
    detail = quarantine.show(con, ORDER)
    assert (detail["status"], detail["retry_requested"]) == ("open", True)
    assert detail["ignore_reason"] is None
    assert _entries(con, "open")


def test_request_retry_of_no_ids_marks_nothing(con):
    quarantine.add(con, [_entry()], run_id="r1", stage="validate")

    assert quarantine.request_retry(con, []) == []
    assert quarantine.due_order_ids(con) == []


def test_newer_staged_version_makes_an_open_order_due(con):
    quarantine.add(con, [_entry()], run_id="r1", stage="map")
    assert quarantine.due_order_ids(con) == []

    newer = load_fixture("clean")
    newer.rows["orders"][0]["payment"] = "iDEAL"
    stage_fixture(con, newer, run_id="r2")

    assert quarantine.due_order_ids(con) == [ORDER]


def test_list_entries_filters_by_status(con):
    other = QuarantineEntry(777, Reason.ORPHAN_LINE, "order_lines[1].order_id")
    quarantine.add(con, [_entry(), other], run_id="r1", stage="validate")
    quarantine.ignore(con, 777, "never arrives")

    assert [r["order_id"] for r in quarantine.list_entries(con)] == [ORDER]
    assert [r["order_id"] for r in quarantine.list_entries(con, "ignored")] == [777]
    assert len(quarantine.list_entries(con, "all")) == 2
    row = quarantine.list_entries(con)[0]
    assert row["reasons"] == ["bad_email"]
    assert row["reference"] == CLEAN.rows["orders"][0]["reference"]


def test_list_entries_unknown_status_is_refused(con):
    with pytest.raises(QuarantineError):
        quarantine.list_entries(con, "closed")


def test_show_order_never_quarantined_is_refused(con):
    with pytest.raises(QuarantineError):
        quarantine.show(con, ORDER)


def test_show_lists_run_ids_entries_and_events(con):
    quarantine.add(con, [_entry()], run_id="r1", stage="validate")
    quarantine.add(con, [_entry()], run_id="r2", stage="validate")
    quarantine.request_retry(con, [ORDER])

    detail = quarantine.show(con, ORDER)

    assert detail["run_ids"] == ["r1", "r2"]
    assert detail["reasons"] == ["bad_email"]
    assert detail["entries"][0]["seen"] == 2
    assert [e["action"] for e in detail["events"]] == ["quarantined", "retry"]


def test_format_entries_renders_one_line_per_order(con):
    quarantine.add(con, [_entry()], run_id="r1", stage="validate")

    text = quarantine.format_entries(quarantine.list_entries(con))

    assert str(ORDER) in text and "bad_email" in text
    assert text.splitlines()[-1] == "1 order"
    assert quarantine.format_entries([]) == "no orders in quarantine"


def test_format_show_names_reason_field_and_value(con):
    quarantine.add(con, [_entry()], run_id="r1", stage="validate")

    text = quarantine.format_show(quarantine.show(con, ORDER))

    assert "validate/bad_email customers[1].email = 'x'" in text
