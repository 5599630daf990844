"""Typed DataFrames for the staging tables extraction writes.

The column lists mirror ``koppel/staging.py`` (a test compares them with
the DuckDB schema). Money and rates stay Decimal objects; ids are nullable
integers; flags nullable booleans; timestamps microsecond UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

import pandas as pd

__all__ = ["COLUMNS", "frame"]

Kind = Literal["int", "bool", "dec", "str", "ts"]

_I, _B, _D, _S, _T = "int", "bool", "dec", "str", "ts"

COLUMNS: dict[str, dict[str, Kind]] = {
    "raw_records": {
        "resource": _S,
        "record_id": _I,
        "payload_hash": _S,
        "date_upd": _S,
        "fetched_at": _T,
        "run_id": _S,
        "payload": _S,
    },
    "stg_orders": {
        "order_id": _I,
        "reference": _S,
        "id_shop": _I,
        "customer_id": _I,
        "address_delivery_id": _I,
        "address_invoice_id": _I,
        "carrier_id": _I,
        "currency_iso": _S,
        "conversion_rate": _D,
        "current_state": _I,
        "state_name": _S,
        "state_paid": _B,
        "state_logable": _B,
        "state_invoice": _B,
        "eligible": _B,
        "payment": _S,
        "module": _S,
        "total_products": _D,
        "total_products_wt": _D,
        "total_shipping_tax_incl": _D,
        "total_shipping_tax_excl": _D,
        "carrier_tax_rate": _D,
        "total_wrapping_tax_incl": _D,
        "total_wrapping_tax_excl": _D,
        "total_discounts_tax_incl": _D,
        "total_discounts_tax_excl": _D,
        "total_paid_tax_incl": _D,
        "total_paid_tax_excl": _D,
        "total_paid_real": _D,
        "gift": _B,
        "gift_message": _S,
        "invoice_number": _I,
        "invoice_date": _T,
        "date_add": _T,
        "date_upd": _T,
        "date_upd_local": _S,
        "paid_at": _T,
        "payload_hash": _S,
        "run_id": _S,
        "fetched_at": _T,
    },
    "stg_order_lines": {
        "line_id": _I,
        "order_id": _I,
        "position": _I,
        "product_id": _I,
        "product_attribute_id": _I,
        "product_name": _S,
        "product_reference": _S,
        "product_base_reference": _S,
        "product_ean13": _S,
        "quantity": _I,
        "unit_price_tax_incl": _D,
        "unit_price_tax_excl": _D,
        "total_price_tax_incl": _D,
        "total_price_tax_excl": _D,
        "tax_rate": _D,
        "id_customization": _I,
        "run_id": _S,
    },
    "stg_customers": {
        "customer_id": _I,
        "email": _S,
        "firstname": _S,
        "lastname": _S,
        "company": _S,
        "siret": _S,
        "is_guest": _B,
        "deleted": _B,
        "id_lang": _I,
        "date_add": _T,
        "date_upd": _T,
        "run_id": _S,
    },
    "stg_addresses": {
        "address_id": _I,
        "customer_id": _I,
        "company": _S,
        "firstname": _S,
        "lastname": _S,
        "address1": _S,
        "address2": _S,
        "postcode": _S,
        "city": _S,
        "country_id": _I,
        "country_iso": _S,
        "phone": _S,
        "phone_mobile": _S,
        "vat_number": _S,
        "deleted": _B,
        "date_upd": _T,
        "run_id": _S,
    },
    "stg_payments": {
        "payment_id": _I,
        "order_reference": _S,
        "amount": _D,
        "currency_iso": _S,
        "payment_method": _S,
        "transaction_id": _S,
        "date_add": _T,
        "run_id": _S,
    },
    "stg_discounts": {
        "discount_id": _I,
        "order_id": _I,
        "cart_rule_id": _I,
        "name": _S,
        "value_tax_incl": _D,
        "value_tax_excl": _D,
        "free_shipping": _B,
        "run_id": _S,
    },
    "ref_order_states": {
        "state_id": _I,
        "name": _S,
        "paid": _B,
        "logable": _B,
        "invoice": _B,
        "shipped": _B,
        "delivery": _B,
    },
    "ref_countries": {"country_id": _I, "iso_code": _S, "name": _S},
    "ref_currencies": {"currency_id": _I, "iso_code": _S, "conversion_rate": _D},
    "ref_taxes": {"tax_id": _I, "rate": _D, "name": _S},
}

KEYS: dict[str, tuple[str, ...]] = {
    "raw_records": ("resource", "record_id", "payload_hash"),
    "stg_orders": ("order_id",),
    "stg_order_lines": ("line_id",),
    "stg_customers": ("customer_id",),
    "stg_addresses": ("address_id",),
    "stg_payments": ("payment_id",),
    "stg_discounts": ("discount_id",),
    "ref_order_states": ("state_id",),
    "ref_countries": ("country_id",),
    "ref_currencies": ("currency_id",),
    "ref_taxes": ("tax_id",),
}

_DTYPES: dict[str, Any] = {
    "int": "Int64",
    "bool": "boolean",
    "dec": object,
    "str": object,
    "ts": "datetime64[us, UTC]",
}


def frame(rows: Iterable[dict[str, Any]], table: str) -> pd.DataFrame:
    """Build a typed frame for ``table`` from row dicts (missing keys: NULL)."""
    columns = COLUMNS[table]
    rows = list(rows)
    data = {
        name: pd.Series([row.get(name) for row in rows], dtype=_DTYPES[kind])
        for name, kind in columns.items()
    }
    return pd.DataFrame(data, columns=list(columns))


def for_duckdb(data: pd.DataFrame, table: str) -> pd.DataFrame:
    """Decimals as exact strings, so DuckDB casts them without guessing a
    width from a sample."""
    out = data.copy()
    for name, kind in COLUMNS[table].items():
        if kind == "dec" and name in out:
            out[name] = out[name].map(
                lambda v: None if v is None or v is pd.NA else format(v, "f")
            )
    return out
