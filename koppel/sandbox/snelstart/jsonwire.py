"""JSON on the SnelStart wire: Decimals in, Decimals out, never float.

Request bodies are parsed with every non-integer number as a Decimal, and
responses write Decimals as JSON numbers, so money keeps its exact value on
its way through the sandbox (the real API reads numeric strings as numbers
too, see `coerce_decimal`).
"""

from __future__ import annotations

import json
import re
import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["coerce_decimal", "dumps", "loads"]


def loads(text: str | bytes) -> Any:
    """Parse JSON with non-integer numbers as Decimal.

    Raises:
        ValueError: when the text is not valid JSON.
    """
    return json.loads(text, parse_float=Decimal)


# Decimals leave the C encoder as tagged strings that are then unquoted. The
# tag holds a random nonce, so no string in the data can pass for one.
_NONCE = secrets.token_hex(8)
_TAG = f"\x00{_NONCE}:"
_TAG_TEXT = f"\\u0000{_NONCE}:"
_TAGGED = re.compile(rf'"{re.escape(_TAG_TEXT)}([^"]*)"')


def dumps(data: Any) -> str:
    """Serialise JSON, writing Decimals as numbers and keeping key order."""
    text = json.dumps(
        data, default=_tag_decimal, ensure_ascii=False, separators=(",", ":")
    )
    return _TAGGED.sub(r"\1", text) if _TAG_TEXT in text else text


def _tag_decimal(value: object) -> str:
    if isinstance(value, Decimal):
        return _TAG + (format(value, "f") if value.is_finite() else "null")
    msg = f"cannot write {type(value).__name__} as JSON"
    raise TypeError(msg)


def coerce_decimal(value: object) -> Decimal | None:
    """Read a wire number (int, Decimal or numeric string) as a Decimal.

    Returns:
        The Decimal, or None when the value is not a number (booleans and
        non-numeric strings included).
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, Decimal | int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            return None
        return result if result.is_finite() else None
    return None
