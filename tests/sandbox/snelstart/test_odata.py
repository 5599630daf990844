"""The OData v3 $filter parser and evaluator (pure)."""

from __future__ import annotations

import pytest

from koppel.sandbox.snelstart.models import RELATIE, VERKOOPORDER
from koppel.sandbox.snelstart.odata import ODataError, parse_filter

GUID = "c4335f00-c6a6-48fd-b89f-108657d12ccf"
RECORD = {
    "id": "75b4d2e0-0000-4000-8000-000000000001",
    "naam": "O'Brien & Zn.",
    "email": "a@b.nl",
    "relatiecode": 12,
    "relatiesoort": ["Klant"],
    "modifiedOn": "2024-05-01T10:00:00.12",
    "factuurkorting": "2.5",
    "nonactief": False,
    "vestigingsAdres": {"plaats": "Utrecht", "land": {"id": GUID.upper()}},
    "extraVeldenKlant": [{"naam": "lidnummer", "waarde": "5299"}],
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Email eq 'a@b.nl'", True),
        ("Email ne 'a@b.nl'", False),
        ("Naam eq 'O''Brien & Zn.'", True),
        ("Relatiecode eq 12 and Email eq 'a@b.nl'", True),
        ("Relatiecode eq 1 or Relatiecode eq 12", True),
        ("not (Relatiecode gt 12)", True),
        ("Relatiecode ge 12 and Relatiecode lt 13", True),
        ("Factuurkorting gt 2.4m", True),
        ("Factuurkorting le 2", False),
        ("Nonactief eq false", True),
        ("Id eq guid'75B4D2E0-0000-4000-8000-000000000001'", True),
        (f"VestigingsAdres/Land/Id eq guid'{GUID}'", True),
        (f"VestigingsAdres/Land/Id ne guid'{GUID}'", False),
        ("ModifiedOn gt datetime'2024-05-01T09:59:59.999'", True),
        ("ModifiedOn lt datetime'2024-05-01T00:00:00'", False),
        ("Relatiesoort/any(r:r eq 'Klant')", True),
        ("Relatiesoort/any(r:r eq 'Leverancier')", False),
        ("Relatiesoort/all(r:r eq 'Klant')", True),
        ("ExtraVeldenKlant/any(e:e/Waarde eq '5299' and e/Naam eq 'lidnummer')", True),
        ("substringof('Brien', Naam) eq true", True),
        ("startswith(Naam,'O''B') eq true", True),
        ("endswith(Email,'.nl')", True),
        ("tolower(Naam) eq 'o''brien & zn.'", True),
        ("toupper(Email) eq 'A@B.NL'", True),
        ("length(Email) eq 6", True),
        ("indexof(Email,'@') eq 1", True),
        ("substring(Email,2) eq 'b.nl'", True),
        ("concat(Email,'x') eq 'a@b.nlx'", True),
        ("trim(' a ') eq 'a'", True),
        ("year(ModifiedOn) eq 2024 and month(ModifiedOn) eq 5", True),
        ("Telefoon eq null", True),
        ("Telefoon ne null", False),
        ("Telefoon gt 'a'", False),
        ("VestigingsAdres/Postcode eq null", True),
        ("(Email eq 'x') or (VestigingsAdres/Plaats eq 'Utrecht')", True),
    ],
)
def test_filter_matches(text, expected):
    assert parse_filter(text, RELATIE).matches(RECORD) is expected


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("email eq 'a'", "property"),
        ("EMAIL eq 'a'", "property"),
        ("Bestaatniet eq 1", "property"),
        ("VestigingsAdres/land/Id eq null", "property"),
        ("Relatiecode eq '12'", "type"),
        ("Email eq 12", "type"),
        ("Id eq '75b4d2e0-0000-4000-8000-000000000001'", "type"),
        ("ModifiedOn gt '2024-01-01'", "type"),
        ("VestigingsAdres eq null and VestigingsAdres eq 'x'", "type"),
        ("Email", "type"),
        ("Relatiecode eq 1 and Email", "type"),
        ("Relatiesoort eq 'Klant'", "type"),
        ("Email/any(e:e eq 'x')", "type"),
        ("contains(Naam,'x')", "function"),
        ("Email eq 'a", "syntax"),
        ("Email eq", "syntax"),
        ("Email eq 'a' and", "syntax"),
        ("(Email eq 'a'", "syntax"),
        ("Email eq 'a')", "syntax"),
        ("Id eq guid'not-a-guid'", "syntax"),
        ("Email eq 'a' ; drop", "syntax"),
        ("Uri eq 'x'", "not_filterable"),
        ("VerkoopBoekingenUri eq 'x'", "not_filterable"),
    ],
)
def test_filter_refused(text, kind):
    with pytest.raises(ODataError) as info:
        parse_filter(text, RELATIE)
    assert info.value.kind == kind


def test_filter_on_order_lines():
    order = {"regels": [{"artikel": {"id": GUID}, "aantal": "2"}]}
    text = f"Regels/any(r:r/Artikel/Id eq guid'{GUID}' and r/Aantal ge 2)"
    assert parse_filter(text, VERKOOPORDER).matches(order)
    assert not parse_filter(text, VERKOOPORDER).matches({"regels": []})
    assert not parse_filter(text, VERKOOPORDER).matches({})
