"""Formats of customer data: e-mail, postcodes per country, VAT numbers, markup."""

from __future__ import annotations

import pytest

from koppel.validation.formats import has_markup, is_email, is_postcode, is_vat_number


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("sanne.devries@example.nl", True),
        ("a+tag@sub.example.co.uk", True),
        ("zoë@münchen.de", True),
        ("anonymous@psgdpr.com", True),
        ("sanne.devries.example.nl", False),
        ("sanne de vries@example.nl", False),
        ("sanne@example", False),
        ("sanne@@example.nl", False),
        (".sanne@example.nl", False),
        ("san..ne@example.nl", False),
        ("sanne@-example.nl", False),
        ("", False),
    ],
    ids=lambda v: repr(v) if isinstance(v, str) else str(v),
)
def test_is_email(value, ok):
    assert is_email(value) is ok


@pytest.mark.parametrize(
    ("postcode", "country", "ok"),
    [
        ("1016 DV", "NL", True),
        ("1016dv", "NL", True),
        ("10165", "NL", False),
        ("0123 AB", "NL", False),
        ("", "NL", False),
        (None, "NL", False),
        ("2000", "BE", True),
        ("200", "BE", False),
        ("1010", "AT", True),
        ("L-1234", "LU", True),
        ("8001", "CH", True),
        ("10115", "DE", True),
        ("1011", "DE", False),
        ("00000", "DE", False),
        ("75008", "FR", True),
        ("SW1A 1AA", "GB", True),
        ("D02 X285", "IE", True),
        ("", "IE", True),
        ("123 45", "SE", True),
        ("00-950", "PL", True),
        ("whatever", "XK", True),
        ("1234567890123", "XK", False),
        ("12345", None, True),
    ],
    ids=lambda v: repr(v),
)
def test_is_postcode(postcode, country, ok):
    assert is_postcode(postcode, country) is ok


@pytest.mark.parametrize(
    ("vat", "country", "ok"),
    [
        ("NL123456789B01", "NL", True),
        ("nl 1234.56789.b01", "NL", True),
        ("123456789B01", "NL", True),
        ("NL12345678B01", "NL", False),
        ("0000", "NL", False),
        ("BE0123456789", "BE", True),
        ("BE12345678", "BE", False),
        ("DE123456789", "NL", True),
        ("ATU12345678", "AT", True),
        ("ATU1234567", "AT", False),
        ("FRXX123456789", "FR", True),
        ("EL123456789", "GR", True),
        ("GR123456789", "GR", True),
        ("ESX1234567X", "ES", True),
        ("CHE-123.456.789 MWST", "CH", True),
        ("", "NL", True),
        (None, "NL", True),
    ],
    ids=lambda v: repr(v),
)
def test_is_vat_number(vat, country, ok):
    assert is_vat_number(vat, country) is ok


@pytest.mark.parametrize(
    ("text", "markup"),
    [
        ("D &amp; G", True),
        ("l&#039;Été", True),
        ("&#x27;s-Hertogenbosch", True),
        ("Keizersgracht 221<br />", True),
        ("<b>Sale</b>", True),
        ("Brei & Co", False),
        ("AT&T", False),
        ("Smith&Sons;", False),
        ("l'Été", False),
        ("a < b > c", False),
    ],
    ids=repr,
)
def test_has_markup(text, markup):
    assert has_markup(text) is markup
