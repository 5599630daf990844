"""Golden cases for order_lines.yaml: line modes, options, VAT entry, prices."""

from __future__ import annotations

from tests.mapping.factory import artikel, line, make_order, snapshot
from tests.mapping.golden_case import Case


def _mixed() -> list:
    return [
        make_order(
            1,
            [
                line(1, "MWS-M", "Merino wollen trui - Maat : M", 1, "89.95",
                     attribute_id=3),
                line(2, "KPB-01", "Breipatronenboek", 2, "8.50", "9"),
            ],
        )
    ]  # fmt: skip


def _b2b_total_on_excl() -> list:
    """A shop that rounds VAT on the total of excl. prices (3 x 0.99 + 21 %)."""
    rows = [line(i, "WW-250", "Wolwasmiddel", 1, "1.1979", unit_excl="0.99")
            for i in (1, 2, 3)]  # fmt: skip
    return [make_order(1, rows, shipping="0", total_paid="3.59")]


def _thirds() -> list:
    return [make_order(1, [line(1, "WW-250", "Wolwasmiddel", 3, "3.333333")],
                       shipping="0")]  # fmt: skip


def _wrong_kind_snapshot():
    snap = snapshot()
    snap.artikelen.append(artikel("NLD-SET", "Breinaaldenset", "24.79", 2, 60))
    return snap


def _wrong_kind() -> list:
    return [make_order(1, [line(1, "NLD-SET", "Breinaaldenset bamboe", 1, "29.99")])]


CASES = [
    Case(
        "lines_mode_full",
        "full: article, description, quantity and price from the shop",
        _mixed,
    ),
    Case(
        "lines_mode_code_and_quantity",
        "code_and_quantity: product lines carry article and quantity only "
        "(extra lines keep their price); the plan warns the total is SnelStart's",
        _mixed,
        {"order_lines": {"mode": "code_and_quantity"}},
    ),
    Case(
        "lines_mode_description_from_snelstart",
        "description_from_snelstart: price and quantity from the shop, no "
        "description on product lines",
        _mixed,
        {"order_lines": {"mode": "description_from_snelstart"}},
    ),
    Case(
        "lines_options_own_line",
        "own_line: the product line shows the base name, the options follow "
        "as a text line",
        _mixed,
        {"order_lines": {"product_options": "own_line"}},
    ),
    Case(
        "lines_description_template",
        "the line description is a rule value (template over line fields)",
        _mixed,
        {
            "order_lines": {
                "description": {
                    "template": "{line.product_reference} {line.product_name}"
                }
            }
        },
    ),  # fmt: skip
    Case(
        "lines_vat_entry_auto_picks_exclusief",
        "auto: VAT on the excl. total books the shop's 3.59, incl. prices "
        "would book 3.60, so Exclusief is chosen and no rounding line is needed",
        _b2b_total_on_excl,
    ),
    Case(
        "lines_vat_entry_inclusief",
        "inclusief: the same order booked with incl. prices needs a -0.01 "
        "rounding line on AFRONDING",
        _b2b_total_on_excl,
        {"order_lines": {"vat_entry": "inclusief"}},
    ),
    Case(
        "lines_vat_entry_exclusief",
        "exclusief: excl. prices; SnelStart's VAT per rate books the shop's "
        "total exactly here",
        _mixed,
        {"order_lines": {"vat_entry": "exclusief"}},
    ),
    Case(
        "lines_vat_entry_exclusief_rounding",
        "exclusief on 3 x 1.20 incl.: 2.97 net + 0.62 VAT is 0.01 short of the "
        "shop's 3.60, so AFRONDING (0 %) adds 0.01",
        lambda: [
            make_order(
                1,
                [line(i, "WW-250", "Wolwasmiddel", 1, "1.20") for i in (1, 2, 3)],
                shipping="0",
            )
        ],
        {"order_lines": {"vat_entry": "exclusief"}},
    ),  # fmt: skip
    Case(
        "lines_exact_line_totals",
        "3 pieces for 10.00: booked as 2 x 3.33 + 1 x 3.34, exactly the shop's "
        "line total",
        _thirds,
    ),
    Case(
        "lines_price_decimals_2",
        "without exact_line_totals 3 x 3.33 books 9.99 of the shop's 10.00: "
        "rounding line +0.01",
        _thirds,
        {"order_lines": {"exact_line_totals": False}},
    ),
    Case(
        "lines_price_decimals_4",
        "with 4 price decimals 3 x 3.3333 books 10.00: no rounding line",
        _thirds,
        {"order_lines": {"price_decimals": 4}},
    ),
    Case(
        "lines_vat_mismatch_quarantine",
        "an existing article under a Laag omzetgroep sold at 21 %: quarantined",
        _wrong_kind,
        snap=_wrong_kind_snapshot,
    ),
    Case(
        "lines_vat_mismatch_warn",
        "the same mismatch booked with a warning",
        _wrong_kind,
        {"order_lines": {"vat_mismatch": "warn"}},
        snap=_wrong_kind_snapshot,
    ),
    Case(
        "lines_vat_mismatch_ignore",
        "the same mismatch booked silently",
        _wrong_kind,
        {"order_lines": {"vat_mismatch": "ignore"}},
        snap=_wrong_kind_snapshot,
    ),
    Case(
        "lines_no_lines",
        "an order without lines is quarantined",
        lambda: [_empty()],
    ),
]


def _empty():
    spec = make_order(1)
    spec.lines.clear()
    return spec
