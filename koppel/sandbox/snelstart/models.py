"""Shapes of the SnelStart resources the sandbox serves, as property types.

A shape maps each camelCase JSON property to a type name (``str``, ``int``,
``dec``, ``bool``, ``dt``, ``guid``), a nested shape (a dict) or a list of
one of those (a one-element list). The OData evaluator uses shapes to find
properties and check literal types; request binding uses them to refuse
values of the wrong JSON type. Property names and types follow the OpenAPI
definition of the B2B API v2.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ODATA_RESOURCES", "SHAPES", "Shape", "pascal_to_camel"]

Shape = dict[str, Any]

REF: Shape = {"id": "guid", "uri": "str"}
ADRES: Shape = {
    "contactpersoon": "str",
    "straat": "str",
    "postcode": "str",
    "plaats": "str",
    "land": REF,
}
EMAIL_VERSTUREN: Shape = {"shouldSend": "bool", "email": "str", "ccEmail": "str"}
EXTRA_VELD: Shape = {"naam": "str", "waarde": "str"}
INGAVE: Shape = {"veldNummer": "int", "omschrijving": "str", "waarde": "str"}

RELATIE: Shape = {
    "relatiesoort": ["str"],
    "modifiedOn": "dt",
    "relatiecode": "int",
    "naam": "str",
    "vestigingsAdres": ADRES,
    "correspondentieAdres": ADRES,
    "telefoon": "str",
    "mobieleTelefoon": "str",
    "fax": "str",
    "email": "str",
    "btwNummer": "str",
    "factuurkorting": "dec",
    "krediettermijn": "int",
    "bankieren": "bool",
    "nonactief": "bool",
    "kredietLimiet": "dec",
    "memo": "str",
    "kvkNummer": "str",
    "oin": "str",
    "websiteUrl": "str",
    "aanmaningsoort": "str",
    "offerteEmailVersturen": EMAIL_VERSTUREN,
    "bevestigingsEmailVersturen": EMAIL_VERSTUREN,
    "factuurEmailVersturen": EMAIL_VERSTUREN,
    "aanmaningEmailVersturen": EMAIL_VERSTUREN,
    "offerteAanvraagEmailVersturen": EMAIL_VERSTUREN,
    "bestellingEmailVersturen": EMAIL_VERSTUREN,
    "ublBestandAlsBijlage": "bool",
    "iban": "str",
    "bic": "str",
    "incassoSoort": "str",
    "factuurRelatie": REF,
    "inkoopBoekingenUri": "str",
    "verkoopBoekingenUri": "str",
    "extraVeldenKlant": [EXTRA_VELD],
    "id": "guid",
    "uri": "str",
}

ARTIKEL: Shape = {
    "isHoofdartikel": "bool",
    "subartikelen": [{"artikelcode": "str", "aantal": "dec", **REF}],
    "artikelcode": "str",
    "omschrijving": "str",
    "artikelOmzetgroep": REF,
    "verkoopprijs": "dec",
    "inkoopprijs": "dec",
    "eenheid": "str",
    "modifiedOn": "dt",
    "relatie": REF,
    "isNonActief": "bool",
    "voorraadControle": "bool",
    "technischeVoorraad": "dec",
    "vrijeVoorraad": "dec",
    "extraVelden": [EXTRA_VELD],
    "id": "guid",
    "uri": "str",
}

REGEL: Shape = {
    "artikel": REF,
    "omschrijving": "str",
    "stuksprijs": "dec",
    "aantal": "dec",
    "kortingsPercentage": "dec",
    "totaal": "dec",
    "extraRegelVelden": [INGAVE],
}

VERKOOPORDER: Shape = {
    "relatie": REF,
    "procesStatus": "str",
    "nummer": "int",
    "modifiedOn": "dt",
    "datum": "dt",
    "krediettermijn": "int",
    "geblokkeerd": "bool",
    "omschrijving": "str",
    "betalingskenmerk": "str",
    "incassomachtiging": REF,
    "afleveradres": ADRES,
    "factuuradres": ADRES,
    "verkooporderBtwIngaveModel": "str",
    "kostenplaats": REF,
    "regels": [REGEL],
    "memo": "str",
    "orderreferentie": "str",
    "factuurkorting": "dec",
    "verkoopfactuur": REF,
    "verkoopordersjabloon": REF,
    "verkoopOrderStatus": "str",
    "totaalExclusiefBtw": "dec",
    "totaalInclusiefBtw": "dec",
    "extraHoofdVelden": [INGAVE],
    "id": "guid",
    "uri": "str",
}

VERKOOPFACTUUR: Shape = {
    "verkoopBoeking": REF,
    "modifiedOn": "dt",
    "openstaandSaldo": "dec",
    "factuurnummer": "str",
    "vervalDatum": "dt",
    "relatie": REF,
    "factuurDatum": "dt",
    "factuurBedrag": "dec",
    "verkoopOrders": [REF],
    "id": "guid",
    "uri": "str",
}

OMZETGROEP: Shape = {
    "nummer": "int",
    "omschrijving": "str",
    "verkoopGrootboekNederlandIdentifier": REF,
    "verkoopNederlandBtwSoort": "str",
    "id": "guid",
    "uri": "str",
}

LAND: Shape = {
    "naam": "str",
    "landcodeISO": "str",
    "landcode": "str",
    "id": "guid",
    "uri": "str",
}

BTWTARIEF: Shape = {
    "btwSoort": "str",
    "btwPercentage": "dec",
    "datumVanaf": "dt",
    "datumTotEnMet": "dt",
}

KOSTENPLAATS: Shape = {
    "omschrijving": "str",
    "nonactief": "bool",
    "nummer": "int",
    "id": "guid",
    "uri": "str",
}

SJABLOON_VELD: Shape = {
    "veldNummer": "int",
    "omschrijving": "str",
    "ingaveMasker": "str",
    "soortVeld": "str",
    "maximumTekstLengte": "int",
}

SJABLOON: Shape = {
    "omschrijving": "str",
    "nonactief": "bool",
    "prijsIngaveExclusiefBtw": "bool",
    "nieuweOrdersBlokkeren": "bool",
    "extraHoofdVelden": [SJABLOON_VELD],
    "extraRegelVelden": [SJABLOON_VELD],
    "id": "guid",
    "uri": "str",
}

PROCES_STATUS: Shape = {"id": "guid", "procesStatus": "str"}

SHAPES: dict[str, Shape] = {
    "relaties": RELATIE,
    "artikelen": ARTIKEL,
    "artikelomzetgroepen": OMZETGROEP,
    "verkooporders": VERKOOPORDER,
    "verkoopordersjablonen": SJABLOON,
    "verkoopfacturen": VERKOOPFACTUUR,
    "landen": LAND,
    "btwtarieven": BTWTARIEF,
    "kostenplaatsen": KOSTENPLAATS,
}

# Collections whose GET takes $filter/$top/$skip, with their $top maximum.
ODATA_RESOURCES: dict[str, int] = {
    "relaties": 500,
    "artikelen": 25,
    "verkooporders": 500,
    "verkoopfacturen": 500,
}

# Backend type names the OData errors mention, like the real API's.
MODEL_NAMES: dict[str, str] = {
    "relaties": "SnelStart.B2B.Api.V2.Models.Relaties.RelatieModel",
    "artikelen": "SnelStart.B2B.Api.V2.Models.Artikelen.ArtikelQueryModel",
    "verkooporders": "SnelStart.B2B.Api.V2.Models.Verkooporders.VerkoopOrderModel",
    "verkoopfacturen": (
        "SnelStart.B2B.Api.V2.Models.Verkoopfacturen.VerkoopfactuurModel"
    ),
}


def pascal_to_camel(name: str) -> str:
    """Turn an OData property name (``VestigingsAdres``) into its JSON key."""
    return name[:1].lower() + name[1:]
