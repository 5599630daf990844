"""Benchmark the PrestaShop sandbox: generation and page serving at 10,000 orders.

Run: ``.venv/bin/python bench/prestashop_sandbox.py [--orders 10000]``.
Everything runs on 127.0.0.1; figures are wall-clock and vary ±20 %.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
from timing import figures, timed

from koppel.sandbox.prestashop import SandboxOptions, create_app, generate_shop
from koppel.sandbox.server import start_server
from koppel.settings import DEMO_PRESTASHOP_KEY

NOW = datetime(2024, 11, 5, 12, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))


def _report(label: str, times: list[float]) -> None:
    median, worst, _ = figures(times)
    print(f"  {label:<58} median {median:8.1f} ms   max {worst:8.1f} ms")


def main() -> None:
    """Print generation and serving figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    started = time.perf_counter()
    shop = generate_shop(orders=args.orders, seed=1, now=NOW)
    generated = time.perf_counter() - started
    counts = {name: len(rows) for name, rows in shop.tables.items() if len(rows) > 100}
    print(f"generate_shop({args.orders}): {generated:.2f} s  {counts}")

    app = create_app(shop, SandboxOptions())
    with start_server(app) as server:
        client = httpx.Client(
            base_url=server.url + "/api",
            auth=(DEMO_PRESTASHOP_KEY, ""),
            headers={"Output-Format": "JSON"},
            trust_env=False,
            timeout=60,
        )
        middle = args.orders // 2

        def page(**params: str) -> Callable[[], object]:
            def fetch() -> object:
                response = client.get("/orders", params=params)
                response.raise_for_status()
                return response.content

            return fetch

        print(f"serving from a {args.orders}-order shop over loopback:")
        _report(
            "100 orders display=full (limit=o,100)",
            timed(page(display="full", limit=f"{middle},100"), args.repeat),
        )
        _report(
            "100 orders display=full, filter[id]=[a,b]",
            timed(
                page(display="full", **{"filter[id]": f"[{middle},{middle + 99}]"}),
                args.repeat,
            ),
        )
        _report(
            "100 orders display=full, date window + sort date_upd,id",
            timed(
                page(
                    display="full",
                    date="1",
                    sort="[date_upd_ASC,id_ASC]",
                    limit=f"{middle},100",
                    **{"filter[date_upd]": "[2024-10-06 00:00:00,2024-11-05 12:00:00]"},
                ),
                args.repeat,
            ),
        )
        _report("all order ids (no display)", timed(page(), args.repeat))
        details = timed(
            lambda: client.get(
                "/order_details",
                params={
                    "display": "full",
                    "filter[id_order]": f"[{middle},{middle + 99}]",
                },
            ).raise_for_status(),
            args.repeat,
        )
        _report("order_details of 100 orders (filter[id_order]=[a,b])", details)
        client.close()


if __name__ == "__main__":
    main()
