"""Formats of customer data: e-mail, postcodes per country, EU VAT numbers.

Pure predicates used by the pandera models. They accept what a shop
customer may reasonably type (spaces, dots and dashes in VAT numbers, lower
case, a Dutch postcode with or without its space) and refuse what cannot be
right. Countries without a known postcode format only need a short code; VAT
numbers are checked for EU prefixes only (format, not checksum).
"""

from __future__ import annotations

import html
import re

__all__ = [
    "POSTCODE_FORMATS",
    "VAT_FORMATS",
    "has_markup",
    "is_email",
    "is_postcode",
    "is_vat_number",
]

# Postcode format per ISO country code, matched against the upper-cased,
# trimmed value. Countries where a missing postcode is normal are optional.
POSTCODE_FORMATS: dict[str, str] = {
    "NL": r"[1-9][0-9]{3} ?[A-Z]{2}",
    "BE": r"[1-9][0-9]{3}",
    "LU": r"(L-?)?[0-9]{4}",
    "AT": r"[1-9][0-9]{3}",
    "CH": r"[1-9][0-9]{3}",
    "LI": r"94[89][0-9]",
    "DK": r"(DK-?)?[0-9]{4}",
    "NO": r"[0-9]{4}",
    "HU": r"[1-9][0-9]{3}",
    "SI": r"(SI-?)?[1-9][0-9]{3}",
    "BG": r"[1-9][0-9]{3}",
    "CY": r"[1-9][0-9]{3}",
    "DE": r"(0[1-9]|[1-9][0-9])[0-9]{3}",
    "FR": r"(0[1-9]|[1-8][0-9]|9[0-8])[0-9]{3}",
    "MC": r"980[0-9]{2}",
    "IT": r"[0-9]{5}",
    "ES": r"(0[1-9]|[1-4][0-9]|5[0-2])[0-9]{3}",
    "FI": r"[0-9]{5}",
    "EE": r"[0-9]{5}",
    "HR": r"[1-5][0-9]{4}",
    "LT": r"(LT-?)?[0-9]{5}",
    "LV": r"(LV-?)?[0-9]{4}",
    "SE": r"[1-9][0-9]{2} ?[0-9]{2}",
    "CZ": r"[1-7][0-9]{2} ?[0-9]{2}",
    "SK": r"[089][0-9]{2} ?[0-9]{2}",
    "GR": r"[1-8][0-9]{2} ?[0-9]{2}",
    "PL": r"[0-9]{2}-?[0-9]{3}",
    "PT": r"[1-9][0-9]{3}(-?[0-9]{3})?",
    "RO": r"[0-9]{6}",
    "IE": r"[AC-FHKNPRTV-Y][0-9]{2}[0-9W]? ?[0-9AC-FHKNPRTV-Y]{4}",
    "MT": r"[A-Z]{3} ?[0-9]{2,4}",
    "GB": r"GIR ?0AA|[A-Z]{1,2}[0-9][0-9A-Z]? ?[0-9][A-Z]{2}",
    "US": r"[0-9]{5}(-[0-9]{4})?",
}
POSTCODE_OPTIONAL = frozenset({"IE"})
POSTCODE_MAX = 12  # PrestaShop's column size

