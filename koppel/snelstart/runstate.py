"""Shared state and helpers of a load run (see :mod:`koppel.snelstart.runner`).

:class:`RunState` holds what the steps share: the client, the ledger view,
the plan, the ids of relaties and artikelen, and the thread pool. The steps
themselves live in :mod:`koppel.snelstart.settle` (sort, look up, changes)
and :mod:`koppel.snelstart.writes` (relaties, artikelen, orders, updates).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from koppel import ledger as lg
from koppel.exceptions import ApiAuthError
from koppel.ledger import AuditEvent, Ledger, LedgerRow
from koppel.plan import LoadPlan, OrderBooking, dumps
from koppel.profile import Profile
from koppel.snelstart import booking as bk
from koppel.snelstart.client import SnelstartClient
from koppel.snelstart.records import RecordOutcome

if TYPE_CHECKING:
    from koppel.loading import LoadResult
    from koppel.snelstart.runner import LoadOptions

__all__ = ["RunState", "Sorted", "index_by", "ref_key", "response_event"]

log = logging.getLogger(__name__)


@dataclass
class Sorted:
    """The plan's orders by what this run must do with them."""

    post: list[OrderBooking] = field(default_factory=list)
    pending: list[OrderBooking] = field(default_factory=list)
    check: list[OrderBooking] = field(default_factory=list)
    changed: list[OrderBooking] = field(default_factory=list)
    update: list[tuple[OrderBooking, list[dict[str, Any]]]] = field(
        default_factory=list
    )
    withdrawn: list[int] = field(default_factory=list)


class RunState:
    """What the steps of one load share."""

    def __init__(
        self,
        client: SnelstartClient,
        ledger: Ledger,
        plan: LoadPlan,
        profile: Profile,
        options: LoadOptions,
        result: LoadResult,
    ) -> None:
        self.client = client
        self.ledger = ledger
        self.plan = plan
        self.profile = profile
        self.options = options
        self.result = result
        self.bookings = {b.order_id: b for b in plan.orders}
        self.actions = {
            "relatie": {a.key: a for a in plan.relaties},
            "artikel": {a.key: a for a in plan.artikelen},
        }
        self.ids: dict[str, dict[str, str]] = {"relatie": {}, "artikel": {}}
        self.record_failures: dict[tuple[str, str], RecordOutcome] = {}
        self.found: dict[str, list[dict[str, Any]]] = {}
        self.shop_hashes: dict[int, str] = {}
        self.pool: ThreadPoolExecutor | None = None
        self.preview_actions: dict[int, str] = {}

    def _preview_action(self, order_id: int, action: str) -> None:
        self.preview_actions[order_id] = action

    def _intent_row(self, booking: OrderBooking) -> LedgerRow:
        old = self.ledger.rows.get(booking.order_id)
        return LedgerRow(
            order_id=booking.order_id,
            status=lg.PENDING,
            payload_hash=booking.payload_hash,
            orderreferentie=booking.orderreferentie,
            betalingskenmerk=booking.betalingskenmerk,
            shop_hash=self.shop_hashes.get(booking.order_id),
            attempts=old.attempts if old else 0,
            intent_at=datetime.now(UTC),
            payload=dumps(booking.payload, numbers=True),
        )

    def _confirm(
        self,
        order_id: int,
        row: LedgerRow,
        hits: Sequence[dict[str, Any]],
        stage: str,
    ) -> None:
        record = hits[0]
        row.status = lg.BOOKED
        row.snelstart_id = str(record.get("id"))
        nummer = record.get("nummer")
        row.nummer = int(nummer) if nummer is not None else None
        row.booked_at = row.booked_at or datetime.now(UTC)
        self.ledger.put(row)
        message = None
        if len(hits) > 1:
            extra = [str(h.get("id")) for h in hits[1:]]
            message = f"{len(hits)} orders carry this orderreferentie: {extra!r}"
            log.warning("order %d: %s", order_id, message)
        self.ledger.event(
            AuditEvent(
                order_id,
                stage,
                payload_hash=row.payload_hash,
                snelstart_id=row.snelstart_id,
                nummer=row.nummer,
                message=message,
                detail={"orderreferentie": row.orderreferentie},
            )
        )

    def _submit(self, fn: Any, *args: Any, **kwargs: Any) -> Future[Any]:
        assert self.pool is not None
        return self.pool.submit(fn, *args, **kwargs)

    def _gather(self, futures: dict[Future[Any], Any]) -> Iterator[Any]:
        """Yield results as they finish; re-raise an auth error at the end."""
        auth_error: ApiAuthError | None = None
        for future in as_completed(futures):
            if future.cancelled():
                continue
            try:
                yield future.result()
            except ApiAuthError as exc:
                auth_error = auth_error or exc
                for other in futures:
                    other.cancel()
        if auth_error is not None:
            raise auth_error


def ref_key(value: Any) -> str:
    """A reference as compared with SnelStart's copy (trimmed, any case)."""
    return str(value or "").strip().lower()


def index_by(records: list[dict[str, Any]], field: str) -> dict[str, list[Any]]:
    """Records by a reference field, oldest (lowest nummer) first."""
    index: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in sorted(records, key=lambda r: r.get("nummer") or 0):
        key = ref_key(record.get(field))
        if key:
            index[key].append(record)
    return index


def response_event(
    outcome: bk.OrderOutcome, phash: str, stage: str = "response"
) -> AuditEvent:
    stage = {bk.AMBIGUOUS: "ambiguous", bk.NOT_SENT: "not_sent"}.get(
        outcome.kind, stage
    )
    return AuditEvent(
        outcome.order_id,
        stage,
        payload_hash=phash,
        http_status=outcome.http_status,
        snelstart_id=outcome.snelstart_id,
        nummer=outcome.nummer,
        codes=outcome.codes,
        message=outcome.message,
        detail=outcome.record or None,
    )
