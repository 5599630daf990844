"""Related records: OR filters in URL-sized chunks, failures isolated."""

from __future__ import annotations

from urllib.parse import quote

import httpx
from pydantic import SecretStr

from koppel.prestashop.client import WebserviceClient
from koppel.prestashop.refs import RefCache
from koppel.prestashop.related import RELATED, Related, chunk_values, fetch_related
from tests.extract.fakeshop import KEY, FakeShop


def _client(shop: FakeShop) -> WebserviceClient:
    return WebserviceClient(
        "http://127.0.0.1:9/api",
        SecretStr(KEY),
        transport=shop.transport(),
        sleep=lambda s: None,
    )


def _order(n: int, customer: int | str = 1) -> dict:
    return {
        "id": n,
        "id_customer": str(customer),
        "id_address_delivery": str(100 + n),
        "id_address_invoice": str(100 + n),
        "reference": f"REF{n:05d}",
    }


def test_chunk_values_keeps_encoded_filter_under_limit_and_count():
    values = [str(10_000_000 + i) for i in range(1000)]
    chunks = chunk_values(values, 400, 50)
    assert [v for chunk in chunks for v in chunk] == values
    for chunk in chunks:
        assert len(chunk) <= 50
        assert len(quote("[" + "|".join(chunk) + "]", safe="")) <= 400


def test_fetch_related_one_request_per_resource_for_a_page():
    shop = FakeShop(
        records={
            "customers": [{"id": 1}],
            "addresses": [{"id": 101}, {"id": 102}],
            "order_details": [{"id": 5, "id_order": "1"}, {"id": 6, "id_order": "2"}],
            "order_payments": [{"id": 9, "order_reference": "REF00001"}],
        }
    )
    related = fetch_related(_client(shop), [_order(1), _order(2)], max_count=100)
    assert sorted(shop.paths()) == sorted(r for r, _, _ in RELATED)
    assert [r["id"] for r in related.get("addresses")] == [101, 102]
    assert len(related.get("order_details")) == 2
    assert related.get("order_payments")[0]["id"] == 9
    params = {r.url.path.rsplit("/", 1)[-1]: r.url.params for r in shop.seen}
    assert params["customers"]["filter[id]"] == "[1]"
    assert params["addresses"]["filter[id]"] == "[101|102]"
    assert params["order_details"]["filter[id_order]"] == "[1|2]"
    assert params["order_payments"]["filter[order_reference]"] == "[REF00001|REF00002]"


def test_fetch_related_skips_zero_ids_and_unusable_references():
    shop = FakeShop()
    order = _order(1, customer=0) | {"reference": "A|B"}
    fetch_related(_client(shop), [order], max_count=100)
    assert "customers" not in shop.paths()
    assert "order_payments" not in shop.paths()


def test_fetch_related_chunks_by_page_size():
    shop = FakeShop()
    fetch_related(_client(shop), [_order(n) for n in range(1, 26)], max_count=10)
    assert shop.paths().count("order_details") == 3


def test_fetch_related_isolates_a_record_that_keeps_failing(fast_retries):
    shop = FakeShop(records={"customers": [{"id": c} for c in range(1, 9)]})

    def broken_customer(request: httpx.Request) -> httpx.Response | None:
        wanted = request.url.params.get("filter[id]", "")
        if request.url.path.endswith("customers") and "5" in wanted.strip("[]").split(
            "|"
        ):
            return httpx.Response(500, json={"errors": [{"code": 8, "message": "n"}]})
        return None

    shop.faults.append(broken_customer)
    orders = [_order(n, customer=n) for n in range(1, 9)]
    related = fetch_related(_client(shop), orders, max_count=100)
    assert sorted(r["id"] for r in related.get("customers")) == [1, 2, 3, 4, 6, 7, 8]
    assert related.failed == {("customers", "5")}
    assert related.gaps_of(orders[4]) == ["customers"]
    assert related.gaps_of(orders[0]) == []
    assert len(related.problems) == 1


def test_product_references_are_read_once_per_run_and_deleted_is_none():
    shop = FakeShop(
        records={
            "products": [{"id": 1, "reference": "MWS"}, {"id": 2, "reference": ""}]
        }
    )
    cache = RefCache(_client(shop))
    failed = Related()
    first = cache.product_references([1, 2, 9], failed, max_count=100)
    again = cache.product_references([1, 9], failed, max_count=100)
    assert first == {1: "MWS", 2: None, 9: None}
    assert again == {1: "MWS", 9: None}
    assert shop.paths() == ["products"]
    assert shop.seen[0].url.params["display"] == "[id,reference]"
    assert failed.failed == set()
