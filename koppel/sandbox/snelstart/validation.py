"""SnelStart's business rules, answered with its documented error codes.

Each ``check_*`` function takes the administration and a bound request body
(see `binding`) and returns the problems as ``(errorCode, message)`` pairs;
the API answers them as ``[{"errorCode": …, "message": …}]`` with HTTP 400.
Codes follow SnelStart's published v2 catalogue; the messages are the
sandbox's own short Dutch wording.
"""

from __future__ import annotations

import re
from typing import Any

from koppel.sandbox.snelstart.store import Administration

__all__ = [
    "MESSAGES",
    "Problem",
    "check_artikel",
    "check_kostenplaats",
    "check_relatie",
    "check_verkooporder",
    "problem",
]

Problem = tuple[str, str]

MESSAGES: dict[str, str] = {
    "ALG-0100": "Bij aanmaken mag het id niet gevuld zijn.",
    "ALG-0101": "Het id in de url verschilt van het id in de body.",
    "ALG-0103": "Het opgegeven id is ongeldig of onbekend.",
    "ALG-0104": "Het OData-filter is ongeldig.",
    "ALG-0105": "Het opgegeven item is niet actief.",
    "ALG-0106": "De aanvraag bevat geen gegevens.",
    "ART-0001": "Het artikel bestaat niet.",
    "ART-0002": "Een artikelcode is verplicht.",
    "ART-0003": "De artikelcode moet numeriek zijn in deze administratie.",
    "ART-0004": "De artikelcode is langer dan de administratie toestaat.",
    "ART-0005": "Er bestaat al een artikel met deze artikelcode.",
    "ART-0006": "Een omschrijving is verplicht.",
    "ART-0007": "De omschrijving is te lang (maximaal 250 tekens).",
    "ART-0008": "Een artikelomzetgroep is verplicht.",
    "ART-0009": "De artikelomzetgroep bestaat niet.",
    "ART-0011": "Het artikel staat op een openstaande order of factuur.",
    "ART-0016": "De leverancier bestaat niet.",
    "ART-0017": "De relatie is geen leverancier en niet de eigen relatie.",
    "KPL-0001": "De kostenplaats bestaat niet.",
    "KPL-0004": "Een omschrijving is verplicht.",
    "KPL-0005": "De omschrijving is te lang (maximaal 50 tekens).",
    "KPL-0006": "Een nummer is verplicht.",
    "KPL-0007": "Het nummer moet van 1 tot en met 999999999 zijn.",
    "KPL-0008": "Er bestaat al een kostenplaats met dit nummer.",
    "KPL-0009": "Een nieuwe kostenplaats kan niet nonactief zijn.",
    "REL-0001": "Een relatiesoort is verplicht ('Geen' kan niet).",
    "REL-0003": "De krediettermijn moet van -365 tot en met 1000 dagen zijn.",
    "REL-0004": "Factuurkorting kan alleen bij een klant.",
    "REL-0005": "De relatie bestaat niet.",
    "REL-0007": "Een naam is verplicht.",
    "REL-0008": "Deze relatiecode is al in gebruik.",
    "REL-0012": "Mobiel telefoonnummer is te lang (maximaal 25 tekens).",
    "REL-0013": "Telefoonnummer is te lang (maximaal 25 tekens).",
    "REL-0015": "De website moet een geldige URL zijn.",
    "REL-0017": "De factuurrelatie bestaat niet.",
    "REL-0018": "De factuurrelatie is geen klant.",
    "REL-0020": "Straat van het vestigingsadres is te lang (maximaal 50).",
    "REL-0021": "Postcode van het vestigingsadres is te lang (maximaal 25).",
    "REL-0022": "Plaats van het vestigingsadres is te lang (maximaal 50).",
    "REL-0023": "Contactpersoon van het vestigingsadres is te lang (maximaal 50).",
    "REL-0025": "Straat van het correspondentieadres is te lang (maximaal 50).",
    "REL-0026": "Postcode van het correspondentieadres is te lang (maximaal 25).",
    "REL-0027": "Plaats van het correspondentieadres is te lang (maximaal 50).",
    "REL-0028": "Contactpersoon van het correspondentieadres is te lang (max. 50).",
    "REL-0047": "Het id in de url verschilt van het id van de relatie.",
    "REL-0048": "Relatiesoort 'Eigen' kan niet via de API.",
    "REL-0050": "De klant heeft nog openstaande verkooporders.",
    "REL-0055": "Het land van het correspondentieadres bestaat niet.",
    "REL-0056": "Het land van het vestigingsadres bestaat niet.",
    "REL-0057": "Het btw-nummer is te lang (maximaal 50 tekens).",
    "REL-0058": "Het btw-nummer is te kort (minimaal 2 tekens).",
    "REL-0059": "Het btw-nummer mag alleen letters en cijfers bevatten.",
    "REL-0060": "Een vestigingsadres moet straat, postcode, plaats en land hebben.",
    "REL-0061": "Het e-mailadres is ongeldig.",
    "REL-0062": "Een kredietlimiet kan alleen bij een klant.",
    "REL-0063": "Bij aanmaken mag het id niet gevuld zijn.",
    "REL-0064": "De relatiesoort kan niet gewijzigd worden.",
    "REL-0065": "Een relatie kan niet tegelijk klant en leverancier zijn.",
    "REL-0066": "De JSON is onvolledig of ongeldig.",
    "REL-0084": "Een of meer e-mailadressen (gescheiden door ;) zijn ongeldig.",
    "REL-0085": "Het e-mailveld is te lang (maximaal 250 tekens).",
    "REL-0086": "Het OIN moet uit precies 20 cijfers bestaan.",
    "REL-0087": "De landcode van het btw-nummer past niet bij het vestigingsland.",
    "REL-0088": "Het btw-nummer is geen geldig btw-nummer.",
    "VOR-0002": "De relatie van de order is geen klant.",
    "VOR-0005": "Het ordernummer moet leeg zijn bij een nieuwe order.",
    "VOR-0006": "Straat is te lang (maximaal 50 tekens).",
    "VOR-0007": "Postcode is te lang (maximaal 25 tekens).",
    "VOR-0008": "Plaats is te lang (maximaal 50 tekens).",
    "VOR-0009": "Contactpersoon is te lang (maximaal 50 tekens).",
    "VOR-0010": "Het land van het adres bestaat niet.",
    "VOR-0011": "De orderreferentie is te lang (maximaal 50 tekens).",
    "VOR-0013": "De incassomachtiging bestaat niet.",
}

