"""Schema drift: fields that appear in or vanish from the shop's payloads.

Each run, the key paths of every raw payload fetched by that run
(``raw_records.payload``) are collected per resource: ``reference``,
``associations.order_rows[].product_isbn``. Compared with what earlier runs
saw (``schema_fields``), new paths are recorded as ``appeared`` and known
paths missing from this run as ``vanished`` (``schema_drift``). Drift is
reported, never fatal: the run goes on.

A resource's first run is its baseline and records no events. Small runs
cause some noise by nature: PrestaShop omits empty associations, and 8.x
single-record JSON drops empty fields, so a path can vanish for a run that
happened to fetch only such records, and appear again later.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import duckdb
import pandas as pd

from koppel.staging import register_ddl

__all__ = ["DriftEvent", "detect_drift", "key_paths", "read_drift"]

log = logging.getLogger(__name__)

DDL = """
CREATE TABLE IF NOT EXISTS schema_fields (
    resource VARCHAR NOT NULL,
    path VARCHAR NOT NULL,
    present BOOLEAN NOT NULL,
    first_run_id VARCHAR NOT NULL,
    last_seen_run_id VARCHAR NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (resource, path)
);

CREATE TABLE IF NOT EXISTS schema_drift (
    run_id VARCHAR NOT NULL,
    resource VARCHAR NOT NULL,
    path VARCHAR NOT NULL,
    change VARCHAR NOT NULL,
    records INTEGER NOT NULL,
    detected_at TIMESTAMPTZ NOT NULL
);
"""

register_ddl(DDL)

Change = Literal["appeared", "vanished"]


@dataclass(frozen=True)
class DriftEvent:
    """A field path that appeared in or vanished from one resource's payloads.

    Attributes:
        resource: the webservice resource (``orders``, ``customers``...).
        path: the key path, lists written as ``[]``.
        change: ``appeared`` or ``vanished``.
        records: how many payloads of the resource this run fetched.
    """

    resource: str
    path: str
    change: Change
    records: int


def key_paths(payload: Any, prefix: str = "") -> Iterator[str]:
    """Every key path of a JSON value: ``a``, ``a.b``, ``a[].c``."""
    if isinstance(payload, dict):
        for key, value in payload.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            yield path
            yield from key_paths(value, path)
    elif isinstance(payload, list):
        for item in payload:
            yield from key_paths(item, f"{prefix}[]")


def _seen_this_run(
    con: duckdb.DuckDBPyConnection, run_id: str
) -> dict[str, tuple[set[str], int]]:
    cursor = con.execute(
        "SELECT resource, payload FROM raw_records WHERE run_id = ?", [run_id]
    )
    paths: dict[str, set[str]] = defaultdict(set)
    counts: dict[str, int] = defaultdict(int)
    while rows := cursor.fetchmany(1000):
        for resource, payload in rows:
            data = json.loads(payload) if isinstance(payload, str) else payload
            paths[resource].update(key_paths(data))
            counts[resource] += 1
    return {r: (paths[r], counts[r]) for r in counts}


def _known(con: duckdb.DuckDBPyConnection, resource: str) -> dict[str, bool]:
    rows = con.execute(
        "SELECT path, present FROM schema_fields WHERE resource = ?", [resource]
    ).fetchall()
    return {path: bool(present) for path, present in rows}


def detect_drift(con: duckdb.DuckDBPyConnection, *, run_id: str) -> list[DriftEvent]:
    """Compare this run's payload fields with earlier runs and record changes.

    Running it twice for one run records nothing new the second time.

    Args:
        con: an open staging connection.
        run_id: the run whose ``raw_records`` to inspect.

    Returns:
        The appear/vanish events of this run, sorted by resource and path.
    """
    events: list[DriftEvent] = []
    for resource, (paths, count) in sorted(_seen_this_run(con, run_id).items()):
        known = _known(con, resource)
        if known:
            present = {p for p, is_present in known.items() if is_present}
            events += [
                DriftEvent(resource, p, "appeared", count) for p in paths - present
            ]
            events += [
                DriftEvent(resource, p, "vanished", count) for p in present - paths
            ]
        _remember(con, resource, paths, set(known), run_id)
    events.sort(key=lambda e: (e.resource, e.path))
    _record(con, events, run_id)
    for event in events:
        log.warning(
            "schema drift: `%s` %s in %s payloads",
            event.path,
            event.change,
            event.resource,
        )
    return events


def _remember(
    con: duckdb.DuckDBPyConnection,
    resource: str,
    paths: set[str],
    known: set[str],
    run_id: str,
) -> None:
    rows = [(p, True) for p in sorted(paths)]
    rows += [(p, False) for p in sorted(known - paths)]
    if not rows:
        return
    frame = pd.DataFrame(rows, columns=["path", "present"])
    con.register("_drift_paths", frame)
    try:
        con.execute(
            "INSERT INTO schema_fields SELECT ?, path, present, ?, ?, now() "
            "FROM _drift_paths ON CONFLICT (resource, path) DO UPDATE SET "
            "present = excluded.present, last_seen_run_id = CASE WHEN "
            "excluded.present THEN excluded.last_seen_run_id ELSE "
            "schema_fields.last_seen_run_id END, updated_at = excluded.updated_at",
            [resource, run_id, run_id],
        )
    finally:
        con.unregister("_drift_paths")


def _record(
    con: duckdb.DuckDBPyConnection, events: list[DriftEvent], run_id: str
) -> None:
    if events:
        con.executemany(
            "INSERT INTO schema_drift VALUES (?, ?, ?, ?, ?, now())",
            [(run_id, e.resource, e.path, e.change, e.records) for e in events],
        )


def read_drift(
    con: duckdb.DuckDBPyConnection, run_id: str | None = None
) -> list[dict[str, Any]]:
    """Recorded drift events, of one run or of all runs, for reports.

    Returns:
        Dicts with run_id, resource, path, change, records and detected_at.
    """
    where, params = ("WHERE run_id = ?", [run_id]) if run_id else ("", [])
    cursor = con.execute(
        "SELECT run_id, resource, path, change, records, detected_at "
        f"FROM schema_drift {where} ORDER BY detected_at, resource, path",
        params,
    )
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
