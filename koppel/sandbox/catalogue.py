"""The demo world shared by both sandboxes.

The PrestaShop sandbox sells these products to these customers; the SnelStart
sandbox's seeded administration already knows some of them, so customer and
article matching can be tried on the demo. Everything here is invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

__all__ = ["CUSTOMERS", "PRODUCTS", "DemoCustomer", "DemoProduct", "ean13"]


def ean13(stem: str) -> str:
    """Complete a 12-digit stem with its EAN-13 check digit."""
    digits = [int(c) for c in stem]
    total = sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return stem + str((10 - total % 10) % 10)


@dataclass(frozen=True)
class DemoProduct:
    """A shop product; ``combinations`` are (suffix, attribute label) pairs."""

    reference: str
    name: str
    price_incl: Decimal
    tax_rate: Decimal
    ean13: str
    combinations: tuple[tuple[str, str], ...] = ()
    is_virtual: bool = False
    in_snelstart: bool = False


def _p(ref, name, price, rate, n, combos=(), virtual=False, known=False):
    return DemoProduct(
        ref,
        name,
        Decimal(price),
        Decimal(rate),
        ean13(f"871234{n:06d}"),
        tuple(combos),
        virtual,
        known,
    )


_SIZES = (("S", "Maat : S"), ("M", "Maat : M"), ("L", "Maat : L"))
_COLOURS = (("NAV", "Kleur : Navy"), ("RED", "Kleur : Rood"))

PRODUCTS: tuple[DemoProduct, ...] = (
    _p("MWS", "Merino wollen trui", "89.95", "21", 100001, _SIZES, known=True),
    _p("WW-250", "Wolwasmiddel 250 ml", "12.95", "21", 100002, known=True),
    _p("KPB-01", "Breipatronenboek", "8.50", "9", 100003, known=True),
    _p("SOK-03", "Wollen sokken (3 paar)", "24.95", "21", 100004, _COLOURS),
    _p("MUTS-01", "Gebreide muts", "19.95", "21", 100005, known=True),
    _p("SJAAL-L", "Lange sjaal alpaca", "49.00", "21", 100006),
    _p("NLD-SET", "Breinaaldenset bamboe", "29.99", "21", 100007, known=True),
    _p("GAR-100", "Garen merino 100 g", "7.25", "21", 100008, _COLOURS),
    _p("BOEK-KL", "Kleurboek voor kinderen", "6.95", "9", 100009),
    _p("THEE-ZW", "Zwarte thee los 100 g", "5.49", "9", 100010, known=True),
    _p("KOEK-BL", "Boterkoek blik", "11.50", "9", 100011),
    _p("EBOOK-1", "E-book: Breien voor beginners", "9.99", "9", 100012, virtual=True),
    _p("CADEAU-25", "Cadeaubon 25 euro", "25.00", "0", 100013, virtual=True),
    _p("PLAID-XL", "Plaid XL wol", "129.00", "21", 100014),
    _p("HAAK-SET", "Haaknaalden set", "14.95", "21", 100015, known=True),
    _p("TAS-JUT", 'Jute tas "Brei & Co"', "9.95", "21", 100016),
    _p("KAARS-S", "Sojakaars l'Été", "16.95", "21", 100017),
    _p("MAG-12", "Tijdschrift Breien (nr. 12)", "7.95", "9", 100018),
)


@dataclass(frozen=True)
class DemoCustomer:
    """A shop customer with one address (and a B2B VAT number when set)."""

    firstname: str
    lastname: str
    email: str
    company: str
    address1: str
    postcode: str
    city: str
    country: str
    phone: str = ""
    vat_number: str = ""
    is_guest: bool = False
    in_snelstart: bool = False


def _c(
    first,
    last,
    email,
    company,
    street,
    postcode,
    city,
    country,
    phone="",
    vat="",
    guest=False,
    known=False,
):
    return DemoCustomer(
        first,
        last,
        email,
        company,
        street,
        postcode,
        city,
        country,
        phone,
        vat,
        guest,
        known,
    )


CUSTOMERS: tuple[DemoCustomer, ...] = (
    _c(
        "Sanne",
        "de Vries",
        "sanne.devries@example.nl",
        "",
        "Prinsengracht 1090",
        "1017 JH",
        "Amsterdam",
        "NL",
        "+31 6 5555 0123",
        known=True,
    ),
    _c(
        "Daan",
        "Jansen",
        "daan.jansen@example.nl",
        "",
        "Dorpsstraat 12a",
        "1234 AB",
        "Alkmaar",
        "NL",
        "0612345678",
        known=True,
    ),
    _c(
        "Emma",
        "Bakker",
        "emma@bakker-breiwerk.nl",
        "Bakker Breiwerk B.V.",
        "Keizersgracht 221",
        "1016 DV",
        "Amsterdam",
        "NL",
        "+31 20 555 0199",
        vat="NL123456789B01",
        known=True,
    ),
    _c(
        "Lucas",
        "Visser",
        "lucas.visser@example.nl",
        "",
        "Oudegracht 45",
        "3511 AB",
        "Utrecht",
        "NL",
    ),
    _c(
        "Julia",
        "Smit",
        "julia.smit@example.nl",
        "",
        "Grote Markt 3",
        "9711 LV",
        "Groningen",
        "NL",
        "050-5550101",
    ),
    _c(
        "Sem",
        "Meijer",
        "sem.meijer@example.nl",
        "",
        "Hoogstraat 77",
        "3011 PM",
        "Rotterdam",
        "NL",
    ),
    _c(
        "Tess",
        "Mulder",
        "tess.mulder@example.nl",
        "",
        "Stationsweg 8",
        "2515 BM",
        "Den Haag",
        "NL",
        known=True,
    ),
    _c(
        "Finn",
        "de Boer",
        "finn.deboer@example.nl",
        "",
        "Markt 1",
        "5611 EB",
        "Eindhoven",
        "NL",
    ),
    _c(
        "Noor",
        "Peeters",
        "noor.peeters@example.be",
        "",
        "Meir 50",
        "2000",
        "Antwerpen",
        "BE",
        "+32 3 555 01 02",
    ),
    _c(
        "Lotte",
        "Janssens",
        "lotte@wolatelier.be",
        "Wolatelier BV",
        "Veldstraat 20",
        "9000",
        "Gent",
        "BE",
        vat="BE0123456749",
        known=True,
    ),
    _c(
        "Arthur",
        "Maes",
        "arthur.maes@example.be",
        "",
        "Rue Neuve 10",
        "1000",
        "Bruxelles",
        "BE",
    ),
    _c(
        "Jonas",
        "Müller",
        "jonas.mueller@example.de",
        "",
        "Königsallee 5",
        "40212",
        "Düsseldorf",
        "DE",
        "+49 211 5550",
    ),
    _c(
        "Lena",
        "Schäfer",
        "lena@strickhaus.de",
        "Strickhaus GmbH",
        "Hauptstraße 100",
        "50667",
        "Köln",
        "DE",
        vat="DE123456789",
    ),
    _c(
        "Mia",
        "Weber",
        "mia.weber@example.de",
        "",
        "Bahnhofstraße 3",
        "10115",
        "Berlin",
        "DE",
    ),
    _c(
        "Anna",
        "Hendriks",
        "anna.h@example.nl",
        "",
        "Kerkstraat 14",
        "6811 DJ",
        "Arnhem",
        "NL",
        guest=True,
    ),
    _c(
        "Anna",
        "Hendriks",
        "anna.h@example.nl",
        "",
        "Kerkstraat 14",
        "6811 DJ",
        "Arnhem",
        "NL",
        guest=True,
    ),
    _c(
        "Bram",
        "van Dijk",
        "bram.vandijk@example.nl",
        "Van Dijk & Zn.",
        "Industrieweg 2",
        "3542 AD",
        "Utrecht",
        "NL",
        vat="NL001234567B01",
    ),
    _c(
        "Zoë",
        "Koster",
        "zoe.koster@example.nl",
        "",
        "Één-straat 1",
        "8011 AA",
        "Zwolle",
        "NL",
    ),
)
