"""Customers: recognise the order's customer in SnelStart, or plan a new one.

Matching methods (``customers.matching.method``):

- ``code``: the shop's customer code (+ offset) equals the relatiecode;
- ``email``: the normalised e-mail is one of the relatie's addresses;
- ``code_or_email``: code first, else e-mail;
- ``email_and_postcode``: e-mail and the order's postcode must both match,
  else a new relatie is planned;
- ``code_or_email_and_postcode``: code first, else e-mail and postcode;
- ``smart``: the ``smart_steps`` cascade; each step either finds one
  relatie (recorded as ``smart:<step>``), finds none (next step), or finds
  several - then the order is quarantined as ambiguous, never guessed.

Several candidates for a plain e-mail match are ambiguous too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from koppel.mapping.context import OrderContext, Unplannable, evaluate
from koppel.mapping.index import SnapshotIndex, relatie_postcodes
from koppel.mapping.relatie import relatie_payload, update_payload
from koppel.mapping.rules import RuleSet
from koppel.mapping.transforms import (
    normalise_email,
    normalise_name,
    normalise_postcode,
    normalise_vat_number,
)
from koppel.plan import RelatieAction
from koppel.reasons import Reason

__all__ = ["CustomerKeys", "customer_keys", "match_customer", "plan_customer"]


@dataclass(frozen=True)
class CustomerKeys:
    """The normalised values an order's customer is matched on."""

    code: int | None
    email: str | None
    postcode: str | None
    vat_number: str | None
    company: str | None


def customer_keys(ctx: OrderContext, rules: RuleSet) -> CustomerKeys:
    """Read and normalise the matching keys of an order's customer."""
    matching = rules.customers.matching
    scope = ctx.scope()
    code_text = evaluate(matching.code, scope, rules.tables)
    code = (
        int(code_text) + matching.code_offset
        if code_text and code_text.isdigit()
        else None
    )
    address = ctx.delivery if matching.postcode_from == "delivery" else ctx.invoice
    address = address or ctx.invoice or {}
    invoice = ctx.invoice or {}
    customer = ctx.customer or {}
    company = invoice.get("company") or customer.get("company")
    return CustomerKeys(
        code=code,
        email=normalise_email(str(customer.get("email") or "")),
        postcode=normalise_postcode(str(address.get("postcode") or "")),
        vat_number=normalise_vat_number(str(invoice.get("vat_number") or "")),
        company=normalise_name(str(company or "")),
    )


def _one(
    found: list[dict[str, Any]], step: str, ctx: OrderContext
) -> dict[str, Any] | None:
    unique = {id(r): r for r in found}
    if len(unique) > 1:
        ids = sorted(str(r.get("relatiecode") or r.get("id")) for r in unique.values())
        msg = (
            f"order {ctx.order_id}: `{step}` matches {len(unique)} relaties "
            f"(relatiecodes {', '.join(ids)}); koppel does not guess - merge them "
            "in SnelStart or book the order by hand"
        )
        raise Unplannable(
            Reason.AMBIGUOUS_CUSTOMER, msg, field=step, value=", ".join(ids)
        )
    return next(iter(unique.values()), None)


def _step(
    step: str, keys: CustomerKeys, index: SnapshotIndex, ctx: OrderContext
) -> dict[str, Any] | None:
    if step == "code":
        found = index.relaties_by_code(keys.code) if keys.code is not None else []
    elif step == "email":
        found = index.relaties_by_email(keys.email) if keys.email else []
    elif step == "email_and_postcode":
        found = [
            r
            for r in (index.relaties_by_email(keys.email) if keys.email else [])
            if keys.postcode and keys.postcode in relatie_postcodes(r)
        ]
    elif step == "vat_number":
        found = index.relaties_by_vat(keys.vat_number) if keys.vat_number else []
    else:  # company_and_postcode
        found = [
            r
            for r in (index.relaties_by_name(keys.company) if keys.company else [])
            if keys.postcode and keys.postcode in relatie_postcodes(r)
        ]
    return _one(found, step, ctx)


_METHODS: dict[str, tuple[str, ...]] = {
    "code": ("code",),
    "email": ("email",),
    "code_or_email": ("code", "email"),
    "email_and_postcode": ("email_and_postcode",),
    "code_or_email_and_postcode": ("code", "email_and_postcode"),
}


