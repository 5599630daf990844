"""Predicates on single staged values, used by the pandera models.

Each judges one property and passes values of another type (those are the
type checks' business), so one bad value yields one reason.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import numpy as np

from koppel.validation import formats

__all__ = [
    "EARLIEST",
    "MAX_TAX_RATE",
    "email_ok",
    "filled",
    "is_aware",
    "is_bool",
    "is_decimal",
    "is_int",
    "is_text",
    "iso_code",
    "no_markup",
    "not_deleted",
    "not_negative",
    "plausible_date",
    "positive_count",
    "rate_in_range",
]

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)  # older order dates are mangled
MAX_TAX_RATE = Decimal("100")


def is_int(value: Any) -> bool:
    """An integer id or count (bools are not)."""
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def is_decimal(value: Any) -> bool:
    """A finite Decimal: money never passes through float."""
    return isinstance(value, Decimal) and value.is_finite()


def is_bool(value: Any) -> bool:
    """A real boolean flag."""
    return isinstance(value, bool | np.bool_)


def is_aware(value: Any) -> bool:
    """A timezone-aware datetime."""
    return isinstance(value, datetime) and value.utcoffset() is not None


def is_text(value: Any) -> bool:
    """Text."""
    return isinstance(value, str)


def not_negative(value: Any) -> bool:
    """Not a negative amount (other types are judged elsewhere)."""
    return not is_decimal(value) or value >= 0


def plausible_date(value: Any) -> bool:
    """Not before 2000-01-01."""
    return not is_aware(value) or value >= EARLIEST


def no_markup(value: Any) -> bool:
    """Free of HTML entities and tags."""
    return not isinstance(value, str) or not formats.has_markup(value)


def filled(value: Any) -> bool:
    """Not blank."""
    return not isinstance(value, str) or bool(value.strip())


def rate_in_range(value: Any) -> bool:
    """A VAT rate from 0 up to 100 percent."""
    return not is_decimal(value) or 0 <= value < MAX_TAX_RATE


def positive_count(value: Any) -> bool:
    """A count of 1 or more."""
    return not is_int(value) or value > 0


def email_ok(value: Any) -> bool:
    """A well-formed e-mail address."""
    return not isinstance(value, str) or formats.is_email(value)


def not_deleted(value: Any) -> bool:
    """Not flagged as deleted."""
    return value is not True and value is not np.True_


def iso_code(value: Any) -> bool:
    """A two-letter upper-case ISO code."""
    if not isinstance(value, str):
        return True
    return len(value) == 2 and value.isascii() and value.isupper()
