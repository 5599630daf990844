"""Money is Decimal from parse to POST; these helpers keep it that way."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = ["CENT", "ZERO", "parse_decimal", "to_cents"]

CENT = Decimal("0.01")
ZERO = Decimal("0")


def parse_decimal(value: object) -> Decimal | None:
    """Parse a shop value (``"23.900000"``, ``12``, ``""``) into a Decimal.

    Floats are refused outright: they have already lost precision.

    Returns:
        The Decimal, or None for empty strings and None.

    Raises:
        ValueError: when the value is a float or not a number.
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool) or isinstance(value, float):
        msg = f"refusing {value!r}: money must not pass through float"
        raise ValueError(msg)
    if isinstance(value, Decimal):
        return value
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation as exc:
        msg = f"{value!r} is not a decimal number"
        raise ValueError(msg) from exc
    if not result.is_finite():
        msg = f"{value!r} is not a finite decimal number"
        raise ValueError(msg)
    return result


def to_cents(value: Decimal) -> Decimal:
    """Round half up to whole cents, as shops and SnelStart print amounts."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)
