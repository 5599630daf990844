"""Benchmark: extract N sandbox orders (customers, addresses, all related
records) into a fresh DuckDB staging file and print the figures as JSON.

The PrestaShop sandbox runs in a child process on 127.0.0.1, so its
rendering does not compete with the extractor for the GIL; ``--in-process``
serves it from a thread instead. A second, incremental run with nothing new
is measured too.

Usage::

    .venv/bin/python bench/extract.py --orders 10000
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import SecretStr

from koppel.extract import ExtractResult, extract_orders
from koppel.profile import Profile, parse_profile
from koppel.settings import DEMO_PRESTASHOP_KEY

NOW = datetime(2024, 11, 5, 12, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))


def _serve(orders: int, seed: int, version: str, url_out: Any, stop: Any) -> None:
    from koppel.sandbox.prestashop import SandboxOptions, create_app, generate_shop
    from koppel.sandbox.server import start_server

    shop = generate_shop(orders=orders, seed=seed, now=NOW)
    with start_server(create_app(shop, SandboxOptions(version=version))) as server:
        url_out.send(server.url)
        stop.wait()


@contextmanager
def sandbox(orders: int, seed: int, version: str, in_process: bool) -> Iterator[str]:
    """The sandbox's webservice URL, served in a child process or a thread."""
    if in_process:
        from koppel.sandbox.prestashop import SandboxOptions, create_app, generate_shop
        from koppel.sandbox.server import start_server

        shop = generate_shop(orders=orders, seed=seed, now=NOW)
        app = create_app(shop, SandboxOptions(version=version))
        with start_server(app) as server:
            yield server.url + "/api"
        return
    ctx = mp.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    stop = ctx.Event()
    child = ctx.Process(target=_serve, args=(orders, seed, version, send, stop))
    child.start()
    try:
        if not receive.poll(600):
            msg = "the sandbox did not start within 600 s"
            raise RuntimeError(msg)
        yield receive.recv() + "/api"
    finally:
        stop.set()
        child.join(30)
        if child.is_alive():
            child.terminate()


def _profile(url: str, data_dir: Path, page_size: int, concurrency: int) -> Profile:
    unused = {"env": "KOPPEL_BENCH_UNUSED"}
    return parse_profile(
        {
            "name": "bench",
            "timezone": "Europe/Amsterdam",
            "data_dir": str(data_dir),
            "prestashop": {
                "url": url,
                "key": unused,
                "page_size": page_size,
                "concurrency": concurrency,
            },
            "snelstart": {
                "api_url": "http://127.0.0.1:9/v2",
                "token_url": "http://127.0.0.1:9/b2b/token",
                "clientkey": unused,
                "subscription_key": unused,
            },
        }
    )


def _peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    divisor = 1024 * 1024 if sys.platform == "darwin" else 1024  # bytes vs KiB
    return round(peak / divisor, 1)


def _run(profile: Profile, run_id: str) -> tuple[ExtractResult, float, float]:
    started = time.perf_counter()
    cpu = time.process_time()
    result = extract_orders(
        profile, SecretStr(DEMO_PRESTASHOP_KEY), run_id=run_id, now=NOW
    )
    return result, time.perf_counter() - started, time.process_time() - cpu


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and print its figures as one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--version", choices=["1.7", "8", "9"], default="8")
    parser.add_argument("--in-process", action="store_true")
    parser.add_argument(
        "--tracemalloc", action="store_true", help="trace Python allocations (slower)"
    )
    args = parser.parse_args(argv)

    with (
        sandbox(args.orders, args.seed, args.version, args.in_process) as url,
        tempfile.TemporaryDirectory() as data_dir,
    ):
        profile = _profile(url, Path(data_dir), args.page_size, args.concurrency)
        rss_before = _peak_rss_mib()
        if args.tracemalloc:
            tracemalloc.start()
        first, wall, cpu = _run(profile, "bench-1")
        traced = tracemalloc.get_traced_memory()[1] if args.tracemalloc else None
        tracemalloc.stop()
        second, wall_again, _ = _run(profile, "bench-2")
        db_bytes = profile.database_path.stat().st_size

    seen = max(first.orders_seen, 1)
    figures = {
        "orders": first.orders_seen,
        "orders_staged": first.orders_staged,
        "eligible": len(first.eligible_order_ids),
        "page_size": args.page_size,
        "concurrency": args.concurrency,
        "sandbox_version": args.version,
        "sandbox": "thread" if args.in_process else "child process",
        "wall_seconds": round(wall, 2),
        "client_cpu_seconds": round(cpu, 2),
        "orders_per_second": round(first.orders_seen / wall, 1),
        "requests": first.requests,
        "requests_per_1000_orders": round(first.requests * 1000 / seen, 1),
        "requests_by_resource": first.requests_by_resource,
        "peak_rss_mib": _peak_rss_mib(),
        "rss_before_extract_mib": rss_before,
        "peak_traced_python_mib": None
        if traced is None
        else round(traced / 1024 / 1024, 1),
        "duckdb_file_mib": round(db_bytes / 1024 / 1024, 1),
        "nothing_new_run": {
            "wall_seconds": round(wall_again, 2),
            "requests_by_resource": second.requests_by_resource,
            "orders_staged": second.orders_staged,
        },
    }
    print(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
