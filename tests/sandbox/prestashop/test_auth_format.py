"""Authentication, output format selection and response headers, on loopback."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from koppel.sandbox.prestashop import Shop

from .conftest import JSON, KEY, NOW, error_codes, serve


def _anonymous(api: httpx.Client) -> httpx.Client:
    return httpx.Client(base_url=api.base_url, trust_env=False)


def test_auth_basic_user_with_empty_password_is_accepted(api: httpx.Client):
    assert api.get("/orders", headers=JSON).status_code == 200


def test_auth_ws_key_query_parameter_is_accepted(api: httpx.Client):
    with _anonymous(api) as client:
        response = client.get("/orders", params={"ws_key": KEY}, headers=JSON)
    assert response.status_code == 200


def test_auth_no_key_gives_plain_text_401_with_challenge(api: httpx.Client):
    with _anonymous(api) as client:
        response = client.get("/orders", headers=JSON)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["www-authenticate"].startswith("Basic realm=")
    assert response.text == "401 Unauthorized"


@pytest.mark.parametrize(
    ("key", "code"),
    [("", 17), ("short", 18), ("X" * 32, 20)],
    ids=["empty", "wrong-length", "unknown"],
)
def test_auth_bad_key_gives_401_error_envelope(api: httpx.Client, key: str, code: int):
    with _anonymous(api) as client:
        response = client.get("/orders", params={"ws_key": key}, headers=JSON)
    assert response.status_code == 401
    assert error_codes(response) == [code]
    assert "www-authenticate" in response.headers


def test_auth_basic_user_wins_over_ws_key(api: httpx.Client):
    response = api.get("/orders", params={"ws_key": "X" * 32}, headers=JSON)
    assert response.status_code == 200


def test_auth_stripped_header_leaves_only_ws_key(shop: Shop):
    with serve(shop, strip_authorization=True) as client:
        assert client.get("/orders").status_code == 401
        response = client.get("/orders", params={"ws_key": KEY})
    assert response.status_code == 200


def test_auth_resource_not_granted_gives_401_code_26(shop: Shop):
    with serve(shop, permissions={"orders": {"GET"}}) as client:
        response = client.get("/customers", headers=JSON)
    assert response.status_code == 401
    assert error_codes(response) == [26]


def test_auth_method_not_granted_gives_405_code_25(shop: Shop):
    with serve(shop, permissions={"products": {"GET"}}) as client:
        response = client.put("/products/1", content=b"<prestashop/>", headers=JSON)
    assert response.status_code == 405
    assert error_codes(response) == [25]


def test_auth_key_not_bound_to_shop_gives_403_code_132(shop: Shop):
    with serve(shop, key_shops={1}) as client:
        response = client.get("/orders", params={"id_shop": "2"}, headers=JSON)
    assert response.status_code == 403
    assert error_codes(response) == [132]


def test_webservice_switched_off_gives_503_code_22(shop: Shop):
    with serve(shop, webservice_enabled=False) as client:
        response = client.get("/orders", headers=JSON)
    assert response.status_code == 503
    assert error_codes(response) == [22]


@pytest.mark.parametrize(
    ("headers", "params", "expected"),
    [
        ({}, {}, "xml"),
        ({"Io-Format": "JSON"}, {}, "json"),
        ({"Output-Format": "JSON"}, {}, "json"),
        ({}, {"output_format": "JSON"}, "json"),
        ({}, {"io_format": "JSON"}, "json"),
        ({}, {"output_format": "json"}, "xml"),
        ({"Output-Format": "XML"}, {"output_format": "JSON"}, "xml"),
        ({"Io-Format": "JSON", "Output-Format": "XML"}, {}, "json"),
        ({}, {"output_format": "XML", "io_format": "JSON"}, "xml"),
    ],
    ids=[
        "default-xml",
        "io-format-header",
        "output-format-header",
        "output_format-param",
        "io_format-param",
        "lower-case-json-is-xml",
        "header-beats-param",
        "io-format-beats-output-format",
        "output_format-beats-io_format",
    ],
)
def test_output_format_selection_follows_prestashop_precedence(
    api: httpx.Client, headers: dict, params: dict, expected: str
):
    response = api.get("/orders", headers=headers, params={"limit": "1", **params})
    assert expected in response.headers["content-type"]


def test_headers_carry_prestashop_metadata(api: httpx.Client):
    response = api.get("/orders", params={"limit": "2"}, headers=JSON)
    headers = response.headers
    assert headers["x-powered-by"] == "PrestaShop Webservice"
    assert headers["psws-version"].startswith("8.")
    assert headers["access-time"].isdigit()
    assert float(headers["execution-time"]) >= 0
    assert headers["content-sha1"] == hashlib.sha1(response.content).hexdigest()


def test_headers_matching_local_content_sha1_gives_304(api: httpx.Client):
    first = api.get("/orders", params={"limit": "2"}, headers=JSON)
    again = api.get(
        "/orders",
        params={"limit": "2"},
        headers={**JSON, "Local-Content-Sha1": first.headers["content-sha1"]},
    )
    assert again.status_code == 304 and again.content == b""


def test_head_answers_like_get_without_body(api: httpx.Client):
    get = api.get("/orders/1", headers=JSON)
    head = api.head("/orders/1", headers=JSON)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-sha1"] == get.headers["content-sha1"]


def test_fixed_now_sets_access_time(shop: Shop):
    with serve(shop, now=NOW) as client:
        response = client.get("/orders", params={"limit": "1"})
    assert response.headers["access-time"] == str(int(NOW.timestamp()))
