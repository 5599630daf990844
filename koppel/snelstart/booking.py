"""Posting and updating one verkooporder: the worker side of loading.

These functions run in loading's thread pool. They never touch the ledger:
they return an :class:`OrderOutcome` and the loading stage records it, so
all DuckDB writes stay on one thread and in few transactions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from koppel.exceptions import (
    AmbiguousWriteError,
    ApiAuthError,
    FatalApiError,
    TransientApiError,
)
from koppel.snelstart.client import SnelstartClient

__all__ = ["OrderOutcome", "post_order", "put_order"]

# outcome kinds
BOOKED = "booked"  # 2xx with SnelStart's id and nummer
REJECTED = "rejected"  # 4xx: nothing was created, codes say why
AMBIGUOUS = "ambiguous"  # may exist: look it up by its reference
NOT_SENT = "not_sent"  # transient and certainly not created (or a PUT)


@dataclass
class OrderOutcome:
    """What SnelStart answered for one order."""

    order_id: int
    kind: str
    http_status: int | None = None
    snelstart_id: str | None = None
    nummer: int | None = None
    codes: tuple[str, ...] = ()
    message: str | None = None
    record: dict[str, Any] = field(default_factory=dict)


def post_order(
    client: SnelstartClient, order_id: int, payload: dict[str, Any]
) -> OrderOutcome:
    """POST one resolved verkooporder.

    Raises:
        ApiAuthError: credentials or scopes are wrong (stops the run).
    """
    try:
        created = client.post("verkooporders", payload)
    except ApiAuthError:
        raise
    except AmbiguousWriteError as exc:
        return OrderOutcome(order_id, AMBIGUOUS, exc.status, message=str(exc))
    except TransientApiError as exc:
        return OrderOutcome(order_id, NOT_SENT, exc.status, message=str(exc))
    except FatalApiError as exc:
        return OrderOutcome(
            order_id, REJECTED, exc.status, codes=tuple(exc.codes), message=str(exc)
        )
    return _booked(order_id, 201, created)


def put_order(
    client: SnelstartClient, order_id: int, snelstart_id: str, payload: dict[str, Any]
) -> OrderOutcome:
    """PUT a changed order over the booked one (full replace, idempotent).

    Raises:
        ApiAuthError: credentials or scopes are wrong (stops the run).
    """
    body = {**payload, "id": snelstart_id}
    try:
        updated = client.put(f"verkooporders/{snelstart_id}", body)
    except ApiAuthError:
        raise
    except TransientApiError as exc:
        return OrderOutcome(order_id, NOT_SENT, exc.status, message=str(exc))
    except FatalApiError as exc:
        return OrderOutcome(
            order_id, REJECTED, exc.status, codes=tuple(exc.codes), message=str(exc)
        )
    return _booked(order_id, 200, updated or {"id": snelstart_id})


def _booked(order_id: int, status: int, record: Any) -> OrderOutcome:
    record = record if isinstance(record, dict) else {}
    nummer = record.get("nummer")
    return OrderOutcome(
        order_id,
        BOOKED,
        status,
        snelstart_id=str(record.get("id")) if record.get("id") else None,
        nummer=int(nummer) if nummer is not None else None,
        record=_summary(record),
    )


def _summary(record: dict[str, Any]) -> dict[str, Any]:
    """The parts of SnelStart's answer worth keeping in the audit trail."""
    keys = (
        "id",
        "nummer",
        "procesStatus",
        "orderreferentie",
        "betalingskenmerk",
        "totaalExclusiefBtw",
        "totaalInclusiefBtw",
        "modifiedOn",
    )
    return {k: record[k] for k in keys if k in record}
