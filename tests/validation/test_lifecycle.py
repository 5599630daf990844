"""validate_orders and the quarantine lifecycle: new versions, retries,
ignores, orders held by later stages, and the figures of a run."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import duckdb

from koppel import quarantine, staging
from koppel.quarantine import QuarantineEntry
from koppel.reasons import Reason
from koppel.validation import read_figures, validate_orders
from tests.validation.corpus import Fixture, frozen_now, load_fixture, stage_fixture

CLEAN = load_fixture("clean")
CLEAN_ID = CLEAN.order_ids[0]
BAD = load_fixture("bad/04_total_off_by_cents")
BAD_ID = BAD.order_ids[0]


def _validate(con: duckdb.DuckDBPyConnection, profile: Any, run_id: str, ids=None):
    return validate_orders(
        con, profile=profile, run_id=run_id, order_ids=ids, now=frozen_now()
    )


def _variant(fixture: Fixture, table: str, index: int, **values: Any) -> Fixture:
    """The fixture with some values of one row changed: a newer version."""
    rows = copy.deepcopy(fixture.rows)
    rows[table][index].update(values)
    return Fixture(fixture.name, fixture.kind, fixture.quirk, {}, rows)


def _fixed(bad: Fixture) -> Fixture:
    """The malformed order with its total corrected (paid 129.40)."""
    return _variant(bad, "orders", 0, total_paid_tax_incl="129.400000")


def test_quarantined_order_is_released_when_a_fixed_version_arrives(con, profile):
    stage_fixture(con, BAD, run_id="r1")
    first = _validate(con, profile, "r1", [BAD_ID])
    stage_fixture(con, _fixed(BAD), run_id="r2")

    second = _validate(con, profile, "r2", [])

    assert first.quarantined == {BAD_ID: [Reason.TOTAL_MISMATCH]}
    assert second.released_order_ids == [BAD_ID]
    assert second.passed_order_ids == [BAD_ID]
    assert quarantine.open_order_ids(con) == set()


def test_unchanged_quarantined_order_is_not_validated_again(con, profile):
    stage_fixture(con, BAD, run_id="r1")
    _validate(con, profile, "r1", [BAD_ID])

    again = _validate(con, profile, "r2", [])

    assert again.checked == 0
    assert quarantine.open_order_ids(con) == {BAD_ID}


def test_newer_version_failing_otherwise_replaces_the_old_reasons(con, profile):
    stage_fixture(con, BAD, run_id="r1")
    _validate(con, profile, "r1", [BAD_ID])
    other = _variant(_fixed(BAD), "customers", 0, email="no-at-sign")
    stage_fixture(con, other, run_id="r2")

    result = _validate(con, profile, "r2", [])

    assert result.quarantined == {BAD_ID: [Reason.BAD_EMAIL]}
    assert quarantine.show(con, BAD_ID)["reasons"] == ["bad_email"]


def test_retry_validates_again_and_clears_the_request(con, profile):
    stage_fixture(con, BAD, run_id="r1")
    _validate(con, profile, "r1", [BAD_ID])
    quarantine.request_retry(con, [BAD_ID])

    result = _validate(con, profile, "r2", [])

    assert result.checked == 1
    assert result.quarantined == {BAD_ID: [Reason.TOTAL_MISMATCH]}
    assert quarantine.show(con, BAD_ID)["retry_requested"] is False


def test_order_passes_after_profile_tolerance_is_raised_and_retried(con, profile):
    stage_fixture(con, BAD, run_id="r1")
    _validate(con, profile, "r1", [BAD_ID])
    quarantine.request_retry(con, None)
    lenient = profile.model_copy(
        update={
            "validation": profile.validation.model_copy(
                update={"total_tolerance": Decimal("0.05")}
            )
        }
    )

    result = _validate(con, lenient, "r2", [])

    assert result.released_order_ids == [BAD_ID]


def test_order_held_by_mapping_stays_held_while_unchanged(con, profile):
    ambiguous = QuarantineEntry(CLEAN_ID, Reason.AMBIGUOUS_CUSTOMER, "customer")
    quarantine.add(con, [ambiguous], run_id="r1", stage="map")

    result = _validate(con, profile, "r2", [CLEAN_ID])

    assert result.held_order_ids == [CLEAN_ID]
    assert result.passed_order_ids == []
    assert quarantine.open_order_ids(con) == {CLEAN_ID}


def test_order_held_by_mapping_is_released_by_a_newer_version(con, profile):
    quarantine.add(
        con,
        [QuarantineEntry(CLEAN_ID, Reason.UNKNOWN_ARTICLE, "order_lines[1]")],
        run_id="r1",
        stage="map",
    )
    stage_fixture(con, _variant(CLEAN, "orders", 0, payment="iDEAL"), run_id="r2")

    result = _validate(con, profile, "r2", [])

    assert result.released_order_ids == [CLEAN_ID]
    assert result.passed_order_ids == [CLEAN_ID]


def test_order_rejected_by_snelstart_is_released_by_a_retry(con, profile):
    rejected = QuarantineEntry(CLEAN_ID, Reason.SNELSTART_REJECTED, "snelstart", "E9")
    quarantine.add(con, [rejected], run_id="r1", stage="load")
    quarantine.request_retry(con, [CLEAN_ID])

    result = _validate(con, profile, "r2", [])

    assert result.passed_order_ids == [CLEAN_ID]
    assert quarantine.open_order_ids(con) == set()


def test_ignored_order_never_passes_even_when_valid(con, profile):
    quarantine.ignore(con, CLEAN_ID, "test order")

    result = _validate(con, profile, "r2", None)

    assert result.passed_order_ids == []
    assert result.ignored_order_ids == [CLEAN_ID]
    assert quarantine.open_order_ids(con) == {CLEAN_ID}


def test_order_no_longer_eligible_leaves_quarantine_unbooked(con, profile):
    stage_fixture(con, BAD, run_id="r1")
    _validate(con, profile, "r1", [BAD_ID])
    cancelled = _variant(BAD, "orders", 0, eligible=False, state_name="Canceled")
    stage_fixture(con, cancelled, run_id="r2")

    result = _validate(con, profile, "r2", [])

    assert result.skipped_order_ids == [BAD_ID]
    assert result.released_order_ids == [BAD_ID]
    assert result.passed_order_ids == []
    assert quarantine.show(con, BAD_ID)["events"][-1]["detail"] == "no longer eligible"


def test_orphan_line_is_released_when_its_order_arrives(con, profile):
    orphan = load_fixture("bad/50_orphan_line")
    stage_fixture(con, orphan, run_id="r1")
    order_id = next(iter(orphan.expect))
    first = _validate(con, profile, "r1", None)
    arrived = copy.deepcopy(CLEAN.rows)
    arrived["orders"][0].update(order_id=order_id, reference="ARRIVEDXX")
    arrived["lines"] = [dict(orphan.rows["lines"][0], total_price_tax_incl=None)]
    arrived["lines"][0]["quantity"] = 2
    arrived["discounts"], arrived["payments"] = [], []
    arrived["orders"][0].update(
        total_products_wt="108.000000",
        total_discounts_tax_incl="0.000000",
        total_paid_tax_incl="112.950000",
    )
    stage_fixture(con, Fixture("arrived", "", None, {}, arrived), run_id="r2")

    second = _validate(con, profile, "r2", [order_id])

    assert first.quarantined[order_id] == [Reason.ORPHAN_LINE]
    assert second.released_order_ids == [order_id]


def test_figures_of_a_run_are_stored_per_reason(con, profile):
    stage_fixture(con, BAD, run_id="r1")
    stage_fixture(con, load_fixture("bad/38_gdpr_anonymised"), run_id="r1")

    result = _validate(con, profile, "r1", None)
    stored = read_figures(con, "r1")

    assert result.figures == {
        Reason.TOTAL_MISMATCH: 1,
        Reason.BAD_POSTCODE: 1,
        Reason.BAD_VAT_NUMBER: 1,
    }
    assert len(stored) == 1
    assert (stored[0]["checked"], stored[0]["passed"], stored[0]["quarantined"]) == (
        3,
        1,
        2,
    )
    assert stored[0]["reasons"] == {
        "bad_postcode": 1,
        "bad_vat_number": 1,
        "total_mismatch": 1,
    }


def test_figures_of_a_run_validated_twice_are_replaced(con, profile):
    stage_fixture(con, BAD, run_id="r1")
    _validate(con, profile, "r1", None)
    stage_fixture(con, _fixed(BAD), run_id="r1")

    _validate(con, profile, "r1", None)

    stored = read_figures(con, "r1")
    assert len(stored) == 1
    assert (stored[0]["quarantined"], stored[0]["released"]) == (0, 1)
    assert stored[0]["reasons"] == {}


def test_validate_with_nothing_staged_checks_nothing(profile):
    with staging.connect(":memory:") as empty:
        result = validate_orders(empty, profile=profile, run_id="r1")

    assert (result.checked, result.passed_order_ids, result.quarantined) == (0, [], {})
