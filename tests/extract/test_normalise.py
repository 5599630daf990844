"""Records to staging frames, on the real test-shop records."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
import pytest

from koppel import staging
from koppel.prestashop import normalise as norm
from koppel.prestashop.frames import COLUMNS, frame
from koppel.prestashop.refs import (
    parse_countries,
    parse_currencies,
    parse_order_states,
    parse_taxes,
)
from koppel.prestashop.values import flag, ident, money, strip_secrets, text, whole
from tests.extract.conftest import real_records, state_records

AMS = ZoneInfo("Europe/Amsterdam")
FETCHED = datetime(2024, 1, 1, tzinfo=UTC)


def _refs(real) -> norm.Refs:
    return norm.Refs(
        parse_order_states([*state_records(), real["order_states"]]),
        parse_countries([real["countries"]]),
        parse_currencies([real["currencies"]]),
        parse_taxes([real["taxes"]]),
    )


def _orders(real, order=None, **kwargs) -> pd.DataFrame:
    defaults = {
        "zone": AMS,
        "import_states": ["paid", "logable"],
        "paid_at": {},
        "hashes": {1: "h"},
        "run_id": "r",
        "fetched_at": FETCHED,
    }
    return norm.orders_frame(
        [order or real["orders"]], _refs(real), **defaults | kwargs
    )


def test_orders_frame_real_order_types_and_values():
    real = real_records()
    row = _orders(real).iloc[0]
    assert row["order_id"] == 1
    assert row["total_paid_tax_incl"] == Decimal("68.200000")
    assert isinstance(row["total_paid_tax_incl"], Decimal)
    assert row["currency_iso"] == "USD"
    assert row["invoice_number"] is pd.NA
    assert row["invoice_date"] is pd.NaT
    assert row["date_upd_local"] == "2022-05-17 17:50:34"
    assert row["date_upd"] == pd.Timestamp("2022-05-17 15:50:34", tz="UTC")


def test_orders_frame_cancelled_state_is_not_eligible():
    real = real_records()
    row = _orders(real).iloc[0]
    assert row["current_state"] == 6
    assert row["state_name"] == "Canceled"
    assert not row["eligible"]


@pytest.mark.parametrize(
    ("state", "kinds", "eligible"),
    [
        ("2", ["paid", "logable"], True),
        ("9", ["paid", "logable"], True),
        ("9", ["logable"], False),
        ("10", ["paid", "logable", "invoice"], False),
        ("99", ["paid"], False),
    ],
    ids=["accepted", "backorder-paid", "backorder-logable-only", "awaiting", "unknown"],
)
def test_orders_frame_eligibility_follows_state_flags(state, kinds, eligible):
    real = real_records()
    order = copy.deepcopy(real["orders"]) | {"current_state": state}
    row = _orders(real, order, import_states=kinds).iloc[0]
    assert bool(row["eligible"]) is eligible


def test_orders_frame_never_holds_secure_key():
    real = real_records()
    data = _orders(real)
    secret = real["orders"]["secure_key"]
    assert not data.astype(str).apply(lambda c: c.str.contains(secret)).any().any()


def test_frames_match_the_staging_schema():
    con = duckdb.connect()
    staging.ensure_schema(con)
    for table, columns in COLUMNS.items():
        described = con.execute(f"DESCRIBE {table}").fetchall()
        assert [row[0] for row in described] == list(columns), table


def test_frame_empty_rows_give_typed_empty_frame():
    data = frame([], "stg_orders")
    assert data.empty
    assert list(data.columns) == list(COLUMNS["stg_orders"])
    assert str(data["date_upd"].dtype) == "datetime64[us, UTC]"


@pytest.mark.parametrize(
    ("taxes", "incl", "excl", "expected"),
    [
        ([{"id": "1"}], "24.200000", "20.000000", Decimal("4.000")),
        (None, "20.000000", "20.000000", Decimal("0.000")),
        (None, "24.200000", "20.000000", None),
        ([{"id": "1"}, {"id": "2"}], "24.200000", "20.000000", None),
        ([{"id": "77"}], "24.200000", "20.000000", None),
    ],
    ids=["one-tax", "untaxed", "missing-link", "several", "deleted-tax"],
)
def test_tax_rate_of_cases(taxes, incl, excl, expected):
    real = real_records()
    detail = {"unit_price_tax_incl": incl, "unit_price_tax_excl": excl}
    if taxes is not None:
        detail["associations"] = {"taxes": taxes}
    assert norm.tax_rate_of(detail, _refs(real).taxes) == expected


def test_order_lines_follow_order_rows_and_keep_detail_totals():
    real = real_records()
    details = [real["order_details"]]
    lines = norm.order_lines_frame([real["orders"]], details, _refs(real), run_id="r")
    assert list(lines["line_id"]) == [1, 2]
    assert list(lines["position"]) == [1, 2]
    first, second = lines.iloc[0], lines.iloc[1]
    assert first["total_price_tax_incl"] == Decimal("23.900000")
    assert first["tax_rate"] == Decimal("0.000")
    # row 2 has no order_details record: totals and tax are unknown
    assert second["total_price_tax_incl"] is None
    assert second["tax_rate"] is None
    assert second["product_reference"] == "demo_3"


def test_customers_frame_unescapes_names_and_drops_zero_dates():
    real = real_records()
    customer = real["customers"] | {
        "lastname": "D &amp;amp; G",
        "company": "&#039;t Hof",
    }
    row = norm.customers_frame([customer], zone=AMS, run_id="r").iloc[0]
    assert row["lastname"] == "D & G"
    assert row["company"] == "'t Hof"
    assert "passwd" not in row.index
    assert "secure_key" not in row.index


def test_addresses_frame_resolves_country_iso():
    real = real_records()
    address = real["addresses"] | {"id_country": "1", "address1": "Stra&szlig;e 1"}
    row = norm.addresses_frame([address], _refs(real), zone=AMS, run_id="r").iloc[0]
    assert row["country_iso"] == "DE"
    assert row["address1"] == "Straße 1"
    assert row["address2"] is None


def test_payments_and_discounts_frames():
    real = real_records()
    payments = norm.payments_frame(
        [real["order_payments"]], _refs(real), zone=AMS, run_id="r"
    )
    assert payments.iloc[0]["amount"] == Decimal("35.720000")
    assert payments.iloc[0]["currency_iso"] == "USD"
    rule = {
        "id": 55,
        "id_order": "1042",
        "id_cart_rule": "12",
        "name": "Welkomst &amp; korting",
        "value": "5.000000",
        "value_tax_excl": "4.160000",
        "free_shipping": "0",
    }
    discount = norm.discounts_frame([rule], run_id="r").iloc[0]
    assert discount["name"] == "Welkomst & korting"
    assert discount["value_tax_excl"] == Decimal("4.160000")
    assert bool(discount["free_shipping"]) is False


def test_paid_dates_first_entry_into_a_paid_state():
    states = parse_order_states(state_records())
    histories = [
        {
            "id": 3,
            "id_order": "7",
            "id_order_state": "4",
            "date_add": "2024-03-03 10:00:00",
        },
        {
            "id": 1,
            "id_order": "7",
            "id_order_state": "10",
            "date_add": "2024-03-01 10:00:00",
        },
        {
            "id": 2,
            "id_order": "7",
            "id_order_state": "2",
            "date_add": "2024-03-02 10:00:00",
        },
        {
            "id": 4,
            "id_order": "8",
            "id_order_state": "6",
            "date_add": "2024-03-02 10:00:00",
        },
    ]
    result = norm.paid_dates(histories, states, AMS)
    assert result == {7: datetime(2024, 3, 2, 9, tzinfo=UTC)}


def test_multilingual_names_pick_the_profile_language():
    records = [
        {
            "id": 2,
            "paid": "1",
            "name": [{"id": "1", "value": "Paid"}, {"id": "2", "value": "Betaald"}],
        }
    ]
    assert parse_order_states(records, 2)[2].name == "Betaald"
    assert parse_order_states(records)[2].name == "Paid"


@pytest.mark.parametrize(
    ("reader", "value", "expected"),
    [
        (whole, "12", 12),
        (whole, 12, 12),
        (whole, "12.000", 12),
        (whole, "1.5", None),
        (whole, None, None),
        (ident, "0", None),
        (ident, "387", 387),
        (flag, "1", True),
        (flag, "0", False),
        (flag, "", None),
        (money, "23.900000", Decimal("23.900000")),
        (money, "", None),
        (money, "abc", None),
        (money, 1.5, None),
        (text, "", None),
        (text, "  A &amp; B ", "A & B"),
    ],
    ids=lambda v: repr(v),
)
def test_value_readers(reader, value, expected):
    assert reader(value) == expected


def test_strip_secrets_removes_password_key_and_token():
    real = real_records()
    clean = strip_secrets(real["customers"])
    assert not {"passwd", "secure_key", "reset_password_token"} & clean.keys()
    assert clean["email"] == real["customers"]["email"]
