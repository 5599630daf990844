"""Markdown views of the reports, for Prefect artifacts and the terminal."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from koppel.reports.results import format_money

if TYPE_CHECKING:
    from koppel.reports.quality import QualityReport
    from koppel.reports.results import ReconciliationReport

__all__ = ["markdown_table", "quality_markdown", "reconciliation_markdown"]


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    numeric: Collection[int] | None = None,
) -> str:
    """A pipe table; ``numeric`` columns (default: all but the first) align right."""
    if numeric is None:
        numeric = range(1, len(header))
    align = ["---:" if i in numeric else "---" for i in range(len(header))]
    lines = [
        "| " + " | ".join(_cell(h) for h in header) + " |",
        "| " + " | ".join(align) + " |",
    ]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def reconciliation_markdown(report: ReconciliationReport, *, max_orders: int) -> str:
    """The reconciliation as Markdown: verdict, bridge, differences, groups."""
    verdict = (
        "**No unexplained difference.**"
        if report.is_clean
        else f"**{len(report.unexplained)} order(s) with an unexplained difference "
        f"of {format_money(report.unexplained_incl)} incl. VAT.**"
    )
    parts = [
        f"# Reconciliation `{report.profile}`: "
        f"{report.since.isoformat()} to {report.until.isoformat()}",
        verdict,
        "## Bridge: shop to SnelStart",
        markdown_table(
            ("line", "orders", "incl. VAT", "excl. VAT"),
            [
                (b.label, b.orders, format_money(b.incl), format_money(b.excl))
                for b in report.bridge
            ],
        ),
    ]
    rows = report.difference_rows()
    if rows:
        parts.append("## Differences per order")
        shown = rows[:max_orders]
        parts.append(
            markdown_table(
                (
                    "order",
                    "reference",
                    "SnelStart",
                    "diagnosis",
                    "explained",
                    "diff incl.",
                    "diff excl.",
                    "detail",
                ),
                [
                    (
                        r["order"],
                        r["reference"],
                        r["snelstart"],
                        r["category"],
                        r["explained"],
                        r["difference_incl"],
                        r["difference_excl"],
                        r["detail"],
                    )
                    for r in shown
                ],
                numeric=(5, 6),
            )
        )
        if len(rows) > max_orders:
            parts.append(f"... and {len(rows) - max_orders} more.")
    parts.append("## Per payment method")
    parts.append(
        markdown_table(
            ("payment", "shop orders", "shop incl.", "booked", "SnelStart incl."),
            [
                (
                    g.key,
                    g.shop_orders,
                    format_money(g.shop_incl),
                    g.booked_orders,
                    format_money(g.booked_incl),
                )
                for g in report.by_payment
            ],
        )
    )
    parts.append("## VAT split (shop, eligible orders)")
    parts.append(
        markdown_table(
            ("rate", "excl. VAT", "VAT", "incl. VAT"),
            [
                (
                    v.label,
                    format_money(v.excl),
                    format_money(v.vat),
                    format_money(v.incl),
                )
                for v in report.vat
            ],
        )
    )
    parts.append(
        "VAT of the orders SnelStart holds: shop "
        f"{format_money(report.shop_vat_booked)}, "
        f"SnelStart {format_money(report.snelstart_vat)}"
    )
    parts += [f"> {note}" for note in report.notes]
    return "\n\n".join(parts) + "\n"


def quality_markdown(report: QualityReport) -> str:
    """Data quality as Markdown: figures, quarantine reasons, drift, lag."""
    parts = [
        f"# Data quality `{report.profile}`: "
        f"{report.since.isoformat()} to {report.until.isoformat()}",
        markdown_table(("figure", "value"), report.figure_rows()),
    ]
    if report.quarantine:
        parts.append("## Quarantine per reason")
        parts.append(
            markdown_table(
                ("reason", "new in period", "still open"),
                [(q.reason, q.new, q.open) for q in report.quarantine],
            )
        )
    if report.drift:
        parts.append("## Schema drift")
        parts.append(
            markdown_table(
                ("when", "resource", "field", "change"),
                [(d.at, d.resource, d.field, d.change) for d in report.drift],
                numeric=(),
            )
        )
    parts += [f"> {note}" for note in report.notes]
    return "\n\n".join(parts) + "\n"
