"""Checks across staged tables and against the shop's reference data.

Each order must have lines; its lines, shipping and wrapping minus discounts
must add up to ``total_paid_tax_incl`` within the profile's tolerance; every
line's price must agree with its quantity and VAT rate, and that rate must be
one the shop knows; the currency must be the administration's; the customer
and both addresses must be staged, in a country the shop knows; no date may
lie in the future. Values with the wrong type are left to the pandera
contracts, which report them; these checks skip them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import duckdb
import pandas as pd

from koppel.money import ZERO
from koppel.quarantine import QuarantineEntry
from koppel.reasons import Reason
from koppel.staging import StagedOrders
from koppel.validation.contracts import describe
from koppel.validation.predicates import is_aware, is_decimal, is_int

__all__ = ["CheckContext", "Reference", "cross_table_entries", "read_reference"]

FUTURE_SLACK = timedelta(days=1)  # shop clocks and timezones drift a little
_DATES = ("date_add", "date_upd", "invoice_date", "paid_at")


@dataclass(frozen=True)
class Reference:
    """The shop's reference data; an empty set means "not fetched, not judged"."""

    countries: frozenset[str] = frozenset()
    tax_rates: frozenset[Decimal] = frozenset()


def read_reference(con: duckdb.DuckDBPyConnection) -> Reference:
    """Read the countries and VAT rates of the shop from ``ref_*`` tables."""
    countries = con.execute(
        "SELECT DISTINCT upper(iso_code) FROM ref_countries WHERE iso_code IS NOT NULL"
    ).fetchall()
    rates = con.execute(
        "SELECT DISTINCT rate FROM ref_taxes WHERE rate IS NOT NULL"
    ).fetchall()
    return Reference(
        countries=frozenset(r[0] for r in countries),
        tax_rates=frozenset(Decimal(r[0]) for r in rates),
    )


@dataclass(frozen=True)
class CheckContext:
    """What the checks compare against."""

    reference: Reference
    currency: str
    tolerance: Decimal
    now: datetime


Found = Iterator[QuarantineEntry]


def _entry(order_id: int, reason: Reason, field: str, value: Any, demand: str) -> Any:
    shown = None if value is None else str(value)
    return QuarantineEntry(
        order_id=int(order_id),
        reason=reason,
        field=field,
        value=shown,
        message=describe(field, demand, shown),
    )


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    columns = list(frame.columns)
    values = zip(*(frame[c].tolist() for c in columns), strict=True)
    return [dict(zip(columns, row, strict=True)) for row in values]


class _Batch:
    """The staged frames as records, grouped the way the checks need them."""

    def __init__(self, staged: StagedOrders) -> None:
        self.orders = [o for o in _records(staged.orders) if is_int(o.get("order_id"))]
        self.lines: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for line in _records(staged.lines):
            self.lines[line.get("order_id")].append(line)
        self.discounts: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in _records(staged.discounts):
            self.discounts[row.get("order_id")].append(row)
        self.payments: dict[Any, list[dict[str, Any]]] = defaultdict(list)
        for row in _records(staged.payments):
            self.payments[row.get("order_reference")].append(row)
        self.customers = {c.get("customer_id") for c in _records(staged.customers)}
        self.addresses = {a.get("address_id"): a for a in _records(staged.addresses)}


def _line_total(line: dict[str, Any]) -> Decimal | None:
    total = line.get("total_price_tax_incl")
    if is_decimal(total):
        return total
    unit, qty = line.get("unit_price_tax_incl"), line.get("quantity")
    return unit * qty if is_decimal(unit) and is_int(qty) else None


def _amount(order: dict[str, Any], column: str) -> Decimal | None:
    """An optional header amount: missing counts as zero, a bad type as None."""
    value = order.get(column)
    if value is None:
        return ZERO
    return value if is_decimal(value) else None


