"""Machine-readable reasons why an order is quarantined or flagged.

Validation, mapping and loading all speak this vocabulary, so reports,
alerts and tests never parse message text. Values are stable strings: they
are stored in DuckDB and shown in artifacts.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Reason"]


class Reason(StrEnum):
    """Why an order cannot be booked as it is."""

    # structure
    NO_LINES = "no_lines"
    ORPHAN_LINE = "orphan_line"
    DUPLICATE_LINE = "duplicate_line"
    MISSING_FIELD = "missing_field"
    BAD_TYPE = "bad_type"
    # quantities and money
    NON_POSITIVE_QUANTITY = "non_positive_quantity"
    NEGATIVE_AMOUNT = "negative_amount"
    TOTAL_MISMATCH = "total_mismatch"
    LINE_PRICE_MISMATCH = "line_price_mismatch"
    UNKNOWN_TAX_RATE = "unknown_tax_rate"
    FOREIGN_CURRENCY = "foreign_currency"
    # dates
    ZERO_DATE = "zero_date"
    BAD_DATE = "bad_date"
    # customers and addresses
    CUSTOMER_MISSING = "customer_missing"
    ADDRESS_MISSING = "address_missing"
    BAD_EMAIL = "bad_email"
    BAD_COUNTRY = "bad_country"
    BAD_POSTCODE = "bad_postcode"
    BAD_VAT_NUMBER = "bad_vat_number"
    # text
    ESCAPED_MARKUP = "escaped_markup"  # HTML entities or tags left in text
    # mapping
    AMBIGUOUS_CUSTOMER = "ambiguous_customer"
    UNKNOWN_CUSTOMER = "unknown_customer"
    UNKNOWN_ARTICLE = "unknown_article"
    MISSING_ARTICLE_CODE = "missing_article_code"
    UNMAPPED_VAT = "unmapped_vat"
    UNKNOWN_LAND = "unknown_land"
    UNKNOWN_OMZETGROEP = "unknown_omzetgroep"
    UNKNOWN_TEMPLATE = "unknown_template"
    UNKNOWN_KOSTENPLAATS = "unknown_kostenplaats"
    RELATIECODE_TAKEN = "relatiecode_taken"
    # loading
    SNELSTART_REJECTED = "snelstart_rejected"
    CHANGED_AFTER_BOOKING = "changed_after_booking"
    CREDIT_NOTE_CANDIDATE = "credit_note_candidate"
