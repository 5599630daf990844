"""The machinery behind :func:`koppel.loading.execute_plan`.

:class:`LoadRun` carries one load through its steps (see the docstring of
:mod:`koppel.loading`); HTTP runs in a thread pool, every ledger write stays
on the calling thread and is flushed in one transaction per step or chunk.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import time
from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from koppel import ledger as lg
from koppel.exceptions import ApiAuthError, StagingLockedError, TransientApiError
from koppel.ledger import AuditEvent, Ledger, LedgerRow
from koppel.plan import LoadPlan, OrderBooking, dumps
from koppel.profile import Profile
from koppel.reasons import Reason
from koppel.snelstart import booking as bk
from koppel.snelstart.client import SnelstartClient
from koppel.snelstart.lookup import find_verkooporders
from koppel.snelstart.records import RecordOutcome, write_record
from koppel.snelstart.refs import (
    UnresolvedReference,
    collect_refs,
    diff_payloads,
    resolve_refs,
)

if TYPE_CHECKING:
    from koppel.loading import LoadResult

__all__ = ["LoadOptions", "LoadRun", "profile_lock"]

log = logging.getLogger(__name__)

VOID = "void"  # an intent whose order was cancelled before it was booked
_LOCK_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class LoadOptions:
    """How a load runs.

    Attributes:
        workers: POSTs in flight at once (the throttle caps them too).
        chunk_size: orders per intent commit; a crash leaves at most one
            chunk pending, to be looked up by the next run.
        settle_seconds: wait before looking up writes that may have landed,
            so SnelStart can finish a slow request first.
        max_rounds: look-up-and-repost rounds for ambiguous writes.
        lock_timeout_seconds: how long to wait for another load of the same
            profile to finish.
    """

    workers: int = 4
    chunk_size: int = 50
    settle_seconds: float = 1.0
    max_rounds: int = 5
    lock_timeout_seconds: float = 900.0

    @classmethod
    def for_profile(cls, profile: Profile) -> LoadOptions:
        """Defaults within the profile's concurrency and retry settings."""
        snel = profile.snelstart
        return cls(workers=min(snel.concurrency, 8), max_rounds=snel.max_retries)


@contextlib.contextmanager
def profile_lock(profile: Profile, timeout: float) -> Iterator[None]:
    """One load per profile at a time, across threads and processes.

    Raises:
        StagingLockedError: when another load holds the lock past ``timeout``.
    """
    path = Path(profile.data_dir) / f"{profile.name}.load.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout
    with open(path, "ab") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    msg = (
                        f"another load of profile `{profile.name}` still holds "
                        f"`{path}` after {timeout:.0f} s; wait for it to finish"
                    )
                    raise StagingLockedError(msg) from None
                time.sleep(_LOCK_POLL_SECONDS)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass
class _Sorted:
    """The plan's orders by what this run must do with them."""

    post: list[OrderBooking] = field(default_factory=list)
    pending: list[OrderBooking] = field(default_factory=list)
    check: list[OrderBooking] = field(default_factory=list)
    changed: list[OrderBooking] = field(default_factory=list)
    update: list[tuple[OrderBooking, list[dict[str, Any]]]] = field(
        default_factory=list
    )
    withdrawn: list[int] = field(default_factory=list)


