"""The webservice client: status table, empty shapes, retries, redaction."""

from __future__ import annotations

import logging
from decimal import Decimal

import httpx
import pytest
from pydantic import SecretStr

from koppel.exceptions import ApiAuthError, FatalApiError, TransientApiError
from koppel.prestashop.client import (
    Action,
    WebserviceClient,
    classify,
    is_timeout,
    records_of,
    redact_url,
)
from tests.extract.fakeshop import KEY

URL = "http://127.0.0.1:9/api"


def _client(handler, **kwargs) -> tuple[WebserviceClient, list[float]]:
    waits: list[float] = []
    client = WebserviceClient(
        URL,
        SecretStr(KEY),
        transport=httpx.MockTransport(handler),
        sleep=waits.append,
        **kwargs,
    )
    return client, waits


def _ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"orders": [{"id": 1}]})


@pytest.mark.parametrize(
    ("status", "codes", "expected"),
    [
        (200, [], Action.OK),
        (204, [], Action.OK),
        (400, [32], Action.FATAL),
        (401, [], Action.AUTH),
        (403, [132], Action.AUTH),
        (404, [], Action.FATAL),
        (408, [], Action.RETRY),
        (429, [], Action.RETRY),
        (500, [], Action.RETRY),
        (500, [8], Action.RETRY),
        (500, [38, 3], Action.FATAL),
        (503, [22], Action.FATAL),
        (502, [], Action.RETRY),
        (504, [], Action.RETRY),
        (599, [], Action.RETRY),
        (418, [], Action.FATAL),
        (500, [20], Action.AUTH),
    ],
    ids=lambda v: str(v),
)
def test_classify_status_and_codes_give_one_action(status, codes, expected):
    assert classify(status, codes) is expected


@pytest.mark.parametrize(
    "body",
    [[], {}, "", None, {"orders": []}, {"orders": {}}, {"orders": ""}, {"x": 1}],
    ids=[
        "list",
        "object",
        "string",
        "null",
        "key-list",
        "key-obj",
        "key-str",
        "no-key",
    ],
)
def test_records_of_every_empty_shape_is_empty(body):
    assert records_of(body, "orders") == []


@pytest.mark.parametrize(
    ("resource", "single"),
    [
        ("orders", "order"),
        ("addresses", "address"),
        ("countries", "country"),
        ("taxes", "tax"),
        ("order_histories", "order_history"),
    ],
)
def test_records_of_single_record_envelope_is_one_record(resource, single):
    assert records_of({single: {"id": 3}}, resource) == [{"id": 3}]


def test_records_of_single_object_and_plural_keys_are_read():
    assert records_of({"order": {"id": 3}}, "orders") == [{"id": 3}]
    assert records_of({"order_slips": [{"id": 4}]}, "order_slip") == [{"id": 4}]
    assert records_of([{"id": 5}], "orders") == [{"id": 5}]


def test_records_of_non_json_shape_is_fatal():
    with pytest.raises(FatalApiError):
        records_of(42, "orders")


def test_client_sends_key_as_basic_user_and_json_header_not_in_query():
    seen: list[httpx.Request] = []

    def handler(request):
        seen.append(request)
        return _ok(request)

    client, _ = _client(handler, id_shop=2, language_id=1)
    client.list("orders", {"display": "full"})
    request = seen[0]
    assert request.headers["authorization"] == httpx.BasicAuth(KEY, "")._auth_header
    assert request.headers["output-format"] == "JSON"
    assert KEY not in str(request.url)
    assert request.url.params["id_shop"] == "2"
    assert request.url.params["language"] == "1"


def test_client_parses_numbers_as_decimal_never_float():
    def handler(request):
        return httpx.Response(200, content=b'{"orders":[{"id":1,"total":61.8}]}')

    client, _ = _client(handler)
    [record] = client.list("orders", {})
    assert record["total"] == Decimal("61.8")
    assert isinstance(record["total"], Decimal)


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429, 408])
def test_client_retries_transient_status_then_succeeds(status, fast_retries):
    answers = [httpx.Response(status, text="busy"), None]

    def handler(request):
        answer = answers.pop(0)
        return answer or _ok(request)

    client, waits = _client(handler)
    assert client.list("orders", {}) == [{"id": 1}]
    assert client.requests["orders"] == 2
    assert len(waits) == 1


