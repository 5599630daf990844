"""The extract stage against the fake shop: watermarks, modes, idempotence."""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb
import httpx
import pytest
from pydantic import SecretStr

from koppel import settings
from koppel.exceptions import ConfigError, FatalApiError
from koppel.extract import DATE_SORT_STATE, ExtractResult, extract_orders
from tests.extract.conftest import build_shop, make_profile
from tests.extract.fakeshop import KEY, FakeShop

NOW = datetime(2024, 3, 2, 12, 0, tzinfo=UTC)
START = datetime(2024, 3, 1, 10, 0)


@pytest.fixture
def profile(tmp_path):
    return make_profile(tmp_path, page_size=10)


@pytest.fixture
def shop() -> FakeShop:
    return FakeShop(records=build_shop(25, start=START))


def _run(profile, shop, run_id="r1", now=NOW, **kwargs) -> ExtractResult:
    return extract_orders(
        profile,
        SecretStr(KEY),
        run_id=run_id,
        transport=shop.transport(),
        now=now,
        **kwargs,
    )


def _query(profile, sql, params=()):
    con = duckdb.connect(str(profile.database_path), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def _order(shop: FakeShop, order_id: int) -> dict:
    return next(o for o in shop.records["orders"] if o["id"] == order_id)


def test_extract_first_run_stages_all_and_sets_watermark(profile, shop):
    result = _run(profile, shop)
    assert result.orders_seen == result.orders_staged == 25
    assert result.changed_order_ids == list(range(1, 26))
    assert result.eligible_order_ids == list(range(1, 26))
    assert result.watermark_before is None
    assert result.watermark_after == "2024-03-01 10:24:00"
    assert result.requests == sum(result.requests_by_resource.values())
    assert _query(profile, "SELECT count(*) FROM stg_orders") == [(25,)]
    assert _query(profile, "SELECT count(*) FROM stg_order_lines") == [(50,)]
    stored = _query(profile, "SELECT value FROM sync_state WHERE name LIKE '%date_upd'")
    assert stored == [("2024-03-01 10:24:00",)]


def test_extract_nothing_new_makes_one_listing_request_per_resource(tmp_path):
    profile = make_profile(tmp_path)
    shop = FakeShop(records=build_shop(5, start=START))
    _run(profile, shop)
    before = _query(profile, "SELECT order_id, run_id FROM stg_orders ORDER BY 1")
    result = _run(profile, shop, run_id="r2")
    assert result.requests_by_resource == {"order_states": 1, "orders": 1}
    assert result.orders_staged == 0
    assert result.changed_order_ids == []
    assert (
        _query(profile, "SELECT order_id, run_id FROM stg_orders ORDER BY 1") == before
    )


def test_extract_state_change_restages_and_becomes_eligible(profile, shop):
    _order(shop, 3)["current_state"] = "10"  # awaiting bank wire
    first = _run(profile, shop)
    assert 3 in first.changed_order_ids
    assert 3 not in first.eligible_order_ids
    assert _query(profile, "SELECT eligible FROM stg_orders WHERE order_id=3") == [
        (False,)
    ]

    order = _order(shop, 3)
    order.update(current_state="2", date_upd="2024-03-01 10:40:00")
    second = _run(profile, shop, run_id="r2")
    assert second.changed_order_ids == [3]
    assert second.eligible_order_ids == [3]
    assert second.watermark_after == "2024-03-01 10:40:00"


def test_extract_range_leaves_watermark_untouched(profile, shop):
    _run(profile, shop)
    result = _run(
        profile,
        shop,
        run_id="r2",
        mode="range",
        since="2024-03-01 10:05:00",
        until="2024-03-01 10:09:00",
    )
    assert result.seen_order_ids == [6, 7, 8, 9, 10]
    assert result.orders_staged == 0
    assert result.watermark_after == result.watermark_before == "2024-03-01 10:24:00"


def test_extract_range_backfill_before_watermark_stages_old_orders(tmp_path):
    profile = make_profile(tmp_path, start_date="2024-03-01")
    shop = FakeShop(records=build_shop(3, start=START))
    old = build_shop(1, start=datetime(2024, 2, 10, 9, 0))
    old_order = old["orders"][0] | {"id": 99, "reference": "OLD"}
    shop.records["orders"].append(old_order)
    first = _run(profile, shop)
    assert 99 not in first.seen_order_ids
    backfill = _run(
        profile,
        shop,
        run_id="r2",
        mode="range",
        since=date(2024, 2, 1),
        until=date(2024, 2, 28),
    )
    assert backfill.changed_order_ids == [99]
    assert backfill.watermark_after == first.watermark_after


def test_extract_rescan_catches_edit_without_date_upd_bump(profile, shop):
    _run(profile, shop)
    address = next(a for a in shop.records["addresses"] if a["id"] == 7)
    address["city"] = "Zwolle"  # shops do not bump the order's date_upd
    incremental = _run(profile, shop, run_id="r2")
    assert incremental.changed_order_ids == []
    rescan = _run(profile, shop, run_id="r3", mode="rescan", days=3)
    assert rescan.changed_order_ids == [7]
    assert rescan.watermark_after == rescan.watermark_before
    assert _query(profile, "SELECT city FROM stg_addresses WHERE address_id=7") == [
        ("Zwolle",)
    ]


def test_extract_failed_run_keeps_watermark_and_staged_pages(
    profile, shop, monkeypatch
):
    monkeypatch.setattr(settings, "PRESTASHOP_STAGE_ORDERS", 10)
    _run(profile, shop)
    for n, order in enumerate(shop.records["orders"]):
        order["date_upd"] = f"2024-03-01 11:{n:02d}:00"

    def fail_third_page(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("orders") and shop.paths().count("orders") == 3:
            return httpx.Response(400, json={"errors": [{"code": 39, "message": "x"}]})
        return None

    shop.faults.append(fail_third_page)
    shop.seen.clear()
    with pytest.raises(FatalApiError):
        _run(profile, shop, run_id="r2")
    stored = _query(profile, "SELECT value FROM sync_state WHERE name LIKE '%date_upd'")
    assert stored == [("2024-03-01 10:24:00",)]
    restaged = _query(profile, "SELECT count(*) FROM stg_orders WHERE run_id = 'r2'")
    assert restaged == [(20,)]


def test_extract_never_stores_secrets(profile, shop):
    _run(profile, shop)
    secrets = {
        shop.records["orders"][0]["secure_key"],
        shop.records["customers"][0]["secure_key"],
        shop.records["customers"][0]["passwd"],
    }
    payloads = " ".join(
        p for (p,) in _query(profile, "SELECT payload FROM raw_records")
    )
    for secret in secrets:
        assert secret not in payloads
    assert '"passwd"' not in payloads
    assert '"secure_key"' not in payloads
    assert '"reset_password_token"' not in payloads


def test_extract_removed_line_disappears_from_staging(profile, shop):
    _run(profile, shop)
    order = _order(shop, 4)
    order["associations"]["order_rows"] = order["associations"]["order_rows"][:1]
    order["date_upd"] = "2024-03-01 10:50:00"
    shop.records["order_details"] = [
        d for d in shop.records["order_details"] if d["id"] != 41
    ]
    _run(profile, shop, run_id="r2")
    lines = _query(profile, "SELECT line_id FROM stg_order_lines WHERE order_id = 4")
    assert lines == [(40,)]


def test_extract_incomplete_order_is_read_again_next_run(profile, shop, fast_retries):
    def broken_customer(request: httpx.Request) -> httpx.Response | None:
        wanted = request.url.params.get("filter[id]", "").strip("[]").split("|")
        if request.url.path.endswith("customers") and "12" in wanted:
            return httpx.Response(503)
        return None

    shop.faults.append(broken_customer)
    first = _run(profile, shop)
    assert 12 in first.changed_order_ids
    assert len(first.problems) == 1
    assert first.watermark_after == "2024-03-01 10:11:00"  # held at order 12
    assert _query(profile, "SELECT order_id FROM extract_incomplete") == [(12,)]

    shop.faults.clear()
    second = _run(profile, shop, run_id="r2")
    assert second.changed_order_ids == [12]
    assert second.requests_by_resource["customers"] == 1
    assert second.watermark_after == "2024-03-01 10:24:00"
    assert _query(profile, "SELECT count(*) FROM extract_incomplete") == [(0,)]
    assert _query(profile, "SELECT count(*) FROM stg_customers") == [(25,)]


def test_extract_remembers_refused_date_sort(tmp_path):
    profile = make_profile(tmp_path)
    shop = FakeShop(records=build_shop(5, start=START), refuse_date_sort=True)
    first = _run(profile, shop)
    assert first.fallback_used
    assert first.orders_staged == 5
    assert _query(
        profile, "SELECT value FROM sync_state WHERE name = ?", [DATE_SORT_STATE]
    )
    second = _run(profile, shop, run_id="r2")
    assert second.fallback_used
    assert second.requests_by_resource == {"order_states": 1, "orders": 1}


def test_extract_empty_shop_in_bare_list_shape(tmp_path):
    profile = make_profile(tmp_path)
    shop = FakeShop(records=build_shop(0, start=START), empty_shape=[])
    result = _run(profile, shop)
    assert result.orders_seen == 0
    assert result.watermark_after is None
    assert result.requests_by_resource == {"order_states": 1, "orders": 1}


@pytest.mark.parametrize(
    ("kwargs", "now"),
    [
        ({"mode": "everything"}, NOW),
        ({"mode": "range", "since": "2024-03-02", "until": "2024-03-01"}, NOW),
        ({}, datetime(2024, 3, 2, 12, 0)),
    ],
    ids=["unknown-mode", "reversed-range", "naive-clock"],
)
def test_extract_bad_arguments_are_config_errors(profile, shop, kwargs, now):
    with pytest.raises(ConfigError):
        _run(profile, shop, now=now, **kwargs)


def test_extract_unreadable_order_holds_watermark_until_readable(
    profile, shop, fast_retries
):
    shop.broken = {"orders": {15}}
    first = _run(profile, shop)
    assert 15 not in first.seen_order_ids
    assert first.orders_staged == 24
    assert len(first.problems) == 1
    assert first.watermark_after is not None
    assert first.watermark_after < "2024-03-01 10:14:00"  # order 15's date_upd

    shop.broken = {}
    second = _run(profile, shop, run_id="r2")
    assert second.changed_order_ids == [15]
    assert second.watermark_after == "2024-03-01 10:24:00"


def test_extract_order_listed_twice_in_a_run_is_read_once(profile, shop, fast_retries):
    # order 20 ends the second page and cannot be rendered, so the pager goes
    # on by id and lists orders 10-19 a second time
    shop.broken = {"orders": {20}}
    result = _run(profile, shop)
    assert result.orders_staged == 24
    assert result.requests_by_resource["customers"] == 3
