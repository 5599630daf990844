"""An order is quarantined, fixed in the shop, and booked by the next run."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import pytest

pytestmark = pytest.mark.slow


def _eligible_nl_order(shop) -> tuple[int, int]:
    """A plain (quirk-free) paid order delivered to an NL address."""
    quirky = {i for label in shop.quirks() for i in shop.orders_with_quirk(label)}
    for order_id in shop.orders_with_quirk("paid"):
        if order_id in quirky:
            continue
        order = shop.order(order_id)
        address_id = int(order["id_address_delivery"])
        address = shop.get("addresses", address_id)
        if address["postcode"][:4].isdigit() and len(address["postcode"]) == 7:
            return order_id, address_id
    raise AssertionError("the generated shop has no paid NL order")


def _quarantine_status(database, order_id: int) -> str | None:
    con = duckdb.connect(str(database), read_only=True)
    try:
        row = con.execute(
            "SELECT status FROM quarantine_orders WHERE order_id = ?", [order_id]
        ).fetchone()
    finally:
        con.close()
    return None if row is None else row[0]


def test_quarantined_order_fixed_in_the_shop_is_booked_next_run(prefect_harness, world):
    from flows.import_orders import import_orders

    shop = world.shop
    order_id, address_id = _eligible_nl_order(shop)
    zone = shop.timezone
    earlier = datetime.now(zone) - timedelta(minutes=2)
    good_postcode = shop.get("addresses", address_id)["postcode"]
    shop.edit_address(address_id, postcode="XYZ", at=earlier)
    shop.edit_order(order_id, note="address typo", at=earlier)

    first = import_orders(profile=str(world.profile))
    assert order_id in first["quarantined_order_ids"]
    assert _quarantine_status(world.database, order_id) == "open"
    booked = {o["orderreferentie"] for o in world.administration.list("verkooporders")}
    assert f"PS-{order_id}" not in booked

    later = datetime.now(zone) - timedelta(seconds=30)
    shop.edit_address(address_id, postcode=good_postcode, at=later)
    shop.edit_order(order_id, note="address fixed", at=later)

    second = import_orders(profile=str(world.profile))
    assert order_id in second["loaded_order_ids"]
    assert _quarantine_status(world.database, order_id) == "released"
    booked = [o["orderreferentie"] for o in world.administration.list("verkooporders")]
    assert booked.count(f"PS-{order_id}") == 1
