from __future__ import annotations

from decimal import Decimal

import pytest

from koppel.mapping import load_rule_set, lookup_request
from koppel.mapping.extra_lines import split_amount
from koppel.mapping.transforms import (
    apply_transforms,
    normalise_emails,
    normalise_postcode,
    postcode_display,
)
from koppel.mapping.values import render_template
from koppel.mapping.vat import infer_rate, valid_vat_number
from tests.mapping.conftest import MAPPINGS
from tests.mapping.factory import address, customer, line, make_order, staged

D = Decimal


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1234 ab", "1234AB"),
        (" 1234-AB ", "1234AB"),
        ("SW1A 1AA", "SW1A1AA"),
        ("", None),
    ],
    ids=["nl-space", "nl-dash", "uk", "empty"],
)
def test_normalise_postcode_ignores_spaces_dashes_case(raw, expected):
    assert normalise_postcode(raw) == expected


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("1234ab", "NL", "1234 AB"),
        ("40212", "DE", "40212"),
        ("sw1a 1aa", "GB", "SW1A 1AA"),
    ],
    ids=["nl", "de", "uk"],
)
def test_postcode_display_prints_per_country(raw, country, expected):
    assert postcode_display(raw, country) == expected


def test_normalise_emails_splits_snelstart_list():
    assert normalise_emails(" A@x.NL; b@y.nl ,") == ["a@x.nl", "b@y.nl"]


def test_apply_transforms_in_order_and_empty_becomes_none():
    assert apply_transforms(" Bakker &amp; Zn ", ("html_unescape", "upper")) == (
        " BAKKER & ZN "
    )
    assert apply_transforms("  ", ("strip", "upper")) is None


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{invoice.address1} {invoice.address2}", "Dorpsstraat 1"),
        ("{payment.transaction_id|order.payment}", "Bank"),
        ("{{literal}} {order.order_id}", "{literal} 7"),
        ("{invoice.address2}", None),
    ],
    ids=["collapse", "fallback", "brace", "empty"],
)
def test_render_template(template, expected):
    scope = {
        "invoice": {"address1": "Dorpsstraat 1", "address2": ""},
        "order": {"order_id": 7, "payment": "Bank"},
        "payment": {},
    }
    assert render_template(template, scope) == expected


@pytest.mark.parametrize(
    ("number", "country", "valid"),
    [
        ("NL123456789B01", "NL", True),
        ("BE 0123.456.749", "BE", True),
        ("DE123456789", "DE", True),
        ("EL123456789", "GR", True),
        ("DE12345678", "DE", False),
        ("NL123456789B01", "BE", False),
        ("", "BE", False),
    ],
    ids=[
        "nl",
        "be-punctuated",
        "de",
        "gr-uses-el",
        "de-short",
        "wrong-country",
        "empty",
    ],
)
def test_valid_vat_number_checks_country_format(number, country, valid):
    assert valid_vat_number(number, country) is valid


@pytest.mark.parametrize(
    ("amount", "weights", "parts"),
    [
        (D("5.00"), [D("74.90"), D("8.50")], [D("4.49"), D("0.51")]),
        (D("0.01"), [D(1), D(1), D(1)], [D("0.01"), D(0), D(0)]),
        (D("-1.00"), [D(1), D(2)], [D("-0.33"), D("-0.67")]),
        (D("3.00"), [D(0), D(0)], [D("3.00"), D(0)]),
    ],
    ids=["two-rates", "one-cent-tie", "negative", "no-weight"],
)
def test_split_amount_parts_sum_to_amount(amount, weights, parts):
    result = split_amount(amount, weights)
    assert result == parts
    assert sum(result, D(0)) == amount


@pytest.mark.parametrize(
    ("incl", "excl", "stated", "rate"),
    [
        (D("6.95"), D("5.74"), D("21.000"), D("21.000")),
        (D("6.95"), D("5.74"), D(0), D("21.1")),
        (D("4.95"), D("4.95"), None, D(0)),
    ],
    ids=["stated", "derived", "untaxed"],
)
def test_infer_rate(incl, excl, stated, rate):
    assert infer_rate(incl, excl, stated) == rate


def _batch():
    return staged(
        make_order(1, [line(1, " WW-250 ", "W", 1, "12.95")]),
        make_order(
            2,
            [line(1, "MUTS-01", "M", 1, "19.95")],
            cust=customer(2, "Lotte@Wolatelier.BE", company="Wolatelier BV"),
            invoice=address(12, 2, company="Wolatelier BV", vat_number="BE 0123456749",
                            country="BE", postcode="9000"),
        ),
    )  # fmt: skip


def test_lookup_request_smart_asks_every_candidate_key(default_rules):
    rules = load_rule_set(
        root=MAPPINGS,
        overrides={
            "customers": {"matching.method": "smart"},
            "order_header": {"template.mode": "last_used"},
        },
    )
    request = lookup_request(_batch(), rules)
    assert request.emails == {
        "sanne.devries@example.nl",
        "lotte@wolatelier.be",
        "Lotte@Wolatelier.BE",  # as the shop spells it, for exact OData `eq`
    }
    assert request.relatiecodes == {1, 2}
    assert request.vat_numbers == {"BE0123456749"}
    assert request.names == {"wolatelier bv", "Wolatelier BV"}
    assert {"WW-250", "MUTS-01", "VERLEGD", "BETAALKOSTEN"} <= request.artikelcodes
    assert request.references == {"PS-1", "PS-2"}
    assert request.recent_orders_for_relaties is True


def test_lookup_request_email_method_asks_no_codes(default_rules):
    request = lookup_request(_batch(), default_rules)
    assert request.relatiecodes == frozenset()
    assert request.vat_numbers == frozenset()
    assert request.names == frozenset()
    assert request.recent_orders_for_relaties is False


def test_lookup_request_manual_fixed_asks_the_fixed_code():
    rules = load_rule_set(
        root=MAPPINGS,
        overrides={"customers": {"processing.mode": "manual",
                                 "processing.fixed_relatiecode": 9000}},
    )  # fmt: skip
    assert 9000 in lookup_request(_batch(), rules).relatiecodes
