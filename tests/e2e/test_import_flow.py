"""The main job end to end: both sandboxes on loopback, the real flow."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from koppel import settings

pytestmark = pytest.mark.slow


def _run(world, **kwargs):
    from flows.import_orders import import_orders

    return import_orders(profile=str(world.profile), **kwargs)


def _accounted(summary: dict) -> int:
    return (
        summary["loaded"]
        + summary["quarantined"]
        + summary["skipped"]
        + summary["failed"]
    )


def test_import_orders_books_the_shop_and_a_second_run_books_nothing(
    prefect_harness, world
):
    first = _run(world)

    assert first["extracted"] > 0
    assert first["loaded"] > 0
    assert _accounted(first) == first["extracted"] + first["backlog"]

    orders = world.administration.list("verkooporders")
    assert len(orders) == first["loaded"]
    # orderreferentie is koppel's per-order key; betalingskenmerk is the shop
    # reference, which split orders share (one payment covers both)
    references = [o["orderreferentie"] for o in orders]
    assert len(set(references)) == len(references)
    split = set(world.shop.orders_with_quirk("split"))
    kenmerken = [
        o["betalingskenmerk"]
        for o in orders
        if int(o["orderreferentie"].removeprefix("PS-")) not in split
    ]
    assert len(set(kenmerken)) == len(kenmerken)

    second = _run(world)
    assert second["loaded"] == 0
    assert second["skipped"] == second["extracted"]
    assert len(world.administration.list("verkooporders")) == first["loaded"]


def test_import_orders_books_each_order_to_the_shop_total(prefect_harness, world):
    summary = _run(world)
    assert summary["loaded"] > 0

    con = duckdb.connect(str(world.database), read_only=True)
    try:
        totals = dict(
            con.execute(
                "SELECT l.snelstart_id, o.total_paid_tax_incl FROM ledger_orders l "
                "JOIN stg_orders o USING (order_id) WHERE l.status = 'booked'"
            ).fetchall()
        )
    finally:
        con.close()
    booked = {o["id"]: o for o in world.administration.list("verkooporders")}
    assert set(totals) == set(booked)
    for snelstart_id, shop_total in totals.items():
        order = booked[snelstart_id]
        assert Decimal(str(order["totaalInclusiefBtw"])) == shop_total.quantize(
            Decimal("0.01")
        ), order["betalingskenmerk"]


def test_import_orders_keeps_secrets_out_of_duckdb(prefect_harness, world):
    _run(world)
    data = world.database.read_bytes()
    wal = world.database.with_suffix(".duckdb.wal")
    if wal.exists():
        data += wal.read_bytes()
    for secret in settings.DEMO_ENV.values():
        assert secret.encode() not in data
