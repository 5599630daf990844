"""Load steps 3-5: relaties and artikelen, orders, updates.

All HTTP runs in the run's thread pool; every ledger write is queued on the
calling thread and flushed in one transaction per step or chunk. An order's
intent is committed before its POST leaves.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from koppel import ledger as lg
from koppel.exceptions import TransientApiError
from koppel.ledger import AuditEvent
from koppel.plan import OrderBooking, dumps
from koppel.reasons import Reason
from koppel.snelstart import booking as bk
from koppel.snelstart.lookup import find_verkooporders
from koppel.snelstart.records import RecordOutcome, kind_of, write_record
from koppel.snelstart.refs import UnresolvedReference, collect_refs, resolve_refs
from koppel.snelstart.runstate import RunState, index_by, ref_key, response_event

__all__ = ["WriteSteps"]

log = logging.getLogger(__name__)


class WriteSteps(RunState):
    """Writing relaties, artikelen and orders, each exactly once."""

    def needed_records(self, bookings: Sequence[OrderBooking]) -> list[Any]:
        """The plan actions the given orders depend on, relaties first."""
        keys: dict[str, set[str]] = {"relatie": set(), "artikel": set()}
        for booking in bookings:
            relaties, artikelen = collect_refs(booking.payload)
            keys["relatie"] |= relaties
            keys["artikel"] |= artikelen
        needed = []
        for kind in ("relatie", "artikel"):
            for key in sorted(keys[kind]):
                action = self.actions[kind].get(key)
                if action is None:
                    self.record_failures[(kind, key)] = RecordOutcome(
                        kind, key, "failed", message="not in the load plan"
                    )
                else:
                    needed.append(action)
        return needed

    def known_id(self, kind: str, action: Any) -> str | None:
        """An id the action already has (use) or koppel already created."""
        if action.action == "use":
            return action.relatie_id if kind == "relatie" else action.artikel_id
        entry = self.ledger.record(kind, action.key)
        if action.action == "create" and entry and entry["status"] == "created":
            return entry["snelstart_id"]
        return None

    def _write_records(self, bookings: Sequence[OrderBooking]) -> None:
        todo = []
        for action in self.needed_records(bookings):
            kind = kind_of(action)
            known = self.known_id(kind, action)
            if known is not None:
                self.ids[kind][action.key] = known
                continue
            entry = self.ledger.record(kind, action.key)
            if action.action == "create" and not (
                entry and entry["status"] == "pending"
            ):
                self.ledger.put_record(kind, action.key, "pending", None, None)
            todo.append((kind, action, entry))
        if not todo:
            return
        self.ledger.flush()
        futures = {
            self._submit(
                write_record,
                self.client,
                action,
                pending=bool(entry and entry["status"] == "pending"),
                last_hash=entry["payload_hash"] if entry else None,
            ): (kind, action)
            for kind, action, entry in todo
        }
        for outcome in self._gather(futures):
            self._record_outcome(outcome)
        self.ledger.flush()

    def _record_outcome(self, outcome: RecordOutcome) -> None:
        kind, key = outcome.kind, outcome.key
        if not outcome.ok:
            self.record_failures[(kind, key)] = outcome
            # SnelStart's message may quote personal data: log the codes only
            why = ", ".join(outcome.codes) or ("transient" if outcome.transient else "")
            log.warning("%s `%s` not written (%s)", kind, key, why or "refused")
            return
        self.ids[kind][key] = str(outcome.snelstart_id)
        status = "updated" if outcome.action in ("updated", "unchanged") else "created"
        self.ledger.put_record(
            kind, key, status, outcome.snelstart_id, outcome.payload_hash
        )
        counter = {
            ("relatie", "created"): "relaties_created",
            ("relatie", "updated"): "relaties_updated",
            ("artikel", "created"): "artikelen_created",
            ("artikel", "updated"): "artikelen_updated",
        }.get((kind, outcome.action))
        if counter:
            setattr(self.result, counter, getattr(self.result, counter) + 1)

    def _post_orders(self, bookings: Sequence[OrderBooking]) -> None:
        queue = list(bookings)
        for round_ in range(self.options.max_rounds + 1):
            ambiguous: list[OrderBooking] = []
            size = self.options.chunk_size
            for start in range(0, len(queue), size):
                ambiguous += self._post_chunk(queue[start : start + size])
            if not ambiguous:
                return
            self.result.ambiguous += len(ambiguous)
            if round_ == self.options.max_rounds:
                break
            queue = self._find_landed(ambiguous)
        for booking in ambiguous:
            msg = "POST may or may not have landed; the next run looks it up first"
            self.result.failed[booking.order_id] = (None, (), msg)

    def _post_chunk(self, chunk: Sequence[OrderBooking]) -> list[OrderBooking]:
        ready = []
        for booking in chunk:
            payload = self._resolve(booking)
            if payload is not None:
                self._intent(booking, payload)
                ready.append((booking, payload))
        if not ready:
            return []
        self.ledger.flush()  # the intents are durable before any POST leaves
        futures = {
            self._submit(bk.post_order, self.client, b.order_id, p): b for b, p in ready
        }
        ambiguous = []
        for outcome in self._gather(futures):
            booking = self.bookings[outcome.order_id]
            if self._record_post(booking, outcome):
                ambiguous.append(booking)
        self.ledger.flush()
        return ambiguous

    def _find_landed(self, ambiguous: list[OrderBooking]) -> list[OrderBooking]:
        """Confirm ambiguous POSTs that landed; return those to post again."""
        time.sleep(self.options.settle_seconds)
        try:
            found = find_verkooporders(
                self.client,
                references=[b.orderreferentie for b in ambiguous],
                pool=self.pool,
            )
        except TransientApiError as exc:
            log.warning("look-up after ambiguous POSTs failed: %s", exc)
            for booking in ambiguous:
                msg = f"POST may have landed and the look-up failed ({exc})"
                self.result.failed[booking.order_id] = (None, (), msg)
            return []
        by_ref = index_by(found, "orderreferentie")
        again = []
        for booking in ambiguous:
            hits = by_ref.get(ref_key(booking.orderreferentie), [])
            if hits:
                row = self.ledger.rows[booking.order_id]
                self._confirm(booking.order_id, row, hits, "found")
                self.result.loaded.append(booking.order_id)
            else:
                again.append(booking)
        self.ledger.flush()
        return again

    def _resolve(self, booking: OrderBooking) -> dict[str, Any] | None:
        try:
            return resolve_refs(
                booking.payload, self.ids["relatie"], self.ids["artikel"]
            )
        except UnresolvedReference as exc:
            self.result.failed[booking.order_id] = self._unresolved(exc)
            return None

    def _unresolved(self, exc: UnresolvedReference) -> tuple[Any, tuple[str, ...], str]:
        failure = self.record_failures.get((exc.kind, exc.key))
        what = f"{exc.kind} `{exc.key}`"
        if failure is None or failure.transient:
            detail = failure.message if failure else "not written"
            return None, (), f"{what} is not in SnelStart yet ({detail})"
        if failure.message == "not in the load plan":
            reason = (
                Reason.UNKNOWN_CUSTOMER
                if exc.kind == "relatie"
                else Reason.UNKNOWN_ARTICLE
            )
            return reason, (), f"{what} is not in the load plan"
        msg = f"SnelStart rejected {what}: {failure.message}"
        return Reason.SNELSTART_REJECTED, tuple(failure.codes), msg

    def _intent(self, booking: OrderBooking, payload: dict[str, Any]) -> None:
        row = self._intent_row(booking)
        row.attempts += 1
        self.ledger.put(row)
        self.ledger.event(
            AuditEvent(
                booking.order_id,
                "intent",
                payload_hash=booking.payload_hash,
                message=f"attempt {row.attempts}",
                detail=payload,
            )
        )

    def _record_post(self, booking: OrderBooking, outcome: bk.OrderOutcome) -> bool:
        """Record one POST's outcome; True when it was ambiguous."""
        oid = booking.order_id
        row = self.ledger.rows[oid]
        self.ledger.event(response_event(outcome, booking.payload_hash))
        if outcome.kind == bk.BOOKED:
            row.status = lg.BOOKED
            row.snelstart_id = outcome.snelstart_id
            row.nummer = outcome.nummer
            row.booked_at = datetime.now(UTC)
            self.ledger.put(row)
            self.result.loaded.append(oid)
        elif outcome.kind == bk.REJECTED:
            row.status = lg.REJECTED
            self.ledger.put(row)
            self.result.failed[oid] = (
                Reason.SNELSTART_REJECTED,
                outcome.codes,
                outcome.message or "rejected",
            )
        elif outcome.kind == bk.AMBIGUOUS:
            return True
        else:
            self.result.failed[oid] = (None, (), outcome.message or "not sent")
        return False

    def _put_orders(self, updates: Sequence[tuple[OrderBooking, list[Any]]]) -> None:
        ready = []
        for booking, diff in updates:
            payload = self._resolve(booking)
            if payload is not None:
                ready.append((booking, diff, payload))
        futures = {
            self._submit(
                bk.put_order,
                self.client,
                b.order_id,
                str(self.ledger.rows[b.order_id].snelstart_id),
                p,
            ): (b, d)
            for b, d, p in ready
        }
        diffs = {b.order_id: d for b, d, _ in ready}
        for outcome in self._gather(futures):
            self._record_put(self.bookings[outcome.order_id], outcome, diffs)

    def _record_put(
        self,
        booking: OrderBooking,
        outcome: bk.OrderOutcome,
        diffs: dict[int, list[Any]],
    ) -> None:
        oid = booking.order_id
        row = self.ledger.rows[oid]
        diff = diffs[oid]
        if outcome.kind == bk.BOOKED:
            updated = replace(
                row,
                payload_hash=booking.payload_hash,
                payload=dumps(booking.payload, numbers=True),
                shop_hash=self.shop_hashes.get(oid) or row.shop_hash,
                changed_hash=None,
                flag=None,
            )
            self.ledger.put(updated)
            event = response_event(outcome, booking.payload_hash, stage="updated")
            event.detail = {"diff": diff, "response": outcome.record}
            self.ledger.event(event)
            self.result.updated.append(oid)
        elif outcome.kind == bk.REJECTED:
            self.ledger.event(response_event(outcome, booking.payload_hash))
            self._flag_change(booking, row, diff, "SnelStart refused the update")
            reason, _, msg = self.result.failed[oid]
            self.result.failed[oid] = (reason, outcome.codes, msg)
        else:
            self.result.failed[oid] = (None, (), outcome.message or "not sent")
