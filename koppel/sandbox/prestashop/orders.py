"""Build one demo order with its lines, carrier row, vouchers and state path.

The order is inserted in its initial form (no state yet); the state changes
come back as timed events that the generator applies in time order, so
invoice numbers and history ids increase with time as in a real shop.
"""

from __future__ import annotations

import random
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from koppel.sandbox.prestashop import pricing, reference_data
from koppel.sandbox.prestashop.demo_records import Article, Buyer
from koppel.sandbox.prestashop.store import Record, Shop, write_totals

__all__ = ["Event", "Item", "OrderPlan", "insert_order", "pick_items", "state_path"]

ZERO_DATETIME = "0000-00-00 00:00:00"
NIL = pricing.ZERO_MONEY
WRAPPING_FEE = Decimal("2.50")
FREE_SHIPPING_FROM = Decimal("75.00")
_METHODS = {
    "ideal": ("mollie", "iDEAL"),
    "wire": ("ps_wirepayment", "Bankoverschrijving"),
    "check": ("ps_checkpayment", "Betaling per cheque"),
    "cod": ("ps_cashondelivery", "Rembours"),
    "paypal": ("ps_checkout", "PayPal"),
}
_FINALS = (
    ("2", 18), ("3", 10), ("4", 22), ("5", 20), ("11", 3),
    ("10", 7), ("1", 2), ("13", 1), ("12", 1),
    ("6", 6), ("7", 3), ("8", 2), ("9", 2),
)  # fmt: skip
_HOUR = 3600
# state -> (seconds after the previous state, lowest, highest)
_DELAYS = {"3": (1, 12), "4": (4, 30), "5": (20, 60), "6": (72, 240), "7": (72, 240)}

Event = tuple[datetime, int, int, str]  # when, order id, sequence, state id


@dataclass
class Item:
    """One cart line: an article, a quantity and its specifics."""

    article: Article
    quantity: int = 1
    reduction: Decimal = Decimal("0")
    customization: str = "0"


@dataclass
class OrderPlan:
    """Everything needed to insert one order."""

    order_id: int
    placed: datetime
    buyer: Buyer
    items: list[Item]
    reference: str
    cart_id: int
    method: str = "ideal"
    carrier: int | None = None
    gift: bool = False
    voucher: int | None = None
    cent_mismatch: bool = False
    labels: list[str] = field(default_factory=list)


def pick_final_state(rng: random.Random) -> str:
    """A final state drawn with realistic weights (most orders paid)."""
    states, weights = zip(*_FINALS, strict=True)
    return rng.choices(states, weights)[0]


def state_path(
    rng: random.Random, final: str, placed: datetime
) -> tuple[str, list[tuple[datetime, str]]]:
    """The payment method and the timed states that lead to ``final``."""
    if final in ("2", "3", "4", "5"):
        method = rng.choices(("ideal", "wire", "check"), (60, 30, 10))[0]
        steps = {"ideal": [], "wire": ["10"], "check": ["1"]}[method] + ["2"]
        steps += {"2": [], "3": ["3"], "4": ["3", "4"], "5": ["3", "4", "5"]}[final]
    else:
        method, steps = {
            "11": ("paypal", ["11"]),
            "10": ("wire", ["10"]),
            "12": ("wire", ["12"]),
            "1": ("check", ["1"]),
            "13": ("cod", ["13"]),
            "6": ("wire", ["10", "6"]),
            "7": ("ideal", ["2", "3", "4", "7"]),
            "8": ("ideal", ["8"]),
            "9": ("ideal", ["9"]),
        }[final]
    return method, _timed(rng, steps, placed)


def _timed(
    rng: random.Random, steps: Sequence[str], placed: datetime
) -> list[tuple[datetime, str]]:
    result, when = [], placed
    for index, state in enumerate(steps):
        if index and state == "2":
            when += timedelta(seconds=rng.randrange(2 * _HOUR, 72 * _HOUR))
        elif index:
            low, high = _DELAYS.get(state, (1, 24))
            when += timedelta(seconds=rng.randrange(low * _HOUR, high * _HOUR))
        result.append((when, state))
    return result


def pick_items(
    rng: random.Random, articles: Sequence[Article], scenario: str | None
) -> list[Item]:
    """Cart lines for an order, shaped by its scenario."""
    physical = [a for a in articles if not a.virtual]
    if scenario == "virtual_only":
        chosen = rng.sample([a for a in articles if a.virtual], rng.randint(1, 2))
    elif scenario == "free_shipping":
        chosen = [rng.choice([a for a in physical if a.list_incl < 30])]
    else:
        count = rng.choices((1, 2, 3, 4), (45, 30, 17, 8))[0]
        chosen = rng.sample(physical, count)
    items = [Item(a, rng.choices((1, 2, 3), (75, 18, 7))[0]) for a in chosen]
    return _shape(rng, items, physical, scenario)


