"""Property: the planned verkooporder books the shop's total to the cent.

For any generated valid order (lines at 21/9/0 %, prices entered incl. or
excl. VAT, quantities that do not divide evenly, shipping, wrapping, cart
rules incl. free shipping, a payment fee, and header rounding noise of up to
2 cents), in both line modes that take prices from the shop and every VAT
entry choice, the total SnelStart will book equals ``total_paid_tax_incl``.

The booked total is recomputed here independently of the engine: each
regel's VAT kind comes from its article's omzetgroep (as SnelStart does), not
from the engine's drafts.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from koppel.mapping import RuleSet, build_plan, load_rule_set
from koppel.plan import LoadPlan
from tests.mapping.conftest import MAPPINGS
from tests.mapping.factory import (
    OMZETGROEPEN,
    D,
    address,
    discount,
    line,
    make_order,
    snapshot,
    staged,
    uid,
)

CENT = Decimal("0.01")
MODES = ("full", "description_from_snelstart")
ENTRIES = ("auto", "inclusief", "exclusief")
SNAPSHOT = snapshot(articles=False)
KIND_OF_GROUP = {uid(4, n): kind for n, _, kind in OMZETGROEPEN}


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@cache
def rules_for(mode: str, entry: str) -> RuleSet:
    # exclusief leaves VAT rounding to SnelStart: allow it a wider gap
    tolerance = "0.50" if entry == "exclusief" else "0.05"
    return load_rule_set(
        root=MAPPINGS,
        overrides={
            "order_lines": {"mode": mode, "vat_entry": entry},
            "extra_lines": {"rounding.tolerance": tolerance},
        },
    )


money = st.integers(min_value=1, max_value=30_000).map(lambda c: Decimal(c) * CENT)


def _excl_share(value: Decimal, rows: list[dict]) -> Decimal:
    """A discount's excl. value as PrestaShop spreads it over the line rates."""
    total = sum((r["total_price_tax_incl"] for r in rows), Decimal(0))
    return cents(
        sum(
            (value * r["total_price_tax_incl"] / total / (1 + r["tax_rate"] / 100)
             for r in rows),
            Decimal(0),
        )
    )  # fmt: skip


@dataclass(frozen=True)
class World:
    """Where an order goes: its rates, address and what SnelStart applies."""

    rates: tuple[str, ...]
    carrier_rates: tuple[str, ...]
    invoice: dict
    snelstart_rates: dict[str, Decimal]


def _address(country: str, postcode: str, vat: str = "") -> dict:
    return address(11, 1, country=country, postcode=postcode, vat_number=vat)


WORLDS = {
    "domestic": World(("21", "9", "0"), ("21", "9"), _address("NL", "1017 JH"),
                      {"Hoog": D(21), "Laag": D(9), "Geen": D(0)}),
    "oss": World(("19", "7", "0"), ("19", "7"), _address("DE", "40212"),
                 {"Hoog": D(19), "Laag": D(7), "Geen": D(0)}),
    "reverse_charge": World(("0",), ("0",), _address("BE", "9000", "BE0123456749"),
                            {"Hoog": D(21), "Laag": D(9), "Geen": D(0)}),
}  # fmt: skip


def _gross(amount: Decimal, rate: str) -> Decimal:
    return (amount * (1 + Decimal(rate) / 100)).quantize(Decimal("0.000001"))


