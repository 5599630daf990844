from __future__ import annotations

from decimal import Decimal

from koppel.mapping import build_plan, lookup_request
from koppel.mapping.lines import DraftLine, booked_total
from koppel.plan import LoadPlan
from tests.mapping.factory import (
    address,
    customer,
    discount,
    line,
    make_order,
    snapshot,
    staged,
)


def _booked(plan: LoadPlan, order_index: int = 0) -> Decimal:
    payload = plan.orders[order_index].payload
    assert payload["verkooporderBtwIngaveModel"] == "Inclusief"
    total = Decimal(0)
    for regel in payload["regels"]:
        if "stuksprijs" in regel:
            total += (regel["aantal"] * regel["stuksprijs"]).quantize(Decimal("0.01"))
    return total


def test_build_plan_default_rules_books_shop_total_to_the_cent(default_rules):
    order = make_order(
        1,
        [
            line(1, "WW-250", "Wolwasmiddel 250 ml", 2, "12.95"),
            line(2, "KPB-01", "Breipatronenboek", 1, "8.50", "9"),
        ],
        discounts=[discount("Welkom", "5.00", "4.20")],
    )
    plan = build_plan(staged(order), snapshot(), default_rules, profile_name="demo")
    assert not plan.issues
    booking = plan.orders[0]
    assert booking.total_incl == order.order["total_paid_tax_incl"]
    assert _booked(plan) == booking.total_incl
    codes = [r["artikel"]["$artikel"] for r in booking.payload["regels"]]
    assert codes == ["WW-250", "KPB-01", "VERZEND-H", "KORTING-H", "KORTING-L"]


def test_build_plan_unknown_customer_is_created_and_known_one_used(default_rules):
    known = make_order(1)
    new = make_order(
        2,
        cust=customer(2, "Nieuw@Example.NL ", "Nieuwe", "Klant"),
        invoice=address(12, 2, firstname="Nieuwe", lastname="Klant"),
    )
    plan = build_plan(staged(known, new), snapshot(), default_rules, profile_name="d")
    actions = {r.action: r for r in plan.relaties}
    assert actions["use"].matched_by == "email"
    assert actions["create"].payload["email"] == "nieuw@example.nl"
    assert plan.orders[1].relatie_key == actions["create"].key


def test_lookup_request_names_customers_articles_and_extra_articles(default_rules):
    request = lookup_request(staged(make_order(1)), default_rules)
    assert request.emails == frozenset({"sanne.devries@example.nl"})
    assert {"WW-250", "VERZEND-H", "AFRONDING", "KORTING-L"} <= request.artikelcodes
    assert request.references == frozenset({"PS-1"})


def test_booked_total_exclusief_adds_vat_per_rate(default_rules):
    lines = [
        DraftLine(
            "A",
            "a",
            Decimal(1),
            Decimal("12.10"),
            Decimal("10.00"),
            Decimal(21),
            "Hoog",
            "product",
        ),
        DraftLine(
            "B",
            "b",
            Decimal(3),
            Decimal("3.27"),
            Decimal("3.00"),
            Decimal(9),
            "Laag",
            "product",
        ),
    ]
    assert booked_total(lines, "Exclusief", default_rules) == Decimal("15.37")
    assert booked_total(lines, "Inclusief", default_rules) == Decimal("15.37")
