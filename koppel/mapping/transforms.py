"""Named transforms that rule files may apply to values; no eval.

Each transform takes a string and returns a string (or None when nothing
is left). Rule files name them in a ``transform`` list; the loader refuses
names that are not in :data:`TRANSFORMS`. The normalisers used by customer
matching live here too, so matching and field mapping agree.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

__all__ = [
    "TRANSFORMS",
    "apply_transforms",
    "normalise_email",
    "normalise_emails",
    "normalise_name",
    "normalise_postcode",
    "normalise_vat_number",
    "postcode_display",
]

Transform = Callable[[str], str | None]

_SPACES = re.compile(r"\s+")
_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]")
_NL_POSTCODE = re.compile(r"^(\d{4})([A-Z]{2})$")


def _empty_to_none(value: str) -> str | None:
    return value or None


def collapse(value: str) -> str | None:
    """Trim and collapse runs of whitespace to one space."""
    return _empty_to_none(_SPACES.sub(" ", value).strip())


def normalise_email(value: str) -> str | None:
    """Trim and lower-case one e-mail address (the matching key)."""
    return _empty_to_none(value.strip().lower())


def normalise_emails(value: str) -> list[str]:
    """Split SnelStart's ``;``-separated e-mail field into matching keys."""
    parts = (normalise_email(p) for p in re.split(r"[;,]", value or ""))
    return [p for p in parts if p]


def normalise_postcode(value: str) -> str | None:
    """Compare postcodes without spaces, dashes and case ("1234 ab" = "1234AB")."""
    return _empty_to_none(re.sub(r"[\s-]", "", value).upper())


def postcode_display(value: str, country: str | None = None) -> str | None:
    """Write a postcode the way the country prints it (NL: ``1234 AB``)."""
    compact = normalise_postcode(value)
    if compact is None:
        return None
    match = _NL_POSTCODE.match(compact)
    if match and (country or "NL").upper() == "NL":
        return f"{match.group(1)} {match.group(2)}"
    return collapse(value.upper())


def normalise_vat_number(value: str) -> str | None:
    """Keep letters and digits only, upper case (SnelStart's btwNummer rule)."""
    return _empty_to_none(_NOT_ALNUM.sub("", value).upper())


def normalise_name(value: str) -> str | None:
    """Compare company names case- and whitespace-insensitively."""
    result = collapse(html.unescape(value))
    return result.casefold() if result else None


def _digits(value: str) -> str | None:
    return _empty_to_none(re.sub(r"\D", "", value))


def _phone(value: str) -> str | None:
    return _empty_to_none(re.sub(r"[^\d+]", "", value))


TRANSFORMS: dict[str, Transform] = {
    "strip": lambda v: _empty_to_none(v.strip()),
    "collapse": collapse,
    "upper": lambda v: _empty_to_none(v.upper()),
    "lower": lambda v: _empty_to_none(v.lower()),
    "title": lambda v: _empty_to_none(v.title()),
    "html_unescape": lambda v: _empty_to_none(html.unescape(v)),
    "email": normalise_email,
    "postcode": normalise_postcode,
    "postcode_nl": postcode_display,
    "vat_number": normalise_vat_number,
    "digits": _digits,
    "phone": _phone,
}
"""Every transform a rule file may name, by name."""


def apply_transforms(value: str | None, names: tuple[str, ...]) -> str | None:
    """Apply named transforms in order; None stays None.

    Args:
        value: the value read from the shop data.
        names: transform names, already checked against TRANSFORMS.

    Returns:
        The transformed value, or None when it became empty.
    """
    for name in names:
        if value is None:
            return None
        value = TRANSFORMS[name](value)
    return value
