"""pandera contracts of the staged tables, one DataFrameModel per table.

The frames come from :func:`koppel.staging.read_staged` with object dtype
(money stays Decimal), so every column is declared ``Series[object]`` and
types are element checks: money is a finite Decimal (never float), ids are
ints, flags are bools, timestamps are timezone-aware.

Every check is named after the :class:`~koppel.reasons.Reason` it proves,
optionally with a ``:detail`` suffix (``bad_type:decimal``); a column's
``metadata["null"]`` names the reason for a missing value (default
``missing_field``). Frame-wide checks report the column in
:data:`FRAME_CHECK_FIELDS`. Uniqueness of the shop's ids is the staging
tables' primary key; only order lines (and discounts) declare it here,
because a duplicate there is a data problem of the order.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from koppel.reasons import Reason
from koppel.validation import formats
from koppel.validation import predicates as v

__all__ = [
    "FRAME_CHECK_FIELDS",
    "MODELS",
    "AddressSchema",
    "CustomerSchema",
    "DiscountSchema",
    "OrderLineSchema",
    "OrderSchema",
    "PaymentSchema",
]

# Frame-wide checks and the column they report.
FRAME_CHECK_FIELDS: dict[str, str] = {
    "bad_date:order": "date_upd",
    "bad_postcode": "postcode",
    "bad_vat_number": "vat_number",
    "missing_field:name": "lastname",
}


def _field(*, null: Reason | None = None, **kwargs: Any) -> Any:
    """A column that may not be missing; ``null`` is the reason if it is."""
    meta = {"null": null or Reason.MISSING_FIELD}
    return pa.Field(nullable=False, metadata=meta, **kwargs)


def _optional(**kwargs: Any) -> Any:
    return pa.Field(nullable=True, **kwargs)


class _Config:
    strict = False  # staging bookkeeping columns (run_id, ...) are not judged
    coerce = False


class OrderSchema(pa.DataFrameModel):
    """``stg_orders``: one row per order version."""

    order_id: Series[object] = _field()
    reference: Series[object] = _field()
    customer_id: Series[object] = _field(null=Reason.CUSTOMER_MISSING)
    address_delivery_id: Series[object] = _field(null=Reason.ADDRESS_MISSING)
    address_invoice_id: Series[object] = _field(null=Reason.ADDRESS_MISSING)
    currency_iso: Series[object] = _field()
    conversion_rate: Series[object] = _optional()
    eligible: Series[object] = _field()
    total_products: Series[object] = _optional()
    total_products_wt: Series[object] = _optional()
    total_shipping_tax_incl: Series[object] = _optional()
    total_shipping_tax_excl: Series[object] = _optional()
    carrier_tax_rate: Series[object] = _optional()
    total_wrapping_tax_incl: Series[object] = _optional()
    total_wrapping_tax_excl: Series[object] = _optional()
    total_discounts_tax_incl: Series[object] = _optional()
    total_discounts_tax_excl: Series[object] = _optional()
    total_paid_tax_incl: Series[object] = _field()
    total_paid_tax_excl: Series[object] = _optional()
    total_paid_real: Series[object] = _optional()
    invoice_date: Series[object] = _optional()
    date_add: Series[object] = _field(null=Reason.ZERO_DATE)
    date_upd: Series[object] = _field(null=Reason.ZERO_DATE)
    paid_at: Series[object] = _optional()
    payload_hash: Series[object] = _field()

    class Config(_Config):
        name = "orders"

    _ids = ("order_id", "customer_id", "address_delivery_id", "address_invoice_id")
    _money = (
        "conversion_rate",
        "total_products",
        "total_products_wt",
        "total_shipping_tax_incl",
        "total_shipping_tax_excl",
        "total_wrapping_tax_incl",
        "total_wrapping_tax_excl",
        "total_discounts_tax_incl",
        "total_discounts_tax_excl",
        "total_paid_tax_incl",
        "total_paid_tax_excl",
        "total_paid_real",
    )
    _dates = ("invoice_date", "date_add", "date_upd", "paid_at")

    @pa.check(*_ids, name="bad_type:int")
    def _int_ids(cls, series: pd.Series) -> pd.Series:
        return series.map(v.is_int)

    @pa.check("reference", "currency_iso", name="bad_type:text")
    def _texts(cls, series: pd.Series) -> pd.Series:
        return series.map(v.is_text)

    @pa.check("reference", name="missing_field:blank")
    def _reference_filled(cls, series: pd.Series) -> pd.Series:
        return series.map(v.filled)

    @pa.check("eligible", name="bad_type:bool")
    def _flags(cls, series: pd.Series) -> pd.Series:
        return series.map(v.is_bool)

    @pa.check(*_money, "carrier_tax_rate", name="bad_type:decimal")
    def _decimals(cls, series: pd.Series) -> pd.Series:
        return series.map(v.is_decimal)

    @pa.check(*_money, name="negative_amount")
    def _money_not_negative(cls, series: pd.Series) -> pd.Series:
        return series.map(v.not_negative)

    @pa.check("carrier_tax_rate", name="unknown_tax_rate")
    def _carrier_rate_range(cls, series: pd.Series) -> pd.Series:
        return series.map(v.rate_in_range)

    @pa.check(*_dates, name="bad_type:datetime")
    def _aware(cls, series: pd.Series) -> pd.Series:
        return series.map(v.is_aware)

    @pa.check(*_dates, name="bad_date")
    def _dates_plausible(cls, series: pd.Series) -> pd.Series:
        return series.map(v.plausible_date)

    @pa.dataframe_check(name="bad_date:order")
    def _updated_after_added(cls, df: pd.DataFrame) -> pd.Series:
        pairs = zip(df["date_add"], df["date_upd"], strict=True)
        return pd.Series([_in_order(a, u) for a, u in pairs], index=df.index)


def _in_order(added: Any, updated: Any) -> bool:
    return not (v.is_aware(added) and v.is_aware(updated)) or updated >= added


class OrderLineSchema(pa.DataFrameModel):
    """``stg_order_lines``: one row per order line (order_detail)."""

    line_id: Series[object] = _field(unique=True)
    order_id: Series[object] = _field()
    position: Series[object] = _field()
    product_id: Series[object] = _optional()
    product_name: Series[object] = _field()
    quantity: Series[object] = _field(null=Reason.NON_POSITIVE_QUANTITY)
    unit_price_tax_incl: Series[object] = _field()
    unit_price_tax_excl: Series[object] = _field()
    total_price_tax_incl: Series[object] = _optional()
    total_price_tax_excl: Series[object] = _optional()
    tax_rate: Series[object] = _field(null=Reason.UNKNOWN_TAX_RATE)

    class Config(_Config):
        name = "order_lines"
        unique = ["order_id", "position"]

    _money = (
        "unit_price_tax_incl",
        "unit_price_tax_excl",
        "total_price_tax_incl",
        "total_price_tax_excl",
    )

    @pa.check(
        "line_id",
        "order_id",
        "position",
        "product_id",
        "quantity",
        name="bad_type:int",
    )
    def _ints(cls, series: pd.Series) -> pd.Series:
        return series.map(v.is_int)

    @pa.check("quantity", name="non_positive_quantity")
    def _positive(cls, series: pd.Series) -> pd.Series:
        return series.map(v.positive_count)

    @pa.check(*_money, "tax_rate", name="bad_type:decimal")
    def _decimals(cls, series: pd.Series) -> pd.Series:
        return series.map(v.is_decimal)

    @pa.check(*_money, name="negative_amount")
    def _money_not_negative(cls, series: pd.Series) -> pd.Series:
        return series.map(v.not_negative)

    @pa.check("tax_rate", name="unknown_tax_rate")
    def _rate_range(cls, series: pd.Series) -> pd.Series:
        return series.map(v.rate_in_range)

    @pa.check("product_name", name="bad_type:text")
    def _name_text(cls, series: pd.Series) -> pd.Series:
        return series.map(v.is_text)

    @pa.check("product_name", name="missing_field:blank")
    def _name_filled(cls, series: pd.Series) -> pd.Series:
        return series.map(v.filled)

    @pa.check("product_name", name="escaped_markup")
    def _name_plain(cls, series: pd.Series) -> pd.Series:
        return series.map(v.no_markup)


class CustomerSchema(pa.DataFrameModel):
    """``stg_customers``: the shop's customers (guests included)."""

    customer_id: Series[object] = _field()
    email: Series[object] = _field(null=Reason.BAD_EMAIL)
    firstname: Series[object] = _optional()
    lastname: Series[object] = _optional()
    company: Series[object] = _optional()
    is_guest: Series[object] = _optional()
    deleted: Series[object] = _optional()

    class Config(_Config):
        name = "customers"

    _names = ("firstname", "lastname", "company")

    @pa.check("customer_id", name="bad_type:int")
    def _int_id(cls, series: pd.Series) -> pd.Series:
        return series.map(v.is_int)

    @pa.check("email", *_names, name="bad_type:text")
    def _texts(cls, series: pd.Series) -> pd.Series:
        return series.map(v.is_text)

    @pa.check("email", name="bad_email")
    def _email(cls, series: pd.Series) -> pd.Series:
        return series.map(v.email_ok)

    @pa.check(*_names, name="escaped_markup")
    def _plain(cls, series: pd.Series) -> pd.Series:
        return series.map(v.no_markup)

    @pa.check("is_guest", "deleted", name="bad_type:bool")
    def _flags(cls, series: pd.Series) -> pd.Series:
        return series.map(v.is_bool)

    @pa.check("deleted", name="customer_missing:deleted")
    def _not_deleted(cls, series: pd.Series) -> pd.Series:
        return series.map(v.not_deleted)

    @pa.dataframe_check(name="missing_field:name")
    def _named(cls, df: pd.DataFrame) -> pd.Series:
        names = zip(df["firstname"], df["lastname"], df["company"], strict=True)
        return pd.Series([_has_name(n) for n in names], index=df.index)


