"""Generate a deterministic demo shop: N orders over a date range, quirks labelled.

Most orders are ordinary and add up to the cent; a planned share carries one
labelled quirk each (split orders, guests, deleted references, vouchers,
gift wrapping, EU B2B, a cent mismatch, refunds, later edits...), so a test
can ask ``shop.orders_with_quirk("split")``. The same seed and ``now`` always
give the same shop.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from koppel.sandbox.prestashop import orders as build
from koppel.sandbox.prestashop import pricing, reference_data
from koppel.sandbox.prestashop.demo_records import (
    Buyer,
    DemoRecords,
    build_catalogue,
    build_customers,
    deleted_article,
)
from koppel.sandbox.prestashop.store import Record, Shop

__all__ = ["QUIRKS", "generate_shop"]

DEFAULT_TIMEZONE = "Europe/Amsterdam"
# quirk -> share of orders (at least one each when the shop is big enough)
QUIRKS: dict[str, float] = {
    "split": 0.01,
    "guest_shared_email": 0.004,
    "converted_guest": 0.001,
    "deleted_customer": 0.004,
    "deleted_product": 0.004,
    "gdpr_anonymous": 0.004,
    "virtual_only": 0.02,
    "gift_wrapping": 0.03,
    "free_shipping": 0.03,
    "voucher": 0.03,
    "multi_rate_discount": 0.03,
    "cent_mismatch": 0.005,
    "eu_b2b": 0.03,
    "nl_b2b": 0.03,
    "line_reduction": 0.03,
    "html_entity_name": 0.02,
    "non_ascii_name": 0.02,
    "customization": 0.005,
    "edited": 0.03,
    "partial_refund": 0.005,
}
_MINIMUM = {"guest_shared_email": 2}
# Quirks that need time after the order was placed.
_LATE = frozenset({"edited", "partial_refund", "converted_guest"})
_BUYER_ROLE = {
    "guest_shared_email": "guest",
    "converted_guest": "converted",
    "deleted_customer": "deleted",
    "gdpr_anonymous": "anonymous",
    "eu_b2b": "eu_b2b",
    "nl_b2b": "nl_b2b",
}
_VOUCHERS = {
    "voucher": reference_data.RULE_WELCOME,
    "multi_rate_discount": reference_data.RULE_PERCENT,
    "free_shipping": reference_data.RULE_FREE_SHIPPING,
}


def generate_shop(
    orders: int = 200,
    seed: int = 1,
    now: datetime | None = None,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    shops: int = 1,
    timezone: str | None = None,
) -> Shop:
    """Build a demo shop with ``orders`` orders.

    Args:
        orders: number of orders to generate.
        seed: seed of the generator; equal seeds give equal shops.
        now: the shop's "now" (aware). Given, the shop clock is fixed and
            mutations advance it by a second each; None uses the wall clock.
        start: first possible order time (default: 30 days before ``now``).
        end: last possible order time (default: 5 minutes before ``now``).
        shops: 1, or 2 for a multishop install (a share of orders in shop 2).
        timezone: the shop's timezone (default: that of ``now``, else
            Europe/Amsterdam).

    Returns:
        The shop, ready for :func:`create_app`.

    Raises:
        ValueError: for a naive ``now``, a bad count or an empty range.
    """
    zone = _zone(now, timezone)
    fixed = now is not None
    now = (now or datetime.now(zone)).replace(microsecond=0)
    if now.tzinfo is None or orders < 0 or shops not in (1, 2):
        msg = (
            "generate_shop needs an aware `now`, orders >= 0 and shops 1|2; "
            f"got now={now!r}, orders={orders!r}, shops={shops!r}"
        )
        raise ValueError(msg)
    start = start or now - timedelta(days=30)
    end = end or now - timedelta(minutes=5)
    if end <= start:
        msg = f"empty order date range: start {start!r} is not before end {end!r}"
        raise ValueError(msg)

    shop = Shop(timezone=zone, now=now if fixed else None)
    rng = random.Random(seed)
    world = _populate(shop, rng, now, orders, shops)
    generator = _Generator(shop, rng, world, cap=now - timedelta(minutes=1))
    generator.generate(_placements(rng, orders, start, end))
    shop.factory = _Generator(shop, random.Random(seed + 7919), world, cap=None).add
    return shop


def _zone(now: datetime | None, timezone: str | None) -> ZoneInfo:
    if timezone:
        return ZoneInfo(timezone)
    if now is not None and isinstance(now.tzinfo, ZoneInfo):
        return now.tzinfo
    return ZoneInfo(DEFAULT_TIMEZONE)


def _populate(
    shop: Shop, rng: random.Random, now: datetime, orders: int, shops: int
) -> DemoRecords:
    created = now - timedelta(days=730)
    for resource, rows in reference_data.reference_records(shops, created).items():
        for row in rows:
            shop.insert(resource, row)
    world = build_catalogue(created)
    people = build_customers(
        rng, created, extra=max(8, min(orders // 8, 2000)), shops=shops
    )
    for resource, rows in (*world.records.items(), *people.records.items()):
        for row in rows:
            shop.insert(resource, row)
    world.buyers = people.buyers
    return world


def _placements(
    rng: random.Random, count: int, start: datetime, end: datetime
) -> list[datetime]:
    span = int((end - start).total_seconds())
    return sorted(start + timedelta(seconds=rng.randrange(span)) for _ in range(count))


def plan_scenarios(rng: random.Random, count: int) -> list[str | None]:
    """Assign quirks to order slots: at least one each while slots last."""
    slots: list[str | None] = [None] * count
    early = list(range(int(count * 0.7)))
    anywhere = list(range(count))
    rng.shuffle(early)
    rng.shuffle(anywhere)
    for quirk, share in QUIRKS.items():
        wanted = max(_MINIMUM.get(quirk, 1), round(share * count))
        pool = early if quirk in _LATE else anywhere
        for _ in range(wanted):
            slot = _free_slot(pool, slots, pair=quirk == "split")
            if slot is None:
                break
            slots[slot] = quirk
            if quirk == "split":
                slots[slot + 1] = "split"
    return slots


def _free_slot(
    pool: list[int], slots: Sequence[str | None], *, pair: bool
) -> int | None:
    for index, slot in enumerate(pool):
        if slots[slot] is None and (
            not pair or (slot + 1 < len(slots) and slots[slot + 1] is None)
        ):
            del pool[index]
            return slot
    return None


class _Generator:
    """Builds orders into a shop; also serves ``Shop.add_orders``."""

    def __init__(
        self, shop: Shop, rng: random.Random, world: DemoRecords, cap: datetime | None
    ) -> None:
        self.shop, self.rng, self.world, self.cap = shop, rng, world, cap
        self.references = {o["reference"] for o in shop.table("orders").values()}
        self.deleted = deleted_article()

    def generate(self, placements: list[datetime]) -> None:
        scenarios = plan_scenarios(self.rng, len(placements))
        events: list[build.Event] = []
        late: list[tuple[int, str]] = []
        index = 0
        while index < len(placements):
            scenario = scenarios[index]
            pair = 2 if scenario == "split" else 1
            events += self._order_group(placements[index], scenario, pair)
            if scenario in _LATE:
                late.append((self.shop.next_id("orders") - 1, scenario))
            index += pair
        self._apply(events)
        for order_id, scenario in late:
            self._finish_late(order_id, scenario)

    def add(self, shop: Shop, count: int, at: datetime | None) -> list[int]:
        first = shop.next_id("orders")
        events = []
        for _ in range(count):
            placed = shop.tick(at)
            order_id = shop.next_id("orders")
            plan = self._plan(order_id, placed, None)
            plan.method = self.rng.choice(("ideal", "wire"))
            build.insert_order(shop, self.rng, plan)
            state = "2" if plan.method == "ideal" else "10"
            events.append((placed, order_id, 0, state))
        self._apply(events)
        return list(range(first, shop.next_id("orders")))

    def _order_group(
        self, placed: datetime, scenario: str | None, size: int
    ) -> list[build.Event]:
        final = (
            "5" if scenario == "partial_refund" else build.pick_final_state(self.rng)
        )
        method, path = build.state_path(self.rng, final, placed)
        first = self._plan(self.shop.next_id("orders"), placed, scenario)
        first.method = method
        plans = self._split(first) if size == 2 else [first]
        events = []
        for plan in plans:
            build.insert_order(self.shop, self.rng, plan)
            for label in self._labels(plan, scenario):
                self.shop.label(label, plan.order_id)
            events += [
                (when, plan.order_id, seq, state)
                for seq, (when, state) in enumerate(path)
                if self.cap is None or when <= self.cap
            ]
        return events

    def _plan(
        self, order_id: int, placed: datetime, scenario: str | None
    ) -> build.OrderPlan:
        items = build.pick_items(self.rng, self.world.articles, scenario)
        if scenario == "deleted_product":
            items.append(build.Item(self.deleted))
        return build.OrderPlan(
            order_id=order_id,
            placed=placed,
            buyer=self._buyer(scenario),
            items=items,
            reference=build.new_reference(self.rng, self.references),
            cart_id=order_id + 1000,
            gift=scenario == "gift_wrapping",
            voucher=_VOUCHERS.get(scenario or ""),
            cent_mismatch=scenario == "cent_mismatch",
        )

    def _buyer(self, scenario: str | None) -> Buyer:
        buyers = self.world.buyers
        role = _BUYER_ROLE.get(scenario or "")
        if role == "guest":
            guests = buyers["guest"]
            count = len(self.shop.orders_with_quirk("guest_shared_email"))
            return guests[count % len(guests)]
        if role:
            return self.rng.choice(buyers[role])
        if "shop_2" in buyers and self.rng.random() < 0.2:
            return self.rng.choice(buyers["shop_2"])
        pool = buyers["regular"] + buyers["nl_b2b"]
        return self.rng.choice(pool)

    def _split(self, plan: build.OrderPlan) -> list[build.OrderPlan]:
        items = (
            plan.items
            if len(plan.items) >= 2
            else [*plan.items, build.Item(self.world.articles[1])]
        )
        second = build.OrderPlan(
            order_id=plan.order_id + 1,
            placed=plan.placed,
            buyer=plan.buyer,
            items=items[1:],
            reference=plan.reference,
            cart_id=plan.cart_id,
            method=plan.method,
        )
        plan.items = items[:1]
        return [plan, second]

    def _labels(self, plan: build.OrderPlan, scenario: str | None) -> list[str]:
        labels = [scenario] if scenario else []
        if any(i.article.attribute_id for i in plan.items):
            labels.append("combination")
        if plan.buyer.shop_id == 2:
            labels.append("shop_2")
        return labels

    def _apply(self, events: list[build.Event]) -> None:
        for when, order_id, _, state in sorted(events):
            self.shop.set_state(order_id, int(state), at=when)
            if state == "7":
                refund_order(self.shop, order_id, when)

    def _finish_late(self, order_id: int, scenario: str) -> None:
        order = self.shop.order(order_id)
        when = order["date_upd"] + timedelta(hours=self.rng.randint(2, 48))
        if self.cap is not None:
            when = min(when, self.cap)
        if when <= order["date_upd"]:
            return
        if scenario == "converted_guest":
            _convert_guest(self.shop, order, when)
        elif scenario == "edited":
            self.shop.edit_order(
                order_id, note="Klant belde: graag groen papier.", at=when
            )
        elif scenario == "partial_refund":
            refund_line(self.shop, order_id, when)


def _convert_guest(shop: Shop, order: Record, when: datetime) -> None:
    """The guest who placed ``order`` made an account afterwards (id kept)."""
    customer = shop.get("customers", int(order["id_customer"]))
    if customer is not None:
        customer["date_add"] = min(customer["date_add"], order["date_add"])
        customer["date_upd"] = when
        customer["last_passwd_gen"] = when


def refund_order(shop: Shop, order_id: int, when: datetime) -> Record:
    """Refund a whole order, shipping included, with a credit slip."""
    order = shop.order(order_id)
    for detail in shop.details_of(order_id):
        detail["product_quantity_refunded"] = detail["product_quantity"]
        detail["total_refunded_tax_incl"] = detail["total_price_tax_incl"]
        detail["total_refunded_tax_excl"] = detail["total_price_tax_excl"]
    shipping = (order["total_shipping_tax_excl"], order["total_shipping_tax_incl"])
    products = (order["total_products"], order["total_products_wt"])
    return _insert_slip(shop, order, products, shipping, partial=False, when=when)


def _insert_slip(
    shop: Shop,
    order: Record,
    products: tuple[str, str],
    shipping: tuple[str, str],
    *,
    partial: bool,
    when: datetime,
) -> Record:
    amount = Decimal(products[1]) + Decimal(shipping[1])
    slip = {
        "id": shop.next_id("order_slip"),
        "id_customer": order["id_customer"],
        "id_order": str(order["id"]),
        "conversion_rate": "1.000000",
        "total_products_tax_excl": products[0],
        "total_products_tax_incl": products[1],
        "total_shipping_tax_excl": shipping[0],
        "total_shipping_tax_incl": shipping[1],
        "amount": pricing.money(amount),
        "shipping_cost": "0" if partial else "1",
        "shipping_cost_amount": shipping[1],
        "partial": "1" if partial else "0",
        "date_add": when,
        "date_upd": when,
        "order_slip_type": "0",
    }
    return shop.insert("order_slip", slip)


def refund_line(shop: Shop, order_id: int, when: datetime) -> Record:
    """Refund one unit of an order's first line with a partial credit slip."""
    order = shop.order(order_id)
    detail = shop.details_of(order_id)[0]
    incl = pricing.money(Decimal(detail["unit_price_tax_incl"]))
    excl = pricing.money(Decimal(detail["unit_price_tax_excl"]))
    detail["product_quantity_refunded"] = "1"
    detail["total_refunded_tax_incl"], detail["total_refunded_tax_excl"] = incl, excl
    zero = pricing.ZERO_MONEY
    return _insert_slip(
        shop, order, (excl, incl), (zero, zero), partial=True, when=when
    )
