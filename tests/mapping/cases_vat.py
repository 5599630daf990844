"""Golden cases for vat.yaml: domestic, OSS, reverse charge, export."""

from __future__ import annotations

from tests.mapping.factory import address, customer, discount, line, make_order
from tests.mapping.golden_case import Case


def _consumer(country: str, postcode: str, rates: tuple[str, str], shipping_rate: str):
    high, low = rates
    return make_order(
        1,
        [
            line(1, "WW-250", "Wolwasmiddel 250 ml", 2, "12.95", high),
            line(2, "KPB-01", "Breipatronenboek", 1, "8.50", low),
        ],
        cust=customer(1, "jonas.mueller@example.de", "Jonas", "Müller"),
        invoice=address(11, 1, firstname="Jonas", lastname="Müller",
                        address1="Königsallee 5", postcode=postcode, city="Stad",
                        country=country),
        carrier_rate=shipping_rate,
        discounts=[discount("Willkommen", "3.00", "2.60")],
    )  # fmt: skip


def _business(vat_number: str, rate: str = "0", country: str = "BE", **kw):
    return make_order(
        1,
        [
            line(1, "WW-250", "Wolwasmiddel 250 ml", 2, "10.70", rate),
            line(2, "SJAAL-L", "Lange sjaal alpaca", 1, "40.50", rate),
        ],
        cust=customer(1, "lotte@wolatelier.be", "Lotte", "Janssens", "Wolatelier BV"),
        invoice=address(11, 1, firstname="Lotte", lastname="Janssens",
                        company="Wolatelier BV", address1="Veldstraat 20",
                        postcode="9000", city="Gent", country=country,
                        vat_number=vat_number),
        shipping="5.74",
        carrier_rate=rate,
        discounts=[discount("Partner", "2.00", "2.00")],
        **kw,
    )  # fmt: skip


CASES = [
    Case(
        "vat_domestic",
        "NL consumer: 21 % -> Hoog, 9 % -> Laag; a new 9 % article gets the "
        "Laag omzetgroep",
        lambda: [make_order(1, [line(1, "BOEK-KL", "Kleurboek", 1, "6.95", "9")])],
    ),
    Case(
        "vat_oss",
        "OSS (auto, the shop charged German rates): a German consumer at "
        "19 % / 7 % maps to Hoog / Laag via the DE table; shipping at 19 % -> "
        "VERZEND-H",
        lambda: [_consumer("DE", "40212", ("19", "7"), "19")],
    ),
    Case(
        "vat_oss_home_rate_unmapped",
        "OSS on, but the German consumer was charged Dutch 21 %: no kind for "
        "21 % in DE -> quarantined as unmapped_vat",
        lambda: [_consumer("DE", "40212", ("21", "9"), "21")],
        {"vat": {"oss": True}},
    ),
    Case(
        "vat_oss_auto_below_threshold",
        "oss auto: a shop below the OSS threshold charged the German consumer "
        "Dutch 21 % / 9 %, so the home table applies",
        lambda: [_consumer("DE", "40212", ("21", "9"), "21")],
    ),
    Case(
        "vat_oss_disabled",
        "OSS off: the same order is mapped with the home (NL) table",
        lambda: [_consumer("DE", "40212", ("21", "9"), "21")],
        {"vat": {"oss": False}},
    ),
    Case(
        "vat_reverse_charge",
        "a Belgian business with a valid VAT number, charged 0 %: verlegd; "
        "product, shipping and discount lines go to VERLEGD",
        lambda: [_business("BE 0123.456.749")],
    ),
    Case(
        "vat_reverse_charge_own_article",
        "product_lines own_article: reverse-charge products keep their own "
        "articles; extra lines still go to VERLEGD",
        lambda: [_business("BE0123456749")],
        {
            "vat": {
                "reverse_charge.product_lines": "own_article",
                "reverse_charge.article": None,
            }
        },
    ),  # fmt: skip
    Case(
        "vat_reverse_charge_shop_charged_vat",
        "a valid VAT number but the shop charged 21 %: quarantined",
        lambda: [_business("BE0123456749", "21")],
    ),
    Case(
        "vat_reverse_charge_follow_shop",
        "follow_shop: the shop charged Belgian 21 %, so OSS rules apply",
        lambda: [_business("BE0123456749", "21")],
        {"vat": {"reverse_charge.shop_charged_vat": "follow_shop"}},
    ),
    Case(
        "vat_reverse_charge_invalid_number",
        "a VAT number in the wrong format is no reverse charge: the 0 % "
        "lines fall under OSS (BE 0 % = Geen), and the Hoog articles do not "
        "match that kind -> quarantined",
        lambda: [_business("BE123")],
    ),
    Case(
        "vat_reverse_charge_disabled",
        "reverse charge off: the valid number is ignored (OSS, Geen)",
        lambda: [_business("BE0123456749")],
        {
            "vat": {"reverse_charge.enabled": False},
            "order_lines": {"vat_mismatch": "warn"},
        },
    ),  # fmt: skip
    Case(
        "vat_export",
        "outside the EU (US) at 0 %: export, home table Geen, own articles",
        lambda: [_business("", "0", "US")],
        {"order_lines": {"vat_mismatch": "ignore"}},
    ),
    Case(
        "vat_export_article",
        "export product lines booked on a configured 0 % article",
        lambda: [_business("", "0", "US")],
        {"vat": {"export.product_lines": "article", "export.article": "VERZEND-0"}},
    ),
    Case(
        "vat_unknown_rate",
        "a Dutch order at 13 % has no kind: quarantined as unmapped_vat",
        lambda: [make_order(1, [line(1, "WW-250", "Wolwasmiddel", 1, "11.30", "13")])],
    ),
    Case(
        "vat_reverse_charge_payment_fee",
        "a payment fee on a reverse-charge order goes to the Verlegd article of "
        "`payment_fee.articles` (VERLEGD), not to BETAALKOSTEN at 21 %",
        lambda: [_business("BE0123456749", fee="0.35", module="mollie")],
    ),
]
