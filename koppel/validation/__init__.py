"""Validation of staged orders: pandera contracts, cross-table checks, drift.

The stage function is :func:`validate_orders`; it quarantines failing
orders (:mod:`koppel.quarantine`), releases orders that now pass, records
data-quality figures and schema drift for the run.
"""

from __future__ import annotations

from koppel.validation.checks import CheckContext, Reference, read_reference
from koppel.validation.drift import DriftEvent, detect_drift, read_drift
from koppel.validation.figures import read_figures
from koppel.validation.stage import ValidationResult, check_staged, validate_orders

__all__ = [
    "CheckContext",
    "DriftEvent",
    "Reference",
    "ValidationResult",
    "check_staged",
    "detect_drift",
    "read_drift",
    "read_figures",
    "read_reference",
    "validate_orders",
]
