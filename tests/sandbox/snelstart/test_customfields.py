"""The sandbox's artikel custom fields: read-only ``extraVelden``, written by PUT."""

from __future__ import annotations

import uuid

import pytest

from koppel.sandbox.snelstart.contract import (
    Contract,
    default_spec_path,
    load_contract,
)

from .conftest import Api

FIELD_FILTER = "ExtraVelden/any(e:e/Waarde eq {v} and e/Naam eq 'webshopcode')"


def _new_artikel(api: Api, code: str, **extra) -> dict:
    groep = api.get("/artikelomzetgroepen").json()[0]
    body = {
        "artikelcode": code,
        "omschrijving": f"Artikel {code}",
        "artikelOmzetgroep": {"id": groep["id"]},
        **extra,
    }
    response = api.post("/artikelen", body)
    assert response.status_code == 201, response.text
    return response.json()


def test_post_artikel_ignores_read_only_extra_velden(api: Api):
    extra = [{"naam": "webshopcode", "waarde": "SKU-1"}]
    created = _new_artikel(api, "NEW-1", extraVelden=extra)
    stored = api.get(f"/artikelen/{created['id']}").json()
    assert stored.get("extraVelden", []) == []


def test_put_custom_fields_shows_in_extra_velden_and_filter(api: Api):
    created = _new_artikel(api, "NEW-2")
    body = [{"name": "webshopcode", "value": "O'Brien-1"}]
    response = api.put(f"/artikelen/{created['id']}/customFields", body)
    assert response.status_code == 200, response.text
    assert response.json()[0]["definition"]["name"] == "webshopcode"
    assert response.json()[0]["value"] == "O'Brien-1"
    stored = api.get(f"/artikelen/{created['id']}").json()
    assert stored["extraVelden"] == [{"naam": "webshopcode", "waarde": "O'Brien-1"}]
    found = api.get(
        "/artikelen", **{"$filter": FIELD_FILTER.format(v="'O''Brien-1'")}
    ).json()
    assert [a["id"] for a in found] == [created["id"]]
    other = api.get("/artikelen", **{"$filter": FIELD_FILTER.format(v="'NEW-2'")})
    assert other.json() == []


def test_put_custom_fields_replaces_by_name_and_null_clears(api: Api):
    created = _new_artikel(api, "NEW-3")
    path = f"/artikelen/{created['id']}/customFields"
    api.put(path, [{"name": "a", "value": "1"}, {"name": "b", "value": "2"}])
    api.put(path, [{"name": "a", "value": None}, {"name": "b", "value": 3}])
    fields = api.get(path).json()
    assert [(f["definition"]["name"], f["value"]) for f in fields] == [("b", "3")]


def test_put_artikel_keeps_custom_fields(api: Api):
    created = _new_artikel(api, "NEW-4")
    path = f"/artikelen/{created['id']}/customFields"
    api.put(path, [{"name": "webshopcode", "value": "SKU-4"}])
    record = api.get(f"/artikelen/{created['id']}").json()
    response = api.put(
        f"/artikelen/{created['id']}", {**record, "omschrijving": "Anders"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["extraVelden"] == [
        {"naam": "webshopcode", "waarde": "SKU-4"}
    ]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"name": "x", "value": "1"}, 400),
        ([{"value": "1"}], 400),
        ([{"name": "x", "value": {"nested": 1}}], 400),
    ],
    ids=["not-a-list", "no-name", "nested-value"],
)
def test_put_custom_fields_bad_body_answers_400(api: Api, body, status):
    created = _new_artikel(api, "NEW-5")
    response = api.put(f"/artikelen/{created['id']}/customFields", body)
    assert response.status_code == status
    assert "modelState" in response.json()


def test_custom_fields_unknown_artikel_answers_404(api: Api):
    path = f"/artikelen/{uuid.uuid4()}/customFields"
    assert api.get(path).status_code == 404
    assert api.put(path, [{"name": "x", "value": "1"}]).status_code == 404


def test_custom_fields_path_any_case(api: Api):
    created = _new_artikel(api, "NEW-6")
    response = api.get(f"/Artikelen/{created['id']}/customfields")
    assert response.status_code == 200, response.text


def test_custom_fields_responses_fit_contract(api: Api):
    try:
        contract: Contract = load_contract()
    except FileNotFoundError:
        pytest.skip(f"SnelStart OpenAPI definition absent at {default_spec_path()}")
    created = _new_artikel(api, "NEW-7")
    path = f"/artikelen/{created['id']}/customFields"
    for response in (
        api.put(path, [{"name": "webshopcode", "value": "SKU-7"}]),
        api.get(path),
    ):
        assert response.status_code == 200, response.text
        problems = contract.check_response(response.request, response)
        problems += contract.check_request(response.request)
        # the definition types `value` as System.Object (`type: object`);
        # a text field's value is a JSON string, so only that may differ
        others = [p for p in problems if "is not of type 'object'" not in p]
        assert others == [], others
