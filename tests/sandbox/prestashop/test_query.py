"""The list query language: display, filter, date gating, sort, limit, errors."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from koppel.sandbox.prestashop import Shop
from koppel.sandbox.prestashop.render import local_text

from .conftest import JSON, error_codes, get_json


def _ids(client: httpx.Client, resource: str = "/orders", **params: str) -> list[int]:
    body = get_json(client, resource, **params)
    return [record["id"] for record in body[resource.strip("/").split("/")[0]]]


def _local(shop: Shop, moment) -> str:
    return local_text(moment, shop.timezone)


# --- display -------------------------------------------------------------------


def test_list_without_display_gives_ids_only(api: httpx.Client, shop: Shop):
    body = get_json(api, "/orders")
    assert body["orders"][:2] == [{"id": 1}, {"id": 2}]
    assert len(body["orders"]) == len(shop.table("orders"))


def test_display_full_gives_every_field_and_associations(api: httpx.Client):
    order = get_json(api, "/orders", display="full", limit="1")["orders"][0]
    assert "total_paid_tax_incl" in order and order["associations"]["order_rows"]


def test_display_fields_gives_only_those_fields_in_resource_order(api: httpx.Client):
    orders = get_json(api, "/orders", display="[reference,id,total_paid]")["orders"]
    assert {tuple(o) for o in orders} == {("id", "total_paid", "reference")}


def test_display_association_subfields(api: httpx.Client):
    display = "[id,order_rows[product_id,product_quantity]]"
    order = get_json(api, "/orders", display=display, limit="1")["orders"][0]
    rows = order["associations"]["order_rows"]
    assert set(order) == {"id", "associations"}
    assert {tuple(r) for r in rows} == {("product_id", "product_quantity")}


@pytest.mark.parametrize(
    ("display", "code"),
    [("[id,nope]", 35), ("[id,order_rows[nope]]", 35), ("id,reference", 36)],
    ids=["unknown-field", "unknown-subfield", "no-brackets"],
)
def test_display_errors_have_prestashop_codes(
    api: httpx.Client, display: str, code: int
):
    response = api.get("/orders", params={"display": display}, headers=JSON)
    assert response.status_code == 400
    assert error_codes(response) == [code]


def test_display_on_single_record_gives_plural_envelope(api: httpx.Client):
    single = get_json(api, "/orders/3")
    listed = get_json(api, "/orders/3", display="full")
    assert set(single) == {"order"}
    assert set(listed) == {"orders"} and listed["orders"][0]["id"] == 3


def test_single_record_missing_gives_404_with_empty_body(api: httpx.Client):
    response = api.get("/orders/999999", headers=JSON)
    assert response.status_code == 404 and response.content == b""


# --- filter --------------------------------------------------------------------


def test_filter_literal_matches_case_insensitively(api: httpx.Client, shop: Shop):
    reference = shop.order(4)["reference"]
    assert 4 in _ids(api, **{"filter[reference]": f"[{reference.lower()}]"})


def test_filter_or_list(api: httpx.Client):
    assert _ids(api, **{"filter[id]": "[7|3|5]"}) == [3, 5, 7]


@pytest.mark.parametrize("value", ["[10,14]", "[14,10]"], ids=["ordered", "reversed"])
def test_filter_range_is_inclusive_either_way_round(api: httpx.Client, value: str):
    assert _ids(api, **{"filter[id]": value}) == [10, 11, 12, 13, 14]


def test_filter_strict_greater_and_less(api: httpx.Client, shop: Shop):
    last = max(shop.table("orders"))
    assert _ids(api, **{"filter[id]": f">[{last - 2}]"}) == [last - 1, last]
    assert _ids(api, **{"filter[id]": "<[3]"}) == [1, 2]


def test_filter_not_equal(api: httpx.Client, shop: Shop):
    ids = _ids(api, **{"filter[id]": "![1|2]"})
    assert ids == sorted(set(shop.table("orders")) - {1, 2})


@pytest.mark.parametrize(
    ("value", "expected"),
    [("%[Vries]%", "de Vries"), ("[de V]%", "de Vries"), ("%[Vries]", "de Vries")],
    ids=["contains", "begins", "ends"],
)
def test_filter_like_forms(api: httpx.Client, value: str, expected: str):
    body = get_json(
        api, "/customers", display="[lastname]", **{"filter[lastname]": value}
    )
    assert {c["lastname"] for c in body["customers"]} == {expected}


def test_filter_on_translated_field(api: httpx.Client):
    body = get_json(api, "/order_states", **{"filter[name]": "[Verzonden]"})
    assert body["order_states"] == [{"id": 4}]


def test_filter_on_order_id_finds_the_order_lines(api: httpx.Client, shop: Shop):
    ids = _ids(api, "/order_details", **{"filter[id_order]": "[2|5]"})
    expected = [d["id"] for i in (2, 5) for d in shop.details_of(i)]
    assert ids == sorted(expected)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"filter[nope]": "[1]"}, 32),
        ({"filter[id]": ""}, 33),
        ({"filter[shipping_number]": "[x]"}, 34),
        ({"filter[customer][lastname]": "[x]"}, 31),
    ],
    ids=["unknown-field", "empty-value", "computed-field", "linked-table"],
)
def test_filter_errors_have_prestashop_codes(
    api: httpx.Client, params: dict, code: int
):
    response = api.get("/orders", params=params, headers=JSON)
    assert response.status_code == 400
    assert error_codes(response) == [code]


# --- date=1 ----------------------------------------------------------------------


def test_date_filter_without_date_1_is_unknown(api: httpx.Client):
    response = api.get(
        "/orders", params={"filter[date_upd]": "[2024-10-01,2024-11-01]"}, headers=JSON
    )
    assert response.status_code == 400 and error_codes(response) == [32]


def test_date_sort_without_date_1_is_refused(api: httpx.Client):
    response = api.get("/orders", params={"sort": "[date_upd_ASC]"}, headers=JSON)
    assert response.status_code == 400 and error_codes(response) == [38]


def test_date_range_with_date_1_selects_by_local_time(api: httpx.Client, shop: Shop):
    order = shop.order(20)
    stamp = _local(shop, order["date_upd"])
    ids = _ids(api, date="1", **{"filter[date_upd]": f"[{stamp},{stamp}]"})
    assert 20 in ids
    assert all(_local(shop, shop.order(i)["date_upd"]) == stamp for i in ids)


def test_date_range_with_day_only_upper_bound_misses_that_day(
    api: httpx.Client, shop: Shop
):
    order = next(
        o for o in shop.table("orders").values() if o["date_upd"].hour >= 1
    )  # placed after midnight, shop time
    day = _local(shop, order["date_upd"])[:10]
    before = _local(shop, order["date_upd"] - timedelta(days=3))[:10]
    by_day = _ids(api, date="1", **{"filter[date_upd]": f"[{before},{day}]"})
    by_time = _ids(api, date="1", **{"filter[date_upd]": f"[{before},{day} 23:59:59]"})
    assert order["id"] not in by_day and order["id"] in by_time


def test_date_range_in_iso_form_silently_matches_nothing(api: httpx.Client):
    value = "[2024-10-01T00:00:00+01:00,2024-11-05T00:00:00+01:00]"
    assert _ids(api, date="1", **{"filter[date_upd]": value}) == []


def test_date_greater_than_accepts_iso_t(api: httpx.Client, shop: Shop):
    stamp = _local(shop, shop.order(30)["date_add"]).replace(" ", "T")
    ids = _ids(api, date="1", **{"filter[date_add]": f">[{stamp}]"})
    assert ids and 30 not in ids and min(ids) > 30 - 5


# --- sort and limit ----------------------------------------------------------


def test_sort_descending(api: httpx.Client, shop: Shop):
    assert (
        _ids(api, sort="[id_DESC]", limit="3") == sorted(shop.table("orders"))[-1:-4:-1]
    )


def test_sort_without_brackets_is_accepted(api: httpx.Client):
    assert _ids(api, sort="id_DESC", limit="1") == _ids(
        api, sort="[id_DESC]", limit="1"
    )


def test_sort_on_two_fields_with_date_1(api: httpx.Client, shop: Shop):
    body = get_json(
        api, "/orders", display="[id,date_upd]", date="1", sort="[date_upd_ASC,id_ASC]"
    )
    keys = [(o["date_upd"], o["id"]) for o in body["orders"]]
    assert keys == sorted(keys) and len(keys) == len(shop.table("orders"))


def test_sort_numbers_numerically(api: httpx.Client):
    body = get_json(api, "/orders", display="[id,total_paid]", sort="[total_paid_DESC]")
    totals = [float(o["total_paid"]) for o in body["orders"]]
    assert totals == sorted(totals, reverse=True)


@pytest.mark.parametrize(
    ("sort", "code"),
    [("[id_UP]", 37), ("[id]", 37), ("[nope_ASC]", 38)],
    ids=["bad-direction", "no-direction", "unknown-field"],
)
def test_sort_errors_have_prestashop_codes(api: httpx.Client, sort: str, code: int):
    response = api.get("/orders", params={"sort": sort}, headers=JSON)
    assert response.status_code == 400 and error_codes(response) == [code]


def test_limit_count_and_offset(api: httpx.Client):
    assert _ids(api, limit="3") == [1, 2, 3]
    assert _ids(api, limit="9,5") == [10, 11, 12, 13, 14]


def test_limit_with_three_parts_is_error_39(api: httpx.Client):
    response = api.get("/orders", params={"limit": "1,2,3"}, headers=JSON)
    assert response.status_code == 400 and error_codes(response) == [39]


def test_limit_past_the_end_gives_an_empty_list(api: httpx.Client):
    assert get_json(api, "/orders", display="full", limit="100000,20") == {"orders": []}


def test_errors_in_xml_use_prestashop_envelope(api: httpx.Client):
    response = api.get("/orders", params={"limit": "1,2,3"})
    assert response.headers["content-type"].startswith("text/xml")
    assert (
        "<errors>" in response.text and "<code><![CDATA[39]]></code>" in response.text
    )


def test_list_with_trailing_slash_is_the_same_list(api: httpx.Client):
    assert _ids(api, "/orders/", limit="3") == [1, 2, 3]


def test_schema_blank_gives_an_empty_record(api: httpx.Client):
    blank = get_json(api, "/orders", schema="blank")["order"]
    assert blank["reference"] == "" and "order_rows" in blank["associations"]


def test_schema_other_value_is_error_28(api: httpx.Client):
    response = api.get("/orders", params={"schema": "full"}, headers=JSON)
    assert response.status_code == 400 and error_codes(response) == [28]


def test_unknown_resource_is_error_27(api: httpx.Client):
    response = api.get("/order", headers=JSON)
    assert response.status_code == 400 and error_codes(response) == [27]
