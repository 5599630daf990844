"""Token endpoint and gateway authentication of the SnelStart sandbox."""

from __future__ import annotations

import base64

import pytest

from koppel.sandbox.snelstart.auth import decode_password_grant

from .conftest import CLIENTKEY, SUBSCRIPTION_KEY, Api, sandbox_api


def test_token_clientkey_grant_returns_bearer_token(api: Api):
    response = api.client.post(
        "/b2b/token", data={"grant_type": "clientkey", "clientkey": CLIENTKEY}
    )
    body = response.json()
    assert response.status_code == 200
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3599
    assert body["access_token"].count(".") == 2


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"grant_type": "clientkey", "clientkey": "wrong"}, "invalid_grant"),
        ({"grant_type": "clientkey"}, "invalid_grant"),
        ({"grant_type": "client_credentials"}, "unsupported_grant_type"),
        ({}, "unsupported_grant_type"),
    ],
    ids=["bad-key", "no-key", "other-grant", "empty-form"],
)
def test_token_bad_request_answers_oauth_error(api: Api, form, error):
    response = api.client.post("/b2b/token", data=form)
    assert response.status_code == 400
    assert response.json()["error"] == error


def test_token_clientkey_in_query_string_is_refused(api: Api):
    response = api.client.post(
        "/b2b/token",
        params={"grant_type": "clientkey", "clientkey": CLIENTKEY},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_token_password_grant_uses_decoded_clientkey():
    clientkey = base64.b64encode(b"api-user:s3cret").decode()
    assert decode_password_grant(clientkey) == ("api-user", "s3cret")
    with sandbox_api(clientkeys={clientkey: "Pw"}) as api:
        form = {"grant_type": "password", "username": "api-user", "password": "s3cret"}
        response = api.client.post("/b2b/token", data=form)
        assert response.status_code == 200
        bad = {**form, "password": "nope"}
        assert api.client.post("/b2b/token", data=bad).status_code == 400


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Ocp-Apim-Subscription-Key": "wrong"}, 401),
        ({"Ocp-Apim-Subscription-Key": SUBSCRIPTION_KEY}, 401),
        (
            {
                "Ocp-Apim-Subscription-Key": SUBSCRIPTION_KEY,
                "Authorization": "Bearer not-a-token",
            },
            401,
        ),
    ],
    ids=["nothing", "bad-subscription-key", "no-bearer", "unknown-bearer"],
)
def test_gateway_without_valid_credentials_answers_401(api: Api, headers, status):
    response = api.client.get("/v2/relaties", headers=headers)
    assert response.status_code == status
    body = response.json()
    assert body["statusCode"] == status
    assert body["message"]


def test_gateway_subscription_key_in_query_is_accepted(api: Api):
    headers = {"Authorization": f"Bearer {api.token}"}
    response = api.client.get(
        "/v2/landen", params={"subscription-key": SUBSCRIPTION_KEY}, headers=headers
    )
    assert response.status_code == 200


def test_token_after_ttl_answers_401_and_new_token_works(api: Api, clock):
    assert api.get("/landen").status_code == 200
    clock.advance(3598)
    assert api.get("/landen").status_code == 200
    clock.advance(2)
    assert api.get("/landen").status_code == 401
    api.token = api.login()
    assert api.get("/landen").status_code == 200


def test_token_ttl_is_configurable(clock):
    with sandbox_api(token_ttl=10, clock=clock) as api:
        clock.advance(10)
        assert api.get("/landen").status_code == 401


def test_gateway_missing_scope_answers_403(clock):
    read_only = ("relaties:read", "settings:read")
    with sandbox_api(scopes={CLIENTKEY: read_only}, clock=clock) as api:
        assert api.get("/relaties").status_code == 200
        assert api.get("/verkooporders").status_code == 403
        response = api.post("/relaties", {"naam": "X", "relatiesoort": ["Klant"]})
        assert response.status_code == 403
        assert "Message" in response.json()


def test_gateway_each_clientkey_opens_its_own_administration(clock):
    keys = {CLIENTKEY: "Demo", "second-key": "Tweede"}
    with sandbox_api(clientkeys=keys, clock=clock) as api:
        before = api.sandbox.administration("second-key").count("relaties")
        api.post("/relaties", {"naam": "Alleen in demo", "relatiesoort": ["Klant"]})
        assert api.sandbox.administration(CLIENTKEY).count("relaties") == before + 1
        assert api.sandbox.administration("second-key").count("relaties") == before
