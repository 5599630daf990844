"""Artikelen whose shop code lives in an extra field: look-up and create."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from koppel.plan import ArtikelAction, LookupRequest
from koppel.snelstart.lookup import (
    MAX_EXTRA_FIELD_CLAUSES,
    fetch_snapshot,
    find_artikelen_by_extra_field,
    remember,
)
from koppel.snelstart.records import write_record
from tests.loading.conftest import json_response

FIELD = "webshopcode"
_ANY = re.compile(
    r"ExtraVelden/any\(e:e/Waarde eq '((?:[^']|'')*)' and e/Naam eq '(\w+)'\)"
)
_CODE = re.compile(r"Artikelcode eq '((?:[^']|'')*)'")


def _answer(request: httpx.Request) -> httpx.Response:
    """Artikelen as SnelStart would find them; `wrong` names another field."""
    flt = request.url.params.get("$filter", "")
    if not flt:
        return json_response(200, {} if "companyInfo" in request.url.path else [])
    rows = []
    for value, name in _ANY.findall(flt):
        value = value.replace("''", "'")
        naam = "elders" if value == "wrong" else name
        extra = [{"naam": naam, "waarde": value}]
        rows.append(
            {"id": f"x-{value}", "artikelcode": f"A{value}", "extraVelden": extra}
        )
    for value in _CODE.findall(flt):
        rows.append({"id": f"c-{value}", "artikelcode": value.replace("''", "'")})
    return json_response(200, rows)


@pytest.fixture
def artikel_api(fake_api):
    fake_api.default = _answer
    return fake_api


def _filters(api) -> list[str]:
    return [
        r.url.params["$filter"] for r in api.api_requests if "$filter" in r.url.params
    ]


def test_find_by_extra_field_batches_escapes_and_pages_of_25(make_client, artikel_api):
    client = make_client(artikel_api)
    codes = [f"SKU-{i}" for i in range(10)] + ["O'Brien"]
    found = find_artikelen_by_extra_field(client, FIELD, codes)
    assert sorted(a["id"] for a in found) == sorted(f"x-{c}" for c in codes)
    filters = _filters(artikel_api)
    assert len(filters) == 2
    assert all(f.count(" or ") < MAX_EXTRA_FIELD_CLAUSES for f in filters)
    quoted = "e/Waarde eq 'O''Brien' and e/Naam eq 'webshopcode'"
    assert any(quoted in f for f in filters)
    assert {r.url.params["$top"] for r in artikel_api.api_requests} == {"25"}


def test_find_by_extra_field_drops_hits_of_another_field(make_client, artikel_api):
    client = make_client(artikel_api)
    assert find_artikelen_by_extra_field(client, FIELD, ["wrong"]) == []


def test_find_by_extra_field_cached_and_remembers_created(make_client, artikel_api):
    client = make_client(artikel_api)
    find_artikelen_by_extra_field(client, FIELD, ["wrong"])
    calls = len(artikel_api.api_requests)
    created = {"id": "new", "extraVelden": [{"naam": FIELD, "waarde": "wrong"}]}
    remember(client, "artikelen", created)
    again = find_artikelen_by_extra_field(client, FIELD, ["wrong"])
    assert [a["id"] for a in again] == ["new"]
    assert len(artikel_api.api_requests) == calls


def test_fetch_snapshot_extra_field_mode_asks_both_ways(make_client, artikel_api):
    client = make_client(artikel_api)
    request = LookupRequest(
        artikelcodes=frozenset({"SKU-1", "VERZEND-H"}), artikel_extra_field=FIELD
    )
    snapshot = fetch_snapshot(client, request)
    ids = {a["id"] for a in snapshot.artikelen}
    assert {"c-VERZEND-H", "x-SKU-1", "x-VERZEND-H", "c-SKU-1"} == ids
    assert any("ExtraVelden/any(" in f for f in _filters(artikel_api))


def test_fetch_snapshot_artikelcode_mode_never_asks_extra_fields(
    make_client, artikel_api
):
    client = make_client(artikel_api)
    fetch_snapshot(client, LookupRequest(artikelcodes=frozenset({"SKU-1"})))
    assert not any("ExtraVelden" in f for f in _filters(artikel_api))


def _create_action(code: str = "SKU-9") -> ArtikelAction:
    payload = {
        "artikelcode": code,
        "omschrijving": "Trui",
        "extraVelden": [{"naam": FIELD, "waarde": code}],
    }
    return ArtikelAction(key=code, action="create", payload=payload)


def test_write_record_posts_without_extra_velden_then_puts_fields(
    make_client, fake_api
):
    fake_api.answers = [
        json_response(201, {"id": "a1", "artikelcode": "SKU-9"}),
        json_response(200, []),
    ]
    client = make_client(fake_api)
    outcome = write_record(client, _create_action(), pending=False, last_hash=None)
    assert (outcome.action, outcome.snelstart_id) == ("created", "a1")
    post, put = fake_api.api_requests
    assert post.method == "POST" and "extraVelden" not in json.loads(post.content)
    assert put.method == "PUT" and put.url.path.endswith("/artikelen/a1/customFields")
    assert json.loads(put.content) == [{"name": FIELD, "value": "SKU-9"}]


def test_write_record_failed_fields_put_adopts_on_retry_not_twice(
    make_client, fake_api
):
    refused = [{"errorCode": "REF-0001", "message": "veld onbekend"}]
    fake_api.answers = [
        json_response(201, {"id": "a1", "artikelcode": "SKU-9"}),
        json_response(400, refused),
    ]
    client = make_client(fake_api)
    first = write_record(client, _create_action(), pending=False, last_hash=None)
    assert not first.ok and list(first.codes) == ["REF-0001"]
    fake_api.answers = [
        json_response(200, [{"id": "a1", "artikelcode": "SKU-9"}]),
        json_response(200, []),
    ]
    fake_api.requests.clear()
    again = write_record(client, _create_action(), pending=True, last_hash=None)
    assert (again.action, again.snelstart_id) == ("adopted", "a1")
    assert [r.method for r in fake_api.api_requests] == ["GET", "PUT"]


def test_write_record_adopted_with_field_set_puts_nothing(make_client, fake_api):
    extra = [{"naam": FIELD, "waarde": "SKU-9"}]
    fake_api.answers = [
        json_response(200, [{"id": "a1", "artikelcode": "SKU-9", "extraVelden": extra}])
    ]
    client = make_client(fake_api)
    outcome = write_record(client, _create_action(), pending=True, last_hash=None)
    assert outcome.snelstart_id == "a1"
    assert [r.method for r in fake_api.api_requests] == ["GET"]


def test_write_record_on_sandbox_field_is_found_by_extra_field(env):
    groep = env.admin.list("artikelomzetgroepen")[0]
    action = _create_action("SKU-77")
    action.payload["artikelOmzetgroep"] = {"id": groep["id"]}
    client = env.client()
    outcome = write_record(client, action, pending=False, last_hash=None)
    assert outcome.action == "created", outcome.message
    stored = env.admin.get("artikelen", outcome.snelstart_id)
    assert stored["extraVelden"] == [{"naam": FIELD, "waarde": "SKU-77"}]
    found = find_artikelen_by_extra_field(client, FIELD, ["SKU-77"], use_cache=False)
    assert [a["id"] for a in found] == [outcome.snelstart_id]