def _has_name(names: tuple[Any, ...]) -> bool:
    return any(isinstance(v, str) and v.strip() for v in names)


class AddressSchema(pa.DataFrameModel):
    """``stg_addresses``: invoice and delivery addresses.

    ``deleted`` is not judged: PrestaShop soft-deletes an address that an
    order uses when the customer edits it, so orders point at those.
    """

    address_id: Series[object] = _field()
    customer_id: Series[object] = _optional()
    company: Series[object] = _optional()
    firstname: Series[object] = _optional()
    lastname: Series[object] = _optional()
    address1: Series[object] = _field()
    address2: Series[object] = _optional()
    postcode: Series[object] = _optional()
    city: Series[object] = _field()
    country_iso: Series[object] = _field(null=Reason.BAD_COUNTRY)
    vat_number: Series[object] = _optional()

    class Config(_Config):
        name = "addresses"

    _texts = ("company", "firstname", "lastname", "address1", "address2", "city")

    @pa.check("address_id", "customer_id", name="bad_type:int")
    def _ints(cls, series: pd.Series) -> pd.Series:
        return series.map(v.is_int)

    @pa.check(
        *_texts,
        "postcode",
        "country_iso",
        "vat_number",
        name="bad_type:text",
    )
    def _text_columns(cls, series: pd.Series) -> pd.Series:
        return series.map(v.is_text)

    @pa.check("address1", "city", name="missing_field:blank")
    def _filled_columns(cls, series: pd.Series) -> pd.Series:
        return series.map(v.filled)

    @pa.check(*_texts, name="escaped_markup")
    def _plain(cls, series: pd.Series) -> pd.Series:
        return series.map(v.no_markup)

    @pa.check("country_iso", name="bad_country")
    def _iso(cls, series: pd.Series) -> pd.Series:
        return series.map(v.iso_code)

    @pa.dataframe_check(name="bad_postcode")
    def _postcode(cls, df: pd.DataFrame) -> pd.Series:
        pairs = zip(df["postcode"], df["country_iso"], strict=True)
        return pd.Series([_postcode_ok(p, c) for p, c in pairs], index=df.index)

    @pa.dataframe_check(name="bad_vat_number")
    def _vat(cls, df: pd.DataFrame) -> pd.Series:
        pairs = zip(df["vat_number"], df["country_iso"], strict=True)
        return pd.Series([_vat_ok(v, c) for v, c in pairs], index=df.index)