def _no_lines(order: dict[str, Any], batch: _Batch, ctx: CheckContext) -> Found:
    if not batch.lines.get(order["order_id"]):
        yield _entry(
            order["order_id"],
            Reason.NO_LINES,
            "order_lines",
            None,
            "is empty: an order needs at least one line",
        )


def _totals(order: dict[str, Any], batch: _Batch, ctx: CheckContext) -> Found:
    lines = batch.lines.get(order["order_id"], [])
    totals = [_line_total(line) for line in lines]
    if not lines or any(t is None for t in totals):
        return
    products = sum(totals, ZERO)
    wt = order.get("total_products_wt")
    if is_decimal(wt) and abs(products - wt) > ctx.tolerance:
        yield _entry(
            order["order_id"],
            Reason.TOTAL_MISMATCH,
            "orders.total_products_wt",
            wt,
            f"differs from the sum of the line totals {products} by more than "
            f"{ctx.tolerance}",
        )
    parts = [
        _amount(order, c)
        for c in (
            "total_shipping_tax_incl",
            "total_wrapping_tax_incl",
            "total_discounts_tax_incl",
        )
    ]
    paid = order.get("total_paid_tax_incl")
    if not is_decimal(paid) or any(p is None for p in parts):
        return
    shipping, wrapping, discounts = parts
    expected = products + shipping + wrapping - discounts
    if abs(expected - paid) > ctx.tolerance:
        yield _entry(
            order["order_id"],
            Reason.TOTAL_MISMATCH,
            "orders.total_paid_tax_incl",
            paid,
            f"differs from lines + shipping + wrapping - discounts = {expected} "
            f"by more than {ctx.tolerance}",
        )


def _line_prices(order: dict[str, Any], batch: _Batch, ctx: CheckContext) -> Found:
    for line in batch.lines.get(order["order_id"], []):
        where = f"order_lines[{line.get('line_id')}]"
        unit, qty = line.get("unit_price_tax_incl"), line.get("quantity")
        total = line.get("total_price_tax_incl")
        if is_decimal(unit) and is_int(qty) and is_decimal(total):
            if qty > 0 and abs(unit * qty - total) > ctx.tolerance:
                yield _entry(
                    order["order_id"],
                    Reason.LINE_PRICE_MISMATCH,
                    f"{where}.total_price_tax_incl",
                    total,
                    f"is not quantity x unit price = {unit * qty}",
                )
        excl, rate = line.get("unit_price_tax_excl"), line.get("tax_rate")
        if is_decimal(unit) and is_decimal(excl) and is_decimal(rate):
            implied = excl * (1 + rate / 100)
            if abs(implied - unit) > ctx.tolerance:
                yield _entry(
                    order["order_id"],
                    Reason.LINE_PRICE_MISMATCH,
                    f"{where}.tax_rate",
                    rate,
                    f"does not turn the unit price excl. VAT {excl} into "
                    f"the unit price incl. VAT {unit}",
                )


def _tax_rates(order: dict[str, Any], batch: _Batch, ctx: CheckContext) -> Found:
    known = ctx.reference.tax_rates
    if not known:
        return
    allowed = f"is not a VAT rate of the shop ({_rates(known)})"
    for line in batch.lines.get(order["order_id"], []):
        rate = line.get("tax_rate")
        if is_decimal(rate) and rate != 0 and rate not in known:
            field = f"order_lines[{line.get('line_id')}].tax_rate"
            yield _entry(
                order["order_id"], Reason.UNKNOWN_TAX_RATE, field, rate, allowed
            )
    rate, shipping = order.get("carrier_tax_rate"), order.get("total_shipping_tax_incl")
    charged = is_decimal(shipping) and shipping > 0
    if charged and is_decimal(rate) and rate != 0 and rate not in known:
        field = "orders.carrier_tax_rate"
        yield _entry(order["order_id"], Reason.UNKNOWN_TAX_RATE, field, rate, allowed)


def _rates(rates: frozenset[Decimal]) -> str:
    return ", ".join(f"{r.normalize():f}" for r in sorted(rates | {ZERO}))


