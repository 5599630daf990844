"""The validation stage: contracts and checks over staged orders, then quarantine.

Which orders are validated: the given ids (typically the run's new and
changed orders) plus every quarantined order that is due (a newer version
was staged, or an operator asked for a retry); with no ids, every staged
order. Orders that are not eligible for booking (their state is not paid or
logable) are skipped; ignored orders are skipped and never pass.

For every checked order, every failure is collected (lazy): failing orders
get quarantine entries that replace the ones of their last validation;
passing orders leave quarantine, except an order held by mapping or loading
whose version did not change and which no one asked to retry (booking it
again would fail the same way).
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import pandas as pd

from koppel import quarantine
from koppel.profile import Profile
from koppel.quarantine import QuarantineEntry
from koppel.reasons import Reason
from koppel.staging import StagedOrders, read_staged
from koppel.validation.checks import CheckContext, cross_table_entries, read_reference
from koppel.validation.contracts import contract_entries
from koppel.validation.drift import DriftEvent, detect_drift
from koppel.validation.figures import count_reasons, record_figures
from koppel.validation.integrity import duplicate_line_entries, orphan_line_entries

__all__ = ["ValidationResult", "check_staged", "validate_orders"]

log = logging.getLogger(__name__)


@dataclass
class ValidationResult:
    """What one validation did.

    Attributes:
        run_id: the run.
        checked: eligible, not ignored orders validated.
        passed_order_ids: checked orders that passed and are not held in
            quarantine: they may be mapped and booked.
        quarantined: order id -> its reasons, for orders that failed now
            (an orphan line's order id included).
        released_order_ids: orders that left quarantine now.
        figures: orders per reason among ``quarantined``.
        held_order_ids: passed validation but still held by a mapping or
            loading problem of the same version.
        ignored_order_ids: asked for but ignored by an operator.
        skipped_order_ids: asked for but not eligible for booking.
        drift: schema drift events of this run.
    """

    run_id: str
    checked: int
    passed_order_ids: list[int]
    quarantined: dict[int, list[Reason]]
    released_order_ids: list[int]
    figures: dict[Reason, int]
    held_order_ids: list[int] = field(default_factory=list)
    ignored_order_ids: list[int] = field(default_factory=list)
    skipped_order_ids: list[int] = field(default_factory=list)
    drift: list[DriftEvent] = field(default_factory=list)


def check_staged(staged: StagedOrders, ctx: CheckContext) -> list[QuarantineEntry]:
    """Every problem of these staged orders, without touching a database.

    Args:
        staged: the frames of the orders.
        ctx: reference data, currency, tolerance and the current time.

    Returns:
        The pandera contract failures and the cross-table check failures.
    """
    return contract_entries(staged) + cross_table_entries(staged, ctx)


def _only(staged: StagedOrders, order_ids: set[int]) -> StagedOrders:
    def keep(frame: pd.DataFrame) -> pd.DataFrame:
        if "order_id" not in frame.columns:
            return frame
        return frame[frame["order_id"].isin(order_ids)].reset_index(drop=True)

    return StagedOrders(
        keep(staged.orders),
        keep(staged.lines),
        staged.customers,
        staged.addresses,
        staged.payments,
        keep(staged.discounts),
    )


def _eligible(orders: pd.DataFrame) -> set[int]:
    if orders.empty:
        return set()
    pairs = zip(orders["order_id"], orders["eligible"], strict=True)
    return {int(oid) for oid, ok in pairs if ok is True}


def validate_orders(
    con: duckdb.DuckDBPyConnection,
    *,
    profile: Profile,
    run_id: str,
    order_ids: Sequence[int] | None = None,
    now: datetime | None = None,
) -> ValidationResult:
    """Validate staged orders and settle their quarantine.

    Args:
        con: an open staging connection (:func:`koppel.staging.connect`).
        profile: gives ``validation.currency`` and ``total_tolerance``.
        run_id: this run; recorded on quarantine entries and figures.
        order_ids: the orders to validate, plus those due in quarantine;
            None validates every staged order.
        now: the current time (tests freeze it); future dates are judged
            against it.

    Returns:
        The outcome per order and the run's figures; see
        :class:`ValidationResult`.
    """
    started = time.monotonic()
    due = set(quarantine.due_order_ids(con))
    wanted = None if order_ids is None else sorted({int(i) for i in order_ids} | due)
    staged = read_staged(con, wanted)
    asked = {int(i) for i in staged.orders["order_id"]} if len(staged) else set()
    eligible = _eligible(staged.orders)
    ignored = quarantine.ignored_order_ids(con)
    checked = eligible - ignored
    ctx = CheckContext(
        reference=read_reference(con),
        currency=profile.validation.currency,
        tolerance=profile.validation.total_tolerance,
        now=now or datetime.now(UTC),
    )
    entries = check_staged(_only(staged, checked), ctx)
    entries += duplicate_line_entries(con, checked)
    orphan_run = None if order_ids is None else run_id
    entries += orphan_line_entries(con, run_id=orphan_run, exclude=ignored)
    quarantined = _quarantine(con, entries, run_id)
    passing = checked - set(quarantined)
    released, held = _settle(con, passing, due, run_id)
    released += _drop_ineligible(con, asked - eligible, run_id)
    result = ValidationResult(
        run_id=run_id,
        checked=len(checked),
        passed_order_ids=sorted(passing - set(held)),
        quarantined=quarantined,
        released_order_ids=sorted(released),
        figures=count_reasons(quarantined),
        held_order_ids=sorted(held),
        ignored_order_ids=sorted(asked & ignored),
        skipped_order_ids=sorted(asked - eligible),
        drift=_drift(con, run_id),
    )
    _record(con, result, profile.name, entries)
    _log(result, time.monotonic() - started)
    return result


def _drift(con: duckdb.DuckDBPyConnection, run_id: str) -> list[DriftEvent]:
    """Schema drift is reported, never fatal: a failure to detect it is logged."""
    try:
        return detect_drift(con, run_id=run_id)
    except (duckdb.Error, ValueError):
        log.exception("schema drift of run %s could not be detected", run_id)
        return []


def _quarantine(
    con: duckdb.DuckDBPyConnection, entries: list[QuarantineEntry], run_id: str
) -> dict[int, list[Reason]]:
    reasons: dict[int, set[Reason]] = defaultdict(set)
    for entry in entries:
        reasons[entry.order_id].add(entry.reason)
    quarantine.add(con, entries, run_id=run_id, stage="validate", supersede=True)
    return {oid: sorted(rs) for oid, rs in sorted(reasons.items())}


def _settle(
    con: duckdb.DuckDBPyConnection, passing: set[int], due: set[int], run_id: str
) -> tuple[list[int], list[int]]:
    """Release passing orders, except those held by a later stage and not due."""
    stages = quarantine.open_stages(con, passing)
    held = [oid for oid, s in stages.items() if s - {"validate"} and oid not in due]
    release = sorted(set(stages) - set(held))
    quarantine.release(con, release, run_id=run_id)
    return release, sorted(held)


def _drop_ineligible(
    con: duckdb.DuckDBPyConnection, order_ids: set[int], run_id: str
) -> list[int]:
    """Orders no longer eligible (e.g. cancelled) leave quarantine: never booked."""
    stuck = sorted(quarantine.open_stages(con, order_ids))
    quarantine.release(con, stuck, run_id=run_id, detail="no longer eligible")
    return stuck


def _record(
    con: duckdb.DuckDBPyConnection,
    result: ValidationResult,
    profile: str,
    entries: list[QuarantineEntry],
) -> None:
    counts = {
        "checked": result.checked,
        "passed": len(result.passed_order_ids),
        "quarantined": len(result.quarantined),
        "released": len(result.released_order_ids),
        "held": len(result.held_order_ids),
        "ignored": len(result.ignored_order_ids),
        "skipped": len(result.skipped_order_ids),
    }
    record_figures(
        con,
        run_id=result.run_id,
        profile=profile,
        counts=counts,
        reasons=result.figures,
        entries=Counter(e.reason for e in entries),
        drift_events=len(result.drift),
    )


def _log(result: ValidationResult, seconds: float) -> None:
    for order_id, reasons in result.quarantined.items():
        log.warning("order %d quarantined: %s", order_id, ", ".join(reasons))
    log.info(
        "validate: %d checked, %d passed, %d quarantined, %d released, "
        "%d held, %d drift events in %.2f s",
        result.checked,
        len(result.passed_order_ids),
        len(result.quarantined),
        len(result.released_order_ids),
        len(result.held_order_ids),
        len(result.drift),
        seconds,
    )
