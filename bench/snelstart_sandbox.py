"""Benchmark the SnelStart sandbox: call latency, OData on large lists, saving.

Run: ``.venv/bin/python bench/snelstart_sandbox.py [--orders 2000]``.
Everything runs on 127.0.0.1; figures are wall-clock and vary ±20 %.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import httpx
from timing import figures, timed

from koppel.sandbox.server import start_server
from koppel.sandbox.snelstart import SandboxOptions, SnelstartSandbox, create_app
from koppel.sandbox.snelstart.contract import load_contract
from koppel.sandbox.snelstart.seed import seeded_id
from koppel.settings import DEMO_SNELSTART_CLIENTKEY, DEMO_SNELSTART_SUBSCRIPTION_KEY


def _report(label: str, times: list[float]) -> None:
    median, worst, rate = figures(times)
    print(f"  {label:<52} median {median:7.2f} ms  max {worst:7.1f} ms  {rate:6.0f}/s")


def _login(client: httpx.Client) -> None:
    form = {"grant_type": "clientkey", "clientkey": DEMO_SNELSTART_CLIENTKEY}
    token = client.post("/b2b/token", data=form).json()["access_token"]
    client.headers.update(
        {
            "Authorization": f"Bearer {token}",
            "Ocp-Apim-Subscription-Key": DEMO_SNELSTART_SUBSCRIPTION_KEY,
        }
    )


def _order(sandbox: SnelstartSandbox, n: int) -> dict:
    admin = sandbox.administration()
    relatie = seeded_id(admin, "relatie", "sanne.devries@example.nl")
    lines = [
        {"artikel": {"id": seeded_id(admin, "artikel", code)}, "stuksprijs": 12.95}
        for code in ("MWS", "WW-250", "KPB-01", "VERZEND-H")
    ]
    return {
        "relatie": {"id": relatie},
        "datum": "2024-05-01T00:00:00",
        "orderreferentie": f"PS-{n}",
        "verkooporderBtwIngaveModel": "Inclusief",
        "regels": lines,
    }


def _bench_calls(orders: int, state_file: Path | None) -> None:
    options = SandboxOptions(throttling=False, state_file=state_file)
    started = time.perf_counter()
    sandbox = SnelstartSandbox(options)
    print(f"  sandbox start with seed: {(time.perf_counter() - started) * 1000:.0f} ms")
    with (
        start_server(create_app(sandbox)) as server,
        httpx.Client(base_url=server.url, timeout=30.0) as client,
    ):
        _login(client)
        _report("GET /landen", timed(lambda: client.get("/v2/landen"), 200))
        counter = iter(range(10**9))
        posts = timed(
            lambda: client.post(
                "/v2/verkooporders", json=_order(sandbox, next(counter))
            ),
            orders,
        )
        _report(f"POST /verkooporders (1..{orders} stored)", posts)
        _report(f"  last 100 of those ({orders} stored)", posts[-100:])
        last = f"PS-{orders - 1}"
        lookup = {"$filter": f"Orderreferentie eq '{last}'"}
        _report(
            f"GET /verkooporders?$filter=ref (of {orders})",
            timed(lambda: client.get("/v2/verkooporders", params=lookup), 50),
        )
        page = {"$top": 500, "$skip": 0}
        _report(
            "GET /verkooporders?$top=500 (page of 4-line orders)",
            timed(lambda: client.get("/v2/verkooporders", params=page), 20),
        )
    if state_file is not None:
        size = state_file.stat().st_size / 1e6
        journal = state_file.with_name(state_file.name + ".journal")
        pending = journal.stat().st_size / 1e6 if journal.exists() else 0.0
        print(
            f"  after {orders} orders: snapshot {size:.1f} MB, journal {pending:.1f} MB"
        )


def _bench_relaties(count: int) -> None:
    sandbox = SnelstartSandbox(SandboxOptions(throttling=False))
    admin = sandbox.administration()
    base = admin.list("relaties")[1]
    for i in range(count):
        admin.put(
            "relaties",
            {**base, "id": f"00000000-0000-4000-8000-{i:012d}", "email": f"k{i}@x.nl"},
        )
    with (
        start_server(create_app(sandbox)) as server,
        httpx.Client(base_url=server.url, timeout=30.0) as client,
    ):
        _login(client)
        emails = " or ".join(
            f"Email eq 'k{i}@x.nl'" for i in range(0, count, count // 20)
        )
        query = {"$filter": f"({emails}) and Relatiesoort/any(r:r eq 'Klant')"}
        _report(
            f"GET /relaties 20-way or-filter over {count} relaties",
            timed(lambda: client.get("/v2/relaties", params=query), 20),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--relaties", type=int, default=5000)
    args = parser.parse_args()

    started = time.perf_counter()
    load_contract()
    print(f"contract load (openapi-core): {(time.perf_counter() - started):.2f} s")
    print("in memory:")
    _bench_calls(args.orders, None)
    with tempfile.TemporaryDirectory() as tmp:
        print("with a state file:")
        _bench_calls(args.orders, Path(tmp) / "state.json")
    print("large relaties list:")
    _bench_relaties(args.relaties)


if __name__ == "__main__":
    main()
