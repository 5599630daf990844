"""Extra lines: shipping, gift wrapping, payment fee, discounts, rounding.

None of these are order rows in PrestaShop. Each becomes a line on a
configured SnelStart article chosen by VAT kind, because SnelStart takes the
VAT of a line from its article. A discount is split over the VAT kinds (and
rates) of the order's products in proportion to their amounts, to the cent,
so each part carries the right VAT.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_DOWN, Decimal
from typing import Any

from koppel.mapping.articles import use_extra_article
from koppel.mapping.context import OrderContext, Unplannable
from koppel.mapping.index import SnapshotIndex
from koppel.mapping.lines import DraftLine
from koppel.mapping.rules import RuleSet
from koppel.mapping.vat import VatDecision, infer_rate
from koppel.money import CENT, ZERO, to_cents
from koppel.plan import ArtikelAction
from koppel.reasons import Reason

__all__ = ["extra_lines", "split_amount"]


def _money(value: object) -> Decimal:
    return ZERO if value is None else to_cents(Decimal(value))  # type: ignore[arg-type]


def _article_for(
    articles: Mapping[str, str], kind: str, where: str, ctx: OrderContext
) -> str:
    code = articles.get(kind)
    if code is None:
        msg = (
            f"order {ctx.order_id}: no {where} article for VAT `{kind}`; set "
            f"`extra_lines.{where}.articles.{kind}`"
        )
        raise Unplannable(
            Reason.UNMAPPED_VAT, msg, field=f"{where}.articles", value=kind
        )
    return code


def split_amount(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split an amount over weights to the cent; the parts sum to the amount.

    Cents left after rounding every part down go to the parts with the
    largest remainders (earlier parts first on a tie).
    """
    total = sum(weights, ZERO)
    if total == ZERO:
        return [amount] + [ZERO] * (len(weights) - 1)
    sign = -1 if amount < ZERO else 1
    exact = [abs(amount) * w / total for w in weights]
    parts = [e.quantize(CENT, rounding=ROUND_DOWN) for e in exact]
    left = int((abs(amount) - sum(parts, ZERO)) / CENT)
    order = sorted(range(len(parts)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += CENT
    return [p * sign for p in parts]


def _discounts(
    ctx: OrderContext, rules: RuleSet
) -> list[tuple[str, Decimal, Decimal, bool]]:
    """(name, incl, excl, carries free shipping) per discount line to book."""
    rule = rules.extra.discounts
    order = ctx.order
    header_incl = _money(order.get("total_discounts_tax_incl"))
    header_excl = _money(order.get("total_discounts_tax_excl"))
    rows = [
        (
            str(d.get("name") or rule.description),
            _money(d.get("value_tax_incl")),
            _money(d.get("value_tax_excl")),
            bool(d.get("free_shipping")),
        )
        for d in ctx.discounts
    ]
    rows_match = rows and abs(sum((r[1] for r in rows), ZERO) - header_incl) <= CENT
    if rule.per == "total" or not rows_match:
        free = any(r[3] for r in rows)
        rows = [(rule.description, header_incl, header_excl, free)]
    shipping = _money(order.get("total_shipping_tax_incl")) > ZERO
    result, carved = [], False
    for name, incl, excl, free in rows:
        carve = free and shipping and not carved
        carved = carved or carve
        if incl > ZERO:
            result.append((name, incl, excl, carve))
    return result


def _free_shipping_netted(ctx: OrderContext, rules: RuleSet) -> bool:
    rule = rules.extra.discounts
    return (
        rule.enabled
        and rule.free_shipping == "net"
        and any(d.get("free_shipping") for d in ctx.discounts)
        and _money(ctx.order.get("total_shipping_tax_incl")) > ZERO
    )


def _charge(
    name: str,
    incl: Decimal,
    excl: Decimal,
    stated_rate: Decimal | None,
    decision: VatDecision,
    ctx: OrderContext,
    index: SnapshotIndex,
    rules: RuleSet,
    artikelen: dict[str, ArtikelAction],
) -> DraftLine:
    charge = getattr(rules.extra, name)
    inferred = stated_rate in (None, ZERO)
    rate = infer_rate(incl, excl, stated_rate)
    kind, rate = decision.resolve(rate, rules, name, inferred=inferred)
    code = _article_for(charge.articles, kind, name, ctx)
    use_extra_article(code, kind, name, decision, ctx, index, rules, artikelen)
    return DraftLine(code, charge.description, Decimal(1), incl, excl, rate, kind, name)


def extra_lines(
    ctx: OrderContext,
    decision: VatDecision,
    index: SnapshotIndex,
    rules: RuleSet,
    products: list[DraftLine],
    artikelen: dict[str, ArtikelAction],
) -> list[DraftLine]:
    """Draft the shipping, wrapping, discount and payment-fee lines.

    Args:
        ctx: the order.
        decision: its VAT regime.
        index: the SnelStart snapshot.
        rules: the rule set (``extra_lines.yaml``).
        products: the product lines (discounts are split over their kinds).
        artikelen: receives the configured articles the lines use.

    Returns:
        The extra lines, in booking order.

    Raises:
        Unplannable: UNKNOWN_ARTICLE or UNMAPPED_VAT for a missing article.
    """
    order = ctx.order
    extra = rules.extra
    drafts: list[DraftLine] = []
    args = (decision, ctx, index, rules, artikelen)
    shipping = _money(order.get("total_shipping_tax_incl"))
    if extra.shipping.enabled and shipping and not _free_shipping_netted(ctx, rules):
        excl = _money(order.get("total_shipping_tax_excl"))
        drafts.append(
            _charge("shipping", shipping, excl, order.get("carrier_tax_rate"), *args)
        )
    wrapping = _money(order.get("total_wrapping_tax_incl"))
    if extra.wrapping.enabled and wrapping:
        excl = _money(order.get("total_wrapping_tax_excl"))
        drafts.append(_charge("wrapping", wrapping, excl, None, *args))
    if extra.discounts.enabled:
        drafts += _discount_lines(ctx, decision, index, rules, products, artikelen)
    fee = _payment_fee(ctx, decision, index, rules, artikelen)
    if fee is not None:
        drafts.append(fee)
    return drafts


def _weights(
    products: list[DraftLine], decision: VatDecision
) -> dict[tuple[str, Decimal], list[Decimal]]:
    groups: dict[tuple[str, Decimal], list[Decimal]] = {}
    for line in products:
        if line.priced and line.total_incl > ZERO:
            weights = groups.setdefault((line.kind, line.rate), [ZERO, ZERO])
            weights[0] += line.total_incl
            weights[1] += line.total_excl
    if not groups:
        kind = "Verlegd" if decision.regime == "reverse_charge" else "Geen"
        groups[(kind, ZERO)] = [Decimal(1), Decimal(1)]
    return groups


def _discount_lines(
    ctx: OrderContext,
    decision: VatDecision,
    index: SnapshotIndex,
    rules: RuleSet,
    products: list[DraftLine],
    artikelen: dict[str, ArtikelAction],
) -> list[DraftLine]:
    groups = _weights(products, decision)
    keys = list(groups)
    order = ctx.order
    drafts = []

    def add(name: str, kind: str, rate: Decimal, incl: Decimal, excl: Decimal) -> None:
        code = _article_for(rules.extra.discounts.articles, kind, "discounts", ctx)
        use_extra_article(
            code, kind, "discounts", decision, ctx, index, rules, artikelen
        )
        drafts.append(
            DraftLine(
                code, name[:250], Decimal(1), -incl, -excl, rate, kind, "discount"
            )
        )

    for name, incl, excl, free in _discounts(ctx, rules):
        if free:
            ship_incl = _money(order.get("total_shipping_tax_incl"))
            ship_excl = _money(order.get("total_shipping_tax_excl"))
            incl, excl = incl - ship_incl, excl - ship_excl
            if rules.extra.discounts.free_shipping == "book_both":
                rate = infer_rate(ship_incl, ship_excl, order.get("carrier_tax_rate"))
                kind, rate = decision.resolve(rate, rules, "shipping", inferred=True)
                add(f"{name} (verzendkosten)", kind, rate, ship_incl, ship_excl)
        incl_parts = split_amount(incl, [groups[k][0] for k in keys])
        excl_parts = split_amount(excl, [groups[k][1] for k in keys])
        for (kind, rate), part_incl, part_excl in zip(
            keys, incl_parts, excl_parts, strict=True
        ):
            if part_incl != ZERO or part_excl != ZERO:
                label = f"{name} ({rate.normalize()}% btw)" if len(keys) > 1 else name
                add(label, kind, rate, part_incl, part_excl)
    return drafts


def _payment_fee(
    ctx: OrderContext,
    decision: VatDecision,
    index: SnapshotIndex,
    rules: RuleSet,
    artikelen: dict[str, ArtikelAction],
) -> DraftLine | None:
    rule = rules.extra.payment_fee
    if not rule.enabled:
        return None
    if rule.modules and str(ctx.order.get("module") or "") not in rule.modules:
        return None
    incl, excl = _header_gap(ctx)
    if incl <= rules.extra.rounding.tolerance:
        return None
    if decision.regime == "reverse_charge":
        kind, rate = "Verlegd", ZERO
    else:
        artikel = index.artikel(rule.article)
        kind = index.artikel_kind(artikel) if artikel else None
        if kind is None:
            kind, rate = decision.resolve(
                infer_rate(incl, excl), rules, "payment_fee", inferred=True
            )
        else:
            rate = decision.kind_rate(kind, rules)
    code = rule.articles.get(kind, rule.article)  # type: ignore[call-overload]
    use_extra_article(code, kind, "payment_fee", decision, ctx, index, rules, artikelen)
    return DraftLine(
        code, rule.description, Decimal(1), incl, excl, rate, kind, "payment_fee"
    )


def _header_gap(ctx: OrderContext) -> tuple[Decimal, Decimal]:
    """What the shop's total holds beyond products, shipping, wrapping, discounts."""
    o: dict[str, Any] = ctx.order
    products_incl = o.get("total_products_wt")
    products_excl = o.get("total_products")
    if products_incl is None:
        products_incl = sum(
            (_money(x.get("total_price_tax_incl")) for x in ctx.lines), ZERO
        )
    if products_excl is None:
        products_excl = sum(
            (_money(x.get("total_price_tax_excl")) for x in ctx.lines), ZERO
        )
    incl = _money(o.get("total_paid_tax_incl")) - (
        _money(products_incl)
        + _money(o.get("total_shipping_tax_incl"))
        + _money(o.get("total_wrapping_tax_incl"))
        - _money(o.get("total_discounts_tax_incl"))
    )
    excl = _money(o.get("total_paid_tax_excl")) - (
        _money(products_excl)
        + _money(o.get("total_shipping_tax_excl"))
        + _money(o.get("total_wrapping_tax_excl"))
        - _money(o.get("total_discounts_tax_excl"))
    )
    return incl, excl
