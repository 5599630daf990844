"""The seeded demo administration: reference data plus known customers.

Ids are deterministic (uuid5), so a reseeded administration has the same ids
and tests can name them. Relaties and artikelen come from the entries of
`koppel.sandbox.catalogue` marked ``in_snelstart``; extra articles give the
mapping's shipping, wrapping, discount, fee and rounding lines something to
point at (`EXTRA_ARTICLES`).

VAT kinds: the spec's ``verkoopNederlandBtwSoort`` has only Geen, Laag, Hoog
and Overig, so reverse-charge revenue (verlegd) is a separate omzetgroep with
btwSoort ``Geen``: no Dutch VAT is charged and its own ledger keeps it apart
from exempt revenue. ``Overig`` is left for a rate-bearing kind (0 % here).
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from koppel.sandbox.catalogue import CUSTOMERS, PRODUCTS, DemoCustomer
from koppel.sandbox.snelstart.store import Administration

__all__ = [
    "EXTRA_ARTICLES",
    "LANDEN",
    "OMZETGROEPEN",
    "land_id",
    "omzetgroep_id",
    "seed_administration",
    "seeded_id",
]

_NAMESPACE = uuid.UUID("6f1c2a8e-3d4b-5c6d-8e9f-0a1b2c3d4e5f")
SEED_TIME = "2024-01-02T09:00:00"
OPEN_END = "2400-12-31T00:00:00"

# (landcode, ISO-3, naam)
LANDEN: tuple[tuple[str, str, str], ...] = (
    ("NL", "NLD", "Nederland"),
    ("BE", "BEL", "België"),
    ("DE", "DEU", "Duitsland"),
    ("FR", "FRA", "Frankrijk"),
    ("GB", "GBR", "Verenigd Koninkrijk"),
    ("US", "USA", "Verenigde Staten"),
    ("AT", "AUT", "Oostenrijk"),
    ("LU", "LUX", "Luxemburg"),
    ("ES", "ESP", "Spanje"),
    ("IT", "ITA", "Italië"),
    ("DK", "DNK", "Denemarken"),
    ("SE", "SWE", "Zweden"),
    ("PL", "POL", "Polen"),
    ("PT", "PRT", "Portugal"),
    ("IE", "IRL", "Ierland"),
    ("GR", "GRC", "Griekenland"),
    ("CH", "CHE", "Zwitserland"),
)

# key -> (nummer, omschrijving, btwSoort)
OMZETGROEPEN: dict[str, tuple[int, str, str]] = {
    "hoog": (1, "Omzet hoog tarief", "Hoog"),
    "laag": (2, "Omzet laag tarief", "Laag"),
    "geen": (3, "Omzet vrijgesteld / 0%", "Geen"),
    "verlegd": (4, "Omzet btw verlegd", "Geen"),
}

# (btwSoort, percentage, vanaf, tot en met)
BTWTARIEVEN: tuple[tuple[str, str, str, str], ...] = (
    ("Hoog", "19", "2001-01-01T00:00:00", "2012-09-30T00:00:00"),
    ("Hoog", "21", "2012-10-01T00:00:00", OPEN_END),
    ("Laag", "6", "1986-10-01T00:00:00", "2018-12-31T00:00:00"),
    ("Laag", "9", "2019-01-01T00:00:00", OPEN_END),
    ("Geen", "0", "1900-01-01T00:00:00", OPEN_END),
    ("Overig", "0", "1900-01-01T00:00:00", OPEN_END),
)

# artikelcode -> (omschrijving, omzetgroep key, verkoopprijs)
EXTRA_ARTICLES: dict[str, tuple[str, str, str]] = {
    "VERZEND-H": ("Verzendkosten (21%)", "hoog", "0"),
    "VERZEND-L": ("Verzendkosten (9%)", "laag", "0"),
    "VERZEND-0": ("Verzendkosten (0%)", "geen", "0"),
    "INPAK-H": ("Cadeauverpakking (21%)", "hoog", "0"),
    "INPAK-L": ("Cadeauverpakking (9%)", "laag", "0"),
    "KORTING-H": ("Korting (21%)", "hoog", "0"),
    "KORTING-L": ("Korting (9%)", "laag", "0"),
    "KORTING-0": ("Korting (0%)", "geen", "0"),
    "BETAALKOSTEN": ("Betaalkosten", "hoog", "0"),
    "AFRONDING": ("Afrondingsverschil", "geen", "0"),
    "VERLEGD": ("Omzet btw verlegd", "verlegd", "0"),
}

_RATE_GROUP = {Decimal("21"): "hoog", Decimal("9"): "laag", Decimal("0"): "geen"}


def seeded_id(admin: Administration, kind: str, key: str) -> str:
    """The deterministic id of a seeded record."""
    return str(uuid.uuid5(_NAMESPACE, f"{admin.identifier}/{kind}/{key}"))


def land_id(landcode: str) -> str:
    """The id of a land; the same in every administration, like SnelStart's."""
    return str(uuid.uuid5(_NAMESPACE, f"land/{landcode}"))


