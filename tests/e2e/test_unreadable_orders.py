"""Orders the shop cannot return are counted and named, not silently lost.

Regression: with `koppel sandbox --fault-ids orders:5,7` a run reported
`extracted 198` of 200 orders and nothing else about the two.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from koppel import pipeline, settings
from koppel.cli import start_sandboxes, write_sandbox_profile
from koppel.sandbox import prestashop as ps

pytestmark = pytest.mark.slow


def _run_against(tmp_path, monkeypatch, options):
    """Both sandboxes, the PrestaShop one with ``options``; one run."""
    for name, value in settings.DEMO_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(Path(__file__).parents[2])
    ps_server, sn_server, shop, _ = start_sandboxes(
        orders=30, seed=3, prestashop_options=options
    )
    try:
        profile = write_sandbox_profile(tmp_path, ps_server.url, sn_server.url)
        ctx = pipeline.open_context(str(profile), pipeline.new_run_id())
        extracted = pipeline.stage_extract(ctx)
        validated = pipeline.stage_validate(ctx, extracted["changed_order_ids"])
        plan, planned = pipeline.stage_plan(ctx)
        loaded = pipeline.stage_load(ctx, plan)
        summary = pipeline.summarise(extracted, validated, planned, plan, loaded)
    finally:
        ps_server.stop()
        sn_server.stop()
    return shop, validated, summary


def test_orders_the_shop_fails_to_return_are_in_the_summary(tmp_path, monkeypatch):
    options = ps.SandboxOptions(fault_ids={"orders": [5, 7]})
    _, _, summary = _run_against(tmp_path, monkeypatch, options)

    assert summary["unreadable_order_ids"] == [5, 7]
    assert summary["unreadable_in_shop"] == 2
    assert 5 not in summary["loaded_order_ids"]


def test_orders_whose_customer_the_shop_fails_to_return_wait_for_next_run(
    tmp_path, monkeypatch
):
    """Regression: `--html-fatal-ids customers:3` quarantined the orders of
    customer 3 as `customer_missing`, as if the customer had been deleted."""
    options = ps.SandboxOptions(html_fatal_ids={"customers": [3]})
    shop, validated, summary = _run_against(tmp_path, monkeypatch, options)

    of_customer_3 = [
        int(o["id"])
        for o in shop.table("orders").values()
        if int(o["id_customer"]) == 3
    ]
    assert of_customer_3, "seed 3 gives customer 3 orders"
    assert not set(of_customer_3) & set(summary["quarantined_order_ids"])
    assert set(of_customer_3) <= set(validated["incomplete_order_ids"])
    assert not set(of_customer_3) & set(summary["loaded_order_ids"])