ZERO_GUID = "00000000-0000-0000-0000-000000000000"
_EMAIL = re.compile(r"[^@\s;,]+@[^@\s;,]+\.[^@\s;,]+")
_URL = re.compile(r"https?://[^\s/$.?#][^\s]*\.[^\s]+", re.IGNORECASE)
_ALNUM = re.compile(r"[0-9A-Za-z]+")
_VAT_FORMATS = {
    "NL": r"NL\d{9}B\d{2}",
    "BE": r"BE[01]\d{9}",
    "DE": r"DE\d{9}",
    "FR": r"FR[0-9A-HJ-NP-Z]{2}\d{9}",
    "AT": r"ATU\d{8}",
    "LU": r"LU\d{8}",
    "ES": r"ES[0-9A-Z]\d{7}[0-9A-Z]",
    "IT": r"IT\d{11}",
    "DK": r"DK\d{8}",
    "SE": r"SE\d{12}",
    "PL": r"PL\d{10}",
    "PT": r"PT\d{9}",
    "IE": r"IE\d[0-9A-Z+*]\d{5}[A-W][A-I]?",
    "EL": r"EL\d{9}",
    "GB": r"GB(\d{9}|\d{12}|GD\d{3}|HA\d{3})",
    "CH": r"CHE\d{9}(MWST|TVA|IVA)?",
}
_VAT_COUNTRY = {"EL": "GR"}  # VAT prefixes that differ from the ISO code
_ADDRESS_LIMITS = (("straat", 50), ("postcode", 25), ("plaats", 50))