def omzetgroep_id(admin: Administration, key: str) -> str:
    """The id of a seeded omzetgroep (``hoog``, ``laag``, ``geen``, ``verlegd``)."""
    return seeded_id(admin, "omzetgroep", key)


def seed_administration(admin: Administration) -> None:
    """Fill an empty administration with the demo reference data and records."""
    _seed_company(admin)
    for code, iso3, naam in LANDEN:
        _put(admin, "landen", land_id(code), naam=naam, landcodeISO=iso3, landcode=code)
    for soort, pct, vanaf, tot in BTWTARIEVEN:
        row = {"btwSoort": soort, "btwPercentage": Decimal(pct)}
        admin.put("btwtarieven", {**row, "datumVanaf": vanaf, "datumTotEnMet": tot})
    for key, (nummer, omschrijving, soort) in OMZETGROEPEN.items():
        _put(
            admin,
            "artikelomzetgroepen",
            omzetgroep_id(admin, key),
            nummer=nummer,
            omschrijving=omschrijving,
            verkoopGrootboekNederlandIdentifier=_ref(
                "grootboeken", seeded_id(admin, "grootboek", key)
            ),
            verkoopNederlandBtwSoort=soort,
        )
    _seed_templates(admin)
    _seed_relaties(admin)
    _seed_artikelen(admin)


def _seed_company(admin: Administration) -> None:
    admin.company_info = {
        "administratieIdentifier": admin.identifier,
        "administratieNaam": admin.name,
        "bedrijfsnaam": "Breiwinkel De Koppel B.V.",
        "adres": "Wolstraat 1",
        "postcode": "1011 AA",
        "plaats": "Amsterdam",
        "btwNummer": "NL999999999B01",
        "rechtsvorm": "Bv",
        "huidigBoekjaar": 2024,
        "beginmaandFiscaleBoekjaar": 1,
        "btwAangiftePeriodeSoort": "Kwartaal",
        "regelkortingVerkooporder": "BerekenenOverRegelBedrag",
        "verkoopprijsArtikelbestandExclusiefBtw": False,
        "inkoopprijsArtikelbestandExclusiefBtw": True,
        "artikelcodeSoort": "Alfanumeriek",
        "artikelcodeMaxLengte": 50,
        "aantalDecimalenArtikelprijzen": 2,
        "aantalDecimalenArtikelaantallen": 2,
        "volgendFactuurnummer": 20240001,
        "volgendVerkoopordernummer": 1,
        "factureerBuitenlandsBtw": False,
    }
    admin.sequences.setdefault("verkooporder", 1)
    admin.sequences.setdefault("relatiecode", 1001)
    admin.sequences.setdefault("factuur", 20240001)


def _seed_templates(admin: Administration) -> None:
    _put(
        admin,
        "verkoopordersjablonen",
        seeded_id(admin, "sjabloon", "standaard"),
        omschrijving="Standaard",
        nonactief=False,
        prijsIngaveExclusiefBtw=True,
        nieuweOrdersBlokkeren=False,
        extraHoofdVelden=[],
        extraRegelVelden=[],
    )
    _put(
        admin,
        "verkoopordersjablonen",
        seeded_id(admin, "sjabloon", "webshop"),
        omschrijving="Webshop (incl. btw)",
        nonactief=False,
        prijsIngaveExclusiefBtw=False,
        nieuweOrdersBlokkeren=False,
        extraHoofdVelden=[],
        extraRegelVelden=[],
    )
    _put(
        admin,
        "kostenplaatsen",
        seeded_id(admin, "kostenplaats", "webshop"),
        omschrijving="Webshop",
        nonactief=False,
        nummer=100,
    )


