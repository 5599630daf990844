"""Line checks that need the database rather than the staged frames.

- Duplicate lines: staging keeps one row per line id, so a line the shop
  listed twice in an order's payload is invisible in ``stg_order_lines``; the
  raw payload (``raw_records``) still shows it. The payload read is the one
  with the staged version's hash, else the one fetched by the run that
  staged the version, else the latest.
- Orphan lines: a staged line whose order is not staged. The order cannot be
  read (``read_staged`` joins lines to orders), so the line is quarantined
  under its order id, to be validated when that order arrives.
"""

from __future__ import annotations

from collections.abc import Collection

import duckdb

from koppel.quarantine import QuarantineEntry
from koppel.reasons import Reason
from koppel.validation.contracts import describe

__all__ = ["duplicate_line_entries", "orphan_line_entries"]

_DUPLICATES_SQL = """
WITH target AS (
    SELECT order_id, payload_hash, run_id FROM stg_orders
    WHERE order_id IN (SELECT unnest(?))
), raw AS (
    SELECT t.order_id, r.payload,
           row_number() OVER (
               PARTITION BY t.order_id
               ORDER BY (r.payload_hash = t.payload_hash) DESC,
                        (r.run_id = t.run_id) DESC, r.fetched_at DESC
           ) AS rn
    FROM target t
    JOIN raw_records r ON r.resource = 'orders' AND r.record_id = t.order_id
), ids AS (
    SELECT order_id,
           unnest(json_extract_string(payload, '$.associations.order_rows[*].id'))
               AS line_id
    FROM raw WHERE rn = 1
)
SELECT order_id, line_id, count(*) AS times FROM ids
GROUP BY order_id, line_id HAVING count(*) > 1
ORDER BY order_id, line_id
"""


def duplicate_line_entries(
    con: duckdb.DuckDBPyConnection, order_ids: Collection[int]
) -> list[QuarantineEntry]:
    """Orders whose raw payload lists one line id more than once.

    Args:
        con: an open staging connection.
        order_ids: the staged orders to look at.

    Returns:
        One entry per duplicated line id.
    """
    if not order_ids:
        return []
    rows = con.execute(_DUPLICATES_SQL, [sorted(order_ids)]).fetchall()
    entries = []
    for order_id, line_id, times in rows:
        field = f"order_lines[{line_id}].line_id"
        demand = f"is listed {times} times in the shop's payload of the order"
        entries.append(
            QuarantineEntry(
                order_id=int(order_id),
                reason=Reason.DUPLICATE_LINE,
                field=field,
                value=str(line_id),
                message=describe(field, demand, str(line_id)),
            )
        )
    return entries


def orphan_line_entries(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: str | None = None,
    exclude: Collection[int] = (),
) -> list[QuarantineEntry]:
    """Staged lines whose order is not staged, charged to that order id.

    Args:
        con: an open staging connection.
        run_id: only lines staged by this run; None looks at every line.
            Orphans of earlier runs are in quarantine already.
        exclude: order ids not to report (e.g. ignored ones).

    Returns:
        One entry per orphan line.
    """
    rows = con.execute(
        "SELECT l.order_id, l.line_id FROM stg_order_lines l "
        "WHERE NOT EXISTS (SELECT 1 FROM stg_orders o WHERE o.order_id = l.order_id) "
        "AND (CAST(? AS VARCHAR) IS NULL OR l.run_id = ?) "
        "ORDER BY l.order_id, l.line_id",
        [run_id, run_id],
    ).fetchall()
    entries = []
    for order_id, line_id in rows:
        if int(order_id) in exclude:
            continue
        field = f"order_lines[{line_id}].order_id"
        demand = "names an order that is not staged; the line has no order"
        entries.append(
            QuarantineEntry(
                order_id=int(order_id),
                reason=Reason.ORPHAN_LINE,
                field=field,
                value=str(order_id),
                message=describe(field, demand, str(order_id)),
            )
        )
    return entries