def _shape(
    rng: random.Random,
    items: list[Item],
    physical: Sequence[Article],
    scenario: str | None,
) -> list[Item]:
    def ensure(predicate) -> None:
        if not any(predicate(i.article) for i in items):
            items.append(Item(rng.choice([a for a in physical if predicate(a)])))

    if scenario == "multi_rate_discount":
        ensure(lambda a: a.rate == 21)
        ensure(lambda a: a.rate == 9)
    elif scenario == "html_entity_name":
        ensure(lambda a: "&" in a.name)
    elif scenario == "non_ascii_name":
        ensure(lambda a: not a.name.isascii())
    elif scenario == "line_reduction":
        items[0].reduction = Decimal("10")
    elif scenario == "customization":
        simple = next(a for a in physical if a.attribute_id == 0)
        items[:] = [Item(simple, 1), Item(simple, 1, customization="1"), *items[1:]]
    return items


def new_reference(rng: random.Random, taken: set[str]) -> str:
    """A fresh nine-letter order reference."""
    while True:
        reference = "".join(rng.choices(string.ascii_uppercase, k=9))
        if reference not in taken:
            taken.add(reference)
            return reference


def insert_order(shop: Shop, rng: random.Random, plan: OrderPlan) -> Record:
    """Insert an order, its lines, carrier row and voucher row (no state yet)."""
    exempt = plan.buyer.exempt
    lines = [_priced(item, exempt) for item in plan.items]
    products_wt = sum((a.total_incl for _, a in lines), Decimal(0))
    carrier, ship_incl, ship_rate = _shipping(plan, products_wt)
    wrap_incl, wrap_rate = _wrapping(plan.gift, exempt)
    voucher_incl = _voucher_amount(plan.voucher, products_wt)
    totals = pricing.order_totals(
        [(a.total_incl, a.total_excl, a.rate) for _, a in lines],
        shipping_incl=ship_incl,
        shipping_rate=ship_rate,
        wrapping_incl=wrap_incl,
        wrapping_rate=wrap_rate,
        voucher_incl=voucher_incl,
        free_shipping=plan.voucher == reference_data.RULE_FREE_SHIPPING,
    )
    order = _order_record(shop, rng, plan, carrier, ship_rate)
    write_totals(order, totals)
    if plan.cent_mismatch:
        _add_a_cent(order)
    shop.insert("orders", order)
    for item, amounts in lines:
        shop.insert("order_details", _detail(shop, rng, plan, item, amounts))
    if carrier:
        shop.insert("order_carriers", _carrier_row(shop, plan, carrier, order))
    if plan.voucher:
        shop.insert("order_cart_rules", _rule_row(shop, plan, totals))
    shop.sync_rows(plan.order_id)
    return order


def _priced(item: Item, exempt: bool) -> tuple[Item, pricing.LineAmounts]:
    article = item.article
    amounts = pricing.line_amounts(
        article.list_incl,
        article.rate,
        item.quantity,
        reduction_percent=item.reduction,
        exempt=exempt,
    )
    return item, amounts


def _shipping(plan: OrderPlan, products_wt: Decimal) -> tuple[int, Decimal, Decimal]:
    if all(i.article.virtual for i in plan.items):
        return 0, Decimal(0), Decimal(0)
    domestic = plan.buyer.country == "NL"
    carrier = reference_data.CARRIER_POSTNL if domestic else reference_data.CARRIER_DHL
    fee = Decimal("4.95") if domestic else Decimal("9.95")
    forced = plan.voucher == reference_data.RULE_FREE_SHIPPING
    if domestic and products_wt >= FREE_SHIPPING_FROM and not forced:
        fee = Decimal(0)
    if plan.buyer.exempt:
        return (
            carrier,
            pricing.cents(pricing.excl_from_incl(fee, Decimal(21))),
            Decimal(0),
        )
    return carrier, fee, Decimal(21)


def _wrapping(gift: bool, exempt: bool) -> tuple[Decimal, Decimal]:
    if not gift:
        return Decimal(0), Decimal(21)
    if exempt:
        return pricing.cents(
            pricing.excl_from_incl(WRAPPING_FEE, Decimal(21))
        ), Decimal(0)
    return WRAPPING_FEE, Decimal(21)


def _voucher_amount(rule: int | None, products_wt: Decimal) -> Decimal:
    if rule == reference_data.RULE_WELCOME:
        return min(Decimal("5.00"), pricing.cents(products_wt))
    if rule == reference_data.RULE_PERCENT:
        return pricing.cents(products_wt * Decimal("0.10"))
    return Decimal(0)


def _add_a_cent(order: Record) -> None:
    cent = Decimal("0.01")
    for name in ("total_products_wt", "total_paid", "total_paid_tax_incl"):
        order[name] = pricing.money(Decimal(order[name]) + cent)


