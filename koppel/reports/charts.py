"""Inline SVG charts, drawn from data with no library and no network.

Each function returns one ``<svg>`` element for an HTML5 page (inline SVG
needs no namespace attribute). Colours come from the page's CSS classes
``s0``, ``s1``, ...; every bar or point has a ``<title>`` as its tooltip and
``data-*`` attributes that tests can read. Geometry is computed in Decimal,
so money values never pass through float on the way to a pixel.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape

__all__ = ["grouped_bars", "line_chart", "stacked_hbars"]

Number = Decimal | int
Series = tuple[str, Sequence[Number]]

_PAD_LEFT = 56
_PAD_RIGHT = 16
_PAD_TOP = 28
_PAD_BOTTOM = 44


def _n(value: Number | None) -> Decimal:
    return Decimal(value or 0)


def _px(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.1')):f}"


def nice_max(value: Decimal) -> Decimal:
    """The smallest of 1, 2, 2.5, 5 or 10 times a power of ten >= value."""
    if value <= 0:
        return Decimal(1)
    power = Decimal(10) ** value.adjusted()
    for step in (1, Decimal("2"), Decimal("2.5"), 5, 10):
        if value <= power * step:
            return (power * step).normalize()
    return power * 10  # pragma: no cover - the loop always returns


def _label(value: Decimal) -> str:
    """Whole numbers as they are, anything else to two decimals."""
    if value == value.to_integral_value():
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def _open(title: str, width: int, height: int, kind: str) -> list[str]:
    t = escape(title)
    return [
        f'<svg class="chart {kind}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{t}">',
        f"<title>{t}</title>",
    ]


def _legend(names: Sequence[str], x: int, y: int) -> list[str]:
    parts = []
    for i, name in enumerate(names):
        left = x + i * 150
        parts.append(
            f'<rect class="s{i}" x="{left}" y="{y - 9}" width="10" height="10"/>'
            f'<text class="legend" x="{left + 14}" y="{y}">{escape(name)}</text>'
        )
    return parts


def _y_axis(top: Decimal, width: int, height: int) -> list[str]:
    plot = Decimal(height - _PAD_TOP - _PAD_BOTTOM)
    parts = []
    for i in range(5):
        value = top * i / 4
        y = Decimal(height - _PAD_BOTTOM) - plot * i / 4
        parts.append(
            f'<line class="grid" x1="{_PAD_LEFT}" x2="{width - _PAD_RIGHT}" '
            f'y1="{_px(y)}" y2="{_px(y)}"/>'
            f'<text class="tick" x="{_PAD_LEFT - 6}" y="{_px(y + 4)}" '
            f'text-anchor="end">{_label(value)}</text>'
        )
    return parts


def _x_labels(categories: Sequence[str], slot: Decimal, height: int) -> list[str]:
    every = max(1, -(-len(categories) // 16))
    parts = []
    for i, name in enumerate(categories):
        if i % every:
            continue
        x = _PAD_LEFT + slot * i + slot / 2
        parts.append(
            f'<text class="tick" x="{_px(x)}" y="{height - _PAD_BOTTOM + 16}" '
            f'text-anchor="middle">{escape(name)}</text>'
        )
    return parts


def grouped_bars(
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    width: int = 1100,
    height: int = 260,
) -> str:
    """Vertical bars, one group per category and one bar per series."""
    top = nice_max(max((_n(v) for _, vs in series for v in vs), default=Decimal(0)))
    plot_w = Decimal(width - _PAD_LEFT - _PAD_RIGHT)
    plot_h = Decimal(height - _PAD_TOP - _PAD_BOTTOM)
    slot = plot_w / max(len(categories), 1)
    bar = slot * Decimal("0.8") / max(len(series), 1)
    parts = _open(title, width, height, "bars") + _y_axis(top, width, height)
    for s, (name, values) in enumerate(series):
        for i, value in enumerate(values):
            h = max(plot_h * _n(value) / top, Decimal(0))
            x = _PAD_LEFT + slot * i + slot * Decimal("0.1") + bar * s
            y = Decimal(height - _PAD_BOTTOM) - h
            tip = f"{categories[i]}: {name} {_label(_n(value))}"
            parts.append(
                f'<rect class="bar s{s}" data-series="{escape(name)}" '
                f'data-key="{escape(categories[i])}" data-value="{_n(value)}" '
                f'x="{_px(x)}" y="{_px(y)}" width="{_px(bar)}" height="{_px(h)}">'
                f"<title>{escape(tip)}</title></rect>"
            )
    parts += _x_labels(categories, slot, height)
    parts += _legend([name for name, _ in series], _PAD_LEFT, height - 8)
    parts.append("</svg>")
    return "".join(parts)


def stacked_hbars(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    width: int = 1100,
    bar_height: int = 22,
) -> str:
    """Horizontal bars, one per label, each stacked from the series."""
    left = 200
    height = _PAD_TOP + len(labels) * (bar_height + 10) + 30
    totals = [
        sum((_n(vs[i]) for _, vs in series), Decimal(0)) for i in range(len(labels))
    ]
    top = nice_max(max(totals, default=Decimal(0)))
    plot_w = Decimal(width - left - 80)
    parts = _open(title, width, height, "hbars")
    for i, label in enumerate(labels):
        y = _PAD_TOP + i * (bar_height + 10)
        parts.append(
            f'<text class="tick" x="{left - 8}" y="{y + bar_height - 6}" '
            f'text-anchor="end">{escape(label)}</text>'
        )
        x = Decimal(left)
        for s, (name, values) in enumerate(series):
            w = max(plot_w * _n(values[i]) / top, Decimal(0))
            tip = f"{label}: {name} {_label(_n(values[i]))}"
            parts.append(
                f'<rect class="bar s{s}" data-series="{escape(name)}" '
                f'data-key="{escape(label)}" data-value="{_n(values[i])}" '
                f'x="{_px(x)}" y="{y}" width="{_px(w)}" height="{bar_height}">'
                f"<title>{escape(tip)}</title></rect>"
            )
            x += w
        parts.append(
            f'<text class="value" x="{_px(x + 6)}" y="{y + bar_height - 6}">'
            f"{_label(totals[i])}</text>"
        )
    if len(series) > 1:
        parts += _legend([name for name, _ in series], left, height - 8)
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[Number | None]]],
    *,
    top: Decimal | None = None,
    width: int = 1100,
    height: int = 220,
) -> str:
    """Lines with a dot per point; a None value leaves a gap."""
    values = [_n(v) for _, vs in series for v in vs if v is not None]
    top = top or nice_max(max(values, default=Decimal(0)))
    plot_w = Decimal(width - _PAD_LEFT - _PAD_RIGHT)
    plot_h = Decimal(height - _PAD_TOP - _PAD_BOTTOM)
    slot = plot_w / max(len(categories), 1)
    parts = _open(title, width, height, "lines") + _y_axis(top, width, height)
    for s, (name, points) in enumerate(series):
        path: list[str] = []
        for i, value in enumerate(points):
            if value is None:
                path.append("")
                continue
            x = _PAD_LEFT + slot * i + slot / 2
            y = Decimal(height - _PAD_BOTTOM) - plot_h * _n(value) / top
            path.append(f"{_px(x)},{_px(y)}")
            parts.append(
                f'<circle class="dot s{s}" data-series="{escape(name)}" '
                f'data-key="{escape(categories[i])}" cx="{_px(x)}" cy="{_px(y)}" '
                f'r="3"><title>{escape(categories[i])}: {_label(_n(value))}'
                "</title></circle>"
            )
        for run in " ".join(path).split("  "):
            if run.strip():
                parts.append(f'<polyline class="line s{s}" points="{run.strip()}"/>')
    parts += _x_labels(categories, slot, height)
    parts += _legend([name for name, _ in series], _PAD_LEFT, height - 8)
    parts.append("</svg>")
    return "".join(parts)
