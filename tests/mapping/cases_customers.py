"""Golden cases for customers.yaml: every matching method and processing mode."""

from __future__ import annotations

from tests.mapping.factory import address, customer, make_order, relatie, snapshot
from tests.mapping.golden_case import Case

SANNE = "sanne.devries@example.nl"


def _daan(order_id: int = 2, **kw) -> object:
    cust = customer(2, "Daan.Jansen@Example.NL", "Daan", "Jansen")
    inv = address(
        12, 2, firstname="Daan", lastname="Jansen", address1="Dorpsstraat 12a",
        postcode="1234 ab", city="Alkmaar",
    )  # fmt: skip
    return make_order(order_id, cust=cust, invoice=inv, reference="DAANORDER", **kw)


def _emma(order_id: int = 3) -> object:
    cust = customer(3, "emma@bakker-breiwerk.nl", "Emma", "Bakker", "Bakker Breiwerk")
    inv = address(
        13, 3, firstname="Emma", lastname="Bakker", company="Bakker Breiwerk B.V.",
        address1="Keizersgracht 221", postcode="1016DV", vat_number="NL 1234.56789.B01",
    )  # fmt: skip
    return make_order(order_id, cust=cust, invoice=inv, reference="EMMAORDER")


def _known() -> list[dict]:
    return [
        relatie(1, "Sanne de Vries", "Sanne.DeVries@Example.nl; admin@example.nl"),
        relatie(2, "D. Jansen", "daan.jansen@example.nl", code=2, postcode="1234AB"),
        relatie(3, "Bakker Breiwerk B.V.", "info@bakker.nl", postcode="1016 DV",
                vat="NL123456789B01"),
    ]  # fmt: skip


def _snap_known():
    return snapshot(_known())


