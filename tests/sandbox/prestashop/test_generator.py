"""The generated demo shop: deterministic, consistent, with labelled quirks."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from koppel.sandbox.catalogue import PRODUCTS
from koppel.sandbox.prestashop import QUIRKS, Shop, generate_shop
from koppel.sandbox.prestashop.pricing import line_amounts, order_totals

from .conftest import NOW

D = Decimal
# id: (invoice, logable, delivery, shipped, paid), a fresh 1.7/8 install
DEFAULT_STATE_FLAGS = {
    1: "00000", 2: "11001", 3: "11101", 4: "11111", 5: "11111", 6: "00000",
    7: "10000", 8: "00000", 9: "10001", 10: "00000", 11: "11001", 12: "00000",
    13: "00000",
}  # fmt: skip


def _money(order: dict, field: str) -> Decimal:
    return D(order[field])


def _dump(shop: Shop) -> list[tuple]:
    orders = shop.table("orders").values()
    return [
        (o["reference"], o["total_paid"], o["date_upd"], o["current_state"])
        for o in orders
    ]


def test_pricing_worked_example_adds_up_to_the_cent():
    line1 = line_amounts(D("60.00"), D("21"), 2, reduction_percent=D("10"))
    line2 = line_amounts(D("12.95"), D("21"), 1)
    line3 = line_amounts(D("8.50"), D("9"), 1)
    assert (line1.unit_incl, line1.unit_excl) == (D("54.00"), D("44.628099"))
    lines = [(a.total_incl, a.total_excl, a.rate) for a in (line1, line2, line3)]
    totals = order_totals(
        lines, shipping_incl=D("4.95"), shipping_rate=D("21"), voucher_incl=D("5.00")
    )
    assert (totals.products, totals.products_wt) == (D("107.76"), D("129.45"))
    assert (totals.shipping_excl, totals.discounts_excl) == (D("4.09"), D("4.16"))
    assert (totals.paid_incl, totals.paid_excl) == (D("129.40"), D("107.69"))


def test_generate_shop_same_seed_gives_the_same_shop():
    assert _dump(generate_shop(40, seed=5, now=NOW)) == _dump(
        generate_shop(40, seed=5, now=NOW)
    )


def test_generate_shop_other_seed_gives_another_shop():
    assert _dump(generate_shop(40, seed=5, now=NOW)) != _dump(
        generate_shop(40, seed=6, now=NOW)
    )


def test_generate_shop_naive_now_is_refused():
    with pytest.raises(ValueError):
        generate_shop(5, now=datetime(2024, 1, 1))  # noqa: DTZ001


def test_generate_shop_without_now_uses_the_wall_clock():
    shop = generate_shop(3, seed=1)
    assert shop.now is None and len(shop.table("orders")) == 3


def test_orders_dates_fall_in_the_30_days_before_now(shop: Shop):
    for order in shop.table("orders").values():
        assert NOW - timedelta(days=30) <= order["date_add"] <= order["date_upd"] < NOW


def test_order_states_are_the_13_defaults_with_their_flags(shop: Shop):
    states = shop.table("order_states")
    flags = {
        sid: "".join(
            s[f] for f in ("invoice", "logable", "delivery", "shipped", "paid")
        )
        for sid, s in states.items()
    }
    assert flags == DEFAULT_STATE_FLAGS


def test_orders_valid_follows_the_logable_flag(shop: Shop):
    states = shop.table("order_states")
    for order in shop.table("orders").values():
        assert order["valid"] == states[int(order["current_state"])]["logable"]


def test_orders_add_up_to_the_cent_except_the_labelled_mismatch(shop: Shop):
    mismatched = set(shop.orders_with_quirk("cent_mismatch"))
    assert mismatched
    for order_id, order in shop.table("orders").items():
        details = shop.details_of(order_id)
        lines_wt = sum(D(d["total_price_tax_incl"]) for d in details).quantize(
            D("0.01")
        )
        lines_ex = sum(D(d["total_price_tax_excl"]) for d in details).quantize(
            D("0.01")
        )
        paid = (
            _money(order, "total_products_wt")
            + _money(order, "total_shipping_tax_incl")
            + _money(order, "total_wrapping_tax_incl")
            - _money(order, "total_discounts_tax_incl")
        )
        paid_excl = (
            lines_ex
            + _money(order, "total_shipping_tax_excl")
            + _money(order, "total_wrapping_tax_excl")
            - _money(order, "total_discounts_tax_excl")
        )
        cent = D("0.01") if order_id in mismatched else D(0)
        assert _money(order, "total_products_wt") == lines_wt + cent, order_id
        assert _money(order, "total_products") == lines_ex, order_id
        assert _money(order, "total_paid_tax_incl") == paid, order_id
        assert _money(order, "total_paid_tax_excl") == paid_excl, order_id
        assert order["total_paid"] == order["total_paid_tax_incl"]


def test_order_rows_mirror_the_order_details(shop: Shop):
    for order_id, order in shop.table("orders").items():
        rows = order["associations"]["order_rows"]
        details = shop.details_of(order_id)
        assert [r["id"] for r in rows] == [str(d["id"]) for d in details]
        assert [r["unit_price_tax_incl"] for r in rows] == [
            d["unit_price_tax_incl"] for d in details
        ]


@pytest.mark.parametrize("quirk", sorted(QUIRKS))
def test_generate_shop_labels_every_quirk(shop: Shop, quirk: str):
    assert shop.orders_with_quirk(quirk)


@pytest.mark.parametrize(
    "kind",
    ["awaiting_payment", "paid", "shipped", "delivered", "cancelled", "refunded"],
)
def test_generate_shop_has_orders_in_every_kind_of_state(shop: Shop, kind: str):
    assert shop.orders_with_quirk(kind)


def test_generate_shop_mostly_books_paid_orders(shop: Shop):
    orders = list(shop.table("orders").values())
    valid = [o for o in orders if o["valid"] == "1"]
    assert 0.6 <= len(valid) / len(orders) < 0.95


def test_split_orders_share_reference_cart_and_one_payment(shop: Shop):
    split = shop.orders_with_quirk("split")
    first = shop.order(split[0])
    pair = shop.orders_by_reference(first["reference"])
    assert len(pair) == 2 and shop.order(pair[1])["id_cart"] == first["id_cart"]
    payments = [
        p for p in shop.table("order_payments").values()
        if p["order_reference"] == first["reference"]
    ]  # fmt: skip
    if first["total_paid_real"] != "0.000000":
        total = sum(D(shop.order(i)["total_paid_tax_incl"]) for i in pair)
        assert [D(p["amount"]) for p in payments] == [total]


def test_guest_orders_use_two_guest_records_with_one_email(shop: Shop):
    customers = {
        shop.order(i)["id_customer"]
        for i in shop.orders_with_quirk("guest_shared_email")
    }
    records = [shop.get("customers", int(c)) for c in customers]
    assert len(records) == 2
    assert {r["email"] for r in records} == {"anna.h@example.nl"}
    assert {r["is_guest"] for r in records} == {"1"}


def test_deleted_customer_and_product_are_referenced_but_gone(shop: Shop):
    order = shop.order(shop.orders_with_quirk("deleted_customer")[0])
    assert shop.get("customers", int(order["id_customer"])) is None
    assert shop.get("addresses", int(order["id_address_invoice"]))["deleted"] == "1"
    order_id = shop.orders_with_quirk("deleted_product")[0]
    product_ids = {int(d["product_id"]) for d in shop.details_of(order_id)}
    assert any(shop.get("products", p) is None for p in product_ids)


def test_gdpr_order_points_at_the_anonymous_customer(shop: Shop):
    order = shop.order(shop.orders_with_quirk("gdpr_anonymous")[0])
    assert (
        shop.get("customers", int(order["id_customer"]))["email"]
        == "anonymous@psgdpr.com"
    )


def test_virtual_only_order_has_no_carrier_and_no_shipping(shop: Shop):
    order_id = shop.orders_with_quirk("virtual_only")[0]
    order = shop.order(order_id)
    assert order["id_carrier"] == "0" and order["total_shipping"] == "0.000000"
    assert shop.children("order_carriers", order_id) == []


def test_gift_wrapping_order_charges_wrapping(shop: Shop):
    order = shop.order(shop.orders_with_quirk("gift_wrapping")[0])
    assert order["gift"] == "1" and D(order["total_wrapping_tax_incl"]) > 0


def test_free_shipping_voucher_discounts_exactly_the_shipping(shop: Shop):
    order_id = shop.orders_with_quirk("free_shipping")[0]
    order = shop.order(order_id)
    rule = shop.children("order_cart_rules", order_id)[0]
    assert rule["free_shipping"] == "1"
    assert (
        order["total_discounts_tax_incl"]
        == order["total_shipping_tax_incl"]
        == rule["value"]
    )
    assert D(rule["value"]) > 0


def test_multi_rate_discount_spans_two_vat_rates(shop: Shop):
    order_id = shop.orders_with_quirk("multi_rate_discount")[0]
    taxes = {
        t["id"] for d in shop.details_of(order_id) for t in d["associations"]["taxes"]
    }
    assert taxes == {"1", "2"}
    assert D(shop.order(order_id)["total_discounts_tax_incl"]) > 0


def test_eu_b2b_orders_charge_no_vat(shop: Shop):
    order_id = shop.orders_with_quirk("eu_b2b")[0]
    order = shop.order(order_id)
    address = shop.get("addresses", int(order["id_address_invoice"]))
    assert address["vat_number"] and address["id_country"] != "13"
    assert order["total_paid_tax_incl"] == order["total_paid_tax_excl"]
    assert all("associations" not in d for d in shop.details_of(order_id))


def test_combination_lines_carry_their_own_reference_and_ean(shop: Shop):
    order_id = shop.orders_with_quirk("combination")[0]
    line = next(
        d for d in shop.details_of(order_id) if d["product_attribute_id"] != "0"
    )
    combo = shop.get("combinations", int(line["product_attribute_id"]))
    product = shop.get("products", int(line["product_id"]))
    assert (line["product_reference"], line["product_ean13"]) == (
        combo["reference"],
        combo["ean13"],
    )
    assert (
        combo["reference"] != product["reference"]
        and combo["ean13"] != product["ean13"]
    )


def test_names_arrive_html_encoded_and_non_ascii(shop: Shop):
    names = {
        d["product_name"]
        for quirk in ("html_entity_name", "non_ascii_name")
        for i in shop.orders_with_quirk(quirk)
        for d in shop.details_of(i)
    }
    assert "Jute tas &quot;Brei &amp; Co&quot;" in names
    assert any(not n.isascii() for n in names)


def test_edited_orders_changed_after_their_last_state(shop: Shop):
    for order_id in shop.orders_with_quirk("edited"):
        histories = shop.children("order_histories", order_id)
        assert shop.order(order_id)["date_upd"] > histories[-1]["date_add"]


def test_refunds_leave_credit_slips(shop: Shop):
    refunded = shop.orders_with_quirk("refunded") + shop.orders_with_quirk(
        "partial_refund"
    )
    for order_id in refunded:
        slips = shop.children("order_slip", order_id)
        assert slips and D(slips[0]["amount"]) > 0


def test_invoice_numbers_increase_with_invoice_dates(shop: Shop):
    invoiced = sorted(
        (o for o in shop.table("orders").values() if o["invoice_number"] != "0"),
        key=lambda o: int(o["invoice_number"]),
    )
    dates = [o["invoice_date"] for o in invoiced]
    assert dates == sorted(dates)
    assert [int(o["invoice_number"]) for o in invoiced] == list(
        range(1, len(invoiced) + 1)
    )


def test_catalogue_products_are_all_in_the_shop(shop: Shop):
    references = {p["reference"] for p in shop.table("products").values()}
    assert references == {p.reference for p in PRODUCTS}


def test_converted_guest_kept_the_customer_id_and_registered_later(shop: Shop):
    order = shop.order(shop.orders_with_quirk("converted_guest")[0])
    customer = shop.get("customers", int(order["id_customer"]))
    assert customer["is_guest"] == "0"
    assert customer["date_add"] <= order["date_add"] < customer["date_upd"]
