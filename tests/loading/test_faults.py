"""Fault tests, 1,000 orders each: every eligible order booked exactly once.

Each test ends by reading the sandbox: as many verkooporders as eligible
orders, every orderreferentie and betalingskenmerk once, and quarantine only
for the orders that carry a real data error.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from koppel.loading import LoadOptions, LoadResult, execute_plan
from koppel.reasons import Reason
from koppel.sandbox.snelstart import SandboxOptions, SnelstartSandbox
from tests.loading.plans import booking, build_plan, seeded

pytestmark = pytest.mark.slow

ORDERS = 1000
BAD = {100, 350, 777}  # street too long: SnelStart refuses them (VOR-0006)
OPTIONS = LoadOptions(workers=4, chunk_size=50, settle_seconds=0.0, max_rounds=5)
ROOT = Path(__file__).resolve().parents[2]


def _plan(seed):
    plan = build_plan(
        seed, range(1, ORDERS + 1), new_customer_every=7, new_article_every=11
    )
    for index, item in enumerate(plan.orders):
        if item.order_id in BAD:
            plan.orders[index] = booking(
                item.order_id, item.relatie_key, afleveradres={"straat": "x" * 60}
            )
    return plan


def _load_until_settled(env, plan, *, client=None, runs: int = 4) -> list[LoadResult]:
    """Run loads until nothing is left pending (transient failures)."""
    client = client or env.client()
    results = []
    for attempt in range(runs):
        with env.connect() as con:
            result = execute_plan(
                client,
                con,
                plan,
                profile=env.profile,
                run_id=f"run-{attempt}",
                options=OPTIONS,
            )
        results.append(result)
        if all(reason is not None for reason, _, _ in result.failed.values()):
            break
    return results


def _assert_booked_exactly_once(orders: list[dict], quarantined: dict) -> None:
    ours = [o for o in orders if str(o.get("orderreferentie", "")).startswith("PS-")]
    refs = Counter(o["orderreferentie"] for o in ours)
    kenmerken = Counter(o["betalingskenmerk"] for o in ours)
    expected = {f"PS-{i}" for i in range(1, ORDERS + 1) if i not in BAD}
    assert set(refs) == expected
    assert max(refs.values()) == 1, [r for r, n in refs.items() if n > 1][:5]
    assert max(kenmerken.values()) == 1
    assert len(ours) == ORDERS - len(BAD)
    assert set(quarantined) == BAD
    assert {reason for reason, _, _ in quarantined.values()} == {
        Reason.SNELSTART_REJECTED
    }
    assert all("VOR-0006" in codes for _, codes, _ in quarantined.values())


def _quarantined(results: list[LoadResult]) -> dict:
    found = {}
    for result in results:
        found.update({k: v for k, v in result.failed.items() if v[0] is not None})
    return found


def test_faults_injected_5xx_and_429_book_every_order_once(env):
    seed = seeded(env.client())
    env.faults(seed=8, error_rate=0.10, throttle_rate=0.10, retry_after=0)
    results = _load_until_settled(env, _plan(seed))
    assert results[0].retries > 100  # the faults really hit
    _assert_booked_exactly_once(env.admin.list("verkooporders"), _quarantined(results))
    names = Counter(r["naam"] for r in env.admin.list("relaties"))
    assert max(names.values()) == 1


def test_faults_create_then_drop_books_every_order_once(env):
    seed = seeded(env.client())
    env.faults(seed=5, drop_rate=0.05, drop_mode="502")
    results = _load_until_settled(env, _plan(seed))
    assert results[0].ambiguous >= 30  # about 5 % of ~1,000 POSTs were dropped
    _assert_booked_exactly_once(env.admin.list("verkooporders"), _quarantined(results))
    codes = Counter(a["artikelcode"] for a in env.admin.list("artikelen"))
    assert max(codes.values()) == 1


def test_faults_dropped_by_timeout_books_every_order_once(env):
    profile = env.make_profile(env.url, timeout_seconds=0.3, **_unlimited())
    env.profile = profile
    seed = seeded(env.client())
    env.faults(seed=3, drop_rate=0.05, drop_mode="timeout", drop_seconds=0.6)
    plan = build_plan(seed, range(1, 201))
    results = _load_until_settled(env, plan)
    assert results[0].ambiguous >= 3
    ours = [o["orderreferentie"] for o in env.admin.list("verkooporders")]
    assert sorted(ours) == sorted(f"PS-{i}" for i in range(1, 201))


def test_faults_two_runs_started_together_book_every_order_once(env):
    seed = seeded(env.client())
    env.faults(seed=11, error_rate=0.05, drop_rate=0.05, retry_after=0)
    plan = _plan(seed)
    with env.connect():
        pass  # create the schema before two connections race on DDL
    start = threading.Barrier(2)
    outcomes: dict[str, list[LoadResult]] = {}

    def run(name: str) -> None:
        client = env.client()
        start.wait()
        outcomes[name] = _load_until_settled(env, plan, client=client)

    threads = [threading.Thread(target=run, args=(n,)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert set(outcomes) == {"a", "b"}
    loaded = outcomes["a"][0].loaded + outcomes["b"][0].loaded
    assert len(loaded) == len(set(loaded))
    quarantined = _quarantined(outcomes["a"] + outcomes["b"])
    _assert_booked_exactly_once(env.admin.list("verkooporders"), quarantined)


def _unlimited() -> dict:
    from tests.loading.plans import UNLIMITED

    return UNLIMITED


def _python(*args: str) -> list[str]:
    return [sys.executable, "-m", *args]


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _start_sandbox(state_file: Path) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        _python("tests.loading.sandbox_process", str(state_file)),
        cwd=ROOT,
        env=_environment(),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), url
    return process, url


def _worker(url: str, data_dir: Path, run_id: str) -> subprocess.Popen:
    return subprocess.Popen(
        _python("tests.loading.load_worker", url, str(data_dir), str(ORDERS), run_id),
        cwd=ROOT,
        env=_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def test_faults_sigkill_at_random_points_then_rerun_books_every_order_once(tmp_path):
    state_file = tmp_path / "sandbox.json"
    sandbox_process, url = _start_sandbox(state_file)
    rng = random.Random(20261204)
    kills = 0
    try:
        for attempt in range(8):
            worker = _worker(url, tmp_path / "data", f"killed-{attempt}")
            assert worker.stdout is not None
            if worker.stdout.readline().strip() != "loading":
                break  # it ended before its load started
            time.sleep(rng.uniform(0.1, 1.0))  # a random point inside the load
            if worker.poll() is not None:
                break  # it finished before the kill: nothing left to cut
            worker.send_signal(signal.SIGKILL)
            worker.wait(30)
            kills += 1
        final = _worker(url, tmp_path / "data", "final")
        output, _ = final.communicate(timeout=300)
        assert final.returncode == 0
        summary = json.loads(output.strip().splitlines()[-1])
    finally:
        sandbox_process.send_signal(signal.SIGKILL)
        sandbox_process.wait(30)
    assert kills >= 2  # the kills really interrupted loads
    assert summary["failed"] == 0
    sandbox = SnelstartSandbox(SandboxOptions(state_file=state_file))
    orders = sandbox.administration().list("verkooporders")
    refs = Counter(o["orderreferentie"] for o in orders)
    assert len(refs) == ORDERS and max(refs.values()) == 1
    kenmerken = Counter(o["betalingskenmerk"] for o in orders)
    assert max(kenmerken.values()) == 1
    names = Counter(r["naam"] for r in sandbox.administration().list("relaties"))
    assert max(names.values()) == 1
