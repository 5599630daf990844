"""Data-quality figures per run: checked, passed, quarantined per reason.

Stored in DuckDB (``dq_runs``, ``dq_reasons``) for the reports. Validating
again within the same run replaces that run's figures.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import duckdb

from koppel.reasons import Reason
from koppel.staging import register_ddl

__all__ = ["count_reasons", "read_figures", "record_figures"]

DDL = """
CREATE TABLE IF NOT EXISTS dq_runs (
    run_id VARCHAR PRIMARY KEY,
    profile VARCHAR NOT NULL,
    checked INTEGER NOT NULL,
    passed INTEGER NOT NULL,
    quarantined INTEGER NOT NULL,
    released INTEGER NOT NULL,
    held INTEGER NOT NULL,
    ignored INTEGER NOT NULL,
    skipped INTEGER NOT NULL,
    drift_events INTEGER NOT NULL,
    validated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS dq_reasons (
    run_id VARCHAR NOT NULL,
    reason_code VARCHAR NOT NULL,
    orders INTEGER NOT NULL,
    entries INTEGER NOT NULL
);
"""

register_ddl(DDL)

COUNTS = ("checked", "passed", "quarantined", "released", "held", "ignored", "skipped")


def count_reasons(
    quarantined: Mapping[int, Sequence[Reason]],
) -> dict[Reason, int]:
    """Orders per reason (an order with two reasons counts for both)."""
    counts: Counter[Reason] = Counter()
    for reasons in quarantined.values():
        counts.update(set(reasons))
    return dict(sorted(counts.items()))


def record_figures(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    profile: str,
    counts: Mapping[str, int],
    reasons: Mapping[Reason, int],
    entries: Mapping[Reason, int],
    drift_events: int,
) -> None:
    """Store one run's figures, replacing any stored for the same run.

    Args:
        con: an open staging connection.
        run_id: the run.
        profile: the profile name.
        counts: ``checked``, ``passed``, ``quarantined``, ``released``,
            ``held``, ``ignored`` and ``skipped`` order counts.
        reasons: orders per reason.
        entries: quarantine entries (failing values) per reason.
        drift_events: schema drift events recorded by the run.
    """
    values = [int(counts.get(name, 0)) for name in COUNTS]
    con.execute(
        "INSERT INTO dq_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()) "
        "ON CONFLICT (run_id) DO UPDATE SET profile = excluded.profile, "
        + ", ".join(f"{n} = excluded.{n}" for n in (*COUNTS, "drift_events"))
        + ", validated_at = excluded.validated_at",
        [run_id, profile, *values, drift_events],
    )
    con.execute("DELETE FROM dq_reasons WHERE run_id = ?", [run_id])
    rows = [(run_id, r.value, n, int(entries.get(r, 0))) for r, n in reasons.items()]
    if rows:
        con.executemany("INSERT INTO dq_reasons VALUES (?, ?, ?, ?)", rows)


def read_figures(
    con: duckdb.DuckDBPyConnection, run_id: str | None = None
) -> list[dict[str, Any]]:
    """Figures of one run or of every run, newest first, for the reports.

    Returns:
        One dict per run: the ``dq_runs`` columns plus ``reasons``
        (reason code -> orders).
    """
    where, params = ("WHERE run_id = ?", [run_id]) if run_id else ("", [])
    cursor = con.execute(
        f"SELECT * FROM dq_runs {where} ORDER BY validated_at DESC", params
    )
    names = [d[0] for d in cursor.description or []]
    runs = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    reasons = con.execute(
        f"SELECT run_id, reason_code, orders FROM dq_reasons {where} "
        "ORDER BY reason_code",
        params,
    ).fetchall()
    for run in runs:
        run["reasons"] = {code: n for rid, code, n in reasons if rid == run["run_id"]}
    return runs
