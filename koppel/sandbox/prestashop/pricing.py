"""Order arithmetic as PrestaShop does it with "round per line" (round_type 2).

Line prices keep six decimals; order totals are rounded to cents. A voucher's
tax-excluded part is split over the VAT rates pro rata to the tax-included
line totals; a free-shipping voucher discounts exactly the shipping. The
worked example of the reference (§2.13) comes out to the cent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "LineAmounts",
    "ZERO_MONEY",
    "Totals",
    "excl_from_incl",
    "line_amounts",
    "money",
    "order_totals",
    "rate_text",
]

ZERO = Decimal("0")
CENT = Decimal("0.01")
MICRO = Decimal("0.000001")
HUNDRED = Decimal("100")
ZERO_MONEY = "0.000000"


def money(value: Decimal) -> str:
    """Format as the webservice prints money: six decimals."""
    return str(value.quantize(MICRO, rounding=ROUND_HALF_UP))


def rate_text(rate: Decimal) -> str:
    """Format a VAT rate as the webservice prints it: three decimals."""
    return str(rate.quantize(Decimal("0.001")))


def cents(value: Decimal) -> Decimal:
    """Round half up to cents."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def excl_from_incl(incl: Decimal, rate: Decimal) -> Decimal:
    """The tax-excluded amount at six decimals."""
    return (incl / (1 + rate / HUNDRED)).quantize(MICRO, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineAmounts:
    """The money of one order line (unit and total, incl and excl)."""

    list_excl: Decimal
    unit_incl: Decimal
    unit_excl: Decimal
    total_incl: Decimal
    total_excl: Decimal
    rate: Decimal


def line_amounts(
    list_incl: Decimal,
    rate: Decimal,
    quantity: int,
    *,
    reduction_percent: Decimal = ZERO,
    exempt: bool = False,
) -> LineAmounts:
    """Price one line from the catalogue price including VAT.

    Args:
        list_incl: the product's price including VAT, before reductions.
        rate: the product's VAT rate in percent.
        quantity: units ordered.
        reduction_percent: a specific-price reduction on the unit price.
        exempt: VAT is not charged (EU B2B with a VAT number).

    Returns:
        Unit and line amounts; for exempt lines incl equals excl.
    """
    list_excl = excl_from_incl(list_incl, rate)
    unit_incl = cents(list_incl * (1 - reduction_percent / HUNDRED))
    unit_excl = excl_from_incl(unit_incl, rate)
    if exempt:
        unit_incl, rate = unit_excl, ZERO
    return LineAmounts(
        list_excl=list_excl,
        unit_incl=unit_incl,
        unit_excl=unit_excl,
        total_incl=unit_incl * quantity,
        total_excl=unit_excl * quantity,
        rate=rate,
    )


@dataclass(frozen=True)
class Totals:
    """Order header totals, all in cents."""

    products: Decimal
    products_wt: Decimal
    shipping_incl: Decimal
    shipping_excl: Decimal
    wrapping_incl: Decimal
    wrapping_excl: Decimal
    discounts_incl: Decimal
    discounts_excl: Decimal

    @property
    def paid_incl(self) -> Decimal:
        """``total_paid_tax_incl``."""
        return (
            self.products_wt
            + self.shipping_incl
            + self.wrapping_incl
            - self.discounts_incl
        )

    @property
    def paid_excl(self) -> Decimal:
        """``total_paid_tax_excl``."""
        return (
            self.products
            + self.shipping_excl
            + self.wrapping_excl
            - self.discounts_excl
        )


def order_totals(
    lines: Sequence[tuple[Decimal, Decimal, Decimal]],
    *,
    shipping_incl: Decimal = ZERO,
    shipping_rate: Decimal = ZERO,
    wrapping_incl: Decimal = ZERO,
    wrapping_rate: Decimal = ZERO,
    voucher_incl: Decimal = ZERO,
    free_shipping: bool = False,
) -> Totals:
    """Compute the header totals from line totals.

    Args:
        lines: (total incl, total excl, rate) per line.
        shipping_incl: shipping charged including VAT.
        shipping_rate: the carrier's VAT rate.
        wrapping_incl: gift-wrapping fee including VAT.
        wrapping_rate: VAT rate of the wrapping fee.
        voucher_incl: an amount voucher including VAT.
        free_shipping: a free-shipping voucher discounts the shipping.

    Returns:
        The totals, rounded per PrestaShop's per-line mode.
    """
    products_wt = cents(sum((incl for incl, _, _ in lines), ZERO))
    products = cents(sum((excl for _, excl, _ in lines), ZERO))
    shipping_excl = cents(excl_from_incl(shipping_incl, shipping_rate))
    wrapping_excl = cents(excl_from_incl(wrapping_incl, wrapping_rate))
    if free_shipping:
        discounts_incl, discounts_excl = shipping_incl, shipping_excl
    else:
        discounts_incl = voucher_incl
        discounts_excl = _voucher_excl(lines, voucher_incl)
    return Totals(
        products=products,
        products_wt=products_wt,
        shipping_incl=shipping_incl,
        shipping_excl=shipping_excl,
        wrapping_incl=wrapping_incl,
        wrapping_excl=wrapping_excl,
        discounts_incl=discounts_incl,
        discounts_excl=discounts_excl,
    )


def _voucher_excl(
    lines: Sequence[tuple[Decimal, Decimal, Decimal]], voucher_incl: Decimal
) -> Decimal:
    total = sum((incl for incl, _, _ in lines), ZERO)
    if not voucher_incl or not total:
        return ZERO
    bases: dict[Decimal, Decimal] = {}
    for incl, _, rate in lines:
        bases[rate] = bases.get(rate, ZERO) + incl
    excl = sum(
        (
            voucher_incl * base / total / (1 + rate / HUNDRED)
            for rate, base in bases.items()
        ),
        ZERO,
    )
    return cents(excl)
