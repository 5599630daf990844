"""The small value vocabulary of rule files: source paths and templates.

A value in a rule file is one of

- a **source path** ``scope.column`` (``invoice.company``), read from the
  staged row of that scope;
- a **constant** (``{const: Klant}``);
- a **template** (``{template: "Webshop-order {order.reference}"}``) whose
  placeholders are source paths; ``{a|b}`` takes the first non-empty one;
- ``first_of``: the first of several values that is not empty;
- a **lookup** in a CSV table keyed by one of the above.

Placeholders are substituted by this module, never by ``str.format`` (which
would allow attribute access). Templates collapse whitespace, so an empty
``address2`` leaves no trailing space.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

__all__ = [
    "SOURCES",
    "Scope",
    "check_path",
    "render_template",
    "scalar_text",
    "template_paths",
]

_ORDER = (
    "order_id reference id_shop customer_id address_delivery_id address_invoice_id "
    "carrier_id currency_iso conversion_rate current_state state_name state_paid "
    "state_logable state_invoice eligible payment module total_products "
    "total_products_wt total_shipping_tax_incl total_shipping_tax_excl "
    "carrier_tax_rate total_wrapping_tax_incl total_wrapping_tax_excl "
    "total_discounts_tax_incl total_discounts_tax_excl total_paid_tax_incl "
    "total_paid_tax_excl total_paid_real gift gift_message invoice_number "
    "invoice_date date_add date_upd paid_at"
)
_LINE = (
    "line_id order_id position product_id product_attribute_id product_name "
    "product_reference product_base_reference product_ean13 quantity "
    "unit_price_tax_incl unit_price_tax_excl total_price_tax_incl "
    "total_price_tax_excl tax_rate id_customization product_options"
)
_CUSTOMER = (
    "customer_id email firstname lastname company siret is_guest deleted id_lang "
    "date_add date_upd"
)
_ADDRESS = (
    "address_id customer_id company firstname lastname address1 address2 postcode "
    "city country_id country_iso phone phone_mobile vat_number deleted date_upd"
)
_PAYMENT = "payment_id order_reference amount currency_iso payment_method " + (
    "transaction_id date_add"
)

SOURCES: dict[str, frozenset[str]] = {
    "order": frozenset(_ORDER.split()),
    "line": frozenset(_LINE.split()),
    "customer": frozenset(_CUSTOMER.split()),
    "invoice": frozenset(_ADDRESS.split()),
    "delivery": frozenset(_ADDRESS.split()),
    "payment": frozenset(_PAYMENT.split()),
    "profile": frozenset({"name"}),
}
"""Scopes a rule may read and the columns each one offers."""

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

Scope = Mapping[str, Mapping[str, Any]]


def check_path(path: str, scopes: frozenset[str] | None = None) -> str | None:
    """Say what is wrong with a source path, or None when it is fine.

    Args:
        path: ``scope.column``.
        scopes: the scopes allowed where the path is used (all when None).
    """
    scope, _, column = path.partition(".")
    allowed = sorted(scopes if scopes is not None else SOURCES)
    if scope not in SOURCES or scope not in allowed or not column:
        return (
            f"{path!r} is not a source path; use `scope.column` with scope in {allowed}"
        )
    if column not in SOURCES[scope]:
        known = ", ".join(sorted(SOURCES[scope]))
        return f"`{scope}` has no column {column!r}; known: {known}"
    return None


def template_paths(template: str) -> list[str]:
    """Every source path named in a template's placeholders."""
    paths: list[str] = []
    for match in _PLACEHOLDER.finditer(template.replace("{{", "").replace("}}", "")):
        paths.extend(p.strip() for p in match.group(1).split("|"))
    return paths


def scalar_text(value: object) -> str | None:
    """Render a staged value as text; None and empty strings become None."""
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN from pandas
        return None
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return str(int(value))
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    text = str(value)
    return text if text.strip() else None


def read_path(scope: Scope, path: str) -> str | None:
    """Read ``scope.column`` from the per-order scope as text."""
    name, _, column = path.partition(".")
    row = scope.get(name)
    if not row:
        return None
    return scalar_text(row.get(column))


def render_template(template: str, scope: Scope) -> str | None:
    """Fill a template's placeholders from the scope; collapse whitespace.

    Returns:
        The text, or None when nothing but whitespace is left.
    """

    def fill(match: re.Match[str]) -> str:
        for path in match.group(1).split("|"):
            value = read_path(scope, path.strip())
            if value is not None:
                return value
        return ""

    parts = template.split("{{")
    filled = "{".join(
        "}".join(_PLACEHOLDER.sub(fill, chunk) for chunk in part.split("}}"))
        for part in parts
    )
    text = re.sub(r"\s+", " ", filled).strip()
    return text or None
