"""Reading the quarantine for the CLI and reports: data and text.

``koppel quarantine PROFILE list`` shows :func:`list_entries` through
:func:`format_entries`; ``show ID`` shows :func:`show` (as JSON, or through
:func:`format_show`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import duckdb

from koppel.exceptions import QuarantineError

__all__ = ["format_entries", "format_show", "list_entries", "show"]

LIST_STATUSES: tuple[str, ...] = ("open", "ignored", "released", "all")


_LIST_SQL = """
SELECT q.order_id, q.status, o.reference, q.retry_requested, q.ignore_reason,
       q.first_run_id, q.last_run_id, q.opened_at, q.updated_at, q.closed_at,
       list(DISTINCT e.reason_code ORDER BY e.reason_code)
           FILTER (WHERE e.reason_code IS NOT NULL) AS reasons,
       list(DISTINCT e.stage ORDER BY e.stage)
           FILTER (WHERE e.stage IS NOT NULL) AS stages,
       list(DISTINCT e.field ORDER BY e.field)
           FILTER (WHERE e.field IS NOT NULL AND e.field <> '') AS fields,
       count(e.order_id) AS entries
FROM quarantine_orders q
LEFT JOIN stg_orders o USING (order_id)
LEFT JOIN quarantine_entries e
  ON e.order_id = q.order_id AND e.status = q.status
WHERE {where}
GROUP BY ALL
ORDER BY q.order_id
"""


def _plain(value: Any) -> Any:
    """JSON-friendly: datetimes as ISO text, lists of plain values."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _dicts(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description or []]
    return [
        {n: _plain(v) for n, v in zip(names, row, strict=True)}
        for row in cursor.fetchall()
    ]


def list_entries(
    con: duckdb.DuckDBPyConnection, status: str = "open"
) -> list[dict[str, Any]]:
    """One row per quarantined order with its reasons, for ``quarantine list``.

    Args:
        con: an open staging connection.
        status: ``open``, ``ignored``, ``released`` or ``all``.

    Returns:
        Dicts with order_id, status, reference, reasons, stages, fields,
        entries (count), run ids and times (ISO text); JSON-serialisable.

    Raises:
        QuarantineError: for an unknown status.
    """
    if status not in LIST_STATUSES:
        msg = f"quarantine status {status!r} is unknown; use one of {LIST_STATUSES}"
        raise QuarantineError(msg)
    where = "TRUE" if status == "all" else "q.status = ?"
    params = [] if status == "all" else [status]
    return _dicts(con.execute(_LIST_SQL.format(where=where), params))


def show(con: duckdb.DuckDBPyConnection, order_id: int) -> dict[str, Any]:
    """Everything quarantine knows about one order, for ``quarantine show``.

    Returns:
        The order's status and versions, its ``entries`` (stage, reason,
        field, value, message, status, run ids, times seen), every ``run_ids``
        involved, the ``raw_payload`` reference (resource, record_id,
        payload_hash) and the ``events`` log; JSON-serialisable.

    Raises:
        QuarantineError: when the order has never been in quarantine.
    """
    rows = _dicts(
        con.execute(
            "SELECT q.*, o.reference, o.payload_hash AS staged_payload_hash "
            "FROM quarantine_orders q LEFT JOIN stg_orders o USING (order_id) "
            "WHERE q.order_id = ?",
            [order_id],
        )
    )
    if not rows:
        msg = (
            f"order {order_id!r} has never been in quarantine; "
            "`koppel quarantine PROFILE list --status all` shows those that have"
        )
        raise QuarantineError(msg)
    detail = rows[0]
    entries = _dicts(
        con.execute(
            "SELECT stage, reason_code AS reason, field, value, message, status,"
            " first_run_id, last_run_id, seen, payload_hash, raw_resource,"
            " raw_record_id, raw_payload_hash, created_at, updated_at, closed_at"
            " FROM quarantine_entries WHERE order_id = ?"
            " ORDER BY created_at, stage, reason_code, field",
            [order_id],
        )
    )
    events = _dicts(
        con.execute(
            "SELECT happened_at AS at, action, run_id, detail FROM quarantine_events"
            " WHERE order_id = ? ORDER BY happened_at, rowid",
            [order_id],
        )
    )
    current = [e for e in entries if e["status"] == detail["status"]] or entries
    detail["reasons"] = sorted({e["reason"] for e in current})
    detail["entries"] = entries
    detail["events"] = events
    detail["run_ids"] = _run_ids(detail, entries, events)
    detail["raw_payload"] = _raw_ref(current)
    return detail


def _run_ids(
    detail: dict[str, Any],
    entries: list[dict[str, Any]],
    events: list[dict[str, Any]],
) -> list[str]:
    ids = {detail["first_run_id"], detail["last_run_id"]}
    ids |= {e["first_run_id"] for e in entries} | {e["last_run_id"] for e in entries}
    ids |= {e["run_id"] for e in events if e["run_id"]}
    return sorted(i for i in ids if i and i != "operator")


def _raw_ref(entries: list[dict[str, Any]]) -> dict[str, Any] | None:
    for entry in reversed(entries):
        if entry["raw_payload_hash"]:
            return {
                "resource": entry["raw_resource"],
                "record_id": entry["raw_record_id"],
                "payload_hash": entry["raw_payload_hash"],
            }
    return None


def format_entries(rows: Sequence[dict[str, Any]]) -> str:
    """Render :func:`list_entries` rows as a text table for the terminal."""
    if not rows:
        return "no orders in quarantine"
    header = ("order", "status", "reference", "reasons", "last run")
    table = [header] + [
        (
            str(r["order_id"]),
            r["status"] + (" (retry)" if r.get("retry_requested") else ""),
            r.get("reference") or "-",
            ", ".join(r.get("reasons") or []) or "-",
            r.get("last_run_id") or "-",
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in table
    ]
    noun = "order" if len(rows) == 1 else "orders"
    return "\n".join([*(line.rstrip() for line in lines), f"{len(rows)} {noun}"])


def format_show(detail: dict[str, Any]) -> str:
    """Render :func:`show` output as readable text for the terminal."""
    head = f"order {detail['order_id']}: {detail['status']}"
    if detail.get("reference"):
        head += f" (reference {detail['reference']})"
    lines = [head]
    if detail.get("ignore_reason"):
        lines.append(f"  ignored because: {detail['ignore_reason']}")
    if detail.get("retry_requested"):
        lines.append("  retry requested: validated again by the next run")
    for e in detail["entries"]:
        where = e["field"] or "(order)"
        value = "" if e["value"] is None else f" = {e['value']!r}"
        lines.append(
            f"  [{e['status']}] {e['stage']}/{e['reason']} {where}{value}"
            f"  (runs {e['first_run_id']}..{e['last_run_id']}, seen {e['seen']}x)"
        )
        lines.append(f"      {e['message']}")
    raw = detail.get("raw_payload")
    if raw:
        lines.append(
            f"  raw payload: {raw['resource']} {raw['record_id']} {raw['payload_hash']}"
        )
    for ev in detail["events"]:
        extra = f": {ev['detail']}" if ev["detail"] else ""
        lines.append(f"  {ev['at']} {ev['action']}{extra}")
    return "\n".join(lines)
