"""Scalar readers for webservice values: strings for numbers, "0"/"1" flags.

The webservice sends almost everything as a string: ids (``"387"``), flags
(``"0"``), money with six decimals, tax rates with three. Translated fields
are a plain string in one language and a list of ``{"id", "value"}`` in
several. Names may arrive HTML-escaped (``D &amp; G``). These readers turn
each into a Python value or None and never raise on odd input.
"""

from __future__ import annotations

import html
import logging
from decimal import Decimal
from typing import Any

from koppel.money import parse_decimal

__all__ = [
    "SECRET_FIELDS",
    "code",
    "flag",
    "ident",
    "money",
    "strip_secrets",
    "text",
    "translated",
    "whole",
]

log = logging.getLogger(__name__)

SECRET_FIELDS = frozenset({"passwd", "secure_key", "reset_password_token"})
_UNESCAPE_ROUNDS = 3


def strip_secrets(record: dict[str, Any]) -> dict[str, Any]:
    """A copy of a record without password hashes, secure keys and tokens."""
    return {k: v for k, v in record.items() if k not in SECRET_FIELDS}


def translated(value: Any, language_id: int | None = None) -> Any:
    """Pick one language out of a multilingual field.

    Returns:
        The value for ``language_id`` (else the first language) when the
        field is a list of ``{"id", "value"}``; other values unchanged.
    """
    if not isinstance(value, list):
        return value
    entries = [e for e in value if isinstance(e, dict)]
    if not entries:
        return None
    for entry in entries:
        if language_id is not None and str(entry.get("id")) == str(language_id):
            return entry.get("value")
    return entries[0].get("value")


def text(value: Any, language_id: int | None = None) -> str | None:
    """A display text: one language, HTML entities undone, trimmed.

    Entities are undone until the text stops changing (shops that escape
    twice send ``&amp;amp;``). Empty text is None.
    """
    value = translated(value, language_id)
    if value is None or value is False:
        return None
    result = str(value)
    for _ in range(_UNESCAPE_ROUNDS):
        unescaped = html.unescape(result)
        if unescaped == result:
            break
        result = unescaped
    result = result.strip()
    return result or None


def code(value: Any) -> str | None:
    """A code or identifier string (reference, ISO code, EAN): trimmed, no
    entity handling; empty is None."""
    if value is None or value is False:
        return None
    result = str(value).strip()
    return result or None


def whole(value: Any) -> int | None:
    """An integer from ``"12"``, ``12`` or ``"12.000"``; None otherwise."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError:
        return None
    if not number.is_finite() or number != number.to_integral_value():
        return None
    return int(number)


def ident(value: Any) -> int | None:
    """A foreign id; ``"0"`` (PrestaShop's "none") and junk are None."""
    number = whole(value)
    return number if number else None


def flag(value: Any) -> bool | None:
    """A ``"0"``/``"1"`` flag as a bool; None when absent or not a flag."""
    if isinstance(value, bool):
        return value
    number = whole(value)
    if number is None:
        return None
    return number != 0


def money(value: Any) -> Decimal | None:
    """A decimal amount or rate; floats are refused (None) like junk.

    The client parses JSON numbers straight into Decimal, so a float here
    means precision was already lost upstream.
    """
    try:
        return parse_decimal(value)
    except ValueError:
        log.warning("shop amount %r is not a number; staged as NULL", value)
        return None
