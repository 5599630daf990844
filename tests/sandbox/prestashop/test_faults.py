"""Fault injection: PHP notices, fatal pages, latency and hosting rate limits."""

from __future__ import annotations

import pytest

from koppel.sandbox.prestashop import SandboxOptions, Shop
from koppel.sandbox.prestashop.service import Webservice, WsRequest

from .conftest import JSON, KEY, error_codes, serve


class FakeClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _request(path: str, **params: str) -> WsRequest:
    return WsRequest("GET", path, {"ws_key": KEY, **params}, {"Output-Format": "JSON"})


def test_fault_id_answers_500_with_php_notice(shop: Shop):
    with serve(shop, fault_ids={"orders": {5}}) as client:
        single = client.get("/orders/5", headers=JSON)
        page = client.get(
            "/orders", params={"display": "full", "limit": "10"}, headers=JSON
        )
        ids_only = client.get("/orders", params={"limit": "10"}, headers=JSON)
        other = client.get("/orders/6", headers=JSON)
    assert single.status_code == 500 and error_codes(single) == [5]
    assert "[PHP Notice #8]" in single.json()["errors"][0]["message"]
    assert page.status_code == 500
    assert ids_only.status_code == 200 and other.status_code == 200


def test_fault_id_is_hidden_in_debug_mode(shop: Shop):
    with serve(shop, fault_ids={"orders": {5}}, debug_mode=True) as client:
        assert client.get("/orders/5", headers=JSON).status_code == 200


def test_html_fatal_page_for_chosen_id(shop: Shop):
    with serve(shop, html_fatal_ids={"products": {2}}) as client:
        response = client.get("/products/2", headers=JSON)
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "<b>Fatal error</b>" in response.text


def test_fault_every_nth_request_fails(shop: Shop):
    with serve(shop, fault_every=3) as client:
        statuses = [client.get("/orders/1", headers=JSON).status_code for _ in range(6)]
    assert statuses == [200, 200, 500, 200, 200, 500]


def test_latency_grows_with_page_size(shop: Shop):
    options = SandboxOptions(latency_base=0.01, latency_per_record=0.002)
    service = Webservice(shop, options)
    small = service.handle(_request("orders", display="full", limit="10"))
    large = service.handle(_request("orders", display="full", limit="100"))
    assert small.delay == pytest.approx(0.01 + 10 * 0.002)
    assert large.delay == pytest.approx(0.01 + 100 * 0.002)


def test_latency_is_served_on_loopback(shop: Shop):
    with serve(shop, latency_base=0.2) as client:
        response = client.get("/orders/1", headers=JSON)
    assert response.elapsed.total_seconds() >= 0.2


def test_rate_limit_answers_429_with_retry_after_until_the_window_passes(shop: Shop):
    clock = FakeClock()
    service = Webservice(
        shop, SandboxOptions(rate_limit=2, rate_window=60), clock=clock
    )
    statuses = [service.handle(_request("orders/1")).status for _ in range(3)]
    refused = service.handle(_request("orders/1"))
    clock.now += 61
    again = service.handle(_request("orders/1"))
    assert statuses == [200, 200, 429]
    assert refused.headers["Retry-After"] == "60" and not refused.from_webservice
    assert again.status == 200


def test_rate_limit_as_firewall_answers_403_html(shop: Shop):
    with serve(shop, rate_limit=1, rate_limit_status=403) as client:
        client.get("/orders/1", headers=JSON)
        blocked = client.get("/orders/1", headers=JSON)
    assert blocked.status_code == 403
    assert blocked.headers["content-type"].startswith("text/html")
    assert "x-powered-by" not in blocked.headers