def match_customer(
    keys: CustomerKeys, index: SnapshotIndex, rules: RuleSet, ctx: OrderContext
) -> tuple[dict[str, Any] | None, str | None]:
    """Find the order's relatie.

    Returns:
        The relatie and the rule that found it, or (None, None).

    Raises:
        Unplannable: AMBIGUOUS_CUSTOMER when a step finds several relaties.
    """
    method = rules.customers.matching.method
    smart = method == "smart"
    steps = rules.customers.matching.smart_steps if smart else _METHODS[method]
    for step in steps:
        relatie = _step(step, keys, index, ctx)
        if relatie is not None:
            return relatie, f"smart:{step}" if smart else step
    return None, None


def _new_key(keys: CustomerKeys, rules: RuleSet, ctx: OrderContext) -> str:
    method = rules.customers.matching.method
    if method == "code" and keys.code is not None:
        return f"new:code:{keys.code}"
    if keys.email and method in {
        "email_and_postcode",
        "code_or_email_and_postcode",
        "smart",
    }:
        return f"new:email:{keys.email}|postcode:{keys.postcode or ''}"
    if keys.email:
        return f"new:email:{keys.email}"
    if keys.code is not None:
        return f"new:code:{keys.code}"
    return f"new:order:{ctx.order_id}"


def plan_customer(
    ctx: OrderContext, index: SnapshotIndex, rules: RuleSet
) -> RelatieAction:
    """Decide the relatie of one order: use, update or create.

    Args:
        ctx: the order.
        index: the SnelStart snapshot.
        rules: the rule set (``customers.yaml``).

    Returns:
        The relatie action; its key is what the order's ``$relatie`` names.

    Raises:
        Unplannable: when the customer is ambiguous, unknown under ``manual``,
            or cannot be written (unknown land, taken relatiecode).
    """
    processing = rules.customers.processing
    if processing.fixed_relatiecode is not None:
        return _fixed(processing.fixed_relatiecode, index, ctx)
    if ctx.customer is None and ctx.invoice is None:
        msg = f"order {ctx.order_id}: its customer is not staged"
        raise Unplannable(
            Reason.CUSTOMER_MISSING,
            msg,
            field="order.customer_id",
            value=ctx.order.get("customer_id"),
        )
    keys = customer_keys(ctx, rules)
    relatie, matched_by = match_customer(keys, index, rules, ctx)
    if relatie is not None:
        return _existing(relatie, matched_by, ctx, index, rules)
    if processing.mode == "manual":
        msg = (
            f"order {ctx.order_id}: no relatie matches (method "
            f"`{rules.customers.matching.method}`) and processing is `manual`"
        )
        raise Unplannable(
            Reason.UNKNOWN_CUSTOMER, msg, field="customer.email", value=keys.email
        )
    payload, warnings = relatie_payload(ctx, index, rules)
    if processing.new_relatiecode == "shop_code" and keys.code is not None:
        if index.code_taken(keys.code):
            msg = (
                f"order {ctx.order_id}: relatiecode {keys.code} for the new "
                "customer is already used by another relatie in SnelStart"
            )
            raise Unplannable(
                Reason.RELATIECODE_TAKEN, msg, field="relatiecode", value=keys.code
            )
        payload["relatiecode"] = keys.code
    return RelatieAction(
        key=_new_key(keys, rules, ctx),
        action="create",
        payload=payload,
        warnings=tuple(warnings),
    )


def _fixed(code: int, index: SnapshotIndex, ctx: OrderContext) -> RelatieAction:
    found = index.relaties_by_code(code)
    if len(found) != 1:
        msg = (
            f"order {ctx.order_id}: the fixed relatiecode {code} is not an active "
            "customer in SnelStart"
        )
        raise Unplannable(
            Reason.UNKNOWN_CUSTOMER,
            msg,
            field="customers.processing.fixed_relatiecode",
            value=code,
        )
    relatie = found[0]
    return RelatieAction(
        key=f"relatie:{relatie['id']}",
        action="use",
        relatie_id=relatie["id"],
        matched_by="fixed_relatiecode",
    )


def _existing(
    relatie: dict[str, Any],
    matched_by: str | None,
    ctx: OrderContext,
    index: SnapshotIndex,
    rules: RuleSet,
) -> RelatieAction:
    key = f"relatie:{relatie['id']}"
    if rules.customers.processing.mode != "add_and_update":
        return RelatieAction(
            key, "use", relatie_id=relatie["id"], matched_by=matched_by
        )
    payload, warnings, changed = update_payload(relatie, ctx, index, rules)
    return RelatieAction(
        key,
        "update" if changed else "use",
        relatie_id=relatie["id"],
        payload=payload if changed else {},
        matched_by=matched_by,
        warnings=tuple(warnings),
    )
