"""Every validation error code the SnelStart sandbox answers, and when."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from koppel.sandbox.snelstart.validation import MESSAGES

from .conftest import Api, codes, order_body

UNKNOWN = "11111111-2222-3333-4444-555555555555"
Body = dict[str, Any]


def _land(api: Api, code: str) -> dict[str, str]:
    landen = api.get("/landen").json()
    return {"id": next(x["id"] for x in landen if x["landcode"] == code)}


def relatie(api: Api) -> Body:
    return {
        "relatiesoort": ["Klant"],
        "naam": "Test B.V.",
        "vestigingsAdres": {
            "straat": "Dam 1",
            "postcode": "1012 JS",
            "plaats": "Amsterdam",
            "land": _land(api, "NL"),
        },
    }


def artikel(api: Api) -> Body:
    groep = api.get("/artikelomzetgroepen").json()[0]
    return {
        "artikelcode": "T-1",
        "omschrijving": "Test",
        "artikelOmzetgroep": {"id": groep["id"]},
    }


def kostenplaats(api: Api) -> Body:
    return {"omschrijving": "Beurs", "nummer": 55}


def supplier_id(api: Api) -> str:
    return api.one("relaties", "Relatiesoort/any(r:r eq 'Leverancier')")["id"]


BASES: dict[str, Callable[[Api], Body]] = {
    "relaties": relatie,
    "artikelen": artikel,
    "verkooporders": order_body,
    "kostenplaatsen": kostenplaats,
}


def _long(n: int) -> str:
    return "x" * n


def _address(key: str = "vestigingsAdres", **fields: Any):
    def change(api: Api, body: Body) -> None:
        base = {"straat": "Dam 1", "postcode": "1012 JS", "plaats": "Amsterdam"}
        body[key] = {**base, "land": _land(api, "NL"), **fields}

    return change


def _set(**fields: Any) -> Callable[[Api, Body], None]:
    def change(api: Api, body: Body) -> None:
        body.update(fields)

    return change


def _supplier_as(key: str) -> Callable[[Api, Body], None]:
    def change(api: Api, body: Body) -> None:
        body[key] = {"id": supplier_id(api)}

    return change


def _line(**fields: Any) -> Callable[[Api, Body], None]:
    def change(api: Api, body: Body) -> None:
        body["regels"][0].update(fields)

    return change


CASES: list[tuple[str, str, Callable[[Api, Body], None]]] = [
    # relaties
    ("REL-0063", "relaties", _set(id=str(uuid.uuid4()))),
    ("REL-0001", "relaties", _set(relatiesoort=["Geen"])),
    ("REL-0048", "relaties", _set(relatiesoort=["Eigen"])),
    ("REL-0065", "relaties", _set(relatiesoort=["Klant", "Leverancier"])),
    ("REL-0007", "relaties", _set(naam="  ")),
    ("REL-0008", "relaties", _set(relatiecode=1002)),
    ("REL-0012", "relaties", _set(mobieleTelefoon=_long(26))),
    ("REL-0013", "relaties", _set(telefoon=_long(26))),
    ("REL-0061", "relaties", _set(email="geen-adres")),
    ("REL-0084", "relaties", _set(email="a@b.nl;geen-adres")),
    ("REL-0085", "relaties", _set(email=_long(246) + "@b.nl")),
    ("REL-0020", "relaties", _address(straat=_long(51))),
    ("REL-0021", "relaties", _address(postcode=_long(26))),
    ("REL-0022", "relaties", _address(plaats=_long(51))),
    ("REL-0023", "relaties", _address(contactpersoon=_long(51))),
    ("REL-0025", "relaties", _address("correspondentieAdres", straat=_long(51))),
    ("REL-0026", "relaties", _address("correspondentieAdres", postcode=_long(26))),
    ("REL-0027", "relaties", _address("correspondentieAdres", plaats=_long(51))),
    (
        "REL-0028",
        "relaties",
        _address("correspondentieAdres", contactpersoon=_long(51)),
    ),
    (
        "REL-0055",
        "relaties",
        _address("correspondentieAdres", land={"id": UNKNOWN}),
    ),
    ("REL-0056", "relaties", _address(land={"id": UNKNOWN})),
    ("REL-0060", "relaties", _set(vestigingsAdres={"straat": "Dam 1"})),
    ("REL-0057", "relaties", _set(btwNummer="NL" + "1" * 49)),
    ("REL-0058", "relaties", _set(btwNummer="N")),
    ("REL-0059", "relaties", _set(btwNummer="NL 1234 56789 B01")),
    ("REL-0087", "relaties", _set(btwNummer="BE0123456749")),
    ("REL-0088", "relaties", _set(btwNummer="NL12345")),
    ("REL-0003", "relaties", _set(krediettermijn=1001)),
    ("REL-0004", "relaties", _set(relatiesoort=["Leverancier"], factuurkorting=5)),
    ("REL-0062", "relaties", _set(relatiesoort=["Leverancier"], kredietLimiet=100)),
    ("REL-0015", "relaties", _set(websiteUrl="geen url")),
    ("REL-0086", "relaties", _set(oin="12345")),
    ("REL-0017", "relaties", _set(factuurRelatie={"id": UNKNOWN})),
    ("REL-0018", "relaties", _supplier_as("factuurRelatie")),
    # artikelen
    ("ALG-0100", "artikelen", _set(id=str(uuid.uuid4()))),
    ("ART-0002", "artikelen", _set(artikelcode="")),
    ("ART-0004", "artikelen", _set(artikelcode=_long(51))),
    ("ART-0005", "artikelen", _set(artikelcode="mws")),
    ("ART-0006", "artikelen", _set(omschrijving="")),
    ("ART-0007", "artikelen", _set(omschrijving=_long(251))),
    ("ART-0008", "artikelen", _set(artikelOmzetgroep=None)),
    ("ART-0009", "artikelen", _set(artikelOmzetgroep={"id": UNKNOWN})),
    ("ART-0016", "artikelen", _set(relatie={"id": UNKNOWN})),
    ("ART-0017", "artikelen", _set(relatie={"id": "{customer}"})),
    # verkooporders
    ("ALG-0100", "verkooporders", _set(id=str(uuid.uuid4()))),
    ("VOR-0005", "verkooporders", _set(nummer=12)),
    ("REL-0005", "verkooporders", _set(relatie={"id": UNKNOWN})),
    ("VOR-0002", "verkooporders", _supplier_as("relatie")),
    ("VOR-0011", "verkooporders", _set(orderreferentie=_long(51))),
    ("VOR-0006", "verkooporders", _address("afleveradres", straat=_long(51))),
    ("VOR-0007", "verkooporders", _address("afleveradres", postcode=_long(26))),
    ("VOR-0008", "verkooporders", _address("factuuradres", plaats=_long(51))),
    (
        "VOR-0009",
        "verkooporders",
        _address("factuuradres", contactpersoon=_long(51)),
    ),
    ("VOR-0010", "verkooporders", _address("afleveradres", land={"id": UNKNOWN})),
    ("KPL-0001", "verkooporders", _set(kostenplaats={"id": UNKNOWN})),
    ("ALG-0103", "verkooporders", _set(verkoopordersjabloon={"id": UNKNOWN})),
    ("VOR-0013", "verkooporders", _set(incassomachtiging={"id": UNKNOWN})),
    ("ART-0001", "verkooporders", _line(artikel={"id": UNKNOWN})),
    # kostenplaatsen
    ("ALG-0100", "kostenplaatsen", _set(id=str(uuid.uuid4()))),
    ("KPL-0004", "kostenplaatsen", _set(omschrijving="")),
    ("KPL-0005", "kostenplaatsen", _set(omschrijving=_long(51))),
    ("KPL-0006", "kostenplaatsen", _set(nummer=None)),
    ("KPL-0007", "kostenplaatsen", _set(nummer=0)),
    ("KPL-0008", "kostenplaatsen", _set(nummer=100)),
    ("KPL-0009", "kostenplaatsen", _set(nonactief=True)),
]


def _build(api: Api, resource: str, change: Callable[[Api, Body], None]) -> Body:
    body = BASES[resource](api)
    change(api, body)
    if body.get("relatie") == {"id": "{customer}"}:
        body["relatie"] = {"id": api.one("relaties", "Relatiecode eq 1002")["id"]}
    return {k: v for k, v in body.items() if v is not None}


@pytest.mark.parametrize(
    ("code", "resource", "change"),
    CASES,
    ids=[f"{resource}-{code}" for code, resource, _ in CASES],
)
def test_post_breaking_a_rule_answers_its_code(api: Api, code, resource, change):
    before = api.sandbox.administration().count(resource)
    response = api.post(f"/{resource}", _build(api, resource, change))
    assert response.status_code == 400
    assert codes(response) == [code]
    assert api.sandbox.administration().count(resource) == before


@pytest.mark.parametrize("resource", sorted(BASES))
def test_post_valid_base_body_is_accepted(api: Api, resource):
    response = api.post(f"/{resource}", BASES[resource](api))
    assert response.status_code == 201, response.text


def test_numeric_article_codes_when_company_says_so(api: Api):
    api.sandbox.administration().company_info["artikelcodeSoort"] = "Numeriek"
    assert codes(api.post("/artikelen", artikel(api))) == ["ART-0003"]
    body = {**artikel(api), "artikelcode": "4711"}
    assert api.post("/artikelen", body).status_code == 201


def test_put_relatie_changing_soort_answers_rel_0064(api: Api):
    klant = api.one("relaties", "Relatiecode eq 1002")
    body = {**klant, "relatiesoort": ["Leverancier"]}
    assert codes(api.put(f"/relaties/{klant['id']}", body)) == ["REL-0064"]


@pytest.mark.parametrize(
    ("resource", "code"),
    [
        ("relaties", "REL-0047"),
        ("artikelen", "ALG-0101"),
        ("kostenplaatsen", "ALG-0101"),
    ],
)
def test_put_with_other_id_in_body_is_refused(api: Api, resource, code):
    record = api.get(f"/{resource}").json()[1 if resource == "relaties" else 0]
    body = {**record, "id": str(uuid.uuid4())}
    assert codes(api.put(f"/{resource}/{record['id']}", body)) == [code]


def test_put_unknown_id_answers_404(api: Api):
    response = api.put(f"/relaties/{uuid.uuid4()}", relatie(api))
    assert response.status_code == 404


def test_order_for_inactive_customer_or_article_answers_alg_0105(api: Api):
    body = order_body(api)
    admin = api.sandbox.administration()
    relatie_id = body["relatie"]["id"]
    admin.put("relaties", {**admin.get("relaties", relatie_id), "nonactief": True})
    assert codes(api.post("/verkooporders", body)) == ["ALG-0105"]
    admin.put("relaties", {**admin.get("relaties", relatie_id), "nonactief": False})
    artikel_id = body["regels"][0]["artikel"]["id"]
    admin.put("artikelen", {**admin.get("artikelen", artikel_id), "isNonActief": True})
    assert codes(api.post("/verkooporders", body)) == ["ALG-0105"]


def test_delete_article_on_open_order_answers_art_0011(api: Api):
    body = order_body(api)
    api.post("/verkooporders", body)
    artikel_id = body["regels"][0]["artikel"]["id"]
    assert codes(api.delete(f"/artikelen/{artikel_id}")) == ["ART-0011"]


def test_empty_body_answers_alg_0106(api: Api):
    response = api.client.post(
        "/v2/relaties",
        content=b"",
        headers={**api.headers, "Content-Type": "application/json"},
    )
    assert codes(response) == ["ALG-0106"]


def test_invalid_json_answers_rel_0066_or_model_state(api: Api):
    headers = {**api.headers, "Content-Type": "application/json"}
    bad = api.client.post("/v2/relaties", content=b"{naam:", headers=headers)
    assert codes(bad) == ["REL-0066"]
    other = api.client.post("/v2/artikelen", content=b"{naam:", headers=headers)
    assert "modelState" in other.json()


def test_non_json_media_type_answers_415(api: Api):
    headers = {**api.headers, "Content-Type": "text/plain"}
    response = api.client.post("/v2/relaties", content=b"{}", headers=headers)
    assert response.status_code == 415
    assert "Message" in response.json()


@pytest.mark.parametrize(
    ("resource", "change", "key"),
    [
        ("relaties", {"naam": "x" * 51}, "relatie.naam"),
        ("relaties", {"aanmaningsoort": "Soms"}, "relatie.aanmaningsoort"),
        ("relaties", {"relatiecode": "abc"}, "relatie.relatiecode"),
        ("verkooporders", {"procesStatus": "Factuur"}, "verkoopOrder.procesStatus"),
        ("verkooporders", {"procesStatus": "Contantbon"}, "verkoopOrder.procesStatus"),
        ("verkooporders", {"procesStatus": "Bestelling"}, "verkoopOrder.procesStatus"),
        ("verkooporders", {"krediettermijn": 101}, "verkoopOrder.krediettermijn"),
        ("verkooporders", {"datum": "1 mei"}, "verkoopOrder.datum"),
        ("verkooporders", {"relatie": None}, "verkoopOrder.relatie"),
        (
            "verkooporders",
            {"verkooporderBtwIngaveModel": "Beide"},
            "verkoopOrder.verkooporderBtwIngaveModel",
        ),
        ("verkooporders", {"regels": "geen lijst"}, "verkoopOrder.regels"),
    ],
    ids=[
        "naam-51",
        "enum",
        "int-type",
        "factuur",
        "contantbon",
        "status-enum",
        "krediettermijn",
        "datum",
        "relatie-required",
        "btw-ingave",
        "regels-type",
    ],
)
def test_spec_constraints_answer_model_state(api: Api, resource, change, key):
    body = {**BASES[resource](api), **change}
    body = {k: v for k, v in body.items() if v is not None}
    response = api.post(f"/{resource}", body)
    assert response.status_code == 400
    assert key in response.json()["modelState"]


def test_order_line_fields_are_type_checked(api: Api):
    body = order_body(api)
    body["regels"][0]["aantal"] = "twee"
    body["regels"][1]["omschrijving"] = "x" * 251
    state = api.post("/verkooporders", body).json()["modelState"]
    assert "verkoopOrder.regels[0].aantal" in state
    assert "verkoopOrder.regels[1].omschrijving" in state


def test_every_documented_code_is_exercised():
    elsewhere = {
        "ALG-0101",  # put with other id
        "ALG-0103",  # bad path id (test_resources)
        "ALG-0104",  # filter on Uri (test_resources)
        "ALG-0105",
        "ALG-0106",
        "ART-0003",
        "ART-0011",
        "REL-0047",
        "REL-0050",  # delete with open order (test_resources)
        "REL-0064",
        "REL-0066",
    }
    covered = {code for code, _, _ in CASES} | elsewhere
    assert covered == set(MESSAGES)