def problem(code: str) -> Problem:
    """The ``(errorCode, message)`` pair of a documented code."""
    return code, MESSAGES[code]


def check_relatie(
    admin: Administration, body: dict[str, Any], existing: dict[str, Any] | None
) -> list[Problem]:
    """Business rules of ``POST /relaties`` (existing=None) and ``PUT``."""
    found: list[str] = []
    if existing is None and body.get("id"):
        found.append("REL-0063")
    found += _relatiesoort_codes(body, existing)
    if not (body.get("naam") or "").strip():
        found.append("REL-0007")
    code = body.get("relatiecode")
    if code is not None and _relatiecode_taken(admin, code, existing):
        found.append("REL-0008")
    found += _length_codes(body, (("mobieleTelefoon", 25, "REL-0012"),))
    found += _length_codes(body, (("telefoon", 25, "REL-0013"),))
    found += _email_codes(body.get("email"))
    found += _address_codes(admin, body.get("vestigingsAdres"), "REL-002", "REL-0056")
    found += _address_codes(
        admin, body.get("correspondentieAdres"), "REL-002", "REL-0055", offset=5
    )
    found += _vat_codes(admin, body)
    found += _other_relatie_codes(admin, body)
    return [problem(c) for c in dict.fromkeys(found)]


def _relatiesoort_codes(
    body: dict[str, Any], existing: dict[str, Any] | None
) -> list[str]:
    soort = [s for s in body.get("relatiesoort", []) if s != "Geen"]
    if not soort:
        return ["REL-0001"]
    codes = []
    if "Eigen" in soort:
        codes.append("REL-0048")
    if "Klant" in soort and "Leverancier" in soort:
        codes.append("REL-0065")
    if existing is not None and sorted(soort) != sorted(existing["relatiesoort"]):
        codes.append("REL-0064")
    return codes


def _relatiecode_taken(
    admin: Administration, code: int, existing: dict[str, Any] | None
) -> bool:
    own_id = existing["id"] if existing else None
    return any(
        r.get("relatiecode") == code and r["id"] != own_id
        for r in admin.iter_records("relaties")
    )


def _length_codes(body: dict[str, Any], limits: tuple) -> list[str]:
    return [code for key, n, code in limits if len(body.get(key) or "") > n]


def _email_codes(email: str | None) -> list[str]:
    if not email:
        return []
    if len(email) > 250:
        return ["REL-0085"]
    parts = [p.strip() for p in email.split(";") if p.strip()]
    if all(_EMAIL.fullmatch(p) for p in parts) and parts:
        return []
    return ["REL-0084" if ";" in email else "REL-0061"]


def _address_codes(
    admin: Administration,
    adres: dict[str, Any] | None,
    prefix: str,
    land_code: str,
    *,
    offset: int = 0,
) -> list[str]:
    if not adres:
        return []
    codes = [
        f"{prefix}{i + offset}"
        for i, (key, n) in enumerate((*_ADDRESS_LIMITS, ("contactpersoon", 50)))
        if len(adres.get(key) or "") > n
    ]
    if land_code == "REL-0056" and _partial_address(adres):
        codes.append("REL-0060")
    if not _land_exists(admin, adres):
        codes.append(land_code)
    return codes


def _partial_address(adres: dict[str, Any]) -> bool:
    filled = [bool(adres.get(k)) for k in ("straat", "postcode", "plaats")]
    filled.append(bool((adres.get("land") or {}).get("id")))
    return any(filled) and not all(filled)


def _land_exists(admin: Administration, adres: dict[str, Any]) -> bool:
    land = (adres.get("land") or {}).get("id")
    return land is None or admin.get("landen", land) is not None


