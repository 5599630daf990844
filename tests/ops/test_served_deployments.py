"""Issue 9, done-when: a real local Prefect server, `koppel deploy`, a
deployment triggered and run by `koppel serve` against both sandboxes; the
flow run's final state, its artifacts, its events and the booked orders.
Everything started here is stopped in a ``finally``."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from koppel import settings, staging
from koppel.profile import load_profile
from tests.ops.prefect_server import Api, prefect_server, start, stop
from tests.ops.sandboxes import fast_sandboxes, koppel_argv, sandbox_profile

ROOT = Path(__file__).parents[2]
RUN_TIMEOUT = 240


def koppel(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        koppel_argv(*args),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def deployment_id(api: Api, flow: str, name: str) -> str:
    for deployment in api.deployments():
        flow_name = api.get(f"/flows/{deployment['flow_id']}")["name"]
        if flow_name == flow and deployment["name"] == name:
            return str(deployment["id"])
    raise AssertionError(f"no deployment {flow}/{name}")


def trigger(api: Api, flow: str, name: str, parameters: dict | None = None) -> str:
    body = {"parameters": parameters or {}}
    run = api.post(
        f"/deployments/{deployment_id(api, flow, name)}/create_flow_run", body
    )
    return str(run["id"])


def completed(api: Api, run_id: str, serve_log: Path) -> dict:
    run = api.wait_final(run_id, RUN_TIMEOUT)
    assert run["state"]["type"] == "COMPLETED", (
        f"{run['state']}\n{serve_log.read_text(errors='replace')[-4000:]}"
    )
    return run


def by_key(artifacts: list[dict]) -> dict[str, dict]:
    return {a["key"]: a for a in artifacts if a.get("key")}


def table_value(artifact: dict, figure: str) -> int:
    import json

    rows = artifact["data"]
    rows = json.loads(rows) if isinstance(rows, str) else rows
    return next(int(r["value"]) for r in rows if r["figure"] == figure)


@pytest.mark.slow
def test_deploy_and_serve_run_against_sandboxes(tmp_path):
    ps, sn, sandbox = fast_sandboxes(orders=40, seed=11)
    try:
        profile_path = sandbox_profile(tmp_path / "data", ps, sn)
        profile = load_profile(profile_path)
        with prefect_server(tmp_path) as (api_url, env):
            env = {**env, **settings.DEMO_ENV, "PREFECT_RUNNER_POLL_FREQUENCY": "2"}
            api = Api(api_url)

            deployed = koppel(env, "deploy", str(profile_path))
            assert deployed.returncode == 0, deployed.stderr[-3000:]
            names = sorted(d["name"] for d in api.deployments())
            assert names == ["demo"] * 4

            serve_log = tmp_path / "serve.log"
            server = start(koppel_argv("serve", str(profile_path)), env, serve_log)
            try:
                _rescan_run(api, sandbox, profile, serve_log)
                _import_run(api, sandbox, profile, serve_log)
                _backfill_run(api, profile, serve_log)
                _report_run(api, profile, serve_log)
            finally:
                stop(server)
            _cli_backfill_and_status(env, profile_path)
            _guard_keeps_runs_apart(api, env, profile_path)
            _prefect_yaml_deploys(api, env)
    finally:
        ps.stop()
        sn.stop()


def _booked_references(sandbox) -> Counter:
    orders = sandbox.administration().list("verkooporders")
    return Counter(o.get("orderreferentie") for o in orders)


def _rescan_run(api: Api, sandbox, profile, serve_log: Path) -> None:
    run_id = trigger(api, "rescan", "demo", {"days": 40})
    completed(api, run_id, serve_log)
    references = _booked_references(sandbox)
    assert references, "the served re-scan booked nothing"
    assert max(references.values()) == 1

    artifacts = by_key(api.artifacts(run_id))
    summary = artifacts["koppel-demo-run-summary"]
    assert summary["type"] == "table"
    loaded = table_value(summary, "orders loaded")
    assert loaded == sum(references.values())
    assert table_value(summary, "orders extracted") >= loaded
    quarantine = artifacts["koppel-demo-quarantine"]
    assert quarantine["type"] == "markdown"
    assert "Quarantined orders: demo" in quarantine["data"]

    booked = _events(api, "koppel.order.booked", loaded)
    assert len(booked) == loaded
    allowed = {
        "prefect.resource.id",
        "prefect.resource.name",
        "koppel.profile",
        "koppel.order.id",
        "koppel.snelstart.nummer",
    }
    for event in booked:
        assert set(event["resource"]) <= allowed, "events carry ids only"
        assert event["resource"]["koppel.snelstart.nummer"].isdigit()

    with staging.connect(profile.database_path) as con:
        runs = con.execute("SELECT kind, status FROM runs").fetchall()
    assert runs == [("rescan", "completed")]


def _events(api: Api, name: str, expected: int) -> list[dict]:
    """Events arrive asynchronously: poll until ``expected`` are stored."""
    deadline = time.monotonic() + 60
    found: list[dict] = []
    while time.monotonic() < deadline:
        found = [e for e in api.events(name) if e["event"] == name]
        if len(found) >= expected:
            break
        time.sleep(1)
    return found


def _import_run(api: Api, sandbox, profile, serve_log: Path) -> None:
    before = _booked_references(sandbox)
    run_id = trigger(api, "import-orders", "demo")
    completed(api, run_id, serve_log)
    after = _booked_references(sandbox)
    assert after == before, "orders the re-scan booked must not be booked again"
    with staging.connect(profile.database_path) as con:
        booked = con.execute(
            "SELECT count(*) FROM ledger_orders WHERE status = 'booked'"
        ).fetchone()[0]
    assert booked == sum(after.values())


def _backfill_run(api: Api, profile, serve_log: Path) -> None:
    until = datetime.now(UTC).date()
    since = until - timedelta(days=3)
    run_id = trigger(
        api,
        "backfill",
        "demo",
        {"since": since.isoformat(), "until": until.isoformat()},
    )
    completed(api, run_id, serve_log)
    published = by_key(api.artifacts(run_id))
    progress = published["koppel-demo-backfill"]
    assert progress["type"] == "progress"
    assert float(progress["data"]) == 100.0
    assert published["koppel-demo-backfill-summary"]["type"] == "table"
    with staging.connect(profile.database_path) as con:
        chunks = con.execute(
            "SELECT count(*) FROM runs WHERE kind = 'backfill' AND status = 'completed'"
        ).fetchone()[0]
    assert chunks == 3


def _report_run(api: Api, profile, serve_log: Path) -> None:
    until = datetime.now(UTC).date()
    since = until - timedelta(days=40)
    parameters = {"since": since.isoformat(), "until": until.isoformat()}
    run_id = trigger(api, "quality-report", "demo", parameters)
    completed(api, run_id, serve_log)
    report = by_key(api.artifacts(run_id))["koppel-demo-quality-report"]
    assert report["type"] == "markdown"
    pages = list((Path(profile.data_dir) / "reports").glob("*.html"))
    assert len(pages) == 1
    assert "<html" in pages[0].read_text(encoding="utf-8").lower()


def _cli_backfill_and_status(env: dict[str, str], profile_path: Path) -> None:
    until = datetime.now(UTC).date() - timedelta(days=3)
    since = until - timedelta(days=2)
    args = ["--since", since.isoformat(), "--until", until.isoformat()]
    filled = koppel(env, "backfill", str(profile_path), *args, "--chunk", "1d")
    assert filled.returncode == 0, filled.stderr[-3000:]
    assert "backfill [" + "#" * 30 + "] 2/2 chunks" in filled.stderr
    assert "2/2 chunks" in filled.stdout

    status = koppel(env, "status", str(profile_path), "--runs", "20")
    assert status.returncode == 0, status.stderr[-3000:]
    assert "rescan" in status.stdout
    assert "next run" in status.stdout


def _prefect_yaml_deploys(api: Api, env: dict[str, str]) -> None:
    """deployments/prefect.yaml works with `prefect deploy` as it is."""
    prefect = str(Path(sys.executable).parent / "prefect")
    pool = subprocess.run(
        [prefect, "work-pool", "create", "koppel", "--type", "process"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert pool.returncode == 0, pool.stdout[-2000:] + pool.stderr[-2000:]
    deployed = subprocess.run(
        [
            prefect,
            "--no-prompt",
            "deploy",
            "--prefect-file",
            "deployments/prefect.yaml",
            "--all",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert deployed.returncode == 0, deployed.stdout[-3000:] + deployed.stderr[-3000:]
    pooled = [d for d in api.deployments() if d.get("work_pool_name") == "koppel"]
    assert len(pooled) == 4
    assert all(d["parameters"] == {"profile": "demo"} for d in pooled)


GUARD = (
    "import sys\n"
    "from tasks.ops import profile_guard\n"
    "wait = float(sys.argv[2])\n"
    "with profile_guard(sys.argv[1], holder='test', timeout_seconds=wait):\n"
    "    print('held', flush=True)\n"
    "    sys.stdin.readline()\n"
)


def _guard_keeps_runs_apart(api: Api, env: dict[str, str], profile_path: Path) -> None:
    """A second run of the profile waits for the first, then gives up."""
    holder = subprocess.Popen(
        [sys.executable, "-c", GUARD, str(profile_path), "60"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held", holder.stderr.read()
        second = subprocess.run(
            [sys.executable, "-c", GUARD, str(profile_path), "3"],
            cwd=ROOT,
            env=env,
            input="",
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert second.returncode != 0
        assert "StagingLockedError" in second.stderr
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
    assert holder.returncode == 0

    limits = {c["name"]: c for c in api.post("/v2/concurrency_limits/filter", {})}
    assert limits["koppel-profile-demo"]["limit"] == 1
    administration = [n for n in limits if n.startswith("koppel-snelstart-")]
    assert len(administration) == 1
    assert limits[administration[0]]["active_slots"] == 0
