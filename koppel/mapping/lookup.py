"""What the mapping needs from SnelStart for a batch: the LookupRequest.

Loading answers it with a SnelstartSnapshot, asking only for the candidates
named here (relaties by code, e-mail, VAT number or name; artikelen by code,
also in the extra field ``articles.code.extra_field`` names when the shop's
code lives there) plus the complete reference lists.
"""

from __future__ import annotations

import html

from koppel.mapping.articles import article_code
from koppel.mapping.context import OrderContext, order_contexts
from koppel.mapping.customers import customer_keys
from koppel.mapping.header import orderreferentie
from koppel.mapping.rules import RuleSet
from koppel.mapping.transforms import collapse
from koppel.plan import LookupRequest
from koppel.staging import StagedOrders

__all__ = ["extra_article_codes", "lookup_request"]

_CODE_METHODS = {"code", "code_or_email", "code_or_email_and_postcode"}
_EMAIL_METHODS = {
    "email",
    "code_or_email",
    "email_and_postcode",
    "code_or_email_and_postcode",
}


def extra_article_codes(rules: RuleSet) -> set[str]:
    """Every configured article of extra lines (they must exist in SnelStart)."""
    extra = rules.extra
    codes = {extra.payment_fee.article, extra.rounding.article}
    for charge in (extra.shipping, extra.wrapping, extra.discounts):
        codes.update(charge.articles.values())
    return codes


def _as_given(normalised: str, raw: object) -> set[str]:
    """The matching key plus the shop's own spelling, for exact-match look-ups.

    SnelStart's OData ``eq`` compares exactly; matching compares normalised
    values afterwards, so asking for both spellings finds more candidates.
    """
    given = collapse(html.unescape(str(raw or ""))) if raw else None
    return {normalised} | ({given} if given else set())


def _company(ctx: OrderContext) -> object:
    return (ctx.invoice or {}).get("company") or (ctx.customer or {}).get("company")


def lookup_request(staged: StagedOrders, rules: RuleSet) -> LookupRequest:
    """Name the SnelStart records the plan for these orders may need.

    Args:
        staged: the validated staged orders.
        rules: the profile's rule set.

    Returns:
        The candidates to fetch. E-mails and names come both normalised (as
        matching compares them) and as the shop spells them; VAT numbers
        keep letters and digits only, as SnelStart stores them.
    """
    matching = rules.customers.matching
    processing = rules.customers.processing
    method = matching.method
    steps = set(matching.smart_steps) if method == "smart" else set()
    emails: set[str] = set()
    codes: set[int] = set()
    vat_numbers: set[str] = set()
    names: set[str] = set()
    artikelcodes = extra_article_codes(rules)
    references: set[str] = set()
    for ctx in order_contexts(staged, ""):
        keys = customer_keys(ctx, rules)
        wants_code = method in _CODE_METHODS or "code" in steps
        if keys.code is not None and (
            wants_code or processing.new_relatiecode == "shop_code"
        ):
            codes.add(keys.code)
        if keys.email and (
            method in _EMAIL_METHODS or steps & {"email", "email_and_postcode"}
        ):
            emails.update(_as_given(keys.email, (ctx.customer or {}).get("email")))
        if keys.vat_number and "vat_number" in steps:
            vat_numbers.add(keys.vat_number)
        if keys.company and "company_and_postcode" in steps:
            names.update(_as_given(keys.company, _company(ctx)))
        for line in ctx.lines:
            code = article_code(line, ctx, rules)
            if code:
                artikelcodes.add(code)
        references.add(orderreferentie(ctx, rules))
    if processing.fixed_relatiecode is not None:
        codes.add(processing.fixed_relatiecode)
    code_rules = rules.articles.code
    extra_field = code_rules.extra_field if code_rules.field == "extra_field" else None
    return LookupRequest(
        emails=frozenset(emails),
        relatiecodes=frozenset(codes),
        vat_numbers=frozenset(vat_numbers),
        names=frozenset(names),
        artikelcodes=frozenset(artikelcodes),
        artikel_extra_field=extra_field,
        references=frozenset(references),
        recent_orders_for_relaties=rules.header.template.mode == "last_used",
    )