def _vat_codes(admin: Administration, body: dict[str, Any]) -> list[str]:
    number = body.get("btwNummer")
    if not number:
        return []
    if len(number) > 50:
        return ["REL-0057"]
    if len(number) < 2:
        return ["REL-0058"]
    if not _ALNUM.fullmatch(number):
        return ["REL-0059"]
    upper = number.upper()
    prefix = upper[:2]
    country = _vestiging_landcode(admin, body)
    if country and _VAT_COUNTRY.get(prefix, prefix) != country:
        return ["REL-0087"]
    pattern = _VAT_FORMATS.get(prefix, r"[A-Z]{2}[0-9A-Z]{2,13}")
    return [] if re.fullmatch(pattern, upper) else ["REL-0088"]


def _vestiging_landcode(admin: Administration, body: dict[str, Any]) -> str | None:
    land_id = ((body.get("vestigingsAdres") or {}).get("land") or {}).get("id")
    land = admin.get("landen", land_id) if land_id else None
    return land.get("landcode") if land else None


def _other_relatie_codes(admin: Administration, body: dict[str, Any]) -> list[str]:
    codes = []
    term = body.get("krediettermijn")
    if term is not None and not -365 <= term <= 1000:
        codes.append("REL-0003")
    is_klant = "Klant" in body.get("relatiesoort", [])
    if body.get("factuurkorting") and not is_klant:
        codes.append("REL-0004")
    if body.get("kredietLimiet") and not is_klant:
        codes.append("REL-0062")
    url = body.get("websiteUrl")
    if url and not _URL.fullmatch(url):
        codes.append("REL-0015")
    oin = body.get("oin")
    if oin and not re.fullmatch(r"\d{20}", oin):
        codes.append("REL-0086")
    factuur = (body.get("factuurRelatie") or {}).get("id")
    if factuur:
        target = admin.get("relaties", factuur)
        if target is None:
            codes.append("REL-0017")
        elif "Klant" not in target.get("relatiesoort", []):
            codes.append("REL-0018")
    return codes


def check_artikel(
    admin: Administration, body: dict[str, Any], existing: dict[str, Any] | None
) -> list[Problem]:
    """Business rules of ``POST /artikelen`` (existing=None) and ``PUT``."""
    found: list[str] = []
    if existing is None and body.get("id"):
        found.append("ALG-0100")
    found += _artikelcode_codes(admin, body.get("artikelcode"), existing)
    omschrijving = body.get("omschrijving") or ""
    if not omschrijving.strip():
        found.append("ART-0006")
    elif len(omschrijving) > 250:
        found.append("ART-0007")
    group = (body.get("artikelOmzetgroep") or {}).get("id")
    if not group:
        found.append("ART-0008")
    elif admin.get("artikelomzetgroepen", group) is None:
        found.append("ART-0009")
    supplier = (body.get("relatie") or {}).get("id")
    if supplier:
        found += _supplier_codes(admin, supplier)
    return [problem(c) for c in found]


def _artikelcode_codes(
    admin: Administration, code: str | None, existing: dict[str, Any] | None
) -> list[str]:
    if code is None or not code.strip():
        return ["ART-0002"]
    info = admin.company_info
    codes = []
    if info.get("artikelcodeSoort") == "Numeriek" and not code.isdigit():
        codes.append("ART-0003")
    if len(code) > int(info.get("artikelcodeMaxLengte") or 50):
        codes.append("ART-0004")
    own_id = existing["id"] if existing else None
    taken = any(
        str(a.get("artikelcode", "")).casefold() == code.casefold()
        and a["id"] != own_id
        for a in admin.iter_records("artikelen")
    )
    if taken:
        codes.append("ART-0005")
    return codes


def _supplier_codes(admin: Administration, supplier: str) -> list[str]:
    relatie = admin.get("relaties", supplier)
    if relatie is None:
        return ["ART-0016"]
    soort = relatie.get("relatiesoort", [])
    return [] if "Leverancier" in soort or "Eigen" in soort else ["ART-0017"]


