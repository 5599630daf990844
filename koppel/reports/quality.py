"""Data quality over time, from what the stages record in DuckDB.

Figures for a period (whole days in the shop timezone): runs and their
outcome, orders checked by validation and the pass rate, quarantine per
reason, schema-drift events, the lag from order to booking, and retries and
throttle waits of the SnelStart client. Each figure comes from the table the
stage that owns it writes; a table that does not exist yet leaves its
figures empty and adds a note, it never fails the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import duckdb

from koppel.profile import Profile
from koppel.reports import history
from koppel.reports.shop import day_bounds, period_days

__all__ = [
    "DriftEvent",
    "LagStats",
    "QualityDay",
    "QualityReport",
    "ReasonCount",
    "quality_report",
]


@dataclass(frozen=True)
class ReasonCount:
    """Quarantine entries of one reason: new in the period, open now."""

    reason: str
    new: int
    open: int


@dataclass(frozen=True)
class DriftEvent:
    """A field that appeared in or vanished from the shop's payloads."""

    at: str
    resource: str
    field: str
    change: str


@dataclass(frozen=True)
class LagStats:
    """Hours from an order being placed to its booking in SnelStart."""

    count: int
    median: Decimal
    p90: Decimal
    max: Decimal


@dataclass
class QualityDay:
    """One day's figures (local day)."""

    day: date
    runs: int = 0
    failed_runs: int = 0
    checked: int = 0
    passed: int = 0
    quarantined: int = 0
    booked: int = 0
    median_lag_hours: Decimal | None = None

    @property
    def pass_rate(self) -> Decimal | None:
        """Passed / checked, or None when nothing was checked."""
        return _rate(self.passed, self.checked)


def _rate(part: int, whole: int) -> Decimal | None:
    if whole == 0:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"))


@dataclass
class QualityReport:
    """Data-quality figures of one profile over one period."""

    profile: str
    since: date
    until: date
    generated_at: datetime
    runs: int = 0
    runs_by_status: dict[str, int] = field(default_factory=dict)
    checked: int = 0
    passed: int = 0
    quarantine: list[ReasonCount] = field(default_factory=list)
    drift: list[DriftEvent] = field(default_factory=list)
    lag: LagStats | None = None
    retries: int = 0
    throttle_wait_seconds: Decimal = Decimal(0)
    days: list[QualityDay] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def pass_rate(self) -> Decimal | None:
        """Share of checked orders that passed validation."""
        return _rate(self.passed, self.checked)

    def figure_rows(self) -> list[tuple[str, str]]:
        """(figure, value) pairs for tables."""
        rate = self.pass_rate
        lag = self.lag
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(self.runs_by_status.items()))
        return [
            ("runs", f"{self.runs}" + (f" ({statuses})" if statuses else "")),
            ("orders checked", str(self.checked)),
            ("passed validation", str(self.passed)),
            ("pass rate", "-" if rate is None else f"{rate * 100:.1f}%"),
            ("quarantined (new)", str(sum(q.new for q in self.quarantine))),
            ("quarantined (open now)", str(sum(q.open for q in self.quarantine))),
            ("schema drift events", str(len(self.drift))),
            ("orders booked", "0" if lag is None else str(lag.count)),
            ("lag order to booking, median (h)", _hours(lag and lag.median)),
            ("lag order to booking, p90 (h)", _hours(lag and lag.p90)),
            ("lag order to booking, max (h)", _hours(lag and lag.max)),
            ("SnelStart retries", str(self.retries)),
            ("throttle waits (s)", f"{self.throttle_wait_seconds:.1f}"),
        ]

    def to_table_rows(self) -> list[dict[str, str]]:
        """The figures as rows for a Prefect table artifact."""
        return [{"figure": k, "value": v} for k, v in self.figure_rows()]

    def to_markdown(self) -> str:
        """A Markdown summary for a Prefect artifact or the terminal."""
        from koppel.reports.markdown import quality_markdown

        return quality_markdown(self)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (numbers as strings where they are Decimal)."""
        return {
            "profile": self.profile,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "generated_at": self.generated_at.isoformat(),
            "figures": dict(self.figure_rows()),
            "quarantine": [vars(q) for q in self.quarantine],
            "drift": [vars(d) for d in self.drift],
            "days": [
                {
                    "day": d.day.isoformat(),
                    "runs": d.runs,
                    "failed_runs": d.failed_runs,
                    "checked": d.checked,
                    "passed": d.passed,
                    "quarantined": d.quarantined,
                    "booked": d.booked,
                    "median_lag_hours": _hours(d.median_lag_hours),
                }
                for d in self.days
            ],
            "notes": list(self.notes),
        }


def _hours(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def quality_report(
    con: duckdb.DuckDBPyConnection,
    *,
    since: date,
    until: date,
    profile: Profile | None = None,
    now: datetime | None = None,
) -> QualityReport:
    """Data-quality figures for a period from the profile's DuckDB file.

    Args:
        con: an open staging connection.
        since: first day of the period.
        until: last day of the period (included).
        profile: gives the shop timezone and name; UTC days without it.
        now: the report time (aware); defaults to the current time.

    Returns:
        The figures, per period and per day.

    Raises:
        ValueError: when the period is empty or a datetime is naive.
    """
    zone = profile.zone if profile is not None else UTC
    since, until = period_days(since, until, zone)
    start, end = day_bounds(since, until, zone)
    report = QualityReport(
        profile=profile.name if profile is not None else "",
        since=since,
        until=until,
        generated_at=now or datetime.now(UTC),
    )
    days = {
        since + timedelta(days=i): QualityDay(since + timedelta(days=i))
        for i in range((until - since).days + 1)
    }
    history.add_runs(con, report, days, start, end, zone)
    history.add_checks(con, report, days, start, end, zone)
    history.add_quarantine(con, report, days, start, end, zone)
    history.add_drift(con, report, start, end)
    history.add_lag(con, report, days, start, end, zone)
    report.days = [days[d] for d in sorted(days)]
    return report
