"""SnelstartClient against a scripted fake API (httpx.MockTransport)."""

from __future__ import annotations

import json
import logging
from decimal import Decimal

import httpx
import pytest

from koppel.exceptions import (
    AmbiguousWriteError,
    ApiAuthError,
    FatalApiError,
    TransientApiError,
)
from tests.loading.conftest import CLIENTKEY, SUBSCRIPTION_KEY, FakeApi, json_response


def test_client_every_call_carries_bearer_and_subscription_key(make_client, fake_api):
    client = make_client(fake_api)
    client.get("relaties")
    client.get("artikelen")
    calls = fake_api.api_requests
    assert [r.headers["Authorization"] for r in calls] == ["Bearer token-1"] * 2
    assert {r.headers["Ocp-Apim-Subscription-Key"] for r in calls} == {SUBSCRIPTION_KEY}
    assert fake_api.tokens_issued == 1


def test_client_token_request_is_clientkey_form(make_client, fake_api):
    make_client(fake_api).get("relaties")
    token = fake_api.requests[0]
    assert token.method == "POST"
    assert token.headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = dict(httpx.QueryParams(token.content.decode()))
    assert form == {"grant_type": "clientkey", "clientkey": CLIENTKEY}


def test_client_token_near_expiry_is_fetched_again(make_client, fake_api):
    now = [0.0]
    client = make_client(fake_api, clock=lambda: now[0])
    client.get("relaties")
    now[0] = 3599 - 61  # just before the one-minute safety margin
    client.get("relaties")
    assert fake_api.tokens_issued == 1
    now[0] = 3599 - 59  # inside it
    client.get("relaties")
    assert fake_api.tokens_issued == 2
    assert fake_api.api_requests[-1].headers["Authorization"] == "Bearer token-2"


def test_client_401_fetches_new_token_and_repeats_once(make_client, fake_api):
    fake_api.answers = [json_response(401, {"statusCode": 401, "message": "expired"})]
    assert make_client(fake_api).get("relaties") == []
    assert fake_api.tokens_issued == 2


def test_client_401_twice_raises_auth_error(make_client, fake_api):
    denied = json_response(401, {"statusCode": 401, "message": "invalid key"})
    fake_api.answers = [denied, denied]
    with pytest.raises(ApiAuthError) as info:
        make_client(fake_api).get("relaties")
    assert info.value.status == 401
    assert "SN_SUBSCRIPTION_KEY" in str(info.value)
    assert SUBSCRIPTION_KEY not in str(info.value)


def test_client_403_raises_auth_error_naming_scope(make_client, fake_api):
    fake_api.answers = [json_response(403, {"message": "scope"})]
    with pytest.raises(ApiAuthError) as info:
        make_client(fake_api).post("verkooporders", {"x": 1})
    assert info.value.status == 403
    assert "orders:write" in str(info.value)


def test_client_bad_clientkey_raises_auth_error_without_secret(make_client, fake_api):
    fake_api.token_answers = [
        json_response(400, {"error": "clientkey does not contain a valid value"})
    ]
    with pytest.raises(ApiAuthError) as info:
        make_client(fake_api).get("relaties")
    assert "SN_CLIENTKEY" in str(info.value)
    assert CLIENTKEY not in str(info.value)


def test_client_429_waits_retry_after_then_repeats(make_client, fake_api):
    fake_api.answers = [json_response(429, {"statusCode": 429}, **{"Retry-After": "7"})]
    client = make_client(fake_api)
    assert client.get("relaties") == []
    assert 7.0 in client.sleeps.waits  # the throttle held every caller back
    assert client.stats.throttled == 1


def test_client_5xx_retries_with_growing_backoff(make_client, fake_api):
    fake_api.answers = [json_response(503, {}), json_response(500, {})] * 2
    client = make_client(fake_api, max_retries=5)
    assert client.get("relaties") == []
    waits = client.sleeps.waits
    assert len(waits) == 4
    assert waits[-1] > waits[0]  # base doubles: jitter stays within [0.5, 1] x
    assert client.stats.retries == 4


def test_client_5xx_beyond_max_retries_raises_transient(make_client, fake_api):
    fake_api.default = lambda request: json_response(503, {})
    client = make_client(fake_api, max_retries=2)
    with pytest.raises(TransientApiError) as info:
        client.get("relaties")
    assert not isinstance(info.value, AmbiguousWriteError)
    assert len(fake_api.api_requests) == 3


