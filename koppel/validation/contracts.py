"""Run the pandera contracts lazily and turn failures into quarantine entries.

Every failure case of every table is collected (``lazy=True``), charged to
the orders that use the failing row (:class:`~koppel.validation.owners.Owners`)
and described with its reason code, field path, value and a message that
says what is allowed.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import pandas as pd
import pandera.pandas as pa

from koppel.quarantine import QuarantineEntry
from koppel.reasons import Reason
from koppel.staging import StagedOrders
from koppel.validation.owners import Owners
from koppel.validation.schemas import FRAME_CHECK_FIELDS, MODELS

__all__ = ["contract_entries", "describe"]

log = logging.getLogger(__name__)

_BUILTIN_REASONS = {
    "field_uniqueness": Reason.DUPLICATE_LINE,
    "multiple_fields_uniqueness": Reason.DUPLICATE_LINE,
    "column_in_dataframe": Reason.MISSING_FIELD,
}

# What a check demands, for the message; keyed by check name, then reason.
_EXPLAIN: dict[str, str] = {
    "bad_type:int": "must be a whole number",
    "bad_type:decimal": "must be a Decimal amount (never a float)",
    "bad_type:text": "must be text",
    "bad_type:bool": "must be true or false",
    "bad_type:datetime": "must be a timezone-aware timestamp",
    "bad_date": "is before 2000-01-01, which no real order date is",
    "bad_date:order": "is earlier than `date_add`; an order cannot change "
    "before it was placed",
    "negative_amount": "must not be negative",
    "unknown_tax_rate": "must be a VAT rate from 0 up to 100 percent",
    "non_positive_quantity": "must be 1 or more",
    "missing_field:blank": "must not be blank",
    "missing_field:name": "is empty, as are `firstname` and `company`: "
    "the customer has no name",
    "escaped_markup": "still holds HTML (an entity like `&amp;` or a tag); "
    "it must be plain text",
    "bad_email": "is not an e-mail address like `name@example.nl`",
    "customer_missing:deleted": "is true: the customer was deleted in the shop",
    "bad_country": "must be a two-letter upper-case ISO country code",
    "bad_postcode": "is not a postcode of the address's country "
    "(e.g. NL `1234 AB`, BE 4 digits, DE 5 digits)",
    "bad_vat_number": "is not a well-formed VAT number for its EU prefix "
    "(e.g. `NL123456789B01`, `BE0123456789`)",
    "field_uniqueness": "appears more than once; every order line has its own id",
    "multiple_fields_uniqueness": "is shared by two lines of one order",
    "column_in_dataframe": "is missing from the staged table",
}
_EXPLAIN_NULL: dict[Reason, str] = {
    Reason.ZERO_DATE: "is missing (the shop sent a zero date `0000-00-00`)",
    Reason.CUSTOMER_MISSING: "is missing: the order has no customer",
    Reason.ADDRESS_MISSING: "is missing: the order has no such address",
    Reason.BAD_COUNTRY: "is missing: the address has no country",
    Reason.BAD_EMAIL: "is missing: the customer has no e-mail address",
    Reason.UNKNOWN_TAX_RATE: "is missing: the line's VAT rate is unknown",
}


def describe(field: str, demand: str, value: Any) -> str:
    """A message in house style: where, what is wrong or allowed, the value."""
    return f"`{field}` {demand}; got {value!r}"


def _value_text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)


def _index(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def contract_entries(staged: StagedOrders) -> list[QuarantineEntry]:
    """Validate every staged table lazily against its pandera model.

    Args:
        staged: the frames of the orders to validate.

    Returns:
        One entry per failing value and order; an order appears once per
        distinct (reason, field).
    """
    owners = Owners(staged)
    entries: list[QuarantineEntry] = []
    for table, (_, model) in MODELS.items():
        frame = owners.frame(table)
        if frame.empty and len(frame.columns):
            continue
        try:
            model.validate(frame, lazy=True)
        except pa.errors.SchemaErrors as exc:
            cases = exc.failure_cases
            entries.extend(_translate(table, model, cases, owners))
    return entries


def _translate(
    table: str, model: type[pa.DataFrameModel], cases: pd.DataFrame, owners: Owners
) -> list[QuarantineEntry]:
    schema = model.to_schema()
    frame = owners.frame(table)
    found: dict[tuple[int, Reason, str], QuarantineEntry] = {}
    seen: set[tuple[str, Any]] = set()
    for case in cases.to_dict("records"):
        check = str(case["check"])
        index = _index(case["index"])
        if _is_row_wide(check):
            if (check, index) in seen:
                continue  # pandera repeats a row-wide failure per column
            seen.add((check, index))
        column, value = _column_and_value(check, case, frame, index)
        reason = _reason(check, column, schema)
        field = owners.field(table, index, column)
        message = describe(field, _demand(check, reason), _shown(check, value))
        for order_id in owners.of_row(table, index):
            key = (order_id, reason, field)
            if key not in found:
                found[key] = QuarantineEntry(
                    order_id=order_id,
                    reason=reason,
                    field=field,
                    value=_value_text(value),
                    message=message,
                )
    return list(found.values())


def _is_row_wide(check: str) -> bool:
    return check == "multiple_fields_uniqueness" or check in FRAME_CHECK_FIELDS


def _column_and_value(
    check: str, case: dict[str, Any], frame: pd.DataFrame, index: Any
) -> tuple[str, Any]:
    """The column a failure is about, and its value.

    Row-wide checks are read on the column they judge, from the frame.
    """
    if check == "column_in_dataframe":
        return str(case["failure_case"]), None
    if not _is_row_wide(check):
        return str(case["column"]), case["failure_case"]
    wanted = FRAME_CHECK_FIELDS.get(check, "position")
    known = wanted in frame.columns and index in frame.index
    return wanted, frame.at[index, wanted] if known else None


def _shown(check: str, value: Any) -> Any:
    """The value as the message shows it; type checks name the type."""
    text = _value_text(value)
    if check.startswith("bad_type") and value is not None:
        return f"{text} ({type(value).__name__})"
    return text


def _reason(check: str, column: str, schema: pa.DataFrameSchema) -> Reason:
    if check == "not_nullable":
        meta = schema.columns[column].metadata or {}
        return Reason(meta.get("null", Reason.MISSING_FIELD))
    if check in _BUILTIN_REASONS:
        return _BUILTIN_REASONS[check]
    return Reason(check.split(":", 1)[0])


def _demand(check: str, reason: Reason) -> str:
    if check == "not_nullable":
        return _EXPLAIN_NULL.get(reason, "is missing; the shop must send it")
    return _EXPLAIN.get(check, f"fails the `{check}` check")
