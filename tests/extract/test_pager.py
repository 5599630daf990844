"""Paging orders: keyset on (date_upd, id), shifts, id fallback, timeouts."""

from __future__ import annotations

import logging

import httpx
import pytest
from pydantic import SecretStr

from koppel.prestashop.client import WebserviceClient
from koppel.prestashop.pager import OrderPager, Window
from tests.extract.fakeshop import KEY, FakeShop

WINDOW = Window("2024-03-01 00:00:00", "2024-03-01 23:59:59")


def _orders(stamps: list[str]) -> list[dict]:
    return [{"id": i, "date_upd": s} for i, s in enumerate(stamps, start=1)]


def _pager(shop: FakeShop, size: int, **kwargs) -> OrderPager:
    client = WebserviceClient(
        "http://127.0.0.1:9/api",
        SecretStr(KEY),
        transport=shop.transport(),
        sleep=lambda s: None,
    )
    return OrderPager(client, WINDOW, page_size=size, **kwargs)


def _ids(pager: OrderPager) -> list[int]:
    return [o["id"] for page in pager.pages() for o in page]


def test_pager_reads_every_order_in_date_then_id_order():
    stamps = [f"2024-03-01 10:{m:02d}:00" for m in range(25)]
    shop = FakeShop(records={"orders": _orders(stamps)})
    assert _ids(_pager(shop, 10)) == list(range(1, 26))
    assert shop.paths().count("orders") == 3


def test_pager_many_orders_in_one_second_are_read_once():
    stamps = ["2024-03-01 10:00:00"] * 23 + ["2024-03-01 11:00:00"] * 2
    shop = FakeShop(records={"orders": _orders(stamps)})
    assert _ids(_pager(shop, 5)) == list(range(1, 26))


def test_pager_window_bounds_are_inclusive_and_respected():
    stamps = ["2024-02-29 23:59:59", "2024-03-01 00:00:00", "2024-03-01 23:59:59"]
    stamps += ["2024-03-02 00:00:00"]
    shop = FakeShop(records={"orders": _orders(stamps)})
    assert _ids(_pager(shop, 10)) == [2, 3]


def test_pager_order_updated_while_paging_does_not_hide_another():
    # plain offset paging would skip order 6 when order 2 leaves the window
    stamps = ["2024-03-01 10:00:00"] * 8
    shop = FakeShop(records={"orders": _orders(stamps)})

    def move_order_two(request: httpx.Request) -> None:
        if shop.paths().count("orders") == 2:
            shop.records["orders"][1]["date_upd"] = "2024-03-02 08:00:00"

    shop.faults.append(move_order_two)
    ids = _ids(_pager(shop, 4))
    assert sorted(set(ids)) == [1, 2, 3, 4, 5, 6, 7, 8]


def test_pager_refused_date_sort_falls_back_to_ids_and_says_so_once(caplog):
    caplog.set_level(logging.WARNING)
    stamps = [f"2024-03-01 10:{m:02d}:00" for m in range(12)]
    shop = FakeShop(records={"orders": _orders(stamps)}, refuse_date_sort=True)
    pager = _pager(shop, 5)
    assert _ids(pager) == list(range(1, 13))
    assert pager.fallback_used and pager.refused_now
    assert caplog.text.count("refuses to sort") == 1
    sorts = [r.url.params.get("sort") for r in shop.seen]
    assert sorts[0] == "[date_upd_ASC,id_ASC]"
    assert set(sorts[1:]) == {"[id_ASC]"}


def test_pager_known_refusal_starts_with_ids():
    shop = FakeShop(records={"orders": _orders(["2024-03-01 10:00:00"])})
    shop.refuse_date_sort = True
    pager = _pager(shop, 5, id_keyset=True)
    assert _ids(pager) == [1]
    assert len(shop.seen) == 1
    assert not pager.refused_now


def test_pager_timeout_makes_later_pages_smaller(fast_retries):
    stamps = [f"2024-03-01 10:{m:02d}:00" for m in range(30)]
    shop = FakeShop(records={"orders": _orders(stamps)})
    timeouts = [True]

    def slow_once(request: httpx.Request) -> None:
        if timeouts and request.url.params.get("limit", "").endswith(",20"):
            timeouts.pop()
            raise httpx.ReadTimeout("slow", request=request)

    shop.faults.append(slow_once)
    pager = _pager(shop, 20)
    assert _ids(pager) == list(range(1, 31))
    assert pager.size == 10
    limits = [r.url.params["limit"] for r in shop.seen]
    assert limits[0] == "0,20"
    assert limits[1] == "0,10"


@pytest.mark.parametrize("shape", [[], {}, ""], ids=["list", "object", "string"])
def test_pager_empty_window_in_any_shape_is_one_request(shape):
    shop = FakeShop(records={"orders": []}, empty_shape=shape)
    pager = _pager(shop, 10)
    assert _ids(pager) == []
    assert len(shop.seen) == 1


@pytest.mark.parametrize("bad", [13, 20], ids=["mid-page", "page-end"])
def test_pager_isolates_an_order_the_shop_cannot_render(bad, fast_retries):
    stamps = [f"2024-03-01 10:{m:02d}:00" for m in range(30)]
    shop = FakeShop(records={"orders": _orders(stamps)}, broken={"orders": {bad}})
    pager = _pager(shop, 10)
    ids = _ids(pager)
    assert sorted(set(ids)) == [i for i in range(1, 31) if i != bad]
    assert pager.broken == [bad]
    assert pager.hold == "2024-03-01 10:09:00"
    assert len(pager.problems) == 1
    # orders are read in OR-filtered halves, never one request per order
    singles = [
        r for r in shop.seen if r.url.params.get("filter[id]", "").strip("[]").isdigit()
    ]
    assert len(singles) <= 4