class LoadRun:
    """One load of one plan; see :func:`koppel.loading.execute_plan`."""

    def __init__(
        self,
        client: SnelstartClient,
        ledger: Ledger,
        plan: LoadPlan,
        profile: Profile,
        options: Any,
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

    # -- entry points ---------------------------------------------------------

    def execute(self, withdrawn: Collection[int] | None) -> None:
        """Carry out the plan (steps 1-5)."""
        with ThreadPoolExecutor(self.options.workers) as pool:
            self.pool = pool
            todo = self._prepare(withdrawn)
            try:
                needs = todo.post + [b for b, _ in todo.update]
                self._write_records(needs)
                self._post_orders(todo.post)
                self._put_orders(todo.update)
            finally:
                self.ledger.flush()

    def preview(self, withdrawn: Collection[int] | None) -> None:
        """Fill ``result.preview`` with what a real run would do."""
        from koppel.snelstart.preview import build_preview

        with ThreadPoolExecutor(self.options.workers) as pool:
            self.pool = pool
            todo = self._prepare(withdrawn, dry_run=True)
        self.result.preview = build_preview(self, todo)
        # a dry run quarantines nothing: its flags live in the preview only
        self.result.preview["flags"] = {
            oid: {"reason": str(reason), "message": message}
            for oid, (reason, _, message) in self.result.failed.items()
        }
        self.result.failed = {}

    def _prepare(
        self, withdrawn: Collection[int] | None, *, dry_run: bool = False
    ) -> _Sorted:
        withdrawn_ids = self._withdrawn_ids(withdrawn)
        self.ledger.load(list(self.bookings) + withdrawn_ids)
        self.ledger.load_records()
        self.shop_hashes = self.ledger.shop_hashes(self.bookings)
        todo = self._sort(withdrawn_ids)
        self._look_up(todo)
        self._flag_withdrawn(todo)
        self._apply_changes(todo, dry_run=dry_run)
        if not dry_run:
            self.ledger.flush()
        return todo

    # -- step 1: sort ---------------------------------------------------------

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

    def _sort(self, withdrawn: list[int]) -> _Sorted:
        todo = _Sorted(withdrawn=withdrawn)
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
            elif row.payload_hash == booking.payload_hash:
                self._skip(booking, "skip")
            else:
                todo.changed.append(booking)
        return todo

    def _skip(self, booking: OrderBooking, action: str) -> None:
        self.result.skipped.append(booking.order_id)
        self._preview_action(booking.order_id, action)
        row = self.ledger.rows[booking.order_id]
        shop = self.shop_hashes.get(booking.order_id)
        if shop and shop != row.shop_hash:
            row.shop_hash = shop
            self.ledger.put(row)

    def _preview_action(self, order_id: int, action: str) -> None:
        self.preview_actions[order_id] = action

    # -- step 2: look up ------------------------------------------------------

    def _look_up(self, todo: _Sorted) -> None:
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
        by_ref = _index(found, "orderreferentie")
        by_kenmerk = _index(found, "betalingskenmerk")
        self.found = by_ref
        self._settle_pending(todo, by_ref)
        self._settle_checked(todo, by_ref, by_kenmerk)
        self._settle_withdrawn(todo, by_ref)

    def _settle_pending(
        self, todo: _Sorted, by_ref: dict[str, list[dict[str, Any]]]
    ) -> None:
        for booking in todo.pending:
            row = self.ledger.rows[booking.order_id]
            hits = by_ref.get(_ref(row.orderreferentie), [])
            if not hits:
                todo.post.append(booking)
                continue
            self._confirm(booking.order_id, row, hits, "recovered")
            self.result.recovered.append(booking.order_id)
            if row.payload_hash == booking.payload_hash:
                self._preview_action(booking.order_id, "recover")
            else:
                todo.changed.append(booking)

    def _settle_checked(
        self,
        todo: _Sorted,
        by_ref: dict[str, list[dict[str, Any]]],
        by_kenmerk: dict[str, list[dict[str, Any]]],
    ) -> None:
        for booking in todo.check:
            oid = booking.order_id
            same_ref = by_ref.get(_ref(booking.orderreferentie), [])
            kenmerk = _ref(booking.betalingskenmerk)
            # without a ledger row, an order is ours only when both keys match
            ours = [
                r
                for r in same_ref
                if not kenmerk or _ref(r.get("betalingskenmerk")) == kenmerk
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
        self, todo: _Sorted, by_ref: dict[str, list[dict[str, Any]]]
    ) -> None:
        for oid in todo.withdrawn:
            row = self.ledger.rows.get(oid)
            if row is None or row.status != lg.PENDING:
                continue
            hits = by_ref.get(_ref(row.orderreferentie), [])
            if hits:
                self._confirm(oid, row, hits, "recovered")
                continue
            row.status = VOID
            self.ledger.put(row)
            self.ledger.event(
                AuditEvent(oid, "void", message="cancelled before it was booked")
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

    # -- cancellations and changes -------------------------------------------

    def _flag_withdrawn(self, todo: _Sorted) -> None:
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

    def _apply_changes(self, todo: _Sorted, *, dry_run: bool) -> None:
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
        hits = self.found.get(_ref(row.orderreferentie), [])
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

    # -- step 3: relaties and artikelen ---------------------------------------

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
        from koppel.snelstart.records import kind_of

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
            log.warning("%s `%s` not written: %s", kind, key, outcome.message)
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

    # -- step 4: orders --------------------------------------------------------

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
        by_ref = _index(found, "orderreferentie")
        again = []
        for booking in ambiguous:
            hits = by_ref.get(_ref(booking.orderreferentie), [])
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
        self.ledger.event(_response_event(outcome, booking.payload_hash))
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

    # -- step 5: updates -------------------------------------------------------

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
            event = _response_event(outcome, booking.payload_hash, stage="updated")
            event.detail = {"diff": diff, "response": outcome.record}
            self.ledger.event(event)
            self.result.updated.append(oid)
        elif outcome.kind == bk.REJECTED:
            self.ledger.event(_response_event(outcome, booking.payload_hash))
            self._flag_change(booking, row, diff, "SnelStart refused the update")
            reason, _, msg = self.result.failed[oid]
            self.result.failed[oid] = (reason, outcome.codes, msg)
        else:
            self.result.failed[oid] = (None, (), outcome.message or "not sent")

    # -- thread pool -----------------------------------------------------------

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


def _ref(value: Any) -> str:
    """A reference as compared with SnelStart's copy (trimmed, any case)."""
    return str(value or "").strip().lower()


def _index(records: list[dict[str, Any]], field: str) -> dict[str, list[Any]]:
    """Records by a reference field, oldest (lowest nummer) first."""
    index: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in sorted(records, key=lambda r: r.get("nummer") or 0):
        key = _ref(record.get(field))
        if key:
            index[key].append(record)
    return index


def _response_event(
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