def _seed_relaties(admin: Administration) -> None:
    own = _relatie_base(admin, "eigen", "Breiwinkel De Koppel B.V.", ["Eigen"])
    own["vestigingsAdres"] = _adres("", "Wolstraat 1", "1011 AA", "Amsterdam", "NL")
    admin.put("relaties", own)
    known = [c for c in CUSTOMERS if c.in_snelstart]
    for customer in known:
        admin.put("relaties", _customer_relatie(admin, customer))
    supplier = _relatie_base(
        admin, "leverancier", "Wolgroothandel Noord", ["Leverancier"]
    )
    supplier["email"] = "inkoop@wolgroothandel.example.nl"
    supplier["vestigingsAdres"] = _adres("", "Havenweg 4", "9711 AA", "Groningen", "NL")
    admin.put("relaties", supplier)


def _customer_relatie(admin: Administration, customer: DemoCustomer) -> dict[str, Any]:
    person = f"{customer.firstname} {customer.lastname}"
    naam = customer.company or person
    record = _relatie_base(admin, customer.email, naam, ["Klant"])
    contact = person if customer.company else ""
    record["vestigingsAdres"] = _adres(
        contact, customer.address1, customer.postcode, customer.city, customer.country
    )
    record["email"] = customer.email
    if customer.phone:
        record["telefoon"] = customer.phone
    if customer.vat_number:
        record["btwNummer"] = customer.vat_number
    return record


def _relatie_base(
    admin: Administration, key: str, naam: str, soort: list[str]
) -> dict[str, Any]:
    record_id = seeded_id(admin, "relatie", key)
    return {
        "id": record_id,
        "uri": f"/relaties/{record_id}",
        "modifiedOn": SEED_TIME,
        "relatiesoort": soort,
        "relatiecode": admin.next_number("relatiecode", 1001),
        "naam": naam,
        "krediettermijn": 14,
        "nonactief": False,
        "bankieren": False,
        "aanmaningsoort": "Consument",
        "incassoSoort": "Geen",
        "ublBestandAlsBijlage": False,
        "inkoopBoekingenUri": f"/relaties/{record_id}/inkoopboekingen",
        "verkoopBoekingenUri": f"/relaties/{record_id}/verkoopboekingen",
        "extraVeldenKlant": [],
    }


def _seed_artikelen(admin: Administration) -> None:
    for product in PRODUCTS:
        if product.in_snelstart:
            group = _RATE_GROUP[product.tax_rate]
            _artikel(admin, product.reference, product.name, group, product.price_incl)
    for code, (omschrijving, group, price) in EXTRA_ARTICLES.items():
        _artikel(admin, code, omschrijving, group, Decimal(price))


def _artikel(
    admin: Administration, code: str, omschrijving: str, group: str, price: Decimal
) -> None:
    _put(
        admin,
        "artikelen",
        seeded_id(admin, "artikel", code),
        artikelcode=code,
        omschrijving=omschrijving,
        artikelOmzetgroep=_ref("artikelomzetgroepen", omzetgroep_id(admin, group)),
        verkoopprijs=price,
        inkoopprijs=Decimal("0"),
        eenheid="stuk",
        modifiedOn=SEED_TIME,
        isNonActief=False,
        voorraadControle=False,
        technischeVoorraad=Decimal("0"),
        vrijeVoorraad=Decimal("0"),
        isHoofdartikel=False,
        subartikelen=[],
        extraVelden=[],
    )


def _adres(contact: str, straat: str, postcode: str, plaats: str, land: str) -> dict:
    adres: dict[str, Any] = {"straat": straat, "postcode": postcode, "plaats": plaats}
    if contact:
        adres = {"contactpersoon": contact, **adres}
    adres["land"] = _ref("landen", land_id(land))
    return adres


def _ref(resource: str, record_id: str) -> dict[str, str]:
    return {"id": record_id, "uri": f"/{resource}/{record_id}"}


def _put(admin: Administration, resource: str, record_id: str, **fields: Any) -> None:
    admin.put(resource, {"id": record_id, "uri": f"/{resource}/{record_id}", **fields})
