"""Load steps 1-2 and the policies: sort, look up, cancellations, changes.

Before anything is written, every order of the plan is put in one of the
lists of :class:`~koppel.snelstart.runstate.Sorted` by its ledger state;
pending, new (duplicate check) and changed orders are then looked up in
SnelStart in one batch, and cancelled or changed orders get the profile's
policy.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from decimal import Decimal
from typing import Any

from koppel import ledger as lg
from koppel.ledger import AuditEvent, LedgerRow
from koppel.plan import OrderBooking
from koppel.reasons import Reason
from koppel.snelstart.lookup import find_verkooporders
from koppel.snelstart.refs import diff_payloads
from koppel.snelstart.runstate import RunState, Sorted, index_by, ref_key

__all__ = ["VOID", "SettleSteps"]

VOID = "void"  # an intent whose order was cancelled before it was booked


class SettleSteps(RunState):
    """Sorting and settling the plan's orders against ledger and SnelStart."""

    def _withdrawn_ids(self, withdrawn: Collection[int] | None) -> list[int]:
        if withdrawn is not None:
            return sorted({int(i) for i in withdrawn})
        rows = self.ledger.con.execute(
            "SELECT l.order_id FROM ledger_orders l JOIN stg_orders s "
            "USING (order_id) WHERE NOT s.eligible "
            "AND l.status IN ('booked', 'pending') "
            "AND coalesce(l.flag, '') <> ?",
            [str(Reason.CREDIT_NOTE_CANDIDATE)],
        ).fetchall()
        return sorted(int(r[0]) for r in rows)

    def _sort(self, withdrawn: list[int]) -> Sorted:
        todo = Sorted(withdrawn=withdrawn)
        check_allowed = self.profile.loading.duplicate_check
        for booking in self.plan.orders:
            oid = booking.order_id
            row = self.ledger.rows.get(oid)
            if oid in withdrawn:
                continue
            if row is None or row.status in (lg.REJECTED, VOID):
                if check_allowed and booking.duplicate_check:
                    todo.check.append(booking)
                else:
                    todo.post.append(booking)
            elif row.status == lg.PENDING:
                todo.pending.append(booking)
            elif row.status == lg.EXTERNAL:
                self._skip(booking, "external")
            elif self._unchanged(row, booking):
                self._skip(booking, "skip")
            else:
                todo.changed.append(booking)
        return todo

    def _unchanged(self, row: LedgerRow, booking: OrderBooking) -> bool:
        """The shop has not changed the order since it was booked.

        The plan payload alone cannot tell: a customer created by an earlier
        (perhaps interrupted) run is referred to by another plan key once it
        exists, which changes the payload but not the order. So the staged
        shop version decides when the ledger knows the one it booked.
        """
        if row.payload_hash == booking.payload_hash:
            return True
        shop = self.shop_hashes.get(booking.order_id)
        return bool(row.shop_hash) and shop == row.shop_hash

    def _skip(self, booking: OrderBooking, action: str) -> None:
        self.result.skipped.append(booking.order_id)
        self._preview_action(booking.order_id, action)
        row = self.ledger.rows[booking.order_id]
        shop = self.shop_hashes.get(booking.order_id)
        if shop and shop != row.shop_hash:
            row.shop_hash = shop
            self.ledger.put(row)

    def _look_up(self, todo: Sorted) -> None:
        rows = self.ledger.rows
        on_update = self.profile.loading.on_change == "update"
        references = [rows[b.order_id].orderreferentie for b in todo.pending]
        references += [b.orderreferentie for b in todo.check]
        if on_update:
            references += [rows[b.order_id].orderreferentie for b in todo.changed]
        references += [
            rows[i].orderreferentie
            for i in todo.withdrawn
            if i in rows and rows[i].status == lg.PENDING
        ]
        kenmerken = [b.betalingskenmerk for b in todo.check if b.betalingskenmerk]
        if not references and not kenmerken:
            return
        found = find_verkooporders(
            self.client,
            references=references,
            betalingskenmerken=kenmerken,
            pool=self.pool,
        )
        by_ref = index_by(found, "orderreferentie")
        by_kenmerk = index_by(found, "betalingskenmerk")
        self.found = by_ref
        self._settle_pending(todo, by_ref)
        self._settle_checked(todo, by_ref, by_kenmerk)
        self._settle_withdrawn(todo, by_ref)

    def _settle_pending(
        self, todo: Sorted, by_ref: dict[str, list[dict[str, Any]]]
    ) -> None:
        for booking in todo.pending:
            row = self.ledger.rows[booking.order_id]
            hits = by_ref.get(ref_key(row.orderreferentie), [])
            if not hits:
                todo.post.append(booking)
                continue
            self._confirm(booking.order_id, row, hits, "recovered")
            self.result.recovered.append(booking.order_id)
            if self._unchanged(row, booking):
                self._preview_action(booking.order_id, "recover")
            else:
                todo.changed.append(booking)

    def _settle_checked(
        self,
        todo: Sorted,
        by_ref: dict[str, list[dict[str, Any]]],
        by_kenmerk: dict[str, list[dict[str, Any]]],
    ) -> None:
        for booking in todo.check:
            oid = booking.order_id
            same_ref = by_ref.get(ref_key(booking.orderreferentie), [])
            kenmerk = ref_key(booking.betalingskenmerk)
            # without a ledger row, an order is ours only when both keys match
            ours = [
                r
                for r in same_ref
                if not kenmerk or ref_key(r.get("betalingskenmerk")) == kenmerk
            ]
            theirs = by_kenmerk.get(kenmerk, []) if kenmerk else []
            if ours:
                row = self._intent_row(booking)
                self._confirm(oid, row, ours, "recovered")
                self.result.recovered.append(oid)
                self._preview_action(oid, "recover")
            elif theirs or same_ref:
                self._external(booking, (theirs or same_ref)[0])
            else:
                todo.post.append(booking)

    def _settle_withdrawn(
        self, todo: Sorted, by_ref: dict[str, list[dict[str, Any]]]
    ) -> None:
        for oid in todo.withdrawn:
            row = self.ledger.rows.get(oid)
            if row is None or row.status != lg.PENDING:
                continue
            hits = by_ref.get(ref_key(row.orderreferentie), [])
            if hits:
                self._confirm(oid, row, hits, "recovered")
                continue
            row.status = VOID
            self.ledger.put(row)
            self.ledger.event(
                AuditEvent(oid, "void", message="cancelled before it was booked")
            )

    def _external(self, booking: OrderBooking, record: dict[str, Any]) -> None:
        row = self._intent_row(booking)
        row.status = lg.EXTERNAL
        row.attempts = 0
        row.snelstart_id = str(record.get("id"))
        nummer = record.get("nummer")
        row.nummer = int(nummer) if nummer is not None else None
        self.ledger.put(row)
        self.ledger.event(
            AuditEvent(
                booking.order_id,
                "external",
                payload_hash=booking.payload_hash,
                snelstart_id=row.snelstart_id,
                nummer=row.nummer,
                message=(
                    "SnelStart already has an order with this betalingskenmerk or "
                    "orderreferentie; not posted"
                ),
                detail={
                    "betalingskenmerk": booking.betalingskenmerk,
                    "orderreferentie": booking.orderreferentie,
                    "found": {
                        "orderreferentie": record.get("orderreferentie"),
                        "betalingskenmerk": record.get("betalingskenmerk"),
                    },
                },
            )
        )
        self.result.external.append(booking.order_id)
        self.result.skipped.append(booking.order_id)
        self._preview_action(booking.order_id, "external")

    def _flag_withdrawn(self, todo: Sorted) -> None:
        reason = Reason.CREDIT_NOTE_CANDIDATE
        for oid in todo.withdrawn:
            row = self.ledger.rows.get(oid)
            if row is None or row.status != lg.BOOKED or row.flag == reason:
                continue
            row.flag = str(reason)
            self.ledger.put(row)
            msg = (
                f"order {oid} was cancelled or refunded after it was booked as "
                f"SnelStart order {row.nummer}; consider a credit note"
            )
            self.ledger.event(
                AuditEvent(oid, "flagged", snelstart_id=row.snelstart_id, message=msg)
            )
            self.result.failed[oid] = (reason, (), msg)
            self._preview_action(oid, "credit_note")

    def _apply_changes(self, todo: Sorted, *, dry_run: bool) -> None:
        policy = self.profile.loading.on_change
        for booking in todo.changed:
            oid = booking.order_id
            row = self.ledger.rows[oid]
            if row.changed_hash == booking.payload_hash:
                self._skip(booking, "skip")
                continue
            old = json.loads(row.payload, parse_float=Decimal) if row.payload else {}
            diff = diff_payloads(old, booking.payload)
            if policy == "update":
                why = self._not_updatable(row)
                if why is None:
                    todo.update.append((booking, diff))
                    self._preview_action(oid, "update")
                    continue
                self._flag_change(booking, row, diff, why)
            elif policy == "ignore":
                self._record_change(booking, row, diff, "ignored")
                self._skip(booking, "ignore")
            else:
                self._flag_change(booking, row, diff, "flagged for review")

    def _not_updatable(self, row: LedgerRow) -> str | None:
        hits = self.found.get(ref_key(row.orderreferentie), [])
        record = next((h for h in hits if str(h.get("id")) == row.snelstart_id), None)
        if record is None:
            return "the booked order was not found in SnelStart"
        status = record.get("procesStatus") or "Order"
        if status != "Order" or record.get("verkoopfactuur"):
            return f"SnelStart holds it as {status!r} (invoiced or processed)"
        return None

    def _record_change(
        self, booking: OrderBooking, row: LedgerRow, diff: list[Any], what: str
    ) -> None:
        row.changed_hash = booking.payload_hash
        shop = self.shop_hashes.get(booking.order_id)
        row.shop_hash = shop or row.shop_hash
        self.ledger.put(row)
        self.ledger.event(
            AuditEvent(
                booking.order_id,
                "changed",
                payload_hash=booking.payload_hash,
                snelstart_id=row.snelstart_id,
                message=f"changed after booking; {what}",
                detail={"diff": diff, "policy": self.profile.loading.on_change},
            )
        )

    def _flag_change(
        self, booking: OrderBooking, row: LedgerRow, diff: list[Any], why: str
    ) -> None:
        reason = Reason.CHANGED_AFTER_BOOKING
        self._record_change(booking, row, diff, why)
        row.flag = str(reason)
        fields = ", ".join(sorted({str(d["path"]) for d in diff})[:10])
        msg = (
            f"order {booking.order_id} changed after it was booked as SnelStart "
            f"order {row.nummer} ({why}); changed: {fields or 'unknown'}"
        )
        self.result.failed[booking.order_id] = (reason, (), msg)
        self._preview_action(booking.order_id, "flag")
