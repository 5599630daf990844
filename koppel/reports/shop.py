"""The shop's side of a reconciliation: orders, amounts and VAT per rate.

The period is a range of whole days in the shop's timezone. An order's VAT
split comes from its lines (per ``tax_rate``), shipping (at
``carrier_tax_rate``) and gift wrapping, less discounts spread over the line
rates in proportion to the lines; whatever the order total holds beyond that
(a shop's own rounding) is kept apart as a residue, so the split always adds
up to the order's total.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pandas as pd

from koppel.money import ZERO, to_cents

__all__ = ["ShopOrder", "day_bounds", "period_days", "shop_orders"]


def period_days(since: date, until: date, zone: ZoneInfo) -> tuple[date, date]:
    """Normalise the period to local days; aware datetimes become their date.

    Raises:
        ValueError: for naive datetimes, or ``until`` before ``since``.
    """
    days = []
    for name, value in (("since", since), ("until", until)):
        if isinstance(value, datetime):
            if value.tzinfo is None:
                msg = f"`{name}` must be a date or an aware datetime, got {value!r}"
                raise ValueError(msg)
            value = value.astimezone(zone).date()
        days.append(value)
    first, last = days
    if last < first:
        msg = f"`until` {last.isoformat()!r} is before `since` {first.isoformat()!r}"
        raise ValueError(msg)
    return first, last


def day_bounds(since: date, until: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Local midnight of ``since`` and of the day after ``until``, aware."""
    start = datetime.combine(since, time(), tzinfo=zone)
    end = datetime.combine(until + timedelta(days=1), time(), tzinfo=zone)
    return start, end


@dataclass
class ShopOrder:
    """One staged order as the reconciliation sees it.

    ``vat`` maps a VAT rate (None for the rounding residue) to the
    (excl, vat) amounts of the order at that rate.
    """

    order_id: int
    reference: str
    eligible: bool
    day: date
    payment: str
    incl: Decimal
    excl: Decimal
    payload_hash: str | None
    vat: dict[Decimal | None, tuple[Decimal, Decimal]] = field(default_factory=dict)

    @property
    def residue(self) -> Decimal:
        """What the order total holds beyond its lines, shipping and discounts."""
        excl, vat = self.vat.get(None, (ZERO, ZERO))
        return excl + vat


def _d(value: object) -> Decimal:
    if value is None or (isinstance(value, float) and value != value):
        return ZERO
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def _rate(value: object) -> Decimal | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return _d(value).normalize()


def _implied_rate(incl: Decimal, excl: Decimal, stated: Decimal | None) -> Decimal:
    """The stated rate, else the whole percentage that incl/excl implies."""
    if stated:
        return stated
    if excl == ZERO:
        return ZERO
    return ((incl / excl - 1) * 100).quantize(Decimal("1")).normalize()


def _spread(
    amount: Decimal, weights: dict[Decimal | None, Decimal]
) -> dict[Decimal | None, Decimal]:
    """Split ``amount`` over the keys by weight, to the cent, summing exactly."""
    total = sum(weights.values(), ZERO)
    if not weights or total == ZERO:
        return {}
    keys = sorted(weights, key=lambda k: (k is None, k or ZERO))
    parts = {k: to_cents(amount * weights[k] / total) for k in keys[:-1]}
    parts[keys[-1]] = amount - sum(parts.values(), ZERO)
    return parts


def _vat_split(
    row: pd.Series, lines: Iterable[tuple[Decimal | None, Decimal, Decimal]]
) -> dict[Decimal | None, tuple[Decimal, Decimal]]:
    incl: dict[Decimal | None, Decimal] = defaultdict(lambda: ZERO)
    excl: dict[Decimal | None, Decimal] = defaultdict(lambda: ZERO)
    for rate, line_incl, line_excl in lines:
        incl[rate] += line_incl
        excl[rate] += line_excl
    weights = dict(incl)
    for rate, part in _spread(_d(row["total_discounts_tax_incl"]), weights).items():
        incl[rate] -= part
    for rate, part in _spread(_d(row["total_discounts_tax_excl"]), weights).items():
        excl[rate] -= part
    for kind, stated in (("shipping", row["carrier_tax_rate"]), ("wrapping", None)):
        extra_incl = _d(row[f"total_{kind}_tax_incl"])
        extra_excl = _d(row[f"total_{kind}_tax_excl"])
        if extra_incl or extra_excl:
            rate = _implied_rate(extra_incl, extra_excl, _rate(stated))
            incl[rate] += extra_incl
            excl[rate] += extra_excl
    incl[None] = _d(row["total_paid_tax_incl"]) - sum(incl.values(), ZERO)
    excl[None] = _d(row["total_paid_tax_excl"]) - sum(excl.values(), ZERO)
    return {
        rate: (excl[rate], incl[rate] - excl[rate])
        for rate in incl
        if incl[rate] != ZERO or excl[rate] != ZERO
    }


def _day(value: object, zone: ZoneInfo) -> date:
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return value.astimezone(zone).date()
    msg = f"order date {value!r} is not a timestamp"
    raise ValueError(msg)


def shop_orders(
    orders: pd.DataFrame, line_totals: pd.DataFrame, zone: ZoneInfo
) -> list[ShopOrder]:
    """Build the shop orders of the period from staged rows.

    Args:
        orders: rows of :func:`koppel.reports.sources.read_shop_orders`.
        line_totals: rows of :func:`koppel.reports.sources.read_line_totals`.
        zone: the shop timezone (days are local days).
    """
    lines: dict[int, list[tuple[Decimal | None, Decimal, Decimal]]] = defaultdict(list)
    for row in line_totals.itertuples(index=False):
        lines[int(row.order_id)].append(
            (_rate(row.tax_rate), _d(row.incl), _d(row.excl))
        )
    result = []
    for _, row in orders.iterrows():
        order_id = int(row["order_id"])
        result.append(
            ShopOrder(
                order_id=order_id,
                reference=str(row["reference"] or ""),
                eligible=bool(row["eligible"]),
                day=_day(row["placed_at"], zone),
                payment=str(row["payment"] or row["module"] or "(unknown)"),
                incl=_d(row["total_paid_tax_incl"]),
                excl=_d(row["total_paid_tax_excl"]),
                payload_hash=row["payload_hash"],
                vat=_vat_split(row, lines.get(order_id, [])),
            )
        )
    return result