def check_verkooporder(
    admin: Administration, body: dict[str, Any], existing: dict[str, Any] | None
) -> list[Problem]:
    """Business rules of ``POST /verkooporders`` (existing=None) and ``PUT``."""
    found: list[str] = []
    if existing is None and body.get("id"):
        found.append("ALG-0100")
    if existing is None and body.get("nummer") is not None:
        found.append("VOR-0005")
    found += _order_relatie_codes(admin, (body.get("relatie") or {}).get("id"))
    if len(body.get("orderreferentie") or "") > 50:
        found.append("VOR-0011")
    for key in ("afleveradres", "factuuradres"):
        found += _order_address_codes(admin, body.get(key))
    found += _order_reference_codes(admin, body)
    for regel in body.get("regels", []):
        found += _regel_codes(admin, regel)
    return [problem(c) for c in dict.fromkeys(found)]


def _order_relatie_codes(admin: Administration, relatie_id: str | None) -> list[str]:
    if not relatie_id:
        return []  # reported by the spec check (relatie is required)
    relatie = admin.get("relaties", relatie_id)
    if relatie is None:
        return ["REL-0005"]
    if "Klant" not in relatie.get("relatiesoort", []):
        return ["VOR-0002"]
    return ["ALG-0105"] if relatie.get("nonactief") else []


def _order_address_codes(admin: Administration, adres: dict[str, Any] | None) -> list:
    if not adres:
        return []
    limits = (*_ADDRESS_LIMITS, ("contactpersoon", 50))
    codes = [
        f"VOR-000{6 + i}"
        for i, (key, n) in enumerate(limits)
        if len(adres.get(key) or "") > n
    ]
    return codes if _land_exists(admin, adres) else [*codes, "VOR-0010"]


def _order_reference_codes(admin: Administration, body: dict[str, Any]) -> list[str]:
    codes = []
    kostenplaats = (body.get("kostenplaats") or {}).get("id")
    if kostenplaats and admin.get("kostenplaatsen", kostenplaats) is None:
        codes.append("KPL-0001")
    sjabloon = (body.get("verkoopordersjabloon") or {}).get("id")
    known = sjabloon == ZERO_GUID or admin.get("verkoopordersjablonen", sjabloon or "")
    if sjabloon and not known:
        codes.append("ALG-0103")
    if (body.get("incassomachtiging") or {}).get("id"):
        codes.append("VOR-0013")  # the sandbox holds no machtigingen
    return codes


def _regel_codes(admin: Administration, regel: dict[str, Any]) -> list[str]:
    artikel_id = (regel.get("artikel") or {}).get("id")
    if not artikel_id:
        return []
    artikel = admin.get("artikelen", artikel_id)
    if artikel is None:
        return ["ART-0001"]
    return ["ALG-0105"] if artikel.get("isNonActief") else []


def check_kostenplaats(
    admin: Administration, body: dict[str, Any], existing: dict[str, Any] | None
) -> list[Problem]:
    """Business rules of ``POST /kostenplaatsen`` (existing=None) and ``PUT``."""
    found: list[str] = []
    if existing is None and body.get("id"):
        found.append("ALG-0100")
    omschrijving = body.get("omschrijving") or ""
    if not omschrijving.strip():
        found.append("KPL-0004")
    elif len(omschrijving) > 50:
        found.append("KPL-0005")
    nummer = body.get("nummer")
    own_id = existing["id"] if existing else None
    if nummer is None:
        found.append("KPL-0006")
    elif not 1 <= nummer <= 999_999_999:
        found.append("KPL-0007")
    elif any(
        k.get("nummer") == nummer and k["id"] != own_id
        for k in admin.iter_records("kostenplaatsen")
    ):
        found.append("KPL-0008")
    if existing is None and body.get("nonactief"):
        found.append("KPL-0009")
    return [problem(c) for c in found]
