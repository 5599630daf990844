"""``koppel status [PROFILE]``: where each profile stands.

For each profile: its schedule and next run, the last runs (kind, status,
counts), the watermarks, the ledger counts per status, the open quarantine
and unfinished backfills. Everything comes from the profile's DuckDB file,
opened read-only; a file held by a running import is reported as busy
rather than waited for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from koppel import staging
from koppel.exceptions import KoppelError, StagingLockedError
from koppel.ops.backfill import STATE_PREFIX, BackfillProgress
from koppel.ops.metrics import RunRecord, last_runs
from koppel.ops.schedule import next_run, schedule_for
from koppel.profile import Profile

__all__ = ["ProfileStatus", "collect_status", "render_status"]


@dataclass
class ProfileStatus:
    """What ``koppel status`` shows for one profile."""

    profile: str
    database: str
    schedule: str
    state: str = "ok"
    next_run: datetime | None = None
    runs: list[RunRecord] = field(default_factory=list)
    watermarks: dict[str, str] = field(default_factory=dict)
    ledger: dict[str, int] = field(default_factory=dict)
    quarantine_open: int = 0
    backfills: list[BackfillProgress] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly form (for ``--json``)."""
        return {
            "profile": self.profile,
            "database": self.database,
            "schedule": self.schedule,
            "state": self.state,
            "next_run": None if self.next_run is None else self.next_run.isoformat(),
            "runs": [
                {
                    "run_id": r.run_id,
                    "kind": r.kind,
                    "status": r.status,
                    "started_at": r.started_at.isoformat(),
                    "finished_at": r.finished_at and r.finished_at.isoformat(),
                    **{k: r.summary.get(k) for k in _FIGURES if k in r.summary},
                }
                for r in self.runs
            ],
            "watermarks": dict(self.watermarks),
            "ledger": dict(self.ledger),
            "quarantine_open": self.quarantine_open,
            "backfills": [vars(b) for b in self.backfills],
        }


_FIGURES = ("extracted", "loaded", "quarantined", "skipped", "failed")


def _tables(con: Any) -> set[str]:
    rows = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    return {r[0] for r in rows}


def _read(con: Any, status: ProfileStatus, runs: int) -> None:
    tables = _tables(con)
    if "runs" in tables:
        status.runs = last_runs(con, runs)
    if "sync_state" in tables:
        for name, value in con.execute(
            "SELECT name, value FROM sync_state ORDER BY name"
        ).fetchall():
            if name.startswith(STATE_PREFIX):
                progress = BackfillProgress(**json.loads(value))
                if not progress.finished:
                    status.backfills.append(progress)
            else:
                status.watermarks[name] = value
    if "ledger_orders" in tables:
        status.ledger = {
            str(s): int(n)
            for s, n in con.execute(
                "SELECT status, count(*) FROM ledger_orders GROUP BY status ORDER BY 1"
            ).fetchall()
        }
    if "quarantine_orders" in tables:
        row = con.execute(
            "SELECT count(*) FROM quarantine_orders WHERE status = 'open'"
        ).fetchone()
        status.quarantine_open = int(row[0]) if row else 0


def collect_status(
    profile: Profile, *, now: datetime | None = None, runs: int = 5
) -> ProfileStatus:
    """Read one profile's status from its DuckDB file.

    Args:
        profile: the validated profile.
        now: the current time (aware); default now.
        runs: how many recent runs to list.
    """
    now = now or datetime.now(UTC)
    spec = schedule_for(profile)
    status = ProfileStatus(
        profile=profile.name,
        database=str(profile.database_path),
        schedule=spec.describe() if spec else "manual runs only",
    )
    if not profile.database_path.exists():
        status.state = "never run"
    else:
        try:
            with staging.connect(profile.database_path, read_only=True) as con:
                _read(con, status, runs)
        except StagingLockedError:
            status.state = "busy: a run holds the database"
        except KoppelError as exc:
            status.state = f"unreadable: {exc}"
    status.next_run = next_run(spec, now)
    return status


def _when(value: datetime | None) -> str:
    return (
        "-" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    )


def render_status(statuses: list[ProfileStatus]) -> str:
    """The status of several profiles as text."""
    blocks = []
    for s in statuses:
        lines = [
            f"{s.profile}  ({s.state})",
            f"  database     {s.database}",
            f"  schedule     {s.schedule}",
            f"  next run     {_when(s.next_run)}",
            f"  quarantine   {s.quarantine_open} open",
            "  ledger       "
            + (", ".join(f"{k} {v}" for k, v in s.ledger.items()) or "empty"),
        ]
        for name, value in s.watermarks.items():
            lines.append(f"  watermark    {name} = {value}")
        for b in s.backfills:
            lines.append(
                f"  backfill     {b.done}/{b.total} chunks, unfinished "
                f"(until {b.done_until or '-'}); run it again to resume"
            )
        if s.runs:
            lines.append("  last runs")
        for r in s.runs:
            figures = " ".join(
                f"{k}={r.summary[k]}" for k in _FIGURES if k in r.summary
            )
            lines.append(
                f"    {_when(r.started_at)}  {r.kind:<9} {r.status:<9} {figures}"
            )
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