@pytest.mark.parametrize(
    "failure",
    [
        json_response(502, {}),
        json_response(504, {}),
        httpx.ReadTimeout("no answer"),
        httpx.RemoteProtocolError("connection dropped"),
    ],
    ids=["502", "504", "read-timeout", "dropped"],
)
def test_client_post_failing_after_send_is_ambiguous_not_repeated(
    make_client, fake_api, failure
):
    fake_api.answers = [failure]
    with pytest.raises(AmbiguousWriteError):
        make_client(fake_api).post("verkooporders", {"orderreferentie": "PS-1"})
    assert len(fake_api.api_requests) == 1


def test_client_post_connect_error_is_repeated(make_client, fake_api):
    fake_api.answers = [httpx.ConnectError("refused"), json_response(201, {"id": "a"})]
    assert make_client(fake_api).post("relaties", {"naam": "x"}) == {"id": "a"}
    assert len(fake_api.api_requests) == 2


def test_client_put_5xx_is_repeated(make_client, fake_api):
    fake_api.answers = [json_response(502, {}), json_response(200, {"id": "a"})]
    assert make_client(fake_api).put("relaties/a", {"id": "a"}) == {"id": "a"}


def test_client_400_raises_fatal_with_snelstart_codes(make_client, fake_api):
    body = [{"errorCode": "VOR-0011", "message": "orderreferentie too long"}]
    fake_api.answers = [json_response(400, body)]
    with pytest.raises(FatalApiError) as info:
        make_client(fake_api).post("verkooporders", {"orderreferentie": "x" * 60})
    assert info.value.codes == ["VOR-0011"]
    assert info.value.status == 400
    assert len(fake_api.api_requests) == 1


def test_client_body_decimals_are_json_numbers_never_floats(make_client, fake_api):
    fake_api.answers = [json_response(201, {"id": "a"})]
    body = {"regels": [{"stuksprijs": Decimal("0.10"), "aantal": Decimal("3")}]}
    make_client(fake_api).post("verkooporders", body)
    sent = fake_api.api_requests[0].content.decode()
    assert '"stuksprijs": 0.10' in sent
    assert json.loads(sent, parse_float=Decimal)["regels"][0]["stuksprijs"] == Decimal(
        "0.10"
    )


def test_client_response_numbers_parse_as_decimal(make_client, fake_api):
    raw = b'{"totaalInclusiefBtw": 0.30, "nummer": 7}'
    fake_api.answers = [httpx.Response(200, content=raw)]
    record = make_client(fake_api).get("verkooporders/a")
    assert record["totaalInclusiefBtw"] == Decimal("0.30")
    assert isinstance(record["totaalInclusiefBtw"], Decimal)
    assert record["nummer"] == 7


def test_client_get_all_pages_until_short_page(make_client, fake_api):
    def pages(request: httpx.Request) -> httpx.Response:
        skip = int(request.url.params["$skip"])
        top = int(request.url.params["$top"])
        return json_response(
            200, [{"id": str(i)} for i in range(skip, min(skip + top, 1200))]
        )

    fake_api.default = pages
    records = make_client(fake_api).get_all("relaties", filter="Naam eq 'x'")
    assert len(records) == 1200
    tops = [r.url.params["$top"] for r in fake_api.api_requests]
    assert tops == ["500", "500", "500"]
    assert fake_api.api_requests[0].url.params["$filter"] == "Naam eq 'x'"


def test_client_get_all_artikelen_pages_at_25(make_client, fake_api):
    fake_api.default = lambda request: json_response(200, [{"id": "a"}] * 3)
    make_client(fake_api).get_all("artikelen")
    assert fake_api.api_requests[0].url.params["$top"] == "25"


def test_client_logs_no_secrets_queries_or_bodies(make_client, fake_api, caplog):
    fake_api.answers = [
        json_response(503, {}),
        json_response(429, {}, **{"Retry-After": "0"}),
        json_response(200, []),
    ]
    client = make_client(fake_api)
    with caplog.at_level(logging.DEBUG, logger="koppel"):
        client.get("relaties", {"$filter": "Email eq 'secret.person@example.nl'"})
        client.post("relaties", {"naam": "Private Name"})
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert caplog.records  # retries and requests were logged
    for secret in (CLIENTKEY, SUBSCRIPTION_KEY, "token-1", "secret.person", "Private"):
        assert secret not in text


def test_client_counts_calls_by_method_and_resource(make_client, fake_api):
    client = make_client(fake_api)
    client.get("relaties")
    client.get("relaties/abc")
    client.post("verkooporders", {})
    assert dict(client.stats.calls) == {"GET relaties": 2, "POST verkooporders": 1}


def test_fake_api_unscripted_answers_empty_list():
    assert FakeApi()(httpx.Request("GET", "http://127.0.0.1:9/v2/x")).json() == []
