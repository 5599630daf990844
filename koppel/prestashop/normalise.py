"""Pure functions from webservice records to staging DataFrames.

Nothing here talks to the network or to DuckDB: each function takes the
records of one batch (as the client returned them) plus the shop's
reference data and returns one typed frame per staging table. Zero dates
become NULL, names lose their HTML entities, shop-local times become UTC,
and secrets never reach a frame.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from koppel.prestashop.frames import frame
from koppel.prestashop.refs import Country, Currency, OrderState, Tax
from koppel.prestashop.shoptime import parse_shop_datetime
from koppel.prestashop.values import code, flag, ident, money, text, whole

__all__ = [
    "Refs",
    "addresses_frame",
    "customers_frame",
    "discounts_frame",
    "order_lines_frame",
    "orders_frame",
    "paid_dates",
    "payments_frame",
    "tax_rate_of",
]

Record = dict[str, Any]


@dataclass(frozen=True)
class Refs:
    """The reference data a batch is normalised against."""

    states: Mapping[int, OrderState]
    countries: Mapping[int, Country]
    currencies: Mapping[int, Currency]
    taxes: Mapping[int, Tax]
    language_id: int | None = None
    product_references: Mapping[int, str | None] = field(default_factory=dict)


def _currency_iso(refs: Refs, value: Any) -> str | None:
    currency = refs.currencies.get(ident(value) or 0)
    return None if currency is None else currency.iso_code


def paid_dates(
    histories: Iterable[Record], states: Mapping[int, OrderState], zone: ZoneInfo
) -> dict[int, datetime]:
    """When each order first entered a paid state, from ``order_histories``.

    Returns:
        UTC datetimes by order id; orders never paid are absent.
    """
    rows = sorted(
        histories, key=lambda h: (str(h.get("date_add")), whole(h.get("id")) or 0)
    )
    result: dict[int, datetime] = {}
    for row in rows:
        order_id = ident(row.get("id_order"))
        state = states.get(ident(row.get("id_order_state")) or 0)
        if order_id is None or order_id in result or not (state and state.paid):
            continue
        moment = parse_shop_datetime(row.get("date_add"), zone)
        if moment is not None:
            result[order_id] = moment
    return result


def _order_row(
    order: Record,
    refs: Refs,
    zone: ZoneInfo,
    import_states: list[str],
    paid_at: Mapping[int, datetime],
) -> Record:
    order_id = whole(order.get("id"))
    state_id = whole(order.get("current_state"))
    state = refs.states.get(state_id or 0)
    currency = refs.currencies.get(ident(order.get("id_currency")) or 0)
    return {
        "order_id": order_id,
        "reference": code(order.get("reference")),
        "id_shop": ident(order.get("id_shop")),
        "customer_id": ident(order.get("id_customer")),
        "address_delivery_id": ident(order.get("id_address_delivery")),
        "address_invoice_id": ident(order.get("id_address_invoice")),
        "carrier_id": ident(order.get("id_carrier")),
        "currency_iso": None if currency is None else currency.iso_code,
        "conversion_rate": money(order.get("conversion_rate")),
        "current_state": state_id,
        "state_name": None if state is None else state.name,
        "state_paid": None if state is None else state.paid,
        "state_logable": None if state is None else state.logable,
        "state_invoice": None if state is None else state.invoice,
        "eligible": state is not None and state.has_any(import_states),
        "payment": text(order.get("payment")),
        "module": code(order.get("module")),
        **{
            name: money(order.get(name))
            for name in (
                "total_products",
                "total_products_wt",
                "total_shipping_tax_incl",
                "total_shipping_tax_excl",
                "carrier_tax_rate",
                "total_wrapping_tax_incl",
                "total_wrapping_tax_excl",
                "total_discounts_tax_incl",
                "total_discounts_tax_excl",
                "total_paid_tax_incl",
                "total_paid_tax_excl",
                "total_paid_real",
            )
        },
        "gift": flag(order.get("gift")),
        "gift_message": text(order.get("gift_message")),
        "invoice_number": ident(order.get("invoice_number")),
        "invoice_date": parse_shop_datetime(order.get("invoice_date"), zone),
        "date_add": parse_shop_datetime(order.get("date_add"), zone),
        "date_upd": parse_shop_datetime(order.get("date_upd"), zone),
        "date_upd_local": code(order.get("date_upd")),
        "paid_at": paid_at.get(order_id or 0),
    }


def orders_frame(
    orders: Iterable[Record],
    refs: Refs,
    *,
    zone: ZoneInfo,
    import_states: list[str],
    paid_at: Mapping[int, datetime],
    hashes: Mapping[int, str],
    run_id: str,
    fetched_at: datetime,
) -> pd.DataFrame:
    """``stg_orders`` rows: one per order, eligibility from state flags.

    Args:
        orders: ``orders`` records (``display=full``).
        refs: the shop's states, currencies (and more) of this run.
        zone: the shop timezone, for the UTC columns.
        import_states: the flags that make an order eligible.
        paid_at: first paid moment per order (:func:`paid_dates`).
        hashes: the version hash per order id.
        run_id: this run.
        fetched_at: when the batch was read.

    Returns:
        The typed frame.
    """
    rows = []
    for order in orders:
        row = _order_row(order, refs, zone, import_states, paid_at)
        row["payload_hash"] = hashes.get(row["order_id"] or 0, "")
        row["run_id"] = run_id
        row["fetched_at"] = fetched_at
        rows.append(row)
    return frame(rows, "stg_orders")


def tax_rate_of(detail: Record, taxes: Mapping[int, Tax]) -> Decimal | None:
    """The VAT rate of an ``order_details`` record, or None when unknown.

    The rate comes from ``associations.taxes`` → ``taxes``. A line without
    taxes is 0 % only when its prices say so (incl equals excl); several
    taxes on one line, or a tax the shop no longer lists, are unknown.
    """
    links = (detail.get("associations") or {}).get("taxes") or []
    ids = [ident(link.get("id")) for link in links if isinstance(link, dict)]
    ids = [i for i in ids if i is not None]
    if not ids:
        incl = money(detail.get("unit_price_tax_incl"))
        excl = money(detail.get("unit_price_tax_excl"))
        same = incl is not None and excl is not None and incl == excl
        return Decimal("0.000") if same else None
    if len(set(ids)) != 1:
        return None
    tax = taxes.get(ids[0])
    return None if tax is None else tax.rate


def _line_row(source: Record, detail: Record | None, refs: Refs) -> Record:
    record = detail if detail is not None else source
    product_id = ident(record.get("product_id"))
    return {
        "line_id": whole(record.get("id")),
        "product_id": product_id,
        "product_attribute_id": ident(record.get("product_attribute_id")),
        "product_name": text(record.get("product_name"), refs.language_id),
        "product_reference": code(record.get("product_reference")),
        "product_base_reference": refs.product_references.get(product_id or 0),
        "product_ean13": code(record.get("product_ean13")),
        "quantity": whole(record.get("product_quantity")),
        "unit_price_tax_incl": money(record.get("unit_price_tax_incl")),
        "unit_price_tax_excl": money(record.get("unit_price_tax_excl")),
        "total_price_tax_incl": money(record.get("total_price_tax_incl")),
        "total_price_tax_excl": money(record.get("total_price_tax_excl")),
        "tax_rate": None if detail is None else tax_rate_of(detail, refs.taxes),
        "id_customization": ident(record.get("id_customization")),
    }


def order_lines_frame(
    orders: Iterable[Record],
    details: Iterable[Record],
    refs: Refs,
    *,
    run_id: str,
) -> pd.DataFrame:
    """``stg_order_lines`` rows, from ``order_details`` where available.

    Lines keep the order of the order's ``order_rows``; details the order
    does not list follow by id. A row without its ``order_details`` record
    is staged from ``order_rows`` with unknown totals and tax rate.
    """
    by_order: dict[int, dict[int, Record]] = defaultdict(dict)
    for detail in details:
        order_id, line_id = ident(detail.get("id_order")), whole(detail.get("id"))
        if order_id is not None and line_id is not None:
            by_order[order_id][line_id] = detail
    rows = []
    for order in orders:
        order_id = whole(order.get("id")) or 0
        found = by_order.get(order_id, {})
        listed = (order.get("associations") or {}).get("order_rows") or []
        sources = [r for r in listed if isinstance(r, dict)]
        listed_ids = {whole(r.get("id")) for r in sources}
        sources += [found[i] for i in sorted(found) if i not in listed_ids]
        for position, source in enumerate(sources, start=1):
            row = _line_row(source, found.get(whole(source.get("id")) or 0), refs)
            row.update(order_id=order_id, position=position, run_id=run_id)
            rows.append(row)
    return frame(rows, "stg_order_lines")


def customers_frame(
    customers: Iterable[Record], *, zone: ZoneInfo, run_id: str
) -> pd.DataFrame:
    """``stg_customers`` rows (never the password hash or secure key)."""
    rows = [
        {
            "customer_id": whole(c.get("id")),
            "email": code(c.get("email")),
            "firstname": text(c.get("firstname")),
            "lastname": text(c.get("lastname")),
            "company": text(c.get("company")),
            "siret": code(c.get("siret")),
            "is_guest": flag(c.get("is_guest")),
            "deleted": flag(c.get("deleted")),
            "id_lang": ident(c.get("id_lang")),
            "date_add": parse_shop_datetime(c.get("date_add"), zone),
            "date_upd": parse_shop_datetime(c.get("date_upd"), zone),
            "run_id": run_id,
        }
        for c in customers
    ]
    return frame(rows, "stg_customers")


def addresses_frame(
    addresses: Iterable[Record], refs: Refs, *, zone: ZoneInfo, run_id: str
) -> pd.DataFrame:
    """``stg_addresses`` rows with the country's ISO code resolved."""
    rows = []
    for a in addresses:
        country_id = ident(a.get("id_country"))
        country = refs.countries.get(country_id or 0)
        rows.append(
            {
                "address_id": whole(a.get("id")),
                "customer_id": ident(a.get("id_customer")),
                **{
                    name: text(a.get(name))
                    for name in (
                        "company",
                        "firstname",
                        "lastname",
                        "address1",
                        "address2",
                        "city",
                    )
                },
                "postcode": code(a.get("postcode")),
                "country_id": country_id,
                "country_iso": None if country is None else country.iso_code,
                "phone": code(a.get("phone")),
                "phone_mobile": code(a.get("phone_mobile")),
                "vat_number": code(a.get("vat_number")),
                "deleted": flag(a.get("deleted")),
                "date_upd": parse_shop_datetime(a.get("date_upd"), zone),
                "run_id": run_id,
            }
        )
    return frame(rows, "stg_addresses")


