"""The Prefect task helpers, through ``.fn`` with Prefect's publishers
replaced by recorders (no server needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from prefect.logging import disable_run_logger

from koppel import settings, staging
from koppel.ops import artifacts, limits, metrics
from tasks import ops

ROOT = Path(__file__).parents[2]
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.fixture
def profile(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    for name, value in settings.DEMO_ENV.items():
        monkeypatch.setenv(name, value)
    text = (ROOT / "profiles" / "demo.toml").read_text(encoding="utf-8")
    path = tmp_path / "demo.toml"
    path.write_text(text.replace('data_dir = "data"', f'data_dir = "{tmp_path}"'))
    return str(path)


@pytest.fixture
def emitted(monkeypatch):
    events: list[dict] = []
    monkeypatch.setattr(ops, "emit_event", lambda **kw: events.append(kw))
    return events


def test_guard_silent_stop_emits_alert_when_stalled(profile, emitted):
    database = Path(profile).parent / "demo.duckdb"
    with staging.connect(database) as con:
        metrics.record_run(
            con,
            run_id="old",
            profile="demo",
            kind="import",
            started_at=NOW - timedelta(hours=50),
            finished_at=NOW - timedelta(hours=50),
            status="completed",
            summary={"loaded": 0},
        )
        frame = pd.DataFrame(
            [
                {
                    "order_id": 1,
                    "eligible": True,
                    "date_upd": NOW - timedelta(hours=2),
                    "payload_hash": "h",
                    "run_id": "r",
                    "fetched_at": NOW,
                }
            ]
        )
        staging.upsert_frame(con, "stg_orders", frame, ["order_id"])
    with disable_run_logger():
        alert = ops.guard_silent_stop.fn(profile, now=NOW)
    assert alert is not None
    [event] = emitted
    assert event["event"] == artifacts.EVENT_SILENT_STOP
    assert event["payload"]["eligible_orders"] == 1


def test_guard_silent_stop_quiet_profile_emits_nothing(profile, emitted):
    with disable_run_logger():
        assert ops.guard_silent_stop.fn(profile, now=NOW) is None
    assert emitted == []


def test_emit_order_events_one_per_order(profile, emitted):
    count = ops.emit_order_events.fn(
        profile, "run-1", {1: 101, 2: 102}, {3: ["bad_email"]}
    )
    assert count == 3
    assert [e["event"] for e in emitted] == [
        artifacts.EVENT_BOOKED,
        artifacts.EVENT_BOOKED,
        artifacts.EVENT_QUARANTINED,
    ]


def test_publish_run_artifacts_uses_per_profile_keys(profile, monkeypatch):
    published: dict[str, dict] = {}

    def record(kind):
        def create(**kw):
            published[kind] = kw
            return kind

        return create

    monkeypatch.setattr(ops, "create_table_artifact", record("table"))
    monkeypatch.setattr(ops, "create_markdown_artifact", record("markdown"))
    ids = ops.publish_run_artifacts.fn(
        profile, "run-1", {"loaded": 3}, [{"order_id": 9, "reason": "no_lines"}]
    )
    assert ids == {"run-summary": "table", "quarantine": "markdown"}
    assert published["table"]["key"] == "koppel-demo-run-summary"
    assert published["markdown"]["key"] == "koppel-demo-quarantine"
    assert "no_lines" in published["markdown"]["markdown"]


def test_guard_limit_names_per_profile_and_administration(profile):
    from koppel.profile import load_profile

    names = ops.guard_limit_names(load_profile(profile))
    profile_name, admin_name = names
    assert profile_name == limits.profile_limit_name("demo")
    assert admin_name.startswith("koppel-snelstart-")
    assert settings.DEMO_SNELSTART_CLIENTKEY not in admin_name
    assert set(names.values()) == {1}
