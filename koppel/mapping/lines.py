"""Order lines: drafts with both price bases, rendering and booked totals.

Lines are drafted with the shop's amounts including *and* excluding VAT, so
the VAT entry model (``Inclusief`` / ``Exclusief``) can be chosen after all
lines are known: :func:`booked_total` predicts what SnelStart will book for
either model, and the engine takes the one that hits the shop's total.

Line modes (``order_lines.mode``):

- ``full``: article, description, quantity and price from the shop;
- ``code_and_quantity``: article and quantity; SnelStart fills price and
  description (the booked total is then SnelStart's, not the shop's);
- ``description_from_snelstart``: article, quantity and price from the shop,
  SnelStart's description.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from koppel.mapping.articles import (
    article_code,
    check_kind,
    existing_article,
    plan_article,
    use_extra_article,
)
from koppel.mapping.context import OrderContext, Unplannable, evaluate
from koppel.mapping.index import SnapshotIndex
from koppel.mapping.rules import RuleSet
from koppel.mapping.schema import ZeroRated
from koppel.mapping.vat import VatDecision
from koppel.money import CENT, ZERO, to_cents
from koppel.plan import ArtikelAction
from koppel.reasons import Reason

__all__ = ["DraftLine", "Entry", "booked_total", "pieces", "product_lines", "render"]

Entry = Literal["Inclusief", "Exclusief"]


@dataclass
class DraftLine:
    """One verkooporder line before the VAT entry model is chosen.

    ``total_incl`` / ``total_excl`` are the shop's line amounts; ``product``
    lines follow the line mode, extra lines always carry their price.
    """

    artikel: str | None
    description: str | None
    quantity: Decimal
    total_incl: Decimal
    total_excl: Decimal
    rate: Decimal
    kind: str
    source: str
    generic: bool = False

    @property
    def priced(self) -> bool:
        """Whether the line books an amount (text lines do not)."""
        return self.artikel is not None


def _unit(total: Decimal, quantity: Decimal, decimals: int) -> Decimal:
    step = Decimal(1).scaleb(-decimals)
    if quantity == ZERO:
        return ZERO.quantize(step)
    return (total / quantity).quantize(step, rounding=ROUND_HALF_UP)


def pieces(
    line: DraftLine, entry: Entry, rules: RuleSet
) -> list[tuple[Decimal, Decimal]]:
    """(aantal, stuksprijs) pairs that book the line's shop total exactly.

    One pair when quantity x unit price hits the shop's line total. Else,
    with ``exact_line_totals``, the quantity is split over two unit prices a
    cent apart (``3 x 3.33 + 1 x 3.34`` for 4 pieces costing 13.33), so the
    line still books the shop's amount to the cent.
    """
    total = line.total_incl if entry == "Inclusief" else line.total_excl
    quantity = line.quantity
    unit = _unit(total, quantity, rules.lines.price_decimals)
    exact = to_cents(quantity * unit) == total
    if exact or quantity <= 1 or not rules.lines.exact_line_totals:
        return [(quantity, unit)]
    if quantity != quantity.to_integral_value():
        return [(quantity, unit)]
    base, rest = divmod(int(to_cents(total) / CENT), int(quantity))
    return [
        (Decimal(int(quantity) - rest), base * CENT),
        (Decimal(rest), (base + 1) * CENT),
    ]


def render(line: DraftLine, entry: Entry, rules: RuleSet) -> list[dict[str, Any]]:
    """The VerkooporderRegelModel JSON of one draft line (two when split)."""
    if line.artikel is None:
        return [{"omschrijving": (line.description or "")[:250]}]
    mode = rules.lines.mode
    product = line.source == "product" and not line.generic
    payload: dict[str, Any] = {"artikel": {"$artikel": line.artikel}}
    if line.description and (mode == "full" or not product):
        payload["omschrijving"] = line.description[:250]
    if mode == "code_and_quantity" and product:
        return [{**payload, "aantal": line.quantity}]
    return [
        {**payload, "aantal": quantity, "stuksprijs": unit}
        for quantity, unit in pieces(line, entry, rules)
    ]


def _amounts(line: DraftLine, entry: Entry, rules: RuleSet) -> Decimal:
    return sum((to_cents(q * u) for q, u in pieces(line, entry, rules)), ZERO)


def booked_total(lines: list[DraftLine], entry: Entry, rules: RuleSet) -> Decimal:
    """The total incl. VAT SnelStart books for these lines under ``entry``.

    Inclusief: each line is quantity x stuksprijs in cents. Exclusief: the
    net lines plus VAT per rate, each rounded to cents.
    """
    priced = [line for line in lines if line.priced]
    if entry == "Inclusief":
        return sum((_amounts(x, entry, rules) for x in priced), ZERO)
    net_by_rate: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    for line in priced:
        net_by_rate[line.rate] += _amounts(line, entry, rules)
    vat = sum((to_cents(net * rate / 100) for rate, net in net_by_rate.items()), ZERO)
    return sum(net_by_rate.values(), ZERO) + vat


def _money(value: object) -> Decimal:
    return ZERO if value is None else Decimal(value)  # type: ignore[arg-type]


def product_lines(
    ctx: OrderContext,
    decision: VatDecision,
    index: SnapshotIndex,
    rules: RuleSet,
    artikelen: dict[str, ArtikelAction],
) -> list[DraftLine]:
    """Draft the product lines of an order and plan their articles.

    Args:
        ctx: the order.
        decision: its VAT regime.
        index: the SnelStart snapshot.
        rules: the rule set.
        artikelen: filled with the article action of every line.

    Raises:
        Unplannable: NO_LINES, MISSING_ARTICLE_CODE, UNKNOWN_ARTICLE,
            UNMAPPED_VAT, UNKNOWN_OMZETGROEP.
    """
    if not ctx.lines:
        msg = f"order {ctx.order_id} has no order lines"
        raise Unplannable(Reason.NO_LINES, msg)
    drafts: list[DraftLine] = []
    for line in ctx.lines:
        where = f"line {line.get('position')}"
        code = article_code(line, ctx, rules)
        if not code:
            msg = (
                f"order {ctx.order_id} {where}: no article code from "
                f"`{rules.articles.code.source}` for {line.get('product_name')!r}"
            )
            raise Unplannable(
                Reason.MISSING_ARTICLE_CODE,
                msg,
                field=where,
                value=line.get("product_name"),
            )
        rate = _money(line.get("tax_rate"))
        kind = decision.kind(rate, rules, f"{where}.tax_rate")
        zero = _zero_rated(decision, rules)
        if zero is not None and zero.article:
            generic = use_extra_article(
                zero.article,
                kind,
                f"vat.{decision.regime}",
                decision,
                ctx,
                index,
                rules,
                artikelen,
            )
            drafts += _drafts_for(line, generic, rate, kind, ctx, rules, generic=True)
            continue
        action = plan_article(code, line, kind, decision.regime, ctx, index, rules)
        artikel = existing_article(code, index, rules)
        if artikel is not None:
            check_kind(
                artikel,
                kind,
                decision.regime,
                index,
                rules,
                f"order {ctx.order_id} {where}",
                ctx.warnings,
            )
        artikelen[code] = action
        drafts += _drafts_for(line, code, rate, kind, ctx, rules)
    return drafts


def _zero_rated(decision: VatDecision, rules: RuleSet) -> ZeroRated | None:
    if decision.regime == "reverse_charge":
        rule: ZeroRated = rules.vat.reverse_charge
    elif decision.regime == "export":
        rule = rules.vat.export
    else:
        return None
    return rule if rule.product_lines == "article" else None


def _drafts_for(
    line: dict[str, Any],
    code: str,
    rate: Decimal,
    kind: str,
    ctx: OrderContext,
    rules: RuleSet,
    *,
    generic: bool = False,
) -> list[DraftLine]:
    quantity = Decimal(int(line.get("quantity") or 0))
    total_incl = line.get("total_price_tax_incl")
    total_excl = line.get("total_price_tax_excl")
    if total_incl is None:
        total_incl = _money(line.get("unit_price_tax_incl")) * quantity
    if total_excl is None:
        total_excl = _money(line.get("unit_price_tax_excl")) * quantity
    own_line = rules.lines.product_options == "own_line" and line.get("product_options")
    scoped = dict(line, product_name=line["product_base_name"]) if own_line else line
    description = evaluate(rules.lines.description, ctx.scope(scoped), rules.tables)
    total_incl, total_excl = (
        to_cents(Decimal(total_incl)),
        to_cents(Decimal(total_excl)),
    )
    drafts = [
        DraftLine(
            code,
            description,
            quantity,
            total_incl,
            total_excl,
            rate,
            kind,
            source="product",
            generic=generic,
        )
    ]
    if own_line:
        options = str(line["product_options"])
        drafts.append(DraftLine(None, options, ZERO, ZERO, ZERO, rate, kind, "option"))
    return drafts
