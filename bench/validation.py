"""Benchmark validation: N staged orders, a share of them malformed.

Builds N orders from the test corpus (the clean order, and every malformed
kind in turn for ``--bad-share`` of them) with fresh ids, stages them in a
DuckDB file under a temporary directory, then validates them three times:
all at once (first run), again unchanged (nothing due), and after the shop
"fixed" the malformed ones (every quarantined order due and released).
Prints JSON with the timings, orders per second and peak memory.

    .venv/bin/python bench/validation.py --orders 10000
"""

from __future__ import annotations

import argparse
import copy
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from koppel import quarantine, staging  # noqa: E402
from koppel.profile import load_profile  # noqa: E402
from koppel.validation import validate_orders  # noqa: E402
from tests.validation.corpus import (  # noqa: E402
    Fixture,
    bad_fixtures,
    frozen_now,
    load_fixture,
    seed_reference,
    stage_fixtures,
)

ID_COLUMNS = {
    "orders": ("order_id", "customer_id", "address_delivery_id", "address_invoice_id"),
    "lines": ("line_id", "order_id"),
    "customers": ("customer_id",),
    "addresses": ("address_id", "customer_id"),
    "payments": ("payment_id",),
    "discounts": ("discount_id", "order_id"),
}


def _shifted(fixture: Fixture, n: int) -> Fixture:
    """A copy of the fixture with every id moved into block ``n``."""
    offset = 1_000_000 * (n + 1)
    rows: dict[str, list[dict[str, Any]]] = copy.deepcopy(fixture.rows)
    for table, columns in ID_COLUMNS.items():
        for row in rows[table]:
            for column in columns:
                if isinstance(row.get(column), int) and row[column] > 0:
                    row[column] += offset
    reference = f"B{n:08d}"
    for row in rows["orders"]:
        row["reference"] = reference if row.get("reference") else row.get("reference")
    for row in rows["payments"]:
        row["order_reference"] = reference
    expect = {oid + offset: r for oid, r in fixture.expect.items()}
    return Fixture(f"{fixture.name}#{n}", fixture.kind, fixture.quirk, expect, rows)


def _orders(count: int, bad_share: float) -> list[Fixture]:
    clean, bad = load_fixture("clean"), bad_fixtures()
    every = max(1, round(1 / bad_share)) if bad_share > 0 else 0
    return [
        _shifted(bad[(n // every) % len(bad)] if every and n % every == 0 else clean, n)
        for n in range(count)
    ]


def _fixed(bad: Fixture) -> Fixture:
    """A newer version of a malformed order: the clean order under its id.

    The clean order's customer and addresses come along with ids of their
    own; its lines, discounts and payments take over the malformed order's ids (staging
    keeps rows that vanish from an order).
    """
    n = int(bad.name.rsplit("#", 1)[1])
    clean = _shifted(load_fixture("clean"), n)
    order_id = bad.order_ids[0]
    rows = copy.deepcopy(clean.rows)
    reference = rows["orders"][0]["reference"]
    rows["orders"][0]["order_id"] = order_id
    old_ids = list(dict.fromkeys(line["line_id"] for line in bad.rows["lines"]))
    for i, line in enumerate(rows["lines"]):
        line["order_id"] = order_id
        line["line_id"] = old_ids[i] if i < len(old_ids) else line["line_id"]
    old_discounts = [row["discount_id"] for row in bad.rows["discounts"]]
    for i, row in enumerate(rows["discounts"]):
        row["order_id"] = order_id
        row["discount_id"] = (
            old_discounts[i] if i < len(old_discounts) else row["discount_id"]
        )
    old_payments = [row["payment_id"] for row in bad.rows["payments"]]
    for i, row in enumerate(rows["payments"]):
        row["order_reference"] = reference
        row["payment_id"] = (
            old_payments[i] if i < len(old_payments) else row["payment_id"]
        )
    return Fixture(f"fixed#{n}", "fixed", None, {}, rows)


def main() -> None:
    """Run the benchmark and print its figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--bad-share", type=float, default=0.05)
    args = parser.parse_args()
    profile = load_profile(ROOT / "profiles" / "demo.toml")
    fixtures = _orders(args.orders, args.bad_share)
    figures: dict[str, Any] = {"orders": args.orders, "bad_share": args.bad_share}
    with (
        tempfile.TemporaryDirectory() as tmp,
        staging.connect(Path(tmp) / "b.duckdb") as con,
    ):
        started = time.perf_counter()
        seed_reference(con)
        stage_fixtures(con, fixtures, run_id="run-1")
        figures["stage_seconds"] = round(time.perf_counter() - started, 3)
        figures["first"] = _run(con, profile, "run-1", None)
        figures["unchanged"] = _run(con, profile, "run-2", [])
        broken = [f for f in fixtures if f.expect and f.order_ids]
        stage_fixtures(con, [_fixed(f) for f in broken], run_id="run-3")
        figures["fixed"] = _run(con, profile, "run-3", [])
        figures["still_open"] = len(quarantine.open_order_ids(con))
    figures["peak_rss_mib"] = round(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
    )
    print(json.dumps(figures, indent=2))


def _run(con: Any, profile: Any, run_id: str, ids: list[int] | None) -> dict[str, Any]:
    started, cpu = time.perf_counter(), time.process_time()
    result = validate_orders(
        con, profile=profile, run_id=run_id, order_ids=ids, now=frozen_now()
    )
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 3),
        "cpu_seconds": round(time.process_time() - cpu, 3),
        "checked": result.checked,
        "orders_per_second": round(result.checked / seconds) if seconds else None,
        "passed": len(result.passed_order_ids),
        "quarantined": len(result.quarantined),
        "released": len(result.released_order_ids),
    }


if __name__ == "__main__":
    main()