def test_client_honours_retry_after_header():
    answers = [httpx.Response(429, headers={"Retry-After": "7"}), None]

    def handler(request):
        return answers.pop(0) or _ok(request)

    client, waits = _client(handler)
    client.list("orders", {})
    assert waits == [7.0]


def test_client_gives_up_after_last_retry_with_transient_error(fast_retries):
    client, waits = _client(lambda r: httpx.Response(503), max_retries=2)
    with pytest.raises(TransientApiError) as info:
        client.list("orders", {})
    assert info.value.status == 503
    assert client.requests["orders"] == 3
    assert len(waits) == 2


@pytest.mark.parametrize("status", [401, 403])
def test_client_refused_key_is_auth_error_without_retry(status):
    client, waits = _client(lambda r: httpx.Response(status, text="401 Unauthorized"))
    with pytest.raises(ApiAuthError):
        client.list("orders", {})
    assert client.requests["orders"] == 1
    assert waits == []


def test_client_parameter_error_is_fatal_with_codes():
    def handler(request):
        return httpx.Response(400, json={"errors": [{"code": 32, "message": "x"}]})

    client, _ = _client(handler)
    with pytest.raises(FatalApiError) as info:
        client.list("orders", {"filter[date_upd]": "[1,2]"})
    assert info.value.codes == ["32"]
    assert client.requests["orders"] == 1


def test_client_refused_date_sort_sent_as_500_is_fatal_code_38():
    errors = [{"code": 38, "message": "sort"}, {"code": 3, "message": "notice"}]
    client, _ = _client(lambda r: httpx.Response(500, json={"errors": errors}))
    with pytest.raises(FatalApiError) as info:
        client.list("orders", {"sort": "[date_upd_ASC]"})
    assert "38" in info.value.codes
    assert client.requests["orders"] == 1


def test_client_cut_off_body_is_retried(fast_retries):
    answers = [httpx.Response(200, content=b'{"orders":[{"id":'), None]

    def handler(request):
        return answers.pop(0) or _ok(request)

    client, _ = _client(handler)
    assert client.list("orders", {}) == [{"id": 1}]
    assert client.requests["orders"] == 2


def test_client_timeout_is_marked_and_can_be_handed_back(fast_retries):
    def handler(request):
        raise httpx.ReadTimeout("slow", request=request)

    client, waits = _client(handler)
    with pytest.raises(TransientApiError) as info:
        client.list("orders", {}, retry_timeouts=False)
    assert is_timeout(info.value)
    assert client.requests["orders"] == 1
    assert waits == []


def test_client_connection_error_is_retried(fast_retries):
    answers: list[bool] = [True]

    def handler(request):
        if answers and answers.pop():
            raise httpx.ConnectError("refused", request=request)
        return _ok(request)

    client, _ = _client(handler)
    assert client.list("orders", {}) == [{"id": 1}]


def test_client_unreachable_shop_error_names_the_setting_to_check(fast_retries):
    def handler(request):
        raise httpx.ConnectError("refused", request=request)

    client, _ = _client(handler)
    with pytest.raises(TransientApiError, match="prestashop.url"):
        client.list("order_states", {})


def test_client_errors_and_logs_never_show_key_or_query(caplog, fast_retries):
    caplog.set_level(logging.DEBUG)
    secret_url = f"http://user:{KEY}@127.0.0.1:9/api?ws_key={KEY}"
    client = WebserviceClient(
        secret_url,
        SecretStr(KEY),
        transport=httpx.MockTransport(lambda r: httpx.Response(503)),
        sleep=lambda s: None,
        max_retries=1,
    )
    with pytest.raises(TransientApiError) as info:
        client.list("orders", {"filter[reference]": "[SECRETREF]"})
    assert KEY not in str(info.value)
    assert "SECRETREF" not in str(info.value)
    assert KEY not in caplog.text
    assert "SECRETREF" not in caplog.text


def test_redact_url_drops_user_info_and_query():
    assert redact_url("https://a:b@shop.test:8443/api?ws_key=K") == (
        "https://shop.test:8443/api"
    )


def test_client_request_cap_reserves_one_slot_per_interval():
    # the recorder does not really sleep, so each request waits one more slot
    client, waits = _client(_ok, requests_per_minute=60)
    for _ in range(3):
        client.list("orders", {})
    assert len(waits) == 2
    assert waits[0] == pytest.approx(1.0, abs=0.2)
    assert waits[1] == pytest.approx(2.0, abs=0.2)
