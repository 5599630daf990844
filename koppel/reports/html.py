"""The standalone HTML report: inline CSS and inline SVG, nothing to fetch.

The page carries a Content-Security-Policy that forbids every network
request, so even a value from the shop that looks like a URL cannot make
the browser reach out. Every text from data is escaped.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from decimal import Decimal
from html import escape

from koppel.reports.bridge import SHOP_ELIGIBLE, SNELSTART
from koppel.reports.charts import grouped_bars, line_chart, stacked_hbars
from koppel.reports.quality import QualityReport
from koppel.reports.results import ReconciliationReport, format_money

__all__ = ["render_html"]

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
)

CSS = """
:root { --ink:#1f2933; --muted:#616e7c; --line:#d9dee4; --ok:#2f855a; --bad:#c53030; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif;
  color: var(--ink); margin: 0; background: #f5f7fa; }
main { max-width: 1200px; margin: 0 auto; padding: 24px 32px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 12px; border-bottom: 1px solid var(--line);
  padding-bottom: 6px; }
.sub { color: var(--muted); margin: 0 0 20px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr));
  gap: 12px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px;
  padding: 12px 14px; }
.card .k { color: var(--muted); font-size: 12px; text-transform: uppercase; }
.card .v { font-size: 22px; font-weight: 600; }
.card.ok { border-left: 5px solid var(--ok); }
.card.bad { border-left: 5px solid var(--bad); }
.panel { background: #fff; border: 1px solid var(--line); border-radius: 8px;
  padding: 12px; overflow-x: auto; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: left; }
