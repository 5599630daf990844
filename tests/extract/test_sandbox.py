"""Extraction against the PrestaShop sandbox, one quirk switched on per test.

The sandbox runs in-process on 127.0.0.1; every test builds its own small
shop unless it only reads the module's shared one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pytest
from pydantic import SecretStr

from koppel.exceptions import ApiAuthError, FatalApiError
from koppel.extract import ExtractResult, extract_orders
from koppel.profile import Profile
from koppel.sandbox.prestashop import SandboxOptions, Shop, create_app, generate_shop
from koppel.sandbox.server import start_server
from koppel.settings import DEMO_PRESTASHOP_KEY
from tests.extract.conftest import make_profile

AMS = ZoneInfo("Europe/Amsterdam")
# The 30 days before this moment include the end of summer time (27 Oct 2024).
NOW = datetime(2024, 11, 5, 12, 0, tzinfo=AMS)
MINUTE = timedelta(minutes=1)


@contextmanager
def served(shop: Shop, **options: Any) -> Iterator[str]:
    """Serve ``shop`` on loopback; yield the webservice URL."""
    with start_server(create_app(shop, SandboxOptions(**options))) as server:
        yield server.url + "/api"


def _profile(tmp_path: Path, url: str, **prestashop: Any) -> Profile:
    return make_profile(tmp_path, url=url, **prestashop)


def _run(profile: Profile, run_id: str = "r1", **kwargs: Any) -> ExtractResult:
    kwargs.setdefault("now", NOW)
    key = SecretStr(kwargs.pop("key", DEMO_PRESTASHOP_KEY))
    return extract_orders(profile, key, run_id=run_id, **kwargs)


def _rows(profile: Profile, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(profile.database_path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _eligible(shop: Shop, order_ids: list[int] | None = None) -> list[int]:
    states = shop.table("order_states")
    orders = shop.table("orders").values()
    return sorted(
        o["id"]
        for o in orders
        if (order_ids is None or o["id"] in order_ids)
        and "1" in (states[int(o["current_state"])][f] for f in ("paid", "logable"))
    )


@pytest.fixture(scope="module")
def shared_shop() -> Shop:
    """A read-only 80-order shop (do not mutate)."""
    return generate_shop(orders=80, seed=5, now=NOW)


@pytest.fixture(scope="module")
def small_shop() -> Shop:
    """A read-only 30-order shop for the version profiles."""
    return generate_shop(orders=30, seed=16, now=NOW)


@pytest.fixture(scope="module")
def extracted(shared_shop, tmp_path_factory) -> tuple[Profile, ExtractResult]:
    """The shared shop extracted once (PrestaShop 8); tests only read it."""
    with served(shared_shop) as url:
        profile = _profile(tmp_path_factory.mktemp("shared"), url)
        return profile, _run(profile)


@pytest.mark.parametrize("version", ["1.7", "8", "9"])
def test_sandbox_version_profiles_extract_every_order(tmp_path, small_shop, version):
    shared_shop = small_shop
    with served(shared_shop, version=version) as url:
        profile = _profile(tmp_path, url, page_size=10)
        first = _run(profile)
        second = _run(profile, run_id="r2")
    assert first.seen_order_ids == sorted(shared_shop.table("orders"))
    assert first.changed_order_ids == first.seen_order_ids
    assert first.eligible_order_ids == _eligible(shared_shop)
    assert first.fallback_used is (version == "9")
    assert first.problems == []
    assert second.requests_by_resource == {"order_states": 1, "orders": 1}
    assert second.orders_staged == 0


def test_sandbox_staged_amounts_and_lines_match_the_shop(extracted, shared_shop):
    profile, _ = extracted
    staged = dict(
        _rows(profile, "SELECT order_id, total_paid_tax_incl FROM stg_orders")
    )
    for order_id, order in shared_shop.table("orders").items():
        assert staged[order_id] == Decimal(order["total_paid_tax_incl"])
    lines = dict(
        _rows(profile, "SELECT order_id, count(*) FROM stg_order_lines GROUP BY 1")
    )
    for order_id in shared_shop.table("orders"):
        assert lines.get(order_id, 0) == len(shared_shop.details_of(order_id))
    unknown = _rows(
        profile, "SELECT count(*) FROM stg_order_lines WHERE tax_rate IS NULL"
    )
    assert unknown == [(0,)]


def test_sandbox_lines_carry_the_products_own_reference(extracted, shared_shop):
    profile, result = extracted
    products = shared_shop.table("products")
    rows = _rows(
        profile,
        "SELECT product_id, product_reference, product_base_reference "
        "FROM stg_order_lines WHERE product_attribute_id IS NOT NULL",
    )
    assert rows
    for product_id, line_reference, base_reference in rows:
        if product_id in products:
            assert base_reference == products[product_id]["reference"]
            assert line_reference.startswith(base_reference)
        else:  # a deleted product: only the line's snapshot is left
            assert base_reference is None
    # products are read once per run, by id, with just their reference
    assert result.requests_by_resource["products"] <= 2


def test_sandbox_dst_instants_match_the_shop_clock(extracted, shared_shop):
    profile, _ = extracted
    staged = dict(_rows(profile, "SELECT order_id, date_add FROM stg_orders"))
    offsets = set()
    for order_id, order in shared_shop.table("orders").items():
        moment: datetime = order["date_add"]
        local = moment.astimezone(AMS)
        if local.replace(fold=1).utcoffset() != local.replace(fold=0).utcoffset():
            continue  # the repeated hour: a shop string cannot say which pass
        assert staged[order_id] == moment
        offsets.add(local.utcoffset())
    assert len(offsets) == 2  # both summer and winter time were converted


def test_sandbox_dst_fall_back_update_in_repeated_hour_is_picked_up(tmp_path):
    shop = generate_shop(orders=5, seed=2, now=datetime(2024, 10, 26, 12, tzinfo=AMS))
    [first_pass] = shop.add_orders(1, at=datetime(2024, 10, 27, 0, 40, tzinfo=UTC))
    with served(shop) as url:
        profile = _profile(tmp_path, url)
        first = _run(profile, now=datetime(2024, 10, 27, 0, 50, tzinfo=UTC))
        assert first.watermark_after == "2024-10-27 02:40:00"
        # clocks went back: 02:05 of the second pass sorts before the watermark
        [second_pass] = shop.add_orders(1, at=datetime(2024, 10, 27, 1, 5, tzinfo=UTC))
        second = _run(
            profile, run_id="r2", now=datetime(2024, 10, 27, 1, 20, tzinfo=UTC)
        )
    assert first_pass in first.changed_order_ids
    assert second.changed_order_ids == [second_pass]
    stamp = _rows(
        profile,
        "SELECT date_upd_local FROM stg_orders WHERE order_id = ?",
        [second_pass],
    )
    assert stamp == [("2024-10-27 02:05:00",)]


@pytest.mark.parametrize("zone", ["America/Sao_Paulo", "Asia/Kolkata"])
def test_sandbox_shop_timezone_from_profile(tmp_path, zone):
    now = datetime(2024, 11, 5, 12, tzinfo=ZoneInfo(zone))
    shop = generate_shop(orders=12, seed=4, now=now)
    with served(shop) as url:
        profile = _profile(tmp_path, url, timezone=zone)
        _run(profile, now=now)
    staged = dict(_rows(profile, "SELECT order_id, date_upd FROM stg_orders"))
    assert staged == {i: o["date_upd"] for i, o in shop.table("orders").items()}


def test_sandbox_multishop_reads_only_the_profiles_shop(tmp_path):
    shop = generate_shop(orders=60, seed=6, now=NOW, shops=2)
    in_shop = {
        n: sorted(i for i, o in shop.table("orders").items() if o["id_shop"] == n)
        for n in ("1", "2")
    }
    assert in_shop["1"] and in_shop["2"]
    with served(shop, multishop=True) as url:
        second = _run(_profile(tmp_path / "s2", url, id_shop=2))
        default = _run(_profile(tmp_path / "s1", url))
    assert second.seen_order_ids == in_shop["2"]
    assert default.seen_order_ids == in_shop["1"]
    profile = _profile(tmp_path / "s2", url, id_shop=2)
    assert _rows(profile, "SELECT DISTINCT id_shop FROM stg_orders") == [(2,)]
    missing = _rows(
        profile,
        "SELECT count(*) FROM stg_orders o WHERE customer_id IS NOT NULL AND NOT "
        "EXISTS (SELECT 1 FROM stg_customers c WHERE c.customer_id = o.customer_id)",
    )
    assert missing[0][0] <= len(shop.orders_with_quirk("deleted_customer"))


def test_sandbox_key_not_bound_to_shop_is_an_auth_error(tmp_path):
    shop = generate_shop(orders=4, seed=6, now=NOW, shops=2)
    with served(shop, multishop=True, key_shops=[1]) as url:
        with pytest.raises(ApiAuthError):
            _run(_profile(tmp_path, url, id_shop=2))


def test_sandbox_wrong_key_is_an_auth_error(tmp_path, shared_shop):
    with served(shared_shop) as url:
        with pytest.raises(ApiAuthError):
            _run(_profile(tmp_path, url), key="X" * 32)


def test_sandbox_host_dropping_authorization_header_is_an_auth_error(
    tmp_path, shared_shop
):
    # koppel never falls back to `ws_key`: a key in the query string would
    # end up in logs and proxies
    with served(shared_shop, strip_authorization=True) as url:
        with pytest.raises(ApiAuthError) as info:
            _run(_profile(tmp_path, url))
    assert info.value.status == 401
    assert DEMO_PRESTASHOP_KEY not in str(info.value)


def test_sandbox_disabled_webservice_fails_without_retrying(tmp_path, shared_shop):
    with served(shared_shop, webservice_enabled=False) as url:
        with pytest.raises(FatalApiError) as info:
            _run(_profile(tmp_path, url))
    assert info.value.codes == ["22"]


def test_sandbox_random_php_notices_are_retried(tmp_path, fast_retries):
    shop = generate_shop(orders=30, seed=15, now=NOW)
    with served(shop) as url:
        clean = _run(_profile(tmp_path / "clean", url, page_size=10))
    with served(shop, fault_every=4) as url:
        result = _run(_profile(tmp_path / "faulty", url, page_size=10))
    assert result.seen_order_ids == sorted(shop.table("orders"))
    assert result.changed_order_ids == clean.changed_order_ids
    assert result.problems == []
    assert result.requests > clean.requests  # the failed requests were retried


def test_sandbox_unrenderable_order_is_reported_and_held(tmp_path, fast_retries):
    shop = generate_shop(orders=40, seed=7, now=NOW)
    broken = sorted(shop.table("orders"))[17]
    broken_date = (
        shop.order(broken)["date_upd"].astimezone(AMS).strftime("%Y-%m-%d %H:%M:%S")
    )
    with served(shop, fault_ids={"orders": [broken]}) as url:
        profile = _profile(tmp_path, url, page_size=10)
        result = _run(profile)
    assert broken not in result.seen_order_ids
    assert len(result.seen_order_ids) == 39
    assert len(result.problems) == 1
    assert result.watermark_after < broken_date


@pytest.mark.parametrize(
    ("option", "resource"),
    [
        ("fault_ids", "customers"),
        ("html_fatal_ids", "order_details"),
        ("fault_ids", "products"),
    ],
    ids=["php-notice-customer", "html-fatal-detail", "php-notice-product"],
)
def test_sandbox_broken_related_record_marks_order_incomplete(
    tmp_path, fast_retries, option, resource
):
    shop = generate_shop(orders=30, seed=8, now=NOW)
    order = shop.order(sorted(shop.table("orders"))[10])
    detail = shop.details_of(order["id"])[0]
    record_id = {
        "customers": int(order["id_customer"]),
        "order_details": detail["id"],
        "products": int(detail["product_id"]),
    }[resource]
    with served(shop, **{option: {resource: [record_id]}}) as url:
        profile = _profile(tmp_path, url)
        result = _run(profile)
    assert order["id"] in result.changed_order_ids
    assert len(result.problems) == 1
    incomplete = _rows(profile, "SELECT order_id, resources FROM extract_incomplete")
    assert (order["id"], resource) in incomplete


def test_sandbox_rate_limit_429_is_waited_out(tmp_path):
    shop = generate_shop(orders=6, seed=9, now=NOW)
    with served(shop, rate_limit=6, rate_window=1.0) as url:
        result = _run(_profile(tmp_path, url))
    assert result.orders_staged == 6
    assert result.requests > 12  # the refused requests were sent again


def test_sandbox_split_orders_share_reference_and_one_payment(extracted, shared_shop):
    split = shared_shop.orders_with_quirk("split")
    assert split
    profile, _ = extracted
    reference = shared_shop.order(split[0])["reference"]
    siblings = shared_shop.orders_by_reference(reference)
    assert len(siblings) == 2
    staged = _rows(
        profile,
        "SELECT order_id FROM stg_orders WHERE reference = ? ORDER BY 1",
        [reference],
    )
    assert [r[0] for r in staged] == sorted(siblings)
    payments = _rows(
        profile,
        "SELECT payment_id FROM stg_payments WHERE order_reference = ?",
        [reference],
    )
    shop_payments = [
        p["id"]
        for p in shared_shop.table("order_payments").values()
        if p["order_reference"] == reference
    ]
    assert sorted(r[0] for r in payments) == sorted(shop_payments)


def test_sandbox_deleted_references_are_staged_without_errors(extracted, shared_shop):
    gone_customer = shared_shop.orders_with_quirk("deleted_customer")
    gone_product = shared_shop.orders_with_quirk("deleted_product")
    assert gone_customer and gone_product
    profile, result = extracted
    assert result.problems == []
    order = shared_shop.order(gone_customer[0])
    assert _rows(
        profile,
        "SELECT count(*) FROM stg_customers WHERE customer_id = ?",
        [int(order["id_customer"])],
    ) == [(0,)]
    address = _rows(
        profile,
        "SELECT deleted FROM stg_addresses WHERE address_id = ?",
        [int(order["id_address_invoice"])],
    )
    assert address == [(True,)]
    names = _rows(
        profile,
        "SELECT product_name FROM stg_order_lines WHERE order_id = ?",
        [gone_product[0]],
    )
    assert all(name for (name,) in names)


def test_sandbox_html_entities_are_undone(extracted, shared_shop):
    orders = shared_shop.orders_with_quirk("html_entity_name")
    assert orders
    profile, _ = extracted
    names = [n for (n,) in _rows(profile, "SELECT product_name FROM stg_order_lines")]
    assert any("&" in n for n in names)
    assert not any("&amp;" in n or "&#" in n for n in names)
    companies = [c for (c,) in _rows(profile, "SELECT company FROM stg_addresses") if c]
    assert not any("&amp;" in c for c in companies)


@pytest.mark.parametrize(
    ("language", "expected"), [(1, "Betaling aanvaard"), (2, None)]
)
def test_sandbox_multilang_names_are_plain_text(tmp_path, language, expected):
    shop = generate_shop(orders=3, seed=13, now=NOW)
    with served(shop, multilang=True) as url:
        profile = _profile(tmp_path, url, language_id=language)
        _run(profile)
    names = dict(_rows(profile, "SELECT state_id, name FROM ref_order_states"))
    assert all(isinstance(n, str) and not n.startswith("[") for n in names.values())
    if expected is not None:
        assert names[2] == expected
    else:
        assert names[2] != "Betaling aanvaard"


def test_sandbox_state_change_makes_order_eligible_next_run(tmp_path):
    shop = generate_shop(orders=30, seed=10, now=NOW)
    waiting = shop.orders_with_quirk("awaiting_payment")
    assert waiting
    with served(shop) as url:
        profile = _profile(tmp_path, url)
        first = _run(profile)
        assert waiting[0] not in first.eligible_order_ids
        shop.set_state(waiting[0], 2, at=NOW - MINUTE)
        second = _run(profile, run_id="r2")
    assert second.changed_order_ids == [waiting[0]]
    assert second.eligible_order_ids == [waiting[0]]


def test_sandbox_rescan_catches_address_edit(tmp_path):
    shop = generate_shop(orders=20, seed=11, now=NOW)
    order = shop.order(sorted(shop.table("orders"))[-1])
    with served(shop) as url:
        profile = _profile(tmp_path, url)
        _run(profile)
        shop.edit_address(
            int(order["id_address_invoice"]), city="Zwolle", at=NOW - MINUTE
        )
        incremental = _run(profile, run_id="r2")
        rescan = _run(profile, run_id="r3", mode="rescan", days=2)
    assert incremental.changed_order_ids == []
    assert order["id"] in rescan.changed_order_ids
    assert rescan.watermark_after == rescan.watermark_before


def test_sandbox_edited_order_restages_lines(tmp_path):
    shop = generate_shop(orders=20, seed=12, now=NOW)
    order_id = sorted(shop.table("orders"))[3]
    detail = shop.details_of(order_id)[0]
    with served(shop) as url:
        profile = _profile(tmp_path, url)
        _run(profile)
        shop.edit_order(order_id, quantities={detail["id"]: 7}, at=NOW - MINUTE)
        second = _run(profile, run_id="r2")
    assert second.changed_order_ids == [order_id]
    quantity = _rows(
        profile,
        "SELECT quantity FROM stg_order_lines WHERE line_id = ?",
        [detail["id"]],
    )
    assert quantity == [(7,)]


def test_sandbox_range_backfill_keeps_watermark(tmp_path):
    shop = generate_shop(orders=25, seed=14, now=NOW)
    with served(shop) as url:
        profile = _profile(tmp_path, url)
        first = _run(profile)
        backfill = _run(
            profile, run_id="r2", mode="range", since="2024-10-20", until="2024-10-25"
        )
    assert backfill.watermark_after == first.watermark_after
    assert 0 < backfill.orders_seen < first.orders_seen
    assert backfill.orders_staged == 0
