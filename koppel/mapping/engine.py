"""The mapping engine: staged orders + SnelStart snapshot -> LoadPlan.

Pure: no HTTP, no DuckDB, no Prefect. Each order is planned on its own; an
order that cannot be planned becomes a :class:`~koppel.plan.PlanIssue` and
leaves no relatie or artikel action behind. When several orders share a
relatie or an article, the action appears once; the latest order's data wins
for creates and updates.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import TypeVar

from koppel.mapping.articles import use_extra_article
from koppel.mapping.context import OrderContext, Unplannable, order_contexts
from koppel.mapping.customers import plan_customer
from koppel.mapping.extra_lines import extra_lines
from koppel.mapping.header import header_payload
from koppel.mapping.index import SnapshotIndex
from koppel.mapping.lines import DraftLine, Entry, booked_total, product_lines, render
from koppel.mapping.rules import RuleSet
from koppel.mapping.vat import VatDecision, decide_regime
from koppel.money import ZERO, to_cents
from koppel.plan import (
    ArtikelAction,
    LoadPlan,
    OrderBooking,
    PlanIssue,
    RelatieAction,
    SnelstartSnapshot,
    payload_hash,
)
from koppel.reasons import Reason
from koppel.staging import StagedOrders

__all__ = ["build_plan", "choose_entry"]

log = logging.getLogger(__name__)


def build_plan(
    staged: StagedOrders,
    snapshot: SnelstartSnapshot,
    rules: RuleSet,
    *,
    profile_name: str,
) -> LoadPlan:
    """Plan the relaties, artikelen and verkooporders for staged orders.

    Args:
        staged: orders that passed validation, money as Decimals.
        snapshot: what SnelStart knows, fetched for ``lookup_request``.
        rules: the profile's rule set.
        profile_name: the profile (for the ``profile_name`` description).

    Returns:
        The plan; unplannable orders are in ``plan.issues``.
    """
    index = SnapshotIndex(snapshot)
    relaties: dict[str, RelatieAction] = {}
    artikelen: dict[str, ArtikelAction] = {}
    plan = LoadPlan()
    for ctx in order_contexts(staged, profile_name):
        order_artikelen: dict[str, ArtikelAction] = {}
        try:
            relatie, booking = _plan_order(ctx, index, rules, order_artikelen)
        except Unplannable as exc:
            plan.issues.append(
                PlanIssue(ctx.order_id, exc.reason, exc.field, exc.value, str(exc))
            )
            continue
        relaties[relatie.key] = _merge(relaties.get(relatie.key), relatie)
        for code, action in order_artikelen.items():
            artikelen[code] = _merge(artikelen.get(code), action)
        plan.orders.append(booking)
    plan.relaties = list(relaties.values())
    plan.artikelen = list(artikelen.values())
    log.debug(
        "planned %d orders (%d relaties, %d artikelen), %d issues",
        len(plan.orders),
        len(plan.relaties),
        len(plan.artikelen),
        len(plan.issues),
    )
    return plan


_Action = TypeVar("_Action", RelatieAction, ArtikelAction)


def _merge(old: _Action | None, new: _Action) -> _Action:
    if old is None or new.action != "use":
        return new
    return old  # an earlier create/update stays when a later order only uses it


def _plan_order(
    ctx: OrderContext,
    index: SnapshotIndex,
    rules: RuleSet,
    artikelen: dict[str, ArtikelAction],
) -> tuple[RelatieAction, OrderBooking]:
    decision = decide_regime(ctx, rules)
    relatie = plan_customer(ctx, index, rules)
    drafts = product_lines(ctx, decision, index, rules, artikelen)
    drafts += extra_lines(ctx, decision, index, rules, drafts, artikelen)
    entry, drafts = choose_entry(ctx, drafts, decision, index, rules, artikelen)
    payload = header_payload(ctx, relatie, index, rules)
    payload["verkooporderBtwIngaveModel"] = entry
    payload["regels"] = [row for line in drafts for row in render(line, entry, rules)]
    order = ctx.order
    booking = OrderBooking(
        order_id=ctx.order_id,
        reference=str(order.get("reference") or ""),
        betalingskenmerk=payload["betalingskenmerk"],
        orderreferentie=payload["orderreferentie"],
        relatie_key=relatie.key,
        payload=payload,
        total_incl=_cents(order.get("total_paid_tax_incl")),
        total_excl=_cents(order.get("total_paid_tax_excl")),
        payload_hash=payload_hash(payload),
        duplicate_check=rules.header.betalingskenmerk.duplicate_check,
        warnings=(*_vat_note(decision), *relatie.warnings, *ctx.warnings),
    )
    return relatie, booking


def _vat_note(decision: VatDecision) -> tuple[str, ...]:
    quiet = decision.regime == "domestic" and not decision.abroad
    return () if quiet else (f"vat: {decision.note}",)


def _cents(value: object) -> Decimal:
    return ZERO if value is None else to_cents(Decimal(value))  # type: ignore[arg-type]


def choose_entry(
    ctx: OrderContext,
    drafts: list[DraftLine],
    decision: VatDecision,
    index: SnapshotIndex,
    rules: RuleSet,
    artikelen: dict[str, ArtikelAction],
) -> tuple[Entry, list[DraftLine]]:
    """Pick the VAT entry model and add a rounding line when one is needed.

    With ``vat_entry: auto`` the model whose booked total equals the shop's
    ``total_paid_tax_incl`` wins (Inclusief first); when neither does,
    Inclusief plus a rounding line within ``rounding.tolerance``.

    Args:
        ctx: the order.
        drafts: its product and extra lines.
        decision: its VAT regime.
        index: the SnelStart snapshot.
        rules: the rule set.
        artikelen: receives the rounding article when one is used.

    Returns:
        The entry model and the lines to book (with a rounding line if any).

    Raises:
        Unplannable: TOTAL_MISMATCH when the gap exceeds the tolerance.
    """
    choice = rules.lines.vat_entry
    options: list[Entry] = (
        ["Inclusief", "Exclusief"]
        if choice == "auto"
        else ["Inclusief" if choice == "inclusief" else "Exclusief"]
    )
    if rules.lines.mode == "code_and_quantity":
        ctx.warnings.append(
            "lines: prices come from SnelStart, so the booked total may differ "
            "from the shop's"
        )
        return options[0], drafts
    target = _cents(ctx.order.get("total_paid_tax_incl"))
    for entry in options:
        if booked_total(drafts, entry, rules) == target:
            return entry, drafts
    entry = options[0]
    gap = target - booked_total(drafts, entry, rules)
    tolerance = rules.extra.rounding.tolerance
    if abs(gap) > tolerance:
        msg = (
            f"order {ctx.order_id}: the lines book {target - gap} but the shop's "
            f"total is {target}; the gap {gap} exceeds the rounding tolerance "
            f"{tolerance}"
        )
        raise Unplannable(
            Reason.TOTAL_MISMATCH, msg, field="total_paid_tax_incl", value=target
        )
    return entry, [*drafts, _rounding(gap, ctx, decision, index, rules, artikelen)]


def _rounding(
    gap: Decimal,
    ctx: OrderContext,
    decision: VatDecision,
    index: SnapshotIndex,
    rules: RuleSet,
    artikelen: dict[str, ArtikelAction],
) -> DraftLine:
    rule = rules.extra.rounding
    artikel = index.artikel(rule.article)
    kind = (index.artikel_kind(artikel) if artikel else None) or "Geen"
    use_extra_article(
        rule.article, kind, "rounding", decision, ctx, index, rules, artikelen
    )
    rate = decision.kind_rate(kind, rules)
    excl = to_cents(gap / (1 + rate / 100))
    ctx.warnings.append(f"rounding: {gap} booked on {rule.article}")
    return DraftLine(
        rule.article, rule.description, Decimal(1), gap, excl, rate, kind, "rounding"
    )
