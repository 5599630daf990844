"""Server-computed amounts of a verkooporder (pure, Decimal throughout).

Order lines carry no VAT code: each line's VAT kind is the ``btwSoort`` of
its article's omzetgroep, at the btwtarief whose window holds the order date.
Line totals are quantity × unit price less the line discount, rounded to
cents half up; with ``BerekenenOverStukprijs`` the discount is applied to the
unit price first. VAT is computed per VAT kind over the summed lines (after
the order's ``factuurkorting``), the way an invoice shows it; ``Inclusief``
orders take VAT out of the gross sums, ``Exclusief`` orders add it on top.
Lines without an article are taken as VAT kind ``Geen``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from koppel.sandbox.snelstart.jsonwire import coerce_decimal

__all__ = ["OrderTotals", "compute_line_total", "compute_totals", "rate_on"]

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class OrderTotals:
    """Totals of an order; ``per_kind`` maps btwSoort -> (excl, vat)."""

    line_totals: tuple[Decimal, ...]
    excl: Decimal
    incl: Decimal
    per_kind: dict[str, tuple[Decimal, Decimal]]


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def compute_line_total(
    regel: Mapping[str, Any], *, discount_on_unit_price: bool = False
) -> Decimal:
    """Quantity × unit price less the line discount, in cents.

    Args:
        regel: a VerkooporderRegelModel dict (numbers as Decimal or str).
        discount_on_unit_price: apply ``kortingsPercentage`` to the unit price
            (rounded to cents) instead of to the line amount.
    """
    price = coerce_decimal(regel.get("stuksprijs")) or Decimal(0)
    quantity = coerce_decimal(regel.get("aantal"))
    quantity = Decimal(1) if quantity is None else quantity
    discount = coerce_decimal(regel.get("kortingsPercentage")) or Decimal(0)
    factor = (HUNDRED - discount) / HUNDRED
    if discount_on_unit_price:
        return _cents(_cents(price * factor) * quantity)
    return _cents(price * quantity * factor)


def rate_on(
    tarieven: Iterable[Mapping[str, Any]], soort: str, day: datetime
) -> Decimal:
    """The VAT percentage of a btwSoort valid on a day.

    Raises:
        LookupError: no btwtarief of that kind covers the day.
    """
    for tarief in tarieven:
        if tarief.get("btwSoort") != soort:
            continue
        start = datetime.fromisoformat(str(tarief["datumVanaf"]))
        end = datetime.fromisoformat(str(tarief["datumTotEnMet"]))
        if start.date() <= day.date() <= end.date():
            return coerce_decimal(tarief["btwPercentage"]) or Decimal(0)
    msg = f"no btwtarief of kind {soort!r} covers {day.date().isoformat()}"
    raise LookupError(msg)


def compute_totals(
    regels: list[Mapping[str, Any]],
    kinds: list[str],
    rates: Mapping[str, Decimal],
    *,
    inclusive: bool,
    factuurkorting: Decimal = Decimal(0),
    discount_on_unit_price: bool = False,
) -> OrderTotals:
    """Line totals and order totals excluding and including VAT.

    Args:
        regels: the order lines.
        kinds: the btwSoort of each line (same order as ``regels``).
        rates: VAT percentage per btwSoort on the order date.
        inclusive: True when unit prices include VAT (``Inclusief``).
        factuurkorting: order-level discount percentage.
        discount_on_unit_price: see `compute_line_total`.
    """
    line_totals = tuple(
        compute_line_total(r, discount_on_unit_price=discount_on_unit_price)
        for r in regels
    )
    sums: dict[str, Decimal] = {}
    for kind, total in zip(kinds, line_totals, strict=True):
        sums[kind] = sums.get(kind, Decimal(0)) + total
    keep = (HUNDRED - factuurkorting) / HUNDRED
    per_kind: dict[str, tuple[Decimal, Decimal]] = {}
    for kind, amount in sums.items():
        amount = _cents(amount * keep)
        rate = rates.get(kind, Decimal(0))
        if inclusive:
            vat = _cents(amount * rate / (HUNDRED + rate))
            per_kind[kind] = (amount - vat, vat)
        else:
            per_kind[kind] = (amount, _cents(amount * rate / HUNDRED))
    excl = sum((e for e, _ in per_kind.values()), Decimal("0.00"))
    vat_total = sum((v for _, v in per_kind.values()), Decimal("0.00"))
    return OrderTotals(line_totals, excl, excl + vat_total, per_kind)
