from __future__ import annotations

from datetime import UTC, datetime

import pytest

from koppel.exceptions import ConfigError
from koppel.ops.schedule import (
    INTERVAL_ANCHOR,
    RESCAN_CRON,
    ScheduleSpec,
    next_run,
    rescan_schedule,
    schedule_for,
)
from koppel.profile import parse_profile

BASE = {
    "name": "shop",
    "timezone": "Europe/Amsterdam",
    "prestashop": {"url": "http://127.0.0.1:1/api", "key": {"env": "K"}},
    "snelstart": {
        "api_url": "http://127.0.0.1:2/v2",
        "token_url": "http://127.0.0.1:2/b2b/token",
        "clientkey": {"env": "C"},
        "subscription_key": {"env": "S"},
    },
}


def profile_with(schedule: dict, **prestashop: object):
    data = dict(BASE, schedule=schedule)
    data["prestashop"] = dict(BASE["prestashop"], **prestashop)
    return parse_profile(data)


@pytest.mark.parametrize("minutes", [5, 15, 30, 60])
def test_schedule_for_interval_gives_seconds_in_profile_zone(minutes):
    spec = schedule_for(profile_with({"interval_minutes": minutes}))
    assert spec == ScheduleSpec("interval", "Europe/Amsterdam", minutes * 60)
    assert spec.as_prefect_yaml() == {
        "interval": minutes * 60,
        "anchor_date": INTERVAL_ANCHOR,
        "timezone": "Europe/Amsterdam",
    }


def test_schedule_for_daily_at_gives_daily_cron():
    spec = schedule_for(profile_with({"daily_at": "06:05"}))
    assert spec.kind == "cron"
    assert spec.cron == "5 6 * * *"
    assert spec.timezone == "Europe/Amsterdam"


def test_schedule_for_cron_is_kept():
    spec = schedule_for(profile_with({"cron": "*/10 8-18 * * 1-5"}))
    assert spec.as_prefect_yaml() == {
        "cron": "*/10 8-18 * * 1-5",
        "timezone": "Europe/Amsterdam",
    }


@pytest.mark.parametrize(
    "cron",
    ["* * * *", "61 * * * *", "a b c d e"],
    ids=["four-fields", "bad-minute", "words"],
)
def test_schedule_for_bad_cron_raises_config_error(cron):
    with pytest.raises(ConfigError):
        schedule_for(profile_with({"cron": cron}))


def test_schedule_for_no_schedule_is_manual_only():
    assert schedule_for(profile_with({})) is None


def test_rescan_schedule_is_nightly_unless_disabled():
    assert rescan_schedule(profile_with({})).cron == RESCAN_CRON
    assert rescan_schedule(profile_with({}, rescan_days=0)) is None


def test_next_run_daily_follows_shop_time_across_dst():
    spec = ScheduleSpec("cron", "Europe/Amsterdam", cron="30 6 * * *")
    winter = next_run(spec, datetime(2026, 3, 28, 12, tzinfo=UTC))
    summer = next_run(spec, datetime(2026, 3, 29, 12, tzinfo=UTC))
    assert winter == datetime(2026, 3, 29, 4, 30, tzinfo=UTC)  # 06:30 CEST
    assert summer == datetime(2026, 3, 30, 4, 30, tzinfo=UTC)
    assert next_run(spec, datetime(2026, 1, 5, 12, tzinfo=UTC)) == datetime(
        2026, 1, 6, 5, 30, tzinfo=UTC
    )  # 06:30 CET


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (
            datetime(2026, 1, 1, 12, 7, tzinfo=UTC),
            datetime(2026, 1, 1, 12, 15, tzinfo=UTC),
        ),
        (
            datetime(2026, 1, 1, 12, 15, tzinfo=UTC),
            datetime(2026, 1, 1, 12, 30, tzinfo=UTC),
        ),
        (
            datetime(2026, 7, 1, 12, 59, tzinfo=UTC),
            datetime(2026, 7, 1, 13, 0, tzinfo=UTC),
        ),
    ],
    ids=["mid-slot", "on-the-slot", "summer-time"],
)
def test_next_run_interval_fires_on_anchored_quarters(now, expected):
    spec = ScheduleSpec("interval", "Europe/Amsterdam", interval_seconds=900)
    assert next_run(spec, now) == expected


def test_next_run_without_schedule_is_none():
    assert next_run(None, datetime.now(UTC)) is None
