"""The verkooporder header: template, references, description, date, addresses.

Options (``order_header.yaml``):

- ``template.mode``: ``fixed`` (the sjabloon named in ``template.fixed``,
  or SnelStart's default when none) or ``last_used`` (the sjabloon of the
  relatie's most recent order in SnelStart; else the fixed one);
- ``betalingskenmerk.source``: the shop's order ``reference``, ``order_id``
  or ``invoice_number``; ``duplicate_check`` is carried to loading;
- ``omschrijving.mode``: ``generated`` (a template over state and payment),
  ``empty``, ``profile_name`` or ``webshop_order`` (a template);
- ``orderreferentie``: a template (deterministic, at most 50 characters);
- ``proces_status``, ``kostenplaats``, ``memo``;
- ``addresses``: the order's addresses, or ``customer_card`` (none sent:
  SnelStart uses the relatie's);
- ``datum``: ``order_date``, ``payment_date`` or ``invoice_date``, as the
  shop-local calendar date.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from koppel.mapping.context import OrderContext, Unplannable
from koppel.mapping.index import SnapshotIndex
from koppel.mapping.relatie import fit, order_address
from koppel.mapping.rules import RuleSet
from koppel.mapping.values import render_template, scalar_text
from koppel.plan import RelatieAction
from koppel.reasons import Reason

__all__ = ["betalingskenmerk", "header_payload", "orderreferentie"]


def _local_date(value: object, zone: ZoneInfo) -> str | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(str(value))
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    return value.astimezone(zone).date().isoformat() + "T00:00:00"


def _datum(ctx: OrderContext, rules: RuleSet) -> str:
    zone = ZoneInfo(rules.timezone)
    choice = rules.header.datum
    order = ctx.order
    if choice == "payment_date":
        candidates = [order.get("paid_at"), (ctx.payment or {}).get("date_add")]
    elif choice == "invoice_date":
        candidates = [order.get("invoice_date")]
    else:
        candidates = []
    for value in candidates:
        if (found := _local_date(value, zone)) is not None:
            return found
    if candidates:
        ctx.warnings.append(
            f"datum: no {choice.replace('_', ' ')}; used the order date"
        )
    found = _local_date(order.get("date_add"), zone)
    if found is None:
        msg = f"order {ctx.order_id} has no order date"
        raise Unplannable(Reason.BAD_DATE, msg, field="order.date_add")
    return found


def betalingskenmerk(ctx: OrderContext, rules: RuleSet) -> str:
    """The payment reference, from the source the rules name."""
    source = rules.header.betalingskenmerk.source
    value = scalar_text(ctx.order.get(source))
    if value in (None, "0"):
        ctx.warnings.append(f"betalingskenmerk: no {source}; used the order reference")
        value = scalar_text(ctx.order.get("reference")) or str(ctx.order_id)
    return value


def orderreferentie(ctx: OrderContext, rules: RuleSet) -> str:
    """The deterministic order reference loading searches SnelStart by."""
    text = render_template(rules.header.orderreferentie, ctx.scope()) or str(
        ctx.order_id
    )
    return fit("orderreferentie", text, 50, ctx.warnings)


def _omschrijving(ctx: OrderContext, rules: RuleSet) -> str | None:
    rule = rules.header.omschrijving
    if rule.mode == "empty":
        return None
    if rule.mode == "profile_name":
        return ctx.profile_name
    template = rule.generated if rule.mode == "generated" else rule.webshop_order
    return render_template(template, ctx.scope())


def _template(
    relatie: RelatieAction, ctx: OrderContext, index: SnapshotIndex, rules: RuleSet
) -> dict[str, str] | None:
    rule = rules.header.template
    if rule.mode == "last_used" and relatie.relatie_id:
        last = index.last_sjabloon_id(relatie.relatie_id)
        if last:
            return {"id": last}
    if rule.fixed is None:
        return None
    sjabloon = index.sjabloon(rule.fixed)
    if sjabloon is None:
        msg = (
            f"order {ctx.order_id}: verkoopordersjabloon {rule.fixed!r} "
            "(`order_header.template.fixed`) is not one active template in SnelStart"
        )
        raise Unplannable(
            Reason.UNKNOWN_TEMPLATE, msg, field="template.fixed", value=rule.fixed
        )
    return {"id": sjabloon["id"]}


def _kostenplaats(
    ctx: OrderContext, index: SnapshotIndex, rules: RuleSet
) -> dict[str, str] | None:
    ref = rules.header.kostenplaats
    if ref is None:
        return None
    found = index.kostenplaats(ref)
    if found is None:
        msg = (
            f"order {ctx.order_id}: kostenplaats {ref!r} "
            "(`order_header.kostenplaats`) is not one kostenplaats in SnelStart"
        )
        raise Unplannable(
            Reason.UNKNOWN_KOSTENPLAATS, msg, field="kostenplaats", value=ref
        )
    return {"id": found["id"]}


def header_payload(
    ctx: OrderContext,
    relatie: RelatieAction,
    index: SnapshotIndex,
    rules: RuleSet,
) -> dict[str, Any]:
    """The verkooporder fields other than ``regels`` and the entry model.

    Args:
        ctx: the order.
        relatie: its relatie action (``last_used`` reads its id).
        index: the SnelStart snapshot.
        rules: the rule set (``order_header.yaml``).

    Returns:
        The header part of the VerkoopOrderModel JSON.

    Raises:
        Unplannable: UNKNOWN_TEMPLATE, UNKNOWN_KOSTENPLAATS, UNKNOWN_LAND,
            BAD_DATE.
    """
    header = rules.header
    payload: dict[str, Any] = {
        "relatie": {"$relatie": relatie.key},
        "datum": _datum(ctx, rules),
        "procesStatus": header.proces_status,
        "betalingskenmerk": betalingskenmerk(ctx, rules),
        "orderreferentie": orderreferentie(ctx, rules),
    }
    optional = {
        "omschrijving": _omschrijving(ctx, rules),
        "verkoopordersjabloon": _template(relatie, ctx, index, rules),
        "kostenplaats": _kostenplaats(ctx, index, rules),
        "memo": render_template(header.memo, ctx.scope()) if header.memo else None,
    }
    if header.addresses == "order":
        optional["afleveradres"] = order_address(
            ctx.delivery or ctx.invoice, index, ctx, "afleveradres", ctx.warnings
        )
        optional["factuuradres"] = order_address(
            ctx.invoice, index, ctx, "factuuradres", ctx.warnings
        )
    payload.update({k: v for k, v in optional.items() if v is not None})
    return payload