def _currency(order: dict[str, Any], batch: _Batch, ctx: CheckContext) -> Found:
    allowed = f"must be the administration's currency `{ctx.currency}`"
    currency = order.get("currency_iso")
    if isinstance(currency, str) and currency.strip().upper() != ctx.currency:
        field = "orders.currency_iso"
        yield _entry(
            order["order_id"], Reason.FOREIGN_CURRENCY, field, currency, allowed
        )
    for payment in batch.payments.get(order.get("reference"), []):
        paid_in = payment.get("currency_iso")
        if isinstance(paid_in, str) and paid_in.strip().upper() != ctx.currency:
            field = f"payments[{payment.get('payment_id')}].currency_iso"
            yield _entry(
                order["order_id"], Reason.FOREIGN_CURRENCY, field, paid_in, allowed
            )


def _parties(order: dict[str, Any], batch: _Batch, ctx: CheckContext) -> Found:
    customer = order.get("customer_id")
    if is_int(customer) and customer not in batch.customers:
        yield _entry(
            order["order_id"],
            Reason.CUSTOMER_MISSING,
            "orders.customer_id",
            customer,
            "names a customer the shop did not return (deleted or never existed)",
        )
    for column in ("address_invoice_id", "address_delivery_id"):
        address_id = order.get(column)
        if is_int(address_id) and address_id not in batch.addresses:
            yield _entry(
                order["order_id"],
                Reason.ADDRESS_MISSING,
                f"orders.{column}",
                address_id,
                "names an address the shop did not return",
            )


def _countries(order: dict[str, Any], batch: _Batch, ctx: CheckContext) -> Found:
    known = ctx.reference.countries
    if not known:
        return
    ids = {order.get("address_invoice_id"), order.get("address_delivery_id")}
    for address_id in sorted(i for i in ids if is_int(i)):
        iso = batch.addresses.get(address_id, {}).get("country_iso")
        if isinstance(iso, str) and iso.upper() not in known:
            field = f"addresses[{address_id}].country_iso"
            demand = "is not a country of the shop (`ref_countries`)"
            yield _entry(order["order_id"], Reason.BAD_COUNTRY, field, iso, demand)


def _future(order: dict[str, Any], batch: _Batch, ctx: CheckContext) -> Found:
    latest = ctx.now + FUTURE_SLACK
    for column in _DATES:
        value = order.get(column)
        if is_aware(value) and value > latest:
            yield _entry(
                order["order_id"],
                Reason.BAD_DATE,
                f"orders.{column}",
                value.isoformat(),
                f"lies in the future (now is {ctx.now.isoformat()})",
            )


def _discounts(order: dict[str, Any], batch: _Batch, ctx: CheckContext) -> Found:
    rows = batch.discounts.get(order["order_id"], [])
    values = [r.get("value_tax_incl") for r in rows]
    header = order.get("total_discounts_tax_incl")
    if not rows or not all(is_decimal(v) for v in values) or not is_decimal(header):
        return
    total = sum(values, ZERO)
    if abs(total - header) > ctx.tolerance:
        yield _entry(
            order["order_id"],
            Reason.TOTAL_MISMATCH,
            "orders.total_discounts_tax_incl",
            header,
            f"differs from the order's cart rules, which add up to {total}",
        )


CHECKS: tuple[Callable[[dict[str, Any], _Batch, CheckContext], Found], ...] = (
    _no_lines,
    _totals,
    _line_prices,
    _tax_rates,
    _currency,
    _parties,
    _countries,
    _future,
    _discounts,
)


def cross_table_entries(
    staged: StagedOrders, ctx: CheckContext
) -> list[QuarantineEntry]:
    """Run every cross-table check on every staged order.

    Args:
        staged: the frames of the orders to validate.
        ctx: reference data, currency, tolerance and the current time.

    Returns:
        One entry per problem found; orders without problems have none.
    """
    batch = _Batch(staged)
    return [
        e
        for order in batch.orders
        for check in CHECKS
        for e in check(order, batch, ctx)
    ]