def _order_record(
    shop: Shop, rng: random.Random, plan: OrderPlan, carrier: int, ship_rate: Decimal
) -> Record:
    module, payment = _METHODS[plan.method]
    return {
        "id": plan.order_id,
        "id_address_delivery": str(plan.buyer.delivery_address),
        "id_address_invoice": str(plan.buyer.invoice_address),
        "id_cart": str(plan.cart_id),
        "id_currency": "1",
        "id_lang": "1",
        "id_customer": str(plan.buyer.customer_id),
        "id_carrier": str(carrier),
        "current_state": "0",
        "module": module,
        "invoice_number": "0",
        "invoice_date": ZERO_DATETIME,
        "delivery_number": "0",
        "delivery_date": ZERO_DATETIME,
        "valid": "0",
        "date_add": plan.placed,
        "date_upd": plan.placed,
        "shipping_number": "",
        "note": "",
        "id_shop_group": "1",
        "id_shop": str(plan.buyer.shop_id),
        "secure_key": f"{rng.getrandbits(128):032x}",
        "payment": payment,
        "recyclable": "0",
        "gift": "1" if plan.gift else "0",
        "gift_message": "Gefeliciteerd!" if plan.gift else "",
        "mobile_theme": "0",
        "total_paid_real": NIL,
        "carrier_tax_rate": pricing.rate_text(ship_rate if carrier else Decimal(0)),
        "round_mode": "2",
        "round_type": "2",
        "conversion_rate": "1.000000",
        "reference": plan.reference,
        "associations": {},
    }


def _detail(
    shop: Shop,
    rng: random.Random,
    plan: OrderPlan,
    item: Item,
    amounts: pricing.LineAmounts,
) -> Record:
    article, m = item.article, pricing.money
    detail: Record = {
        "id": shop.next_id("order_details"), "id_order": str(plan.order_id),
        "product_id": str(article.product_id),
        "product_attribute_id": str(article.attribute_id),
        "product_quantity_reinjected": "0", "group_reduction": "0.00",
        "discount_quantity_applied": "0",
        "download_hash": f"{rng.getrandbits(160):040x}" if article.downloadable else "",
        "download_deadline": ZERO_DATETIME, "id_order_invoice": "0",
        "id_warehouse": "0", "id_shop": str(plan.buyer.shop_id),
        "id_customization": item.customization, "product_name": article.name,
        "product_quantity": str(item.quantity),
        "product_quantity_in_stock": str(item.quantity),
        "product_quantity_return": "0", "product_quantity_refunded": "0",
        "product_price": m(amounts.list_excl),
        "reduction_percent": f"{item.reduction:.2f}", "reduction_amount": NIL,
        "reduction_amount_tax_incl": NIL,
        "reduction_amount_tax_excl": NIL,
        "product_quantity_discount": NIL, "product_ean13": article.ean13,
        "product_isbn": "", "product_upc": "", "product_mpn": "",
        "product_reference": article.reference, "product_supplier_reference": "",
        "product_weight": m(article.weight), "tax_computation_method": "0",
        "id_tax_rules_group": article.rules_group, "ecotax": NIL,
        "ecotax_tax_rate": "0.000", "download_nb": "0",
        "unit_price_tax_incl": m(amounts.unit_incl),
        "unit_price_tax_excl": m(amounts.unit_excl),
        "total_price_tax_incl": m(amounts.total_incl),
        "total_price_tax_excl": m(amounts.total_excl),
        "total_shipping_price_tax_excl": NIL,
        "total_shipping_price_tax_incl": NIL,
        "purchase_supplier_price": m(wholesale := _wholesale(amounts)),
        "original_product_price": m(amounts.list_excl),
        "original_wholesale_price": m(wholesale),
        "total_refunded_tax_excl": NIL,
        "total_refunded_tax_incl": NIL,
    }  # fmt: skip
    if amounts.rate and article.tax_id:
        detail["associations"] = {"taxes": [{"id": str(article.tax_id)}]}
    return detail


def _wholesale(amounts: pricing.LineAmounts) -> Decimal:
    return pricing.cents(amounts.list_excl * Decimal("0.45"))


def _carrier_row(shop: Shop, plan: OrderPlan, carrier: int, order: Record) -> Record:
    incl = Decimal(order["total_shipping_tax_incl"])
    rate = Decimal(order["carrier_tax_rate"])
    weight = sum((i.article.weight * i.quantity for i in plan.items), Decimal(0))
    return {
        "id": shop.next_id("order_carriers"),
        "id_order": str(plan.order_id),
        "id_carrier": str(carrier),
        "id_order_invoice": "0",
        "weight": pricing.money(weight),
        "shipping_cost_tax_excl": pricing.money(pricing.excl_from_incl(incl, rate)),
        "shipping_cost_tax_incl": pricing.money(incl),
        "tracking_number": "",
        "date_add": plan.placed,
    }


def _rule_row(shop: Shop, plan: OrderPlan, totals: pricing.Totals) -> Record:
    rule = shop.table("cart_rules")[plan.voucher or 0]
    return {
        "id": shop.next_id("order_cart_rules"),
        "id_order": str(plan.order_id),
        "id_cart_rule": str(rule["id"]),
        "id_order_invoice": "0",
        "name": rule["name"]["1"],
        "value": pricing.money(totals.discounts_incl),
        "value_tax_excl": pricing.money(totals.discounts_excl),
        "free_shipping": rule["free_shipping"],
        "deleted": "0",
    }
