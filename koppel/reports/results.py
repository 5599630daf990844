"""What a reconciliation produces: plain data plus Markdown and table views.

Every per-order difference carries a :class:`Category` (the diagnosis) and
whether that diagnosis *explains* the difference. Expected differences
(quarantine, an order not eligible yet, a rounding line, ...) are explained.
Differences that nobody in the pipeline caused or approved (an order edited,
deleted or booked twice in SnelStart, or amounts that differ for no known
reason) are diagnosed but count as unexplained: the "unexplained" line of the
bridge is their sum and should be zero.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from koppel.money import ZERO, to_cents

__all__ = [
    "EXPLAINED",
    "BridgeLine",
    "Category",
    "GroupRow",
    "OrderDifference",
    "ReconciliationReport",
    "VatRow",
    "format_money",
]


class Category(StrEnum):
    """Why a shop order and SnelStart differ (stable codes, shown in reports)."""

    NOT_YET_ELIGIBLE = "not_yet_eligible"
    QUARANTINED = "quarantined"
    AWAITING_BOOKING = "awaiting_booking"
    CANCELLED_AFTER_BOOKING = "cancelled_after_booking"
    CHANGED_IN_SHOP = "changed_in_shop"
    ROUNDING_LINE = "rounding_line"
    NOT_FROM_SHOP = "not_from_shop"
    MISSING_IN_SNELSTART = "missing_in_snelstart"
    CHANGED_IN_SNELSTART = "changed_in_snelstart"
    DUPLICATE_IN_SNELSTART = "duplicate_in_snelstart"
    UNEXPLAINED = "unexplained"

    @property
    def label(self) -> str:
        """A short description for people."""
        return _LABELS[self]


_LABELS = {
    Category.NOT_YET_ELIGIBLE: "not (yet) eligible in the shop",
    Category.QUARANTINED: "quarantined",
    Category.AWAITING_BOOKING: "not booked yet (next run)",
    Category.CANCELLED_AFTER_BOOKING: "cancelled or refunded after booking",
    Category.CHANGED_IN_SHOP: "changed in the shop after booking",
    Category.ROUNDING_LINE: "rounding line / VAT rounding",
    Category.NOT_FROM_SHOP: "in SnelStart, not from this shop",
    Category.MISSING_IN_SNELSTART: "missing in SnelStart (booked, then removed)",
    Category.CHANGED_IN_SNELSTART: "changed in SnelStart after booking",
    Category.DUPLICATE_IN_SNELSTART: "booked more than once in SnelStart",
    Category.UNEXPLAINED: "amounts differ, no known cause",
}

EXPLAINED = frozenset(
    {
        Category.NOT_YET_ELIGIBLE,
        Category.QUARANTINED,
        Category.AWAITING_BOOKING,
        Category.CANCELLED_AFTER_BOOKING,
        Category.CHANGED_IN_SHOP,
        Category.ROUNDING_LINE,
        Category.NOT_FROM_SHOP,
    }
)


def format_money(value: Decimal | None) -> str:
    """``1234.5`` -> ``"1,234.50"``; None -> ``""``."""
    if value is None:
        return ""
    return f"{to_cents(value):,.2f}"


@dataclass(frozen=True)
class OrderDifference:
    """One order whose shop and SnelStart amounts differ, and why.

    Amounts are the shop's *eligible* amount (zero when the order is not
    eligible) and what SnelStart holds for it; ``difference = shop - booked``.
    """

    category: Category
    order_id: int | None
    reference: str | None
    snelstart_nummers: tuple[int, ...]
    shop_incl: Decimal
    shop_excl: Decimal
    booked_incl: Decimal
    booked_excl: Decimal
    detail: str = ""

    @property
    def explained(self) -> bool:
        """Whether the category explains the difference."""
        return self.category in EXPLAINED

    @property
    def difference_incl(self) -> Decimal:
        """Shop minus SnelStart, including VAT."""
        return self.shop_incl - self.booked_incl

    @property
    def difference_excl(self) -> Decimal:
        """Shop minus SnelStart, excluding VAT."""
        return self.shop_excl - self.booked_excl

    def to_row(self) -> dict[str, str]:
        """A flat row of strings for tables."""
        return {
            "order": "" if self.order_id is None else str(self.order_id),
            "reference": self.reference or "",
            "snelstart": ", ".join(str(n) for n in self.snelstart_nummers),
            "category": str(self.category),
            "explained": "yes" if self.explained else "NO",
            "shop_incl": format_money(self.shop_incl),
            "snelstart_incl": format_money(self.booked_incl),
            "difference_incl": format_money(self.difference_incl),
            "difference_excl": format_money(self.difference_excl),
            "detail": self.detail,
        }


@dataclass(frozen=True)
class BridgeLine:
    """One line of the bridge from the shop's totals to SnelStart's."""

    label: str
    orders: int
    incl: Decimal
    excl: Decimal
    category: Category | None = None
    kind: str = "step"  # "total", "step" or "unexplained"

    def to_row(self) -> dict[str, str]:
        """A flat row of strings for tables."""
        return {
            "line": self.label,
            "orders": str(self.orders),
            "incl_vat": format_money(self.incl),
            "excl_vat": format_money(self.excl),
        }


@dataclass(frozen=True)
class GroupRow:
    """Shop against SnelStart for one day or one payment method."""

    key: str
    shop_orders: int
    shop_incl: Decimal
    booked_orders: int
    booked_incl: Decimal

    @property
    def difference_incl(self) -> Decimal:
        """Shop minus SnelStart."""
        return self.shop_incl - self.booked_incl


@dataclass(frozen=True)
class VatRow:
    """The shop's eligible amounts at one VAT rate (None: rounding residue)."""

    rate: Decimal | None
    excl: Decimal
    vat: Decimal

    @property
    def incl(self) -> Decimal:
        """Including VAT."""
        return self.excl + self.vat

    @property
    def label(self) -> str:
        """``21%``, or ``rounding`` for the residue."""
        if self.rate is None:
            return "rounding"
        return f"{self.rate.normalize():f}%"