# EU VAT number formats by VAT prefix (Greece uses EL), after the prefix,
# once spaces, dots and dashes are removed and letters upper-cased.
VAT_FORMATS: dict[str, str] = {
    "AT": r"U[0-9]{8}",
    "BE": r"[01][0-9]{9}",
    "BG": r"[0-9]{9,10}",
    "CY": r"[0-9]{8}[A-Z]",
    "CZ": r"[0-9]{8,10}",
    "DE": r"[0-9]{9}",
    "DK": r"[0-9]{8}",
    "EE": r"[0-9]{9}",
    "EL": r"[0-9]{9}",
    "ES": r"[0-9A-Z][0-9]{7}[0-9A-Z]",
    "FI": r"[0-9]{8}",
    "FR": r"[0-9A-HJ-NP-Z]{2}[0-9]{9}",
    "HR": r"[0-9]{11}",
    "HU": r"[0-9]{8}",
    "IE": r"[0-9]{7}[A-W][A-I]?|[0-9][A-Z+*][0-9]{5}[A-W]",
    "IT": r"[0-9]{11}",
    "LT": r"[0-9]{9}|[0-9]{12}",
    "LU": r"[0-9]{8}",
    "LV": r"[0-9]{11}",
    "MT": r"[0-9]{8}",
    "NL": r"[0-9]{9}B[0-9]{2}",
    "PL": r"[0-9]{10}",
    "PT": r"[0-9]{9}",
    "RO": r"[1-9][0-9]{1,9}",
    "SE": r"[0-9]{10}01",
    "SI": r"[0-9]{8}",
    "SK": r"[0-9]{10}",
    "XI": r"[0-9]{9}|[0-9]{12}|GD[0-9]{3}|HA[0-9]{3}",
}
_VAT_PREFIX_OF_COUNTRY = {"GR": "EL"}
_VAT_ALIASES = {"GR": "EL"}

_POSTCODE_RE = {k: re.compile(v) for k, v in POSTCODE_FORMATS.items()}
_VAT_RE = {k: re.compile(v) for k, v in VAT_FORMATS.items()}
_VAT_NOISE = re.compile(r"[\s.\-]")

_EMAIL_RE = re.compile(
    r"(?!\.)(?!.*\.\.)[^\s@\"(),:;<>\[\]\\]{1,64}(?<!\.)"
    r"@(?=.{1,253}$)(?:(?!-)[\w-]{1,63}(?<!-)\.)+(?:[^\W\d_]{2,63}|xn--[a-z0-9-]{1,59})"
)
_ENTITY_RE = re.compile(
    r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"
)
_TAG_RE = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(\s[^<>]*)?/?>")


def is_email(value: str) -> bool:
    """Whether ``value`` looks like a deliverable address: name@domain.tld."""
    return bool(_EMAIL_RE.fullmatch(value.strip()))


def is_postcode(value: str | None, country_iso: str | None) -> bool:
    """Whether ``value`` is a postcode of ``country_iso``.

    Unknown countries need at most 12 characters; countries in
    :data:`POSTCODE_FORMATS` need a match unless a missing postcode is
    normal there (Ireland). An unknown or missing country is not judged.
    """
    code = (value or "").strip().upper()
    country = (country_iso or "").strip().upper()
    if not country:
        return True
    pattern = _POSTCODE_RE.get(country)
    if pattern is None:
        return len(code) <= POSTCODE_MAX
    if not code:
        return country in POSTCODE_OPTIONAL
    return bool(pattern.fullmatch(code))


def is_vat_number(value: str | None, country_iso: str | None) -> bool:
    """Whether ``value`` is a well-formed VAT number (empty means none).

    A number with an EU prefix must match that prefix's format. A number
    without one is read as belonging to the address's EU country. Numbers of
    other countries have no known format here and pass.
    """
    number = _VAT_NOISE.sub("", value or "").upper()
    if not number:
        return True
    prefix = _VAT_ALIASES.get(number[:2], number[:2])
    if prefix in _VAT_RE:
        return bool(_VAT_RE[prefix].fullmatch(number[2:]))
    country = (country_iso or "").strip().upper()
    own = _VAT_PREFIX_OF_COUNTRY.get(country, country)
    if own in _VAT_RE:
        return bool(_VAT_RE[own].fullmatch(number))
    return True


def has_markup(value: str) -> bool:
    """Whether text still holds HTML: a known entity (``&amp;``) or a tag."""
    if _TAG_RE.search(value):
        return True
    return any(
        html.unescape(m.group(0)) != m.group(0) for m in _ENTITY_RE.finditer(value)
    )
