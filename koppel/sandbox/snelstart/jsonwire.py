"""JSON on the SnelStart wire: Decimals in, Decimals out, never float.

Request bodies are parsed with every non-integer number as a Decimal, and
responses write Decimals as JSON numbers, so money keeps its exact value on
its way through the sandbox (the real API reads numeric strings as numbers
too, see `coerce_decimal`).
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["coerce_decimal", "dumps", "loads"]


def loads(text: str | bytes) -> Any:
    """Parse JSON with non-integer numbers as Decimal.

    Raises:
        ValueError: when the text is not valid JSON.
    """
    return json.loads(text, parse_float=Decimal)


def dumps(data: Any) -> str:
    """Serialise JSON, writing Decimals as numbers and keeping key order."""
    if isinstance(data, Decimal):
        return _decimal_text(data)
    if isinstance(data, dict):
        items = (f"{json.dumps(str(k))}:{dumps(v)}" for k, v in data.items())
        return "{" + ",".join(items) + "}"
    if isinstance(data, list | tuple):
        return "[" + ",".join(dumps(v) for v in data) + "]"
    return json.dumps(data, ensure_ascii=False)


def _decimal_text(value: Decimal) -> str:
    text = format(value, "f")
    return text if value.is_finite() else "null"


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
