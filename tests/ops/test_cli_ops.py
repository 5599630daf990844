from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from koppel import cli, staging
from koppel.ops import metrics
from tests.ops.sandboxes import koppel_argv

ROOT = Path(__file__).parents[2]


@pytest.fixture
def profile(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    text = (ROOT / "profiles" / "demo.toml").read_text(encoding="utf-8")
    path = tmp_path / "demo.toml"
    path.write_text(text.replace('data_dir = "data"', f'data_dir = "{tmp_path}"'))
    return path


@pytest.mark.parametrize(
    "command", ["deploy", "serve", "backfill", "rescan", "status", "doctor"]
)
def test_ops_commands_are_registered(command):
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if getattr(a, "choices", None))
    assert command in sub.choices


def test_status_json_lists_the_recorded_runs(profile, capsys):
    from datetime import UTC, datetime

    with staging.connect(profile.parent / "demo.duckdb") as con:
        now = datetime.now(UTC)
        metrics.record_run(
            con,
            run_id="r9",
            profile="demo",
            kind="import",
            started_at=now,
            finished_at=now,
            status="completed",
            summary={"loaded": 2},
        )
    assert cli.main(["status", str(profile), "--json"]) == 0
    [status] = json.loads(capsys.readouterr().out)
    assert status["runs"][0]["run_id"] == "r9"
    assert status["runs"][0]["loaded"] == 2


def test_doctor_exits_1_when_a_check_fails(profile, monkeypatch, capsys):
    monkeypatch.delenv("KOPPEL_DEMO_PRESTASHOP_KEY", raising=False)
    assert cli.main(["doctor", str(profile), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert any(c["status"] == "fail" for c in report["checks"])


def test_backfill_with_bad_chunk_is_a_config_error(profile, capsys):
    argv = [
        "backfill",
        str(profile),
        "--since",
        "2026-11-01",
        "--until",
        "2026-11-02",
        "--chunk",
        "1y",
    ]
    assert cli.main(argv) == 2
    assert "chunk" in capsys.readouterr().err


def test_deploy_without_prefect_api_explains_how_to_start_one(profile, tmp_path):
    # a fresh process: Prefect reads its settings once, at import
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(tmp_path / "home"), DO_NOT_TRACK="1")
    result = subprocess.run(
        koppel_argv("deploy", str(profile)),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "prefect server start" in result.stderr
