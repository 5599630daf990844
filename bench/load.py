"""Benchmark: a 5,000-order backfill into the SnelStart sandbox.

Prints, as JSON, the SnelStart calls per booked order and the share of the
configured rate ceiling the load used. The sandbox enforces the production
gateway limits (500 calls a minute, 5,000 an hour, 50 at once) and koppel's
throttle is configured with the same figures; both use windows shortened by
``--scale`` (60 turns an hour into a minute), so the backfill runs into the
real ceilings without waiting real hours. Shares are scale-free.

Usage::

    .venv/bin/python bench/load.py --orders 5000 --scale 60
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from bisect import bisect_left
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from koppel import settings, staging  # noqa: E402
from koppel.loading import LoadOptions, execute_plan  # noqa: E402
from koppel.profile import parse_profile  # noqa: E402
from koppel.sandbox.server import start_server  # noqa: E402
from koppel.sandbox.snelstart import (  # noqa: E402
    FaultOptions,
    SandboxOptions,
    SnelstartSandbox,
    create_app,
)
from koppel.snelstart.client import SnelstartClient  # noqa: E402
from koppel.snelstart.throttle import Throttle  # noqa: E402
from tests.loading.plans import build_plan, profile_data, seeded  # noqa: E402


class StampingTransport(httpx.BaseTransport):
    """Records when each API call left and how it was answered."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.stamps: list[float] = []
        self.statuses: dict[int, int] = {}
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        sent = time.monotonic()
        response = self.inner.handle_request(request)
        if "/v2/" in request.url.path:
            with self._lock:
                self.stamps.append(sent)
                code = response.status_code
                self.statuses[code] = self.statuses.get(code, 0) + 1
        return response

    def close(self) -> None:
        self.inner.close()


def _peak(stamps: list[float], window: float) -> int:
    ordered = sorted(stamps)
    return max(
        (bisect_left(ordered, t + window) - i for i, t in enumerate(ordered)),
        default=0,
    )


def run(orders: int, scale: float, workers: int, fault_rate: float) -> dict[str, Any]:
    """Backfill ``orders`` orders; return the figures."""
    minute, hour = 60.0 / scale, 3600.0 / scale
    sandbox = SnelstartSandbox(
        SandboxOptions(
            tier="production",
            minute_seconds=minute,
            hour_seconds=hour,
            faults=FaultOptions(seed=1, error_rate=fault_rate, retry_after=0),
        )
    )
    server = start_server(create_app(sandbox))
    data_dir = Path(tempfile.mkdtemp(prefix="koppel-bench-load-"))
    profile = parse_profile(profile_data(data_dir, server.url))
    clientkey = SecretStr(settings.DEMO_SNELSTART_CLIENTKEY)
    throttle = Throttle.for_profile(
        profile,
        clientkey.get_secret_value(),
        minute_seconds=minute,
        hour_seconds=hour,
    )
    transport = StampingTransport()
    client = SnelstartClient(
        profile.snelstart,
        clientkey=clientkey,
        subscription_key=SecretStr(settings.DEMO_SNELSTART_SUBSCRIPTION_KEY),
        transport=transport,
        throttle=throttle,
    )
    try:
        plan = build_plan(
            seeded(client),
            range(1, orders + 1),
            new_customer_every=7,
            new_article_every=11,
        )
        transport.stamps.clear()
        started = time.monotonic()
        with staging.connect(profile.database_path) as con:
            result = execute_plan(
                client,
                con,
                plan,
                profile=profile,
                run_id="bench",
                options=LoadOptions(workers=workers, settle_seconds=0.0),
            )
        seconds = time.monotonic() - started
    finally:
        client.close()
        server.stop()
    snel = profile.snelstart
    calls = len(transport.stamps)
    booked = len(result.loaded) + len(result.recovered)
    ceiling = min(snel.calls_per_minute / minute, snel.calls_per_hour / hour)
    return {
        "orders": orders,
        "booked": booked,
        "failed": len(result.failed),
        "calls": calls,
        "calls_per_booked_order": round(calls / max(booked, 1), 3),
        "calls_by_kind": result.calls,
        "relaties_created": result.relaties_created,
        "artikelen_created": result.artikelen_created,
        "seconds": round(seconds, 1),
        "scale": scale,
        "ceiling_calls_per_second": round(ceiling, 2),
        "share_of_rate_ceiling": round(calls / seconds / ceiling, 3),
        "peak_share_of_minute_limit": round(
            _peak(transport.stamps, minute) / snel.calls_per_minute, 3
        ),
        "peak_share_of_hour_limit": round(
            _peak(transport.stamps, hour) / snel.calls_per_hour, 3
        ),
        "gateway_429": transport.statuses.get(429, 0),
        "retries": result.retries,
        "throttle_wait_seconds_all_workers": round(result.throttle_wait_seconds, 1),
        "booked_in_sandbox": sandbox.administration().count("verkooporders"),
    }


def main() -> None:
    """Parse arguments, run, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--scale", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--fault-rate", type=float, default=0.0)
    args = parser.parse_args()
    figures = run(args.orders, args.scale, args.workers, args.fault_rate)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
