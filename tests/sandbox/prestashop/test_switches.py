"""Behaviour switches: version profiles, languages, timezone, multishop."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from koppel.exceptions import ConfigError
from koppel.sandbox.prestashop import SandboxOptions, Shop, generate_shop

from .conftest import JSON, NOW, error_codes, get_json, serve

NO_MATCH = {"filter[id]": "[999999]"}


@pytest.mark.parametrize(
    ("version", "expected"),
    [("1.7", []), ("8", {"orders": []}), ("9", {"orders": []})],
    ids=["1.7-bare-array", "8-envelope", "9-envelope"],
)
def test_version_empty_list_shape(shop: Shop, version: str, expected: object):
    with serve(shop, version=version) as client:
        assert get_json(client, "/orders", display="full", **NO_MATCH) == expected
        assert get_json(client, "/orders", limit="100000,5") == expected


@pytest.mark.parametrize(
    ("version", "dropped"), [("1.7", False), ("8", True)], ids=["1.7-keeps", "8-drops"]
)
def test_version_single_record_falsy_fields(shop: Shop, version: str, dropped: bool):
    with serve(shop, version=version) as client:
        single = get_json(client, "/orders/1")["order"]
        listed = get_json(client, "/orders", display="full", **{"filter[id]": "[1]"})
    assert listed["orders"][0]["delivery_number"] == "0"
    assert ("delivery_number" not in single) is dropped
    assert ("recyclable" not in single) is dropped
    assert single["total_discounts"] == "0.000000"  # "0.000000" is truthy in PHP


def test_version_9_refuses_date_upd_sort_with_500(shop: Shop):
    params = {"date": "1", "sort": "[date_upd_ASC,id_ASC]"}
    with serve(shop, version="9") as client:
        refused = client.get("/orders", params=params, headers=JSON)
        by_id = client.get("/orders", params={"sort": "[id_ASC]"}, headers=JSON)
    assert refused.status_code == 500 and 38 in error_codes(refused)
    assert by_id.status_code == 200


@pytest.mark.parametrize("version", ["1.7", "8", "9"])
def test_version_psws_header(shop: Shop, version: str):
    with serve(shop, version=version) as client:
        header = client.get("/orders", params={"limit": "1"}).headers["psws-version"]
    assert header.startswith(version)


def test_version_8_api_root_in_json_is_a_fatal_error(shop: Shop):
    with serve(shop, version="8") as client:
        as_json = client.get("/", headers=JSON)
        as_xml = client.get("/")
    assert as_json.status_code == 500 and "Fatal error" in as_json.text
    assert as_xml.status_code == 200 and 'xlink:href="' in as_xml.text


def test_options_refuse_unknown_version():
    with pytest.raises(ConfigError):
        SandboxOptions(version="7")  # type: ignore[arg-type]


def test_single_language_shows_translated_fields_as_strings(api: httpx.Client):
    state = get_json(api, "/order_states/2")["order_state"]
    assert state["name"] == "Betaling aanvaard"


def test_multilang_shows_translated_fields_as_lists(shop: Shop):
    with serve(shop, multilang=True) as client:
        both = get_json(
            client, "/order_states", display="full", **{"filter[id]": "[2]"}
        )
        one = get_json(client, "/order_states/2", language="2")["order_state"]
        missing = client.get("/order_states/2", params={"language": "7"}, headers=JSON)
    assert both["order_states"][0]["name"] == [
        {"id": "1", "value": "Betaling aanvaard"},
        {"id": "2", "value": "Payment accepted"},
    ]
    assert one["name"] == "Payment accepted"
    assert missing.status_code == 400 and error_codes(missing) == [81]


def _dst_shop() -> Shop:
    shop = generate_shop(orders=5, seed=2, now=NOW)
    for hour in (0, 1):  # 02:30 local twice on the night summer time ends
        shop.add_orders(1, at=datetime(2024, 10, 27, hour, 30, tzinfo=UTC))
    shop.add_orders(1, at=datetime(2024, 7, 1, 10, 0, tzinfo=UTC))
    return shop


def test_timezone_dates_are_shop_local_across_dst():
    shop = _dst_shop()
    with serve(shop) as client:
        body = get_json(
            client, "/orders", display="[id,date_add]", **{"filter[id]": "[6|7|8]"}
        )
    assert [o["date_add"] for o in body["orders"]] == [
        "2024-10-27 02:30:00",
        "2024-10-27 02:30:00",
        "2024-07-01 12:00:00",
    ]


def test_timezone_option_writes_dates_in_another_zone():
    shop = _dst_shop()
    with serve(shop, timezone="UTC") as client:
        order = get_json(client, "/orders/8")["order"]
    assert order["date_add"] == "2024-07-01 10:00:00"


@pytest.fixture(scope="module")
def two_shops() -> Shop:
    return generate_shop(orders=60, seed=4, now=NOW, shops=2)


def _shop_ids(client: httpx.Client, **params: str) -> set[str]:
    body = get_json(client, "/orders", display="[id,id_shop]", **params)
    return {o["id_shop"] for o in body["orders"]}


def test_multishop_lists_the_default_shop_only(two_shops: Shop):
    with serve(two_shops, multishop=True) as client:
        assert _shop_ids(client) == {"1"}
        assert _shop_ids(client, id_shop="2") == {"2"}
        assert _shop_ids(client, id_shop="all") == {"1", "2"}


def test_multishop_off_lists_every_order(two_shops: Shop):
    with serve(two_shops, multishop=False) as client:
        assert _shop_ids(client) == {"1", "2"}


def test_multishop_single_record_of_other_shop_is_404_code_131(two_shops: Shop):
    order_id = two_shops.orders_with_quirk("shop_2")[0]
    with serve(two_shops, multishop=True) as client:
        hidden = client.get(f"/orders/{order_id}", headers=JSON)
        shown = client.get(f"/orders/{order_id}", params={"id_shop": "2"}, headers=JSON)
    assert hidden.status_code == 404 and error_codes(hidden) == [131]
    assert shown.status_code == 200


def test_multishop_bad_shop_id_is_404_code_999(two_shops: Shop):
    with serve(two_shops, multishop=True) as client:
        response = client.get("/orders", params={"id_shop": "main"}, headers=JSON)
    assert response.status_code == 404 and error_codes(response) == [999]
