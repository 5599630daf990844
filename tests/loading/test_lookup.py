"""Bulk look-ups: or-batched filters, real page sizes, the run cache."""

from __future__ import annotations

import re

import httpx
import pytest

from koppel.plan import LookupRequest
from koppel.snelstart.lookup import (
    MAX_CLAUSES,
    MAX_FILTER_CHARS,
    fetch_snapshot,
    find_artikelen,
    find_relaties,
    find_verkooporders,
    odata_string,
    or_filters,
    remember,
)
from tests.loading.conftest import json_response

_CLAUSE = re.compile(r"(\w+(?:/\w+)?) eq (guid)?'((?:[^']|'')*)'|(\w+) eq (\d+)")


def _records_for(request: httpx.Request) -> list[dict]:
    """Answer a filter like SnelStart would: one record per asked value."""
    resource = request.url.path.rsplit("/", 1)[-1]
    flt = request.url.params.get("$filter", "")
    records = []
    for match in _CLAUSE.finditer(flt):
        prop = match.group(1) or match.group(4)
        value = (match.group(3) or match.group(5) or "").replace("''", "'")
        field = {
            "Email": "email",
            "Artikelcode": "artikelcode",
            "Orderreferentie": "orderreferentie",
            "Betalingskenmerk": "betalingskenmerk",
            "Relatiecode": "relatiecode",
            "Naam": "naam",
            "BtwNummer": "btwNummer",
        }.get(prop)
        if field:
            value = int(value) if field == "relatiecode" else value
            records.append({"id": f"{resource}-{prop}-{value}", field: value})
    return records


@pytest.fixture
def odata_api(fake_api):
    def answer(request: httpx.Request) -> httpx.Response:
        if "$filter" in request.url.params:
            return json_response(200, _records_for(request))
        if request.url.path.endswith("companyInfo"):
            return json_response(200, {"bedrijfsnaam": "Demo"})
        return json_response(200, [{"id": "ref-1"}])

    fake_api.default = answer
    return fake_api


def test_odata_string_doubles_quotes():
    assert odata_string("O'Brien") == "'O''Brien'"


def test_or_filters_respect_clause_and_length_limits():
    clauses = [f"Email eq 'person{i}@example.nl'" for i in range(95)]
    filters = or_filters(clauses)
    assert len(filters) == 5
    assert all(f.count(" or ") + 1 <= MAX_CLAUSES for f in filters)
    assert all(len(f) <= MAX_FILTER_CHARS for f in filters)
    assert sum(f.count(" eq ") for f in filters) == 95


def test_or_filters_long_values_split_on_length():
    clauses = [f"Naam eq '{'x' * 400}{i}'" for i in range(10)]
    filters = or_filters(clauses)
    assert all(len(f) <= MAX_FILTER_CHARS for f in filters)
    assert len(filters) == 4


def test_find_relaties_batches_or_filters(make_client, odata_api):
    client = make_client(odata_api)
    emails = [f"p{i}@example.nl" for i in range(45)]
    found = find_relaties(client, emails=emails, relatiecodes=[7, 8])
    assert len(found) == 47
    filters = [r.url.params["$filter"] for r in odata_api.api_requests]
    assert len(filters) == 3  # 47 clauses of both kinds share 20-clause filters
    assert "Relatiecode eq 7" in filters[-1] and "Email eq" in filters[-1]


def test_find_relaties_second_time_comes_from_the_cache(make_client, odata_api):
    client = make_client(odata_api)
    find_relaties(client, emails=["a@example.nl", "b@example.nl"])
    calls = len(odata_api.api_requests)
    again = find_relaties(client, emails=["b@example.nl", "a@example.nl"])
    assert len(again) == 2
    assert len(odata_api.api_requests) == calls
    find_relaties(client, emails=["a@example.nl", "c@example.nl"])
    assert len(odata_api.api_requests) == calls + 1
    assert "'a@example.nl'" not in odata_api.api_requests[-1].url.params["$filter"]


def test_find_artikelen_asks_pages_of_25(make_client, odata_api):
    client = make_client(odata_api)
    find_artikelen(client, [f"SKU-{i}" for i in range(3)])
    assert odata_api.api_requests[0].url.params["$top"] == "25"


def test_find_verkooporders_with_pool_sends_filters_concurrently(
    make_client, odata_api
):
    from concurrent.futures import ThreadPoolExecutor

    client = make_client(odata_api)
    refs = [f"PS-{i}" for i in range(50)]
    with ThreadPoolExecutor(4) as pool:
        found = find_verkooporders(client, references=refs, pool=pool)
    assert sorted(r["orderreferentie"] for r in found) == sorted(refs)
    assert len(odata_api.api_requests) == 3


def test_find_verkooporders_is_never_cached(make_client, odata_api):
    client = make_client(odata_api)
    find_verkooporders(client, references=["PS-1"])
    find_verkooporders(client, references=["PS-1"])
    assert len(odata_api.api_requests) == 2


def test_find_verkooporders_matches_client_side(make_client, fake_api):
    # a backend that ignores the filter must not make every order a match
    fake_api.default = lambda request: json_response(
        200, [{"id": "x", "orderreferentie": "PS-9"}, {"id": "y"}]
    )
    found = find_verkooporders(make_client(fake_api), references=["PS-1"])
    assert found == []


def test_fetch_snapshot_one_call_per_kind_and_cached_reference_lists(
    make_client, odata_api
):
    client = make_client(odata_api)
    request = LookupRequest(
        emails=frozenset({"a@example.nl", "b@example.nl"}),
        artikelcodes=frozenset({"MWS", "WW-250"}),
        references=frozenset({"PS-1"}),
    )
    snapshot = fetch_snapshot(client, request)
    assert {r["email"] for r in snapshot.relaties} == {"a@example.nl", "b@example.nl"}
    assert len(snapshot.artikelen) == 2
    assert len(snapshot.verkooporders) == 1
    assert snapshot.landen and snapshot.company_info == {"bedrijfsnaam": "Demo"}
    first = dict(client.stats.calls)
    assert first["GET relaties"] == 1
    assert first["GET artikelen"] == 1
    fetch_snapshot(client, request)
    second = dict(client.stats.calls)
    assert second["GET landen"] == 1  # reference lists once per client
    assert second["GET relaties"] == 1  # candidates cached for the run
    assert second["GET verkooporders"] == 2  # "is it booked?" is always asked


def test_remember_makes_a_created_relatie_visible_to_the_next_batch(
    make_client, fake_api
):
    fake_api.default = lambda request: json_response(200, [])
    client = make_client(fake_api)
    assert find_relaties(client, emails=["new@example.nl"]) == []
    remember(client, "relaties", {"id": "r1", "email": "New@Example.nl"})
    assert [r["id"] for r in find_relaties(client, emails=["new@example.nl"])] == ["r1"]
    assert len(fake_api.api_requests) == 1