th { font-size: 12px; color: var(--muted); text-transform: uppercase; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: 600; background: #f0f4f8; }
tr.unexplained td { font-weight: 600; }
tr.unexplained.bad td, tr.bad td { color: var(--bad); }
tr.unexplained.ok td { color: var(--ok); }
.chart { width: 100%; height: auto; display: block; }
.chart .grid { stroke: #e4e7eb; }
.chart .tick, .chart .legend, .chart .value { font-size: 11px; fill: var(--muted); }
.s0 { fill: #3b6ea5; } .s1 { fill: #48a868; }
.s2 { fill: #d69e2e; } .s3 { fill: #9f7aea; }
.line { fill: none; stroke-width: 2; } .line.s0 { stroke: #3b6ea5; }
.line.s1 { stroke: #48a868; }
.note { color: var(--muted); font-style: italic; }
footer { color: var(--muted); margin-top: 40px; font-size: 12px; }
"""


def _table(
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    numeric: Collection[int] | None = None,
    row_classes: Sequence[str] = (),
    table_id: str = "",
) -> str:
    """An escaped HTML table; ``numeric`` columns (default: all but the
    first) align right."""
    if numeric is None:
        numeric = range(1, len(header))
    head = "".join(
        f'<th class="{"n" if i in numeric else ""}">{escape(h)}</th>'
        for i, h in enumerate(header)
    )
    body = []
    for r, row in enumerate(rows):
        cls = row_classes[r] if r < len(row_classes) else ""
        cells = "".join(
            f'<td class="{"n" if i in numeric else ""}">{escape(str(c))}</td>'
            for i, c in enumerate(row)
        )
        body.append(f'<tr class="{cls}">{cells}</tr>')
    ident = f' id="{table_id}"' if table_id else ""
    return (
        f"<table{ident}><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _card(key: str, value: str, state: str = "") -> str:
    return (
        f'<div class="card {state}"><div class="k">{escape(key)}</div>'
        f'<div class="v">{escape(value)}</div></div>'
    )


def _cards(rec: ReconciliationReport, quality: QualityReport | None) -> str:
    eligible = rec.line(SHOP_ELIGIBLE)
    booked = rec.line(SNELSTART)
    cards = [
        _card("shop, eligible", f"{eligible.orders} · {format_money(eligible.incl)}"),
        _card("SnelStart", f"{booked.orders} · {format_money(booked.incl)}"),
        _card(
            "unexplained",
            f"{len(rec.unexplained)} · {format_money(rec.unexplained_incl)}",
            "ok" if rec.is_clean else "bad",
        ),
    ]
    if quality is not None:
        rate = quality.pass_rate
        cards.append(_card("pass rate", "-" if rate is None else f"{rate * 100:.1f}%"))
        cards.append(
            _card("quarantine open", str(sum(q.open for q in quality.quarantine)))
        )
        lag = quality.lag
        cards.append(_card("median lag", "-" if lag is None else f"{lag.median:.1f} h"))
    return f'<div class="cards">{"".join(cards)}</div>'


def _reconciliation(rec: ReconciliationReport) -> str:
    days = [g.key[5:] for g in rec.by_day]
    chart = grouped_bars(
        "Orders per day: shop (eligible) against booked in SnelStart",
        days,
        [
            ("shop, eligible", [g.shop_orders for g in rec.by_day]),
            ("booked in SnelStart", [g.booked_orders for g in rec.by_day]),
        ],
    )
    bridge_classes = []
    for b in rec.bridge:
        if b.kind == "unexplained":
            bridge_classes.append("unexplained " + ("ok" if rec.is_clean else "bad"))
        else:
            bridge_classes.append("total" if b.kind == "total" else "")
    bridge = _table(
        ("line", "orders", "incl. VAT", "excl. VAT"),
        [
            (b.label, b.orders, format_money(b.incl), format_money(b.excl))
            for b in rec.bridge
        ],
        row_classes=bridge_classes,
        table_id="bridge",
    )
    rows = rec.difference_rows()
    differences = (
        _table(
            (
                "order",
                "reference",
                "SnelStart",
                "diagnosis",
                "explained",
                "shop incl.",
                "SnelStart incl.",
                "diff incl.",
                "diff excl.",
                "detail",
            ),
            [tuple(r.values()) for r in rows],
            numeric=(5, 6, 7, 8),
            row_classes=["" if r["explained"] == "yes" else "bad" for r in rows],
            table_id="differences",
        )
        if rows
        else '<p class="note">Every order agrees.</p>'
    )
    return (
        "<h2>Orders per day</h2>"
        f'<div class="panel" id="orders-per-day">{chart}</div>'
        "<h2>Reconciliation: shop to SnelStart</h2>"
        f'<div class="panel">{bridge}</div>'
        "<h2>Differences per order</h2>"
        f'<div class="panel">{differences}</div>'
    )


def _vat_and_payment(rec: ReconciliationReport) -> str:
    labels = [v.label for v in rec.vat]
    chart = stacked_hbars(
        "VAT split of the shop's eligible orders",
        labels,
        [("excl. VAT", [v.excl for v in rec.vat]), ("VAT", [v.vat for v in rec.vat])],
    )
    shop_vat = sum((v.vat for v in rec.vat), Decimal(0))
    vat = _table(
        ("rate", "excl. VAT", "VAT", "incl. VAT"),
        [
            (v.label, format_money(v.excl), format_money(v.vat), format_money(v.incl))
            for v in rec.vat
        ]
        + [
            ("VAT, shop: eligible orders", "", format_money(shop_vat), ""),
            (
                "VAT, shop: orders in SnelStart",
                "",
                format_money(rec.shop_vat_booked),
                "",
            ),
            ("VAT, SnelStart", "", format_money(rec.snelstart_vat), ""),
        ],
        table_id="vat",
    )
    payment = _table(
        (
            "payment method",
            "shop orders",
            "shop incl.",
            "booked",
            "SnelStart incl.",
            "difference",
        ),
        [
            (
                g.key,
                g.shop_orders,
                format_money(g.shop_incl),
                g.booked_orders,
                format_money(g.booked_incl),
                format_money(g.difference_incl),
            )
            for g in rec.by_payment
        ],
        table_id="payment",
    )
    return (
        "<h2>VAT split</h2>"
        f'<div class="panel" id="vat-split">{chart}{vat}</div>'
        "<h2>Per payment method</h2>"
        f'<div class="panel">{payment}</div>'
    )


def _quality(quality: QualityReport) -> str:
    reasons = [q.reason for q in quality.quarantine]
    chart = (
        stacked_hbars(
            "Quarantine per reason (new in the period)",
            reasons,
            [("new", [q.new for q in quality.quarantine])],
        )
        if reasons
        else '<p class="note">Nothing was quarantined.</p>'
    )
    days = [d.day.isoformat()[5:] for d in quality.days]
    rates = [None if d.pass_rate is None else d.pass_rate * 100 for d in quality.days]
    trend = line_chart(
        "Validation pass rate per day (%)",
        days,
        [("pass rate", rates)],
        top=Decimal(100),
    )
    figures = _table(("figure", "value"), quality.figure_rows(), table_id="figures")
    drift = (
        _table(
            ("when", "resource", "field", "change"),
            [(d.at, d.resource, d.field, d.change) for d in quality.drift],
            numeric=(),
            table_id="drift",
        )
        if quality.drift
        else '<p class="note">No field appeared in or vanished from the shop.</p>'
    )
    return (
        "<h2>Quarantine reasons</h2>"
        f'<div class="panel" id="quarantine-reasons">{chart}</div>'
        "<h2>Data quality</h2>"
        f'<div class="panel">{figures}</div>'
        f'<div class="panel" id="pass-rate">{trend}</div>'
        "<h2>Schema drift</h2>"
        f'<div class="panel">{drift}</div>'
    )


def render_html(
    rec: ReconciliationReport,
    quality: QualityReport | None = None,
    *,
    profile_name: str | None = None,
) -> str:
    """The whole report as one standalone HTML document.

    Args:
        rec: the reconciliation.
        quality: data-quality figures for the same period, if available.
        profile_name: shown in the title; defaults to the report's profile.

    Returns:
        HTML text with inline CSS and SVG; it references nothing external.
    """
    name = profile_name or rec.profile
    period = f"{rec.since.isoformat()} to {rec.until.isoformat()}"
    notes = list(rec.notes) + (list(quality.notes) if quality is not None else [])
    body = [
        f"<h1>koppel report: {escape(name)}</h1>",
        f'<p class="sub">{escape(period)} · generated '
        f"{escape(rec.generated_at.isoformat(timespec='seconds'))}</p>",
        _cards(rec, quality),
        _reconciliation(rec),
        _vat_and_payment(rec),
    ]
    if quality is not None:
        body.append(_quality(quality))
    body += [f'<p class="note">{escape(n)}</p>' for n in notes]
    body.append("<footer>Made by koppel. This file needs no network to view.</footer>")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>koppel report {escape(name)} {escape(period)}</title>"
        f"<style>{CSS}</style></head>"
        f"<body><main>{''.join(body)}</main></body></html>\n"
    )