CASES = [
    Case(
        "customers_match_email",
        "e-mail matching is trimmed and case-blind and finds one of several "
        "addresses in SnelStart's `;`-separated field; unknown e-mail -> create",
        lambda: [make_order(1), _daan(2), _emma(3)],
        snap=_snap_known,
    ),
    Case(
        "customers_match_code",
        "shop customer id + offset = relatiecode; e-mail is ignored",
        lambda: [make_order(1), _daan(2)],
        {"customers": {"matching.method": "code", "matching.code_offset": 0}},
        snap=_snap_known,
    ),
    Case(
        "customers_match_code_or_email",
        "code first (Daan, code 2), else e-mail (Sanne), else a new relatie",
        lambda: [make_order(1), _daan(2), _emma(3)],
        {"customers": {"matching.method": "code_or_email"}},
        snap=_snap_known,
    ),
    Case(
        "customers_match_email_and_postcode",
        "e-mail and delivery postcode both match (1234 ab = 1234AB); Sanne's "
        "postcode differs in SnelStart, so a new relatie is planned",
        lambda: [
            make_order(1, delivery=address(21, 1, postcode="3511 AB", city="Utrecht")),
            _daan(2),
        ],
        {"customers": {"matching.method": "email_and_postcode"}},
        snap=_snap_known,
    ),
    Case(
        "customers_match_code_or_email_and_postcode",
        "code first, else e-mail + postcode",
        lambda: [make_order(1), _daan(4)],
        {"customers": {"matching.method": "code_or_email_and_postcode"}},
        snap=_snap_known,
    ),
    Case(
        "customers_match_smart",
        "the cascade records which rule matched: code, e-mail+postcode, VAT "
        "number, company+postcode; two relaties with one e-mail quarantine",
        lambda: [
            _daan(2),
            make_order(1),
            _emma(3),
            make_order(
                5,
                cust=customer(5, "inkoop@wolatelier.be", "Lotte", "Janssens"),
                invoice=address(
                    15,
                    5,
                    company="WOLATELIER  bv",
                    postcode="9000",
                    country="BE",
                    firstname="Lotte",
                    lastname="Janssens",
                ),
            ),  # fmt: skip
            make_order(
                6,
                cust=customer(6, "dubbel@example.nl", "Dubbel", "Klant"),
                invoice=address(16, 6, postcode="9999 ZZ"),
            ),
        ],
        {"customers": {"matching.method": "smart"}},
        snap=lambda: snapshot(
            [
                *_known(),
                relatie(
                    4,
                    "Wolatelier BV",
                    "lotte@wolatelier.be",
                    postcode="9000",
                    land="BE",
                ),
                relatie(5, "Dubbel A", "dubbel@example.nl", postcode="1111 AA"),
                relatie(6, "Dubbel B", "dubbel@example.nl", postcode="2222 BB"),
            ]  # fmt: skip
        ),
    ),
    Case(
        "customers_match_smart_steps_subset",
        "a shorter cascade: without the e-mail step, the e-mail-only customer "
        "is new instead of matched",
        lambda: [make_order(1, delivery=address(21, 1, postcode="3511 AB"))],
        {
            "customers": {
                "matching.method": "smart",
                "matching.smart_steps": ["code", "email_and_postcode"],
            }
        },
        snap=_snap_known,
    ),  # fmt: skip
    Case(
        "customers_ambiguous_email",
        "two active customers share the e-mail: quarantined, never guessed; "
        "an inactive or supplier-only relatie is no candidate",
        lambda: [make_order(1), _daan(2)],
        snap=lambda: snapshot(
            [
                relatie(1, "Sanne de Vries", SANNE),
                relatie(2, "S. de Vries", SANNE, postcode="9999 AA"),
                relatie(3, "Daan oud", "daan.jansen@example.nl", nonactief=True),
                relatie(
                    4,
                    "Daan lev",
                    "daan.jansen@example.nl",
                    relatiesoort=["Leverancier"],
                ),
            ]  # fmt: skip
        ),
    ),
    Case(
        "customers_processing_add_and_update",
        "a matched relatie is PUT in full with the shop's data; fields the "
        "rules do not map (memo, iban) keep SnelStart's values; an unchanged "
        "relatie is only used",
        lambda: [
            make_order(
                1, invoice=address(11, 1, address1="Nieuwe Weg 5", phone="020-1")
            ),
            _daan(2),
        ],
        {"customers": {"processing.mode": "add_and_update"}},
        snap=lambda: snapshot(
            [
                relatie(
                    1,
                    "Sanne de Vries",
                    SANNE,
                    memo="vaste klant",
                    iban="NL91ABNA0417164300",
                ),
                {
                    **relatie(
                        2,
                        "Daan Jansen",
                        "daan.jansen@example.nl",
                        code=2,
                        postcode="1234 AB",
                    ),
                    "vestigingsAdres": {
                        "contactpersoon": "Daan Jansen",
                        "straat": "Dorpsstraat 12a",
                        "postcode": "1234 AB",
                        "plaats": "Alkmaar",
                        "land": {"id": "00000000-0000-4000-0002-000000000001"},
                    },
                    "telefoon": "+31 6 5555 0123",
                },
            ]  # fmt: skip
        ),
    ),
    Case(
        "customers_processing_update_clear_unmapped",
        "`unmapped: clear` sends only mapped fields plus id, relatiecode and "
        "relatiesoort",
        lambda: [make_order(1)],
        {
            "customers": {
                "processing.mode": "add_and_update",
                "processing.unmapped": "clear",
            }
        },
        snap=lambda: snapshot([relatie(1, "Sanne", SANNE, memo="vaste klant")]),
    ),  # fmt: skip
    Case(
        "customers_processing_manual",
        "manual: known customers are used, unknown ones quarantined",
        lambda: [make_order(1), _daan(2)],
        {"customers": {"processing.mode": "manual"}},
    ),
    Case(
        "customers_processing_manual_fixed",
        "manual with a fixed relatie: every order on relatiecode 9000",
        lambda: [make_order(1), _daan(2)],
        {
            "customers": {
                "processing.mode": "manual",
                "processing.fixed_relatiecode": 9000,
            }
        },
        snap=lambda: snapshot([relatie(9, "Webshop klanten", "shop@x.nl", code=9000)]),
    ),  # fmt: skip
    Case(
        "customers_new_relatiecode_shop_code",
        "new relaties get relatiecode = shop id + offset; a taken code quarantines",
        lambda: [_daan(2), _emma(3)],
        {
            "customers": {
                "processing.new_relatiecode": "shop_code",
                "matching.code_offset": 50000,
            }
        },
        snap=lambda: snapshot([relatie(7, "Iemand anders", "x@y.nl", code=50003)]),
    ),  # fmt: skip
    Case(
        "customers_fields_fit_snelstart",
        "company name over 50 characters is cut with a warning; street joins "
        "address1 + address2; a VAT number of another country is left out; "
        "HTML entities are unescaped; postcode printed as 1234 AB",
        lambda: [
            make_order(
                1,
                cust=customer(1, "inkoop@lange-naam.nl", "Piet", "Jansen"),
                invoice=address(
                    11,
                    1,
                    company="Breiwinkel &amp; Garenhandel De Lange Naam "
                    "Holding B.V. i.o.",
                    address1="Lange Leidsedwarsstraat 100",
                    address2="3e verdieping achterzijde links",
                    postcode="1017nl",
                    vat_number="BE0123456749",
                ),
            )
        ],
        snap=lambda: snapshot([]),
    ),  # fmt: skip
    Case(
        "customers_fields_custom_mapping",
        "a profile maps memo with a template and naam from a lookup-free "
        "first_of, overriding the defaults",
        lambda: [_daan(2)],
        {
            "customers": {
                "fields.memo": {"template": "PrestaShop-klant {customer.customer_id}"},
                "fields.naam": {"template": "{invoice.lastname}, {invoice.firstname}"},
            }
        },
        snap=lambda: snapshot([]),
    ),  # fmt: skip
    Case(
        "customers_unknown_land",
        "a country SnelStart does not know quarantines the order",
        lambda: [
            make_order(
                1,
                cust=customer(1, "x@example.ch"),
                invoice=address(11, 1, country="CH", postcode="8001"),
            )
        ],
        snap=lambda: snapshot([]),
    ),  # fmt: skip
    Case(
        "customers_same_new_customer_twice",
        "two orders of one new customer (a guest ordering twice) plan one relatie",
        lambda: [
            make_order(
                1,
                cust=customer(
                    1, "anna.h@example.nl", "Anna", "Hendriks", is_guest=True
                ),
            ),
            make_order(
                2,
                cust=customer(
                    2, "ANNA.H@example.nl", "Anna", "Hendriks", is_guest=True
                ),
                invoice=address(12, 2, firstname="Anna", lastname="Hendriks"),
            ),
        ],
        snap=lambda: snapshot([]),
    ),  # fmt: skip
    Case(
        "customers_match_postcode_from_invoice",
        "postcode_from invoice: the invoice postcode (1017 JH) matches although "
        "the parcel went elsewhere",
        lambda: [make_order(1, delivery=address(21, 1, postcode="3511 AB"))],
        {
            "customers": {
                "matching.method": "email_and_postcode",
                "matching.postcode_from": "invoice",
            }
        },
        snap=_snap_known,
    ),  # fmt: skip
]