def _postcode_ok(postcode: Any, country: Any) -> bool:
    if not isinstance(country, str) or not (postcode is None or v.is_text(postcode)):
        return True  # the type and country checks report these
    return formats.is_postcode(postcode, country)


def _vat_ok(vat: Any, country: Any) -> bool:
    if not v.is_text(vat):
        return True
    return formats.is_vat_number(vat, country if isinstance(country, str) else None)


class PaymentSchema(pa.DataFrameModel):
    """``stg_payments``: payments, linked to orders by reference."""

    payment_id: Series[object] = _field()
    order_reference: Series[object] = _field()
    amount: Series[object] = _field()
    currency_iso: Series[object] = _optional()
    date_add: Series[object] = _optional()

    class Config(_Config):
        name = "payments"

    @pa.check("payment_id", name="bad_type:int")
    def _int_id(cls, series: pd.Series) -> pd.Series:
        return series.map(v.is_int)

    @pa.check("amount", name="bad_type:decimal")
    def _decimal(cls, series: pd.Series) -> pd.Series:
        return series.map(v.is_decimal)

    @pa.check("date_add", name="bad_type:datetime")
    def _aware(cls, series: pd.Series) -> pd.Series:
        return series.map(v.is_aware)


class DiscountSchema(pa.DataFrameModel):
    """``stg_discounts``: the order's cart rules (vouchers, free shipping)."""

    discount_id: Series[object] = _field(unique=True)
    order_id: Series[object] = _field()
    name: Series[object] = _optional()
    value_tax_incl: Series[object] = _field()
    value_tax_excl: Series[object] = _optional()

    class Config(_Config):
        name = "discounts"

    @pa.check("discount_id", "order_id", name="bad_type:int")
    def _ints(cls, series: pd.Series) -> pd.Series:
        return series.map(v.is_int)

    @pa.check("value_tax_incl", "value_tax_excl", name="bad_type:decimal")
    def _decimals(cls, series: pd.Series) -> pd.Series:
        return series.map(v.is_decimal)

    @pa.check("value_tax_incl", "value_tax_excl", name="negative_amount")
    def _not_negative(cls, series: pd.Series) -> pd.Series:
        return series.map(v.not_negative)

    @pa.check("name", name="escaped_markup")
    def _plain(cls, series: pd.Series) -> pd.Series:
        return series.map(v.no_markup)


# staged table -> (StagedOrders attribute, model)
MODELS: dict[str, tuple[str, type[pa.DataFrameModel]]] = {
    "orders": ("orders", OrderSchema),
    "order_lines": ("lines", OrderLineSchema),
    "customers": ("customers", CustomerSchema),
    "addresses": ("addresses", AddressSchema),
    "payments": ("payments", PaymentSchema),
    "discounts": ("discounts", DiscountSchema),
}
