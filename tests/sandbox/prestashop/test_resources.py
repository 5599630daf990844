"""Every resource is served with the shape of a real shop's records."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from typing import Any

import httpx
import pytest

from koppel.sandbox.prestashop import Shop
from koppel.sandbox.prestashop.resources import RESOURCES
from tests.shared import REAL_RECORDS as REAL_RECORDS_FILE

from .conftest import get_json

REAL = REAL_RECORDS_FILE
XLINK = "{http://www.w3.org/1999/xlink}href"


def _real_records() -> dict[str, dict[str, Any]]:
    lines = REAL.read_text(encoding="utf-8").splitlines()
    return {r["resource"]: r["record"] for r in map(json.loads, lines)}


REAL_RECORDS = _real_records() if REAL.exists() else {}


def _like_real(resource: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    """Our record that should look like the real one (same associations)."""
    real_assoc = set(REAL_RECORDS[resource].get("associations", {}))
    for record in records:
        if set(record.get("associations", {})) == real_assoc:
            return record
    pytest.fail(f"no {resource} record with associations {sorted(real_assoc)}")


def _shape(record: dict[str, Any]) -> dict[str, Any]:
    shape: dict[str, Any] = {k: type(v).__name__ for k, v in record.items()}
    for name, items in record.get("associations", {}).items():
        shape[f"associations.{name}"] = sorted({k for item in items for k in item})
        shape[f"associations.{name}.types"] = sorted(
            {type(v).__name__ for item in items for v in item.values()}
        )
    return shape


@pytest.mark.skipif(not REAL_RECORDS, reason="real PrestaShop records not available")
@pytest.mark.parametrize("resource", sorted(REAL_RECORDS))
def test_record_has_the_keys_and_value_types_of_a_real_shop(
    api: httpx.Client, resource: str
):
    spec = RESOURCES[resource]
    records = get_json(api, f"/{resource}", display="full")[spec.envelope]
    assert _shape(_like_real(resource, records)) == _shape(REAL_RECORDS[resource])


def test_order_cart_rules_have_the_documented_fields(api: httpx.Client):
    rule = get_json(api, "/order_cart_rules", display="full", limit="1")
    record = rule["order_cart_rules"][0]
    assert list(record) == [
        "id", "id_order", "id_cart_rule", "id_order_invoice", "name", "value",
        "value_tax_excl", "free_shipping", "deleted",
    ]  # fmt: skip
    assert isinstance(record["id"], int)
    assert all(isinstance(v, str) for k, v in record.items() if k != "id")


@pytest.mark.parametrize("resource", sorted(RESOURCES))
def test_every_resource_lists_records(api: httpx.Client, resource: str):
    spec = RESOURCES[resource]
    records = get_json(api, f"/{resource}", display="full", limit="3")[spec.envelope]
    assert records and all(isinstance(r["id"], int) for r in records)


def test_records_use_conventions_of_the_real_webservice(api: httpx.Client):
    order = get_json(api, "/orders/1")["order"]
    full = get_json(api, "/orders", display="full", **{"filter[id]": "[1]"})["orders"][
        0
    ]
    assert isinstance(order["id"], int)
    assert full["delivery_date"] == "0000-00-00 00:00:00"
    assert len(full["total_paid"].split(".")[1]) == 6
    assert len(full["carrier_tax_rate"].split(".")[1]) == 3
    assert all(isinstance(r["id"], str) for r in full["associations"]["order_rows"])


def test_untaxed_order_line_has_no_associations(api: httpx.Client, shop: Shop):
    order_id = shop.orders_with_quirk("eu_b2b")[0]
    detail_id = shop.details_of(order_id)[0]["id"]
    detail = get_json(api, f"/order_details/{detail_id}")["order_detail"]
    assert "associations" not in detail


def test_order_slip_list_uses_the_order_slips_envelope(api: httpx.Client):
    assert "order_slips" in get_json(api, "/order_slip", display="full", limit="1")


def test_json_writes_utf8_and_escapes_slashes(api: httpx.Client, shop: Shop):
    zoe = next(c for c in shop.table("customers").values() if c["firstname"] == "Zoë")
    text = api.get(f"/customers/{zoe['id']}", headers={"Output-Format": "JSON"}).text
    assert "Zoë" in text
    invoices = api.get("/order_invoices", params={"display": "full", "limit": "1"})
    assert "<br />" in invoices.text  # XML keeps the address HTML in CDATA
    as_json = api.get(
        "/order_invoices",
        params={"display": "full", "limit": "1"},
        headers={"Output-Format": "JSON"},
    )
    assert "<br \\/>" in as_json.text


def test_order_in_xml_has_associations_and_links(api: httpx.Client, shop: Shop):
    root = ElementTree.fromstring(api.get("/orders/1").content)
    order = root.find("order")
    assert order is not None and order.findtext("id") == "1"
    customer = order.find("id_customer")
    assert customer.get(XLINK).endswith(f"/api/customers/{customer.text}")
    rows = order.find("associations/order_rows")
    assert rows.get("nodeType") == "order_row"
    assert len(rows.findall("order_row")) == len(shop.details_of(1))


@pytest.mark.parametrize("resource", ["customers", "addresses", "orders"])
def test_list_in_xml_with_display_full(api: httpx.Client, resource: str):
    spec = RESOURCES[resource]
    root = ElementTree.fromstring(
        api.get(f"/{resource}", params={"display": "full", "limit": "3"}).content
    )
    records = root.findall(f"{spec.envelope}/{spec.singular}")
    assert len(records) == 3
    assert [child.tag for child in records[0]][: len(spec.fields)] == list(spec.fields)


def test_list_in_xml_without_display_links_each_id(api: httpx.Client):
    root = ElementTree.fromstring(api.get("/addresses", params={"limit": "2"}).content)
    items = root.findall("addresses/address")
    assert [i.get("id") for i in items] == ["1", "2"]
    assert items[0].get(XLINK).endswith("/api/addresses/1")


def test_empty_association_in_xml_is_an_empty_element(api: httpx.Client, shop: Shop):
    order_id = shop.orders_with_quirk("eu_b2b")[0]
    detail_id = shop.details_of(order_id)[0]["id"]
    root = ElementTree.fromstring(api.get(f"/order_details/{detail_id}").content)
    taxes = root.find("order_detail/associations/taxes")
    assert taxes is not None and len(taxes) == 0 and taxes.get("api") == "taxes"