@st.composite
def shop_orders(draw):
    world_name = draw(st.sampled_from(sorted(WORLDS)))
    world = WORLDS[world_name]
    high = world.rates[0]
    rows = []
    for i in range(draw(st.integers(1, 6))):
        rate = draw(st.sampled_from(world.rates))
        quantity = draw(st.integers(1, 60))
        price = draw(money)
        if draw(st.booleans()):  # a shop that stores prices excl. VAT
            rows.append(
                line(
                    i + 1,
                    f"P{rate}-{i}",
                    f"Product {i}",
                    quantity,
                    _gross(price, rate),
                    rate,
                    unit_excl=price,
                )
            )
        else:
            rows.append(
                line(i + 1, f"P{rate}-{i}", f"Product {i}", quantity, price, rate)
            )
    products = sum((r["total_price_tax_incl"] for r in rows), D(0))
    shipping = draw(st.sampled_from([D(0), D("4.95"), D("6.95")]))
    carrier_rate = draw(st.sampled_from(world.carrier_rates))
    rules = []
    for n in range(draw(st.integers(0, 2))):
        value = cents(products * Decimal(draw(st.integers(1, 40))) / 200)
        if value > 0:
            rules.append(discount(f"Regel {n}", value, _excl_share(value, rows)))
    if shipping and draw(st.booleans()):
        shipping_excl = cents(shipping / (1 + Decimal(carrier_rate) / 100))
        rules.append(
            discount("Gratis verzending", shipping, shipping_excl, free_shipping=True)
        )
    fee = draw(st.sampled_from([D(0), D("0.29"), D("1.50")]))
    noise = draw(st.sampled_from([Decimal(n) * CENT for n in (-2, -1, 0, 1, 2)]))
    wrapping = draw(st.sampled_from([D(0), D("2.50")]))

    def excl_of(amount: Decimal) -> Decimal:
        return cents(amount / (1 + Decimal(high) / 100))

    order = make_order(
        1,
        rows,
        invoice=world.invoice,
        shipping=shipping,
        carrier_rate=carrier_rate,
        wrapping=wrapping,
        wrapping_excl=excl_of(wrapping),
        discounts=rules,
        fee=fee,
        fee_excl=excl_of(fee),
        module="mollie",
    )
    order.order["total_paid_tax_incl"] += noise
    return world_name, order


def kinds_of(plan: LoadPlan) -> dict[str, str]:
    """Article code -> VAT kind, read from the omzetgroep SnelStart will see."""
    kinds = {}
    for record in SNAPSHOT.artikelen:
        kinds[record["artikelcode"]] = KIND_OF_GROUP[record["artikelOmzetgroep"]["id"]]
    for action in plan.artikelen:
        if action.action == "create":
            group = action.payload["artikelOmzetgroep"]["id"]
            kinds[action.key] = KIND_OF_GROUP[group]
    return kinds


def snelstart_total(plan: LoadPlan, rates: dict[str, Decimal]) -> Decimal:
    """What SnelStart books: Inclusief sums the lines; Exclusief adds VAT per kind."""
    payload = plan.orders[0].payload
    kinds = kinds_of(plan)
    net: dict[str, Decimal] = defaultdict(Decimal)
    for regel in payload["regels"]:
        if "stuksprijs" in regel:
            kind = kinds[regel["artikel"]["$artikel"]]
            net[kind] += cents(regel["aantal"] * regel["stuksprijs"])
    if payload["verkooporderBtwIngaveModel"] == "Inclusief":
        return sum(net.values(), Decimal(0))
    vat = sum((cents(amount * rates[k] / 100) for k, amount in net.items()), D(0))
    return sum(net.values(), Decimal(0)) + vat


@settings(
    # KOPPEL_PROPERTY_EXAMPLES=2000 for a deeper run than the suite's
    max_examples=int(os.environ.get("KOPPEL_PROPERTY_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=shop_orders())
def test_planned_total_equals_shop_total_in_every_price_taking_mode(case):
    world, order = case
    batch = staged(order)
    shop_total = order.order["total_paid_tax_incl"]
    for mode in MODES:
        for entry in ENTRIES:
            plan = build_plan(batch, SNAPSHOT, rules_for(mode, entry), profile_name="p")
            assert not plan.issues, (world, mode, entry, plan.issues)
            assert plan.orders[0].total_incl == shop_total
            booked = snelstart_total(plan, WORLDS[world].snelstart_rates)
            assert booked == shop_total, (world, mode, entry)
