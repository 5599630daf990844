"""Reconciliation and data-quality reports.

``reconcile`` sets the shop's orders of a period against the verkooporders
SnelStart holds (read back from its API) and explains every difference per
order; ``quality_report`` gathers data-quality figures over time from the
profile's DuckDB file; ``render_html`` turns both into one standalone page.
Pure functions over DataFrames and DuckDB reads: no Prefect here.
"""

from __future__ import annotations

from koppel.reports.booked import fetch_verkooporders, verkooporder_filter
from koppel.reports.html import render_html
from koppel.reports.quality import QualityReport, quality_report
from koppel.reports.reconcile import booked_snelstart_ids, reconcile
from koppel.reports.results import Category, OrderDifference, ReconciliationReport

__all__ = [
    "Category",
    "OrderDifference",
    "QualityReport",
    "ReconciliationReport",
    "booked_snelstart_ids",
    "fetch_verkooporders",
    "quality_report",
    "reconcile",
    "render_html",
    "verkooporder_filter",
]