def payments_frame(
    payments: Iterable[Record], refs: Refs, *, zone: ZoneInfo, run_id: str
) -> pd.DataFrame:
    """``stg_payments`` rows, linked to orders by reference."""
    rows = [
        {
            "payment_id": whole(p.get("id")),
            "order_reference": code(p.get("order_reference")),
            "amount": money(p.get("amount")),
            "currency_iso": _currency_iso(refs, p.get("id_currency")),
            "payment_method": text(p.get("payment_method")),
            "transaction_id": code(p.get("transaction_id")),
            "date_add": parse_shop_datetime(p.get("date_add"), zone),
            "run_id": run_id,
        }
        for p in payments
    ]
    return frame(rows, "stg_payments")


def discounts_frame(cart_rules: Iterable[Record], *, run_id: str) -> pd.DataFrame:
    """``stg_discounts`` rows from ``order_cart_rules``."""
    rows = [
        {
            "discount_id": whole(r.get("id")),
            "order_id": ident(r.get("id_order")),
            "cart_rule_id": ident(r.get("id_cart_rule")),
            "name": text(r.get("name")),
            "value_tax_incl": money(r.get("value")),
            "value_tax_excl": money(r.get("value_tax_excl")),
            "free_shipping": flag(r.get("free_shipping")),
            "run_id": run_id,
        }
        for r in cart_rules
    ]
    return frame(rows, "stg_discounts")
