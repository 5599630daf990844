"""A profile's ``[schedule]`` as one schedule spec, and its next run.

The same spec feeds the deployment generator (Prefect schedules, prefect.yaml)
and ``koppel status`` (next run), so both always agree. Times are evaluated in
the profile's timezone: "daily at 06:30" means 06:30 in the shop's zone,
across daylight-saving changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from koppel.exceptions import ConfigError
from koppel.profile import Profile

__all__ = [
    "INTERVAL_ANCHOR",
    "RESCAN_CRON",
    "ScheduleSpec",
    "next_run",
    "rescan_schedule",
    "schedule_for",
]

# Intervals count from this shop-local moment, so a 15-minute schedule fires
# at :00, :15, :30 and :45 however often it is deployed again.
INTERVAL_ANCHOR = "2026-01-01T00:00:00"

# The nightly re-scan runs at 03:30 shop time, away from business hours and
# from midnight, when shops run their own jobs.
RESCAN_CRON = "30 3 * * *"

ScheduleKind = Literal["interval", "cron"]


@dataclass(frozen=True)
class ScheduleSpec:
    """One schedule: every ``interval_seconds`` or at a cron expression.

    Attributes:
        kind: ``interval`` or ``cron``.
        timezone: IANA zone the schedule is evaluated in.
        interval_seconds: for ``interval``: seconds between runs.
        cron: for ``cron``: a five-field cron expression.
    """

    kind: ScheduleKind
    timezone: str
    interval_seconds: int | None = None
    cron: str | None = None

    def as_prefect_yaml(self) -> dict[str, Any]:
        """The schedule as an entry of a prefect.yaml ``schedules`` list."""
        if self.kind == "interval":
            return {
                "interval": self.interval_seconds,
                "anchor_date": INTERVAL_ANCHOR,
                "timezone": self.timezone,
            }
        return {"cron": self.cron, "timezone": self.timezone}

    def describe(self) -> str:
        """A short human description, e.g. ``every 15 min (Europe/Amsterdam)``."""
        if self.kind == "interval":
            minutes = (self.interval_seconds or 0) // 60
            return f"every {minutes} min ({self.timezone})"
        return f"cron `{self.cron}` ({self.timezone})"


def _check_cron(expr: str, where: str) -> str:
    fields = expr.split()
    if len(fields) != 5:
        msg = (
            f"{where}: cron {expr!r} must have 5 fields "
            "(minute hour day-of-month month day-of-week)"
        )
        raise ConfigError(msg)
    try:
        from cronsim import CronSim, CronSimError
    except ImportError:  # pragma: no cover - cronsim comes with prefect
        return expr
    try:
        CronSim(expr, datetime.now(UTC))
    except CronSimError as exc:
        msg = f"{where}: cron {expr!r} is not valid: {exc}"
        raise ConfigError(msg) from exc
    return expr


def schedule_for(profile: Profile) -> ScheduleSpec | None:
    """The import schedule of a profile, or None for manual runs only.

    ``interval_minutes`` becomes an interval, ``daily_at = "HH:MM"`` a daily
    cron at that time, ``cron`` is taken as it is; all in the profile's
    timezone.

    Raises:
        ConfigError: when the cron expression is not valid.
    """
    sched = profile.schedule
    tz = profile.timezone
    if sched.interval_minutes is not None:
        return ScheduleSpec(
            "interval", tz, interval_seconds=sched.interval_minutes * 60
        )
    if sched.daily_at is not None:
        hour, minute = (int(p) for p in sched.daily_at.split(":"))
        return ScheduleSpec("cron", tz, cron=f"{minute} {hour} * * *")
    if sched.cron is not None:
        where = f"profile `{profile.name}` schedule.cron"
        return ScheduleSpec("cron", tz, cron=_check_cron(sched.cron.strip(), where))
    return None


def rescan_schedule(profile: Profile) -> ScheduleSpec | None:
    """The nightly re-scan schedule, or None when ``rescan_days`` is 0."""
    if profile.prestashop.rescan_days == 0:
        return None
    return ScheduleSpec("cron", profile.timezone, cron=RESCAN_CRON)


def next_run(spec: ScheduleSpec | None, now: datetime) -> datetime | None:
    """When the schedule fires next after ``now``, as Prefect schedules it.

    Intervals fire at ``INTERVAL_ANCHOR`` (shop-local) plus whole intervals;
    crons at their next match in the shop timezone.

    Args:
        spec: the schedule; None means manual runs only.
        now: the current time (aware).

    Returns:
        The next run time in UTC, or None for no schedule (or a cron when
        cronsim is not installed).

    Raises:
        ValueError: when ``now`` is naive.
    """
    if spec is None:
        return None
    if now.tzinfo is None:
        msg = f"`now` must be timezone-aware, got {now!r}"
        raise ValueError(msg)
    zone = ZoneInfo(spec.timezone)
    if spec.kind == "interval":
        step = timedelta(seconds=spec.interval_seconds or 0)
        # absolute time: the allowed intervals (at most an hour) keep their
        # slots across daylight-saving changes
        anchor = datetime.fromisoformat(INTERVAL_ANCHOR).replace(tzinfo=zone)
        anchor = anchor.astimezone(UTC)
        passed = (now - anchor) // step
        return anchor + (passed + 1) * step
    try:
        from cronsim import CronSim
    except ImportError:  # pragma: no cover - cronsim comes with prefect
        return None
    return next(CronSim(spec.cron or "", now.astimezone(zone))).astimezone(UTC)
