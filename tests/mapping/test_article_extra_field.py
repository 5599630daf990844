"""The shop's article code kept in a SnelStart extra field: look-up request."""

from __future__ import annotations

from koppel.mapping import load_rule_set, lookup_request
from koppel.mapping.lookup import extra_article_codes
from tests.mapping.conftest import MAPPINGS
from tests.mapping.factory import make_order, staged

EXTRA_FIELD = {"code.field": "extra_field", "code.extra_field": "webshopcode"}


def test_lookup_request_extra_field_mode_names_the_field():
    rules = load_rule_set(root=MAPPINGS, overrides={"articles": EXTRA_FIELD})
    request = lookup_request(staged(make_order(1)), rules)
    assert request.artikel_extra_field == "webshopcode"
    # the shop's codes stay in artikelcodes, beside the extra lines' articles
    assert extra_article_codes(rules) < request.artikelcodes


def test_lookup_request_artikelcode_mode_names_no_field(default_rules):
    request = lookup_request(staged(make_order(1)), default_rules)
    assert request.artikel_extra_field is None
