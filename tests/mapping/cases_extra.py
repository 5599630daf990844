"""Golden cases for extra_lines.yaml: shipping, wrapping, fee, discounts, rounding."""

from __future__ import annotations

from tests.mapping.factory import discount, line, make_order
from tests.mapping.golden_case import Case


def _two_rates(**kw) -> list:
    rows = [
        line(1, "WW-250", "Wolwasmiddel 250 ml", 2, "12.95"),
        line(2, "KPB-01", "Breipatronenboek", 1, "8.50", "9"),
    ]
    return [make_order(1, rows, **kw)]


def _free_shipping() -> list:
    return _two_rates(
        discounts=[discount("Gratis verzending", "6.95", "5.74", free_shipping=True)]
    )


CASES = [
    Case(
        "extra_shipping_laag",
        "shipping at 9 % goes to VERZEND-L",
        lambda: _two_rates(carrier_rate="9", shipping="4.95"),
    ),
    Case(
        "extra_shipping_zero",
        "shipping at 0 % goes to VERZEND-0",
        lambda: _two_rates(carrier_rate="0", shipping="4.95"),
    ),
    Case(
        "extra_shipping_rate_inferred",
        "carrier_tax_rate 0 with incl. 6.95 / excl. 5.74: the rate is derived "
        "(21.1 %, nearest known 21) -> VERZEND-H",
        lambda: [
            _with(_two_rates()[0], carrier_tax_rate=0, total_shipping_tax_excl="5.74")
        ],
    ),  # fmt: skip
    Case(
        "extra_shipping_disabled",
        "shipping switched off: the shop's total cannot be booked -> quarantine",
        _two_rates,
        {"extra_lines": {"shipping.enabled": False}},
    ),
    Case(
        "extra_wrapping",
        "gift wrapping 2.50 (21 %) goes to INPAK-H",
        lambda: _two_rates(wrapping="2.50", wrapping_excl="2.07"),
    ),
    Case(
        "extra_payment_fee",
        "0.35 above products + shipping - discounts is a payment fee on BETAALKOSTEN",
        lambda: _two_rates(fee="0.35", fee_excl="0.29", module="mollie"),
    ),
    Case(
        "extra_payment_fee_other_module",
        "fees only for `mollie`: the same gap on a wire transfer is a mismatch",
        lambda: _two_rates(fee="0.35", fee_excl="0.29"),
        {"extra_lines": {"payment_fee.modules": ["mollie"]}},
    ),
    Case(
        "extra_discount_per_rule",
        "two cart rules, each split over 21 % and 9 % in proportion, to the cent",
        lambda: _two_rates(
            discounts=[
                discount("Welkom", "5.00", "4.20"),
                discount("Vriendenkorting", "2.50", "2.10"),
            ]
        ),
    ),  # fmt: skip
    Case(
        "extra_discount_per_total",
        "per total: one discount line per VAT rate with the configured name",
        lambda: _two_rates(
            discounts=[
                discount("Welkom", "5.00", "4.20"),
                discount("Vriendenkorting", "2.50", "2.10"),
            ]
        ),
        {"extra_lines": {"discounts.per": "total"}},
    ),  # fmt: skip
    Case(
        "extra_discount_single_rate",
        "a discount on a single-rate order is one line, no rate in its name",
        lambda: [make_order(1, discounts=[discount("Welkom", "2.00", "1.65")])],
    ),
    Case(
        "extra_free_shipping_net",
        "a free-shipping rule cancels the shipping line instead of booking "
        "shipping and a discount",
        _free_shipping,
    ),
    Case(
        "extra_free_shipping_book_both",
        "book_both: shipping is booked and its discount goes to the shipping VAT kind",
        _free_shipping,
        {"extra_lines": {"discounts.free_shipping": "book_both"}},
    ),
    Case(
        "extra_rounding_within_tolerance",
        "the shop's total is 0.02 above the lines: AFRONDING +0.02",
        lambda: _two_rates(total_paid="41.37"),
    ),
    Case(
        "extra_rounding_beyond_tolerance",
        "the shop's total is 0.06 below the lines, beyond the 0.05 tolerance: "
        "quarantined as total_mismatch",
        lambda: _two_rates(total_paid="41.29"),
    ),
    Case(
        "extra_rounding_tolerance_raised",
        "with tolerance 0.10 the same -0.06 gap is a rounding line",
        lambda: _two_rates(total_paid="41.29"),
        {"extra_lines": {"rounding.tolerance": "0.10"}},
    ),
    Case(
        "extra_payment_fee_disabled",
        "payment fees off: the fee in the shop's total is a mismatch",
        lambda: _two_rates(fee="0.35", fee_excl="0.29", module="mollie"),
        {"extra_lines": {"payment_fee.enabled": False}},
    ),
    Case(
        "extra_discounts_disabled",
        "discount lines off: the discounted total cannot be booked",
        lambda: _two_rates(discounts=[discount("Welkom", "5.00", "4.20")]),
        {"extra_lines": {"discounts.enabled": False}},
    ),
    Case(
        "extra_wrapping_laag_and_description",
        "wrapping at 9 % goes to INPAK-L, with a configured description",
        lambda: _two_rates(wrapping="1.09", wrapping_excl="1.00"),
        {"extra_lines": {"wrapping.description": "Inpakservice"}},
    ),
]


def _with(spec, **fields):
    from decimal import Decimal

    for key, value in fields.items():
        spec.order[key] = Decimal(str(value))
    return spec
