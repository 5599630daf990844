"""CRUD, OData paging and inspection of the SnelStart sandbox resources."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from koppel.sandbox.catalogue import CUSTOMERS, PRODUCTS

from .conftest import Api, codes, order_body


@pytest.mark.parametrize(
    "resource",
    [
        "relaties",
        "artikelen",
        "artikelomzetgroepen",
        "verkooporders",
        "verkoopordersjablonen",
        "verkoopfacturen",
        "landen",
        "btwtarieven",
        "kostenplaatsen",
    ],
)
def test_list_answers_bare_array_matching_store(api: Api, resource):
    response = api.get(f"/{resource}")
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body, list)
    expected = api.sandbox.administration().count(resource)
    if resource == "artikelen":
        expected = min(expected, 25)
    assert len(body) == expected


def test_seed_holds_known_customers_and_products(api: Api):
    admin = api.sandbox.administration()
    emails = {r.get("email") for r in admin.list("relaties")}
    known = {c.email for c in CUSTOMERS if c.in_snelstart}
    unknown = {c.email for c in CUSTOMERS if not c.in_snelstart}
    assert known <= emails
    assert not unknown & emails
    codes_ = {a["artikelcode"] for a in admin.list("artikelen")}
    assert {p.reference for p in PRODUCTS if p.in_snelstart} <= codes_
    assert {"VERZEND-H", "KORTING-0", "BETAALKOSTEN", "AFRONDING"} <= codes_


def test_seed_landen_carry_iso2_and_iso3(api: Api):
    landen = {land["landcode"]: land for land in api.get("/landen").json()}
    for code in ("NL", "BE", "DE", "FR", "GB", "US", "AT", "LU", "ES", "IT"):
        assert len(landen[code]["landcodeISO"]) == 3
    assert landen["NL"]["landcodeISO"] == "NLD"


def test_get_by_id_any_case_and_unknown_id(api: Api):
    relatie = api.get("/relaties").json()[1]
    response = api.get(f"/relaties/{relatie['id'].upper()}")
    assert response.status_code == 200
    assert response.json()["id"] == relatie["id"]
    missing = api.get(f"/relaties/{uuid.uuid4()}")
    assert missing.status_code == 404
    assert "Message" in missing.json()
    assert codes(api.get("/relaties/not-a-guid")) == ["ALG-0103"]


def test_post_relatie_fills_server_fields(api: Api):
    nl = api.get("/landen").json()[0]
    body = {
        "relatiesoort": ["Klant"],
        "naam": "Lucas Visser",
        "email": "lucas.visser@example.nl",
        "vestigingsAdres": {
            "straat": "Oudegracht 45",
            "postcode": "3511 AB",
            "plaats": "Utrecht",
            "land": {"id": nl["id"]},
        },
    }
    response = api.post("/relaties", body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert uuid.UUID(created["id"])
    assert created["uri"] == f"/relaties/{created['id']}"
    assert created["modifiedOn"]
    assert isinstance(created["relatiecode"], int)
    stored = api.sandbox.administration().get("relaties", created["id"])
    assert stored["email"] == "lucas.visser@example.nl"


def test_put_relatie_replaces_and_keeps_relatiecode(api: Api):
    relatie = api.one("relaties", "Email eq 'daan.jansen@example.nl'")
    body = {
        "id": relatie["id"],
        "relatiesoort": ["Klant"],
        "naam": "Daan Jansen",
        "email": "daan@example.nl",
    }
    response = api.put(f"/relaties/{relatie['id']}", body)
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["relatiecode"] == relatie["relatiecode"]
    assert "telefoon" not in updated  # full replace, not a merge
    assert updated["email"] == "daan@example.nl"


def test_post_verkooporder_numbers_orders_in_sequence(api: Api):
    first = api.post("/verkooporders", order_body(api)).json()
    second = api.post("/verkooporders", order_body(api)).json()
    assert second["nummer"] == first["nummer"] + 1
    assert first["procesStatus"] == "Order"
    assert first["verkoopOrderStatus"] == "InBehandeling"
    assert api.sandbox.administration().count("verkooporders") == 2


def test_verkooporder_proces_status_put(api: Api):
    order = api.post("/verkooporders", order_body(api)).json()
    path = f"/verkooporders/{order['id']}/ProcesStatus"
    response = api.put(path, {"id": order["id"], "procesStatus": "Pakbon"})
    assert response.status_code == 200
    assert api.get(f"/verkooporders/{order['id']}").json()["procesStatus"] == "Pakbon"
    refused = api.put(path, {"id": order["id"], "procesStatus": "Factuur"})
    assert refused.status_code == 400
    assert "modelState" in refused.json()


def test_delete_verkooporder_answers_201_and_removes(api: Api):
    order = api.post("/verkooporders", order_body(api)).json()
    response = api.delete(f"/verkooporders/{order['id']}")
    assert response.status_code == 201
    assert api.sandbox.administration().count("verkooporders") == 0


def test_delete_relatie_with_open_order_is_refused(api: Api):
    order = api.post("/verkooporders", order_body(api)).json()
    response = api.delete(f"/relaties/{order['relatie']['id']}")
    assert codes(response) == ["REL-0050"]


def test_delete_relatie_is_soft(api: Api):
    relatie = api.one("relaties", "Email eq 'tess.mulder@example.nl'")
    assert api.delete(f"/relaties/{relatie['id']}").status_code == 200
    assert api.get(f"/relaties/{relatie['id']}").status_code == 404
    stored = api.sandbox.administration().get("relaties", relatie["id"])
    assert stored["nonactief"] is True


def test_odata_top_skip_pages_through_relaties(api: Api):
    for i in range(7):
        api.post("/relaties", {"naam": f"Klant {i}", "relatiesoort": ["Klant"]})
    total = api.sandbox.administration().count("relaties")
    pages, skip = [], 0
    while True:
        page = api.get("/relaties", **{"$top": 4, "$skip": skip}).json()
        pages.append(page)
        if len(page) < 4:
            break
        skip += 4
    ids = [r["id"] for page in pages for r in page]
    assert len(ids) == total == len(set(ids))


@pytest.mark.parametrize(
    ("path", "top", "status"),
    [
        ("/artikelen", 25, 200),
        ("/artikelen", 26, 400),
        ("/relaties", 500, 200),
        ("/relaties", 501, 400),
        ("/verkooporders", 501, 400),
        ("/relaties", -1, 400),
        ("/relaties", "abc", 400),
    ],
    ids=["art-25", "art-26", "rel-500", "rel-501", "vor-501", "negative", "text"],
)
def test_odata_top_maxima(api: Api, path, top, status):
    response = api.get(path, **{"$top": top})
    assert response.status_code == status
    if status == 400:
        assert "Message" in response.json()


def test_odata_filter_is_ignored_where_api_has_no_odata(api: Api):
    all_landen = api.get("/landen").json()
    filtered = api.get("/landen", **{"$filter": "Landcode eq 'NL'", "$top": 1}).json()
    assert filtered == all_landen


@pytest.mark.parametrize(
    ("odata_filter", "expected"),
    [
        ("Email eq 'sanne.devries@example.nl'", 1),
        ("Email eq 'SANNE.DEVRIES@example.nl'", 0),
        ("tolower(Email) eq 'sanne.devries@example.nl'", 1),
        ("Relatiesoort/any(r:r eq 'Klant')", 5),
        ("Relatiesoort/any(r:r eq 'Eigen')", 1),
        ("startswith(Naam,'Bakker') eq true", 1),
        ("substringof('de Vries', Naam) eq true", 1),
        ("BtwNummer eq 'NL123456789B01' or BtwNummer eq 'BE0123456749'", 2),
        ("Relatiecode ge 1002 and Relatiecode le 1003", 2),
        ("ModifiedOn gt datetime'2030-01-01T00:00:00'", 0),
    ],
)
def test_odata_filter_on_relaties(api: Api, odata_filter, expected):
    response = api.get("/relaties", **{"$filter": odata_filter})
    assert response.status_code == 200, response.text
    assert len(response.json()) == expected


@pytest.mark.parametrize(
    "odata_filter",
    [
        "email eq 'x'",
        "Relatiecode eq '1'",
        "Id eq 'abc'",
        "Naam eq",
        "contains(Naam,'a')",
    ],
    ids=[
        "lower-case-property",
        "int-vs-string",
        "guid-vs-string",
        "syntax",
        "v4-function",
    ],
)
def test_odata_bad_filter_answers_message_400(api: Api, odata_filter):
    response = api.get("/relaties", **{"$filter": odata_filter})
    assert response.status_code == 400
    assert "Message" in response.json()


def test_odata_filter_on_uri_answers_alg_0104(api: Api):
    response = api.get("/relaties", **{"$filter": "Uri eq '/relaties/x'"})
    assert codes(response) == ["ALG-0104"]


def test_odata_filter_verkooporders_by_orderreferentie(api: Api):
    api.post("/verkooporders", order_body(api, orderreferentie="PS-7"))
    api.post("/verkooporders", order_body(api, orderreferentie="PS-8"))
    rows = api.get("/verkooporders", **{"$filter": "Orderreferentie eq 'PS-8'"}).json()
    assert [r["orderreferentie"] for r in rows] == ["PS-8"]


def test_money_round_trips_as_exact_numbers(api: Api):
    order = api.post("/verkooporders", order_body(api)).json()
    raw = api.get(f"/verkooporders/{order['id']}").text
    assert '"stuksprijs":89.95' in raw
    assert '"totaal":179.90' in raw
    stored = api.sandbox.administration().get("verkooporders", order["id"])
    assert stored["totaalInclusiefBtw"] == Decimal("186.85")


def test_inspection_endpoints_need_subscription_key(api: Api):
    assert api.client.get("/_sandbox/relaties/count").status_code == 401
    headers = {"Ocp-Apim-Subscription-Key": api.headers["Ocp-Apim-Subscription-Key"]}
    count = api.client.get("/_sandbox/relaties/count", headers=headers).json()
    assert count["count"] == api.sandbox.administration().count("relaties")
    api.post("/verkooporders", order_body(api))
    listing = api.client.get("/_sandbox/verkooporders", headers=headers).json()
    assert len(listing) == 1
    assert api.client.post("/_sandbox/reset", headers=headers).status_code == 200
    assert api.sandbox.administration().count("verkooporders") == 0
    assert api.client.get("/_sandbox/nope", headers=headers).status_code == 404


def test_odata_select_keeps_named_properties(api: Api):
    rows = api.get("/relaties", **{"$select": "Id,Naam", "$top": 2}).json()
    assert [set(r) for r in rows] == [{"id", "naam"}, {"id", "naam"}]
    assert api.get("/relaties", **{"$select": "naam"}).status_code == 400


@pytest.mark.parametrize(
    "path",
    ["/v2/Relaties", "/v2/RELATIES", "/v2/companyinfo", "/V2/landen"],
)
def test_paths_are_case_insensitive(api: Api, path):
    assert api.client.get(path, headers=api.headers).status_code == 200


def test_proces_status_path_any_case(api: Api):
    order = api.post("/verkooporders", order_body(api)).json()
    body = {"id": order["id"], "procesStatus": "Werkbon"}
    path = f"/v2/verkooporders/{order['id'].upper()}/processtatus"
    assert api.client.put(path, json=body, headers=api.headers).status_code == 200
    echo = api.client.get("/v2/Echo/HalloWereld", headers=api.headers)
    assert echo.json() == "HalloWereld"


def test_requests_log_lists_answered_calls(api: Api):
    api.get("/landen")
    api.client.get("/v2/landen")
    log = [(r.method, r.path, r.status) for r in api.sandbox.requests]
    assert ("GET", "/v2/landen", 200) in log
    assert ("GET", "/v2/landen", 401) in log
    headers = {"Ocp-Apim-Subscription-Key": api.headers["Ocp-Apim-Subscription-Key"]}
    over_http = api.client.get("/_sandbox/requests", headers=headers).json()
    assert {"method": "GET", "path": "/v2/landen", "status": 401} in [
        {k: row[k] for k in ("method", "path", "status")} for row in over_http
    ]


def test_invoiced_order_shows_in_verkoopfacturen(api: Api):
    order = api.post("/verkooporders", order_body(api)).json()
    headers = {"Ocp-Apim-Subscription-Key": api.headers["Ocp-Apim-Subscription-Key"]}
    url = f"/_sandbox/verkooporders/{order['id']}/factureer"
    factuur = api.client.post(url, headers=headers).json()
    assert api.client.post(url, headers=headers).status_code == 400
    number = factuur["factuurnummer"]
    rows = api.get("/verkoopfacturen", **{"$filter": f"Factuurnummer eq '{number}'"})
    assert [r["id"] for r in rows.json()] == [factuur["id"]]
    assert factuur["factuurBedrag"] == order["totaalInclusiefBtw"]
    invoiced = api.get(f"/verkooporders/{order['id']}").json()
    assert invoiced["verkoopfactuur"]["id"] == factuur["id"]
    assert invoiced["procesStatus"] == "Factuur"
