"""The pandera contracts and cross-table checks on frames, without a database
write: wrong types, missing columns, tolerance edges, reference data."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from koppel.reasons import Reason
from koppel.staging import StagedOrders, read_staged
from koppel.validation import CheckContext, Reference, check_staged, read_reference
from tests.validation.corpus import frozen_now, load_fixture, staged_db

CLEAN = load_fixture("clean")
ORDER = CLEAN.order_ids[0]


@pytest.fixture(scope="module")
def staged() -> tuple[StagedOrders, Reference]:
    with staged_db(CLEAN) as con:
        return read_staged(con), read_reference(con)


def _ctx(reference: Reference, tolerance: str = "0.02") -> CheckContext:
    return CheckContext(reference, "EUR", Decimal(tolerance), frozen_now())


def _copy(staged: StagedOrders) -> StagedOrders:
    return StagedOrders(*(getattr(staged, f).copy() for f in _FRAMES))


_FRAMES = ("orders", "lines", "customers", "addresses", "payments", "discounts")


def _found(staged: StagedOrders, ctx: CheckContext) -> set[tuple[int, Reason, str]]:
    return {(e.order_id, e.reason, e.field) for e in check_staged(staged, ctx)}


def _set(frame: Any, column: str, value: Any, row: int = 0) -> None:
    frame.at[row, column] = value


def test_clean_order_read_from_staging_has_no_problem(staged):
    frames, reference = staged
    assert check_staged(frames, _ctx(reference)) == []


@pytest.mark.parametrize(
    ("table", "column", "value", "field"),
    [
        ("orders", "total_paid_tax_incl", 129.4, "orders.total_paid_tax_incl"),
        ("orders", "date_add", datetime(2024, 3, 12, 20, 47), "orders.date_add"),
        ("orders", "eligible", "1", "orders.eligible"),
        ("lines", "quantity", "2", f"order_lines[{ORDER * 10 + 1}].quantity"),
        ("customers", "email", 42, f"customers[{ORDER - 2000}].email"),
    ],
    ids=[
        "float-money",
        "naive-datetime",
        "string-flag",
        "string-quantity",
        "int-email",
    ],
)
def test_value_of_wrong_type_is_bad_type(staged, table, column, value, field):
    frames, reference = staged
    broken = _copy(frames)
    _set(getattr(broken, table), column, value)

    found = _found(broken, _ctx(reference))

    assert (ORDER, Reason.BAD_TYPE, field) in found


def test_missing_column_quarantines_every_order_of_the_batch(staged):
    frames, reference = staged
    broken = _copy(frames)
    broken.customers = broken.customers.drop(columns=["email"])

    found = _found(broken, _ctx(reference))

    assert (ORDER, Reason.MISSING_FIELD, "customers.email") in found


@pytest.mark.parametrize(
    ("paid", "tolerance", "mismatch"),
    [
        ("129.42", "0.02", False),
        ("129.38", "0.02", False),
        ("129.43", "0.02", True),
        ("129.37", "0.02", True),
        ("129.43", "0.05", False),
        ("129.40", "0", False),
        ("129.41", "0", True),
    ],
    ids=lambda v: str(v),
)
def test_total_tolerance_is_inclusive(staged, paid, tolerance, mismatch):
    frames, reference = staged
    changed = _copy(frames)
    _set(changed.orders, "total_paid_tax_incl", Decimal(paid))

    found = _found(changed, _ctx(reference, tolerance))

    expected = (ORDER, Reason.TOTAL_MISMATCH, "orders.total_paid_tax_incl")
    assert (expected in found) is mismatch


def test_line_without_stored_total_is_summed_from_quantity_and_price(staged):
    frames, reference = staged
    changed = _copy(frames)
    _set(changed.lines, "total_price_tax_incl", None)

    assert check_staged(changed, _ctx(reference)) == []


def test_without_reference_data_rates_and_countries_are_not_judged(staged):
    frames, _ = staged
    changed = _copy(frames)
    _set(changed.lines, "tax_rate", Decimal("19.000"), row=2)
    _set(changed.lines, "unit_price_tax_excl", Decimal("7.142857"), row=2)
    _set(changed.addresses, "country_iso", "XK", row=1)

    assert check_staged(changed, _ctx(Reference())) == []
    found = _found(changed, _ctx(staged[1]))
    assert {r for _, r, _ in found} == {Reason.UNKNOWN_TAX_RATE, Reason.BAD_COUNTRY}


def test_foreign_currency_is_judged_against_the_profile_currency(staged):
    frames, reference = staged
    ctx = CheckContext(reference, "USD", Decimal("0.02"), frozen_now())

    found = _found(frames, ctx)

    assert (ORDER, Reason.FOREIGN_CURRENCY, "orders.currency_iso") in found


def test_every_failure_of_an_order_is_collected(staged):
    frames, reference = staged
    broken = _copy(frames)
    _set(broken.customers, "email", "nope")
    _set(broken.addresses, "postcode", "99999")
    _set(broken.lines, "quantity", 0, row=1)

    reasons = {r for _, r, _ in _found(broken, _ctx(reference))}

    assert {Reason.BAD_EMAIL, Reason.BAD_POSTCODE, Reason.NON_POSITIVE_QUANTITY} <= (
        reasons
    )


def test_messages_name_the_field_and_show_the_value(staged):
    frames, reference = staged
    broken = _copy(frames)
    _set(broken.customers, "email", "nope")

    (entry,) = check_staged(broken, _ctx(reference))

    assert entry.field in entry.message and "'nope'" in entry.message
    assert entry.value == "nope"


def test_future_dates_are_judged_against_now(staged):
    frames, reference = staged
    earlier = CheckContext(reference, "EUR", Decimal("0.02"), datetime.fromisoformat(
        "2024-03-01T00:00:00+00:00"
    ))  # fmt: skip

    found = _found(frames, earlier)

    assert (ORDER, Reason.BAD_DATE, "orders.date_add") in found
