"""Mutations tests use (add orders, change state, edit) and PUT over HTTP."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from koppel.sandbox.prestashop import Shop, ShopError

from .conftest import JSON, error_codes, get_json, serve


def _awaiting(shop: Shop) -> int:
    return next(
        o["id"]
        for o in shop.table("orders").values()
        if o["current_state"] == "10" and o["total_paid_real"] == "0.000000"
    )


def test_add_orders_serves_new_orders_after_the_watermark(fresh_shop: Shop):
    before = max(o["date_upd"] for o in fresh_shop.table("orders").values())
    new = fresh_shop.add_orders(3)
    with serve(fresh_shop) as client:
        stamp = (before + timedelta(seconds=0)).astimezone(fresh_shop.timezone)
        ids = [
            o["id"]
            for o in get_json(
                client,
                "/orders",
                date="1",
                **{"filter[date_upd]": f">[{stamp:%Y-%m-%d %H:%M:%S}]"},
            )["orders"]
        ]
    assert ids == new == [31, 32, 33]


def test_add_orders_on_a_fixed_clock_is_deterministic(fresh_shop: Shop):
    first = fresh_shop.add_orders(2)
    stamps = [fresh_shop.order(i)["date_add"] for i in first]
    assert stamps[1] - stamps[0] == timedelta(seconds=1)


def test_set_state_paid_creates_history_invoice_and_payment(fresh_shop: Shop):
    order_id = _awaiting(fresh_shop)
    history = fresh_shop.set_state(order_id, 2)
    order = fresh_shop.order(order_id)
    assert history["id_order_state"] == "2"
    assert (order["current_state"], order["valid"]) == ("2", "1")
    assert order["invoice_number"] != "0" and order["date_upd"] == history["date_add"]
    assert order["total_paid_real"] == order["total_paid_tax_incl"]
    payments = [
        p
        for p in fresh_shop.table("order_payments").values()
        if p["order_reference"] == order["reference"]
    ]
    assert payments


def test_set_state_cancelled_makes_order_invalid(fresh_shop: Shop):
    order_id = next(
        o["id"] for o in fresh_shop.table("orders").values() if o["valid"] == "1"
    )
    fresh_shop.set_state(order_id, 6)
    assert fresh_shop.order(order_id)["valid"] == "0"


def test_set_state_unknown_state_is_refused(fresh_shop: Shop):
    with pytest.raises(ShopError):
        fresh_shop.set_state(1, 99)


def test_edit_order_recomputes_totals_and_bumps_date_upd(fresh_shop: Shop):
    order_id = next(
        o["id"]
        for o in fresh_shop.table("orders").values()
        if o["total_discounts"] == "0.000000" and o["total_shipping"] != "0.000000"
    )
    before = dict(fresh_shop.order(order_id))
    detail = fresh_shop.details_of(order_id)[0]
    unit = Decimal(detail["unit_price_tax_incl"])
    quantity = int(detail["product_quantity"])
    order = fresh_shop.edit_order(order_id, quantities={detail["id"]: quantity + 1})
    grown = Decimal(order["total_paid_tax_incl"]) - Decimal(
        before["total_paid_tax_incl"]
    )
    assert grown == unit
    assert order["date_upd"] > before["date_upd"]
    assert order["associations"]["order_rows"][0]["product_quantity"] == str(
        quantity + 1
    )


def test_edit_order_unknown_line_is_refused(fresh_shop: Shop):
    with pytest.raises(ShopError):
        fresh_shop.edit_order(1, quantities={999999: 1})


def test_edit_address_leaves_order_date_upd_alone(fresh_shop: Shop):
    order = fresh_shop.order(1)
    before = order["date_upd"]
    address = fresh_shop.edit_address(int(order["id_address_delivery"]), city="Zaandam")
    assert address["city"] == "Zaandam" and order["date_upd"] == before


def test_orders_with_unknown_quirk_is_empty(fresh_shop: Shop):
    assert fresh_shop.orders_with_quirk("no-such-quirk") == []


PRODUCT_XML = """<?xml version="1.0" encoding="UTF-8"?>
<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">
<product>
  <id>{id}</id>
  <price>99.500000</price>
  <reference>WW-250</reference>
  <name><language id="1">Wolwasmiddel 250 ml (nieuw)</language></name>
</product>
</prestashop>"""


def test_put_product_updates_it_and_bumps_date_upd(fresh_shop: Shop):
    before = fresh_shop.get("products", 2)["date_upd"]
    with serve(fresh_shop) as client:
        response = client.put(
            "/products/2", content=PRODUCT_XML.format(id=2).encode(), headers=JSON
        )
        product = get_json(client, "/products/2")["product"]
    assert response.status_code == 200
    assert product["price"] == "99.500000"
    assert product["name"] == "Wolwasmiddel 250 ml (nieuw)"
    assert fresh_shop.get("products", 2)["date_upd"] > before
    assert "ean13" not in product  # a PUT replaces: fields left out are emptied


def test_put_stock_does_not_touch_the_product(fresh_shop: Shop):
    product_before = fresh_shop.get("products", 1)["date_upd"]
    body = (
        "<prestashop><stock_available><id>1</id><id_product>1</id_product>"
        "<id_product_attribute>0</id_product_attribute><quantity>7</quantity>"
        "<depends_on_stock>0</depends_on_stock><out_of_stock>2</out_of_stock>"
        "</stock_available></prestashop>"
    )
    with serve(fresh_shop) as client:
        response = client.put("/stock_availables/1", content=body.encode())
    assert response.status_code == 200
    assert fresh_shop.get("stock_availables", 1)["quantity"] == "7"
    assert fresh_shop.get("products", 1)["date_upd"] == product_before


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/products/2", b'{"product": {"id": 2}}', 500, 127),
        (
            "/products/2",
            b"<prestashop><product><price>1</price></product></prestashop>",
            400,
            90,
        ),
        ("/products/999", PRODUCT_XML.format(id=999).encode(), 404, 92),
        (
            "/products/2",
            b"<prestashop><product><id>2</id></product></prestashop>",
            400,
            41,
        ),
        ("/orders/1", b"<prestashop><order><id>1</id></order></prestashop>", 405, 101),
    ],
    ids=["json-body", "no-id", "unknown-id", "required-missing", "read-only-resource"],
)
def test_put_errors_have_prestashop_codes(
    fresh_shop: Shop, path: str, body: bytes, status: int, code: int
):
    with serve(fresh_shop) as client:
        response = client.put(path, content=body, headers=JSON)
    assert response.status_code == status and error_codes(response) == [code]
