"""Aggregates of a reconciliation: the bridge, per-group rows, the VAT split."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from koppel.money import ZERO
from koppel.reports.booked import BookedOrder
from koppel.reports.results import (
    BridgeLine,
    Category,
    GroupRow,
    OrderDifference,
    VatRow,
)
from koppel.reports.shop import ShopOrder

__all__ = ["BRIDGE_STEPS", "build_bridge", "group_rows", "vat_rows"]

# The explained steps between the shop's eligible total and SnelStart's.
BRIDGE_STEPS = (
    Category.QUARANTINED,
    Category.AWAITING_BOOKING,
    Category.CHANGED_IN_SHOP,
    Category.CANCELLED_AFTER_BOOKING,
    Category.ROUNDING_LINE,
    Category.NOT_FROM_SHOP,
)

SHOP_PLACED = "shop: orders placed"
SHOP_ELIGIBLE = "shop: eligible orders"
UNEXPLAINED = "unexplained"
SNELSTART = "SnelStart: verkooporders"
NOT_FROM_SHOP_KEY = "(not from this shop)"


def _total(values: Iterable[Decimal | None]) -> Decimal:
    return sum((v for v in values if v is not None), ZERO)


def _step(
    label: str,
    items: Sequence[OrderDifference],
    category: Category | None = None,
    kind: str = "step",
) -> BridgeLine:
    return BridgeLine(
        label=label,
        orders=len(items),
        incl=-_total(d.difference_incl for d in items),
        excl=-_total(d.difference_excl for d in items),
        category=category,
        kind=kind,
    )


def build_bridge(
    orders: Sequence[ShopOrder],
    booked: Mapping[int, Sequence[BookedOrder]],
    differences: Sequence[OrderDifference],
    outside: Sequence[BookedOrder],
) -> list[BridgeLine]:
    """Walk from the shop's placed orders to SnelStart's total.

    Each step line holds the amount to *add* to reach SnelStart (minus the
    per-order differences of its category), so the lines add up.
    """
    eligible = [o for o in orders if o.eligible]
    waiting = [o for o in orders if not o.eligible]
    lines = [
        BridgeLine(
            SHOP_PLACED,
            len(orders),
            _total(o.incl for o in orders),
            _total(o.excl for o in orders),
            kind="total",
        ),
        BridgeLine(
            Category.NOT_YET_ELIGIBLE.label,
            len(waiting),
            -_total(o.incl for o in waiting),
            -_total(o.excl for o in waiting),
            category=Category.NOT_YET_ELIGIBLE,
        ),
        BridgeLine(
            SHOP_ELIGIBLE,
            len(eligible),
            _total(o.incl for o in eligible),
            _total(o.excl for o in eligible),
            kind="total",
        ),
    ]
    for category in BRIDGE_STEPS:
        items = [d for d in differences if d.category == category]
        lines.append(_step(category.label, items, category))
    unexplained = [d for d in differences if not d.explained]
    lines.append(_step(UNEXPLAINED, unexplained, kind="unexplained"))
    held = [m for ms in booked.values() for m in ms] + list(outside)
    lines.append(
        BridgeLine(
            SNELSTART,
            len(held),
            _total(m.incl for m in held),
            _total(m.excl for m in held),
            kind="total",
        )
    )
    return lines


def group_rows(
    orders: Sequence[ShopOrder],
    booked: Mapping[int, Sequence[BookedOrder]],
    outside: Sequence[BookedOrder],
    *,
    key: str,
    keys: Sequence[Any] = (),
) -> list[GroupRow]:
    """Eligible shop orders against SnelStart, per ``day`` or ``payment``.

    A verkooporder counts in the group of its shop order; one not from this
    shop counts by its own date (per day) or on its own row (per payment).

    Args:
        orders: the shop orders of the period.
        booked: verkooporders per shop order id.
        outside: verkooporders not from this shop, dated in the period.
        key: ``"day"`` or ``"payment"``.
        keys: groups to show even when empty (e.g. every day).
    """
    sums: dict[Any, list[Any]] = defaultdict(lambda: [0, ZERO, 0, ZERO])
    for k in keys:
        sums[k]  # noqa: B018 - creates the empty group
    for order in orders:
        row = sums[getattr(order, key)]
        if order.eligible:
            row[0] += 1
            row[1] += order.incl
        matches = booked.get(order.order_id, ())
        row[2] += len(matches)
        row[3] += _total(m.incl for m in matches)
    for m in outside:
        row = sums[m.datum if key == "day" else NOT_FROM_SHOP_KEY]
        row[2] += 1
        row[3] += m.incl or ZERO
    return [
        GroupRow(str(k), s[0], s[1], s[2], s[3])
        for k, s in sorted(sums.items(), key=lambda item: str(item[0]))
    ]


def vat_rows(orders: Iterable[ShopOrder]) -> list[VatRow]:
    """The shop's amounts per VAT rate, highest rate first, residue last."""
    sums: dict[Decimal | None, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for order in orders:
        for rate, (excl, vat) in order.vat.items():
            sums[rate][0] += excl
            sums[rate][1] += vat
    ordered = sorted(sums, key=lambda r: (r is None, -(r or ZERO)))
    return [VatRow(rate, sums[rate][0], sums[rate][1]) for rate in ordered]