@dataclass
class ReconciliationReport:
    """Shop against SnelStart for one profile and period.

    Attributes:
        profile: profile name.
        since, until: the period, both days included, in the shop timezone.
        generated_at: when the report was made (aware).
        bridge: from the shop's placed orders to SnelStart's total.
        differences: one entry per order whose amounts differ.
        by_day, by_payment: eligible shop orders against what SnelStart holds.
        vat: the shop's eligible amounts per VAT rate.
        snelstart_vat: VAT in SnelStart for this shop's orders.
        shop_vat_booked: the shop's VAT of the eligible orders SnelStart
            holds, to set against ``snelstart_vat``.
        notes: caveats (e.g. a table that does not exist yet).
    """

    profile: str
    since: date
    until: date
    generated_at: datetime
    bridge: list[BridgeLine] = field(default_factory=list)
    differences: list[OrderDifference] = field(default_factory=list)
    by_day: list[GroupRow] = field(default_factory=list)
    by_payment: list[GroupRow] = field(default_factory=list)
    vat: list[VatRow] = field(default_factory=list)
    snelstart_vat: Decimal = ZERO
    shop_vat_booked: Decimal = ZERO
    matched: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def unexplained(self) -> list[OrderDifference]:
        """Differences no category explains."""
        return [d for d in self.differences if not d.explained]

    @property
    def unexplained_incl(self) -> Decimal:
        """Sum of unexplained differences including VAT."""
        return sum((d.difference_incl for d in self.unexplained), ZERO)

    @property
    def unexplained_excl(self) -> Decimal:
        """Sum of unexplained differences excluding VAT."""
        return sum((d.difference_excl for d in self.unexplained), ZERO)

    @property
    def is_clean(self) -> bool:
        """True when no difference is unexplained."""
        return not self.unexplained

    def line(self, label: str) -> BridgeLine:
        """The bridge line with this label (KeyError when absent)."""
        for item in self.bridge:
            if item.label == label:
                return item
        raise KeyError(label)

    def to_table_rows(self) -> list[dict[str, str]]:
        """The bridge as rows for a Prefect table artifact."""
        return [b.to_row() for b in self.bridge]

    def difference_rows(self) -> list[dict[str, str]]:
        """Per-order differences as rows (unexplained first)."""
        ordered = sorted(self.differences, key=lambda d: (d.explained, d.category))
        return [d.to_row() for d in ordered]

    def to_markdown(self, *, max_orders: int = 50) -> str:
        """A Markdown summary for a Prefect artifact or the terminal."""
        from koppel.reports.markdown import reconciliation_markdown

        return reconciliation_markdown(self, max_orders=max_orders)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view; money as strings, never floats."""
        return {
            "profile": self.profile,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "generated_at": self.generated_at.isoformat(),
            "matched": self.matched,
            "unexplained_orders": len(self.unexplained),
            "unexplained_incl": _s(self.unexplained_incl),
            "unexplained_excl": _s(self.unexplained_excl),
            "bridge": [
                {
                    "line": b.label,
                    "category": None if b.category is None else str(b.category),
                    "kind": b.kind,
                    "orders": b.orders,
                    "incl": _s(b.incl),
                    "excl": _s(b.excl),
                }
                for b in self.bridge
            ],
            "differences": [_difference_dict(d) for d in self.differences],
            "by_day": _groups(self.by_day),
            "by_payment": _groups(self.by_payment),
            "vat": [
                {
                    "rate": None if v.rate is None else _s(v.rate),
                    "excl": _s(v.excl),
                    "vat": _s(v.vat),
                    "incl": _s(v.incl),
                }
                for v in self.vat
            ],
            "snelstart_vat": _s(self.snelstart_vat),
            "shop_vat_booked": _s(self.shop_vat_booked),
            "notes": list(self.notes),
        }


def _s(value: Decimal) -> str:
    return format(value, "f")


def _difference_dict(d: OrderDifference) -> dict[str, Any]:
    return {
        "order_id": d.order_id,
        "reference": d.reference,
        "snelstart_nummers": list(d.snelstart_nummers),
        "category": str(d.category),
        "explained": d.explained,
        "shop_incl": _s(d.shop_incl),
        "shop_excl": _s(d.shop_excl),
        "booked_incl": _s(d.booked_incl),
        "booked_excl": _s(d.booked_excl),
        "difference_incl": _s(d.difference_incl),
        "difference_excl": _s(d.difference_excl),
        "detail": d.detail,
    }


def _groups(rows: Iterable[GroupRow]) -> list[dict[str, Any]]:
    return [
        {
            "key": r.key,
            "shop_orders": r.shop_orders,
            "shop_incl": _s(r.shop_incl),
            "booked_orders": r.booked_orders,
            "booked_incl": _s(r.booked_incl),
        }
        for r in rows
    ]
