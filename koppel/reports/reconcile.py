"""Reconciliation: does SnelStart hold what the shop sold, and if not, why?

For one profile and period (whole days in the shop timezone) the shop's
orders placed in the period are set against the verkooporders SnelStart
holds for them, read back from SnelStart's API. Every order whose amounts
differ gets a diagnosis (see :class:`~koppel.reports.results.Category`), and
the bridge walks from the shop's total to SnelStart's total:

    shop, orders placed
    - not (yet) eligible
    = shop, eligible orders
    - one line per explained category (quarantined, not booked yet, ...)
    - unexplained                        (should be zero)
    = SnelStart

"Changed in SnelStart" is found by comparing each verkooporder's lines with
the payload the ledger says koppel sent; such an order is diagnosed but
counts as unexplained, since nothing in the pipeline made that change.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import duckdb
import pandas as pd

from koppel.money import ZERO, to_cents
from koppel.profile import Profile
from koppel.reasons import Reason
from koppel.reports import sources
from koppel.reports.booked import BookedOrder, parse_verkooporders
from koppel.reports.bridge import build_bridge, group_rows, vat_rows
from koppel.reports.matching import match_orders
from koppel.reports.results import Category, OrderDifference, ReconciliationReport
from koppel.reports.shop import ShopOrder, day_bounds, period_days, shop_orders

__all__ = ["booked_snelstart_ids", "classify", "reconcile"]

_BOOKED_STATUSES = ("booked", "external")


def _records(frame: pd.DataFrame) -> dict[int, dict[str, Any]]:
    return {int(r["order_id"]): r for r in frame.to_dict("records")}


def _sum(values: Iterable[Decimal | None]) -> Decimal:
    return sum((v for v in values if v is not None), ZERO)


def _posted_lines(row: Mapping[str, Any] | None) -> list[tuple] | None:
    """Line signatures of the payload koppel posted, from the ledger.

    None when koppel never posted the order (no row, or an order SnelStart
    already had under its betalingskenmerk: ``external``).
    """
    if row is None or row.get("status") == "external":
        return None
    payload = row.get("payload")
    if isinstance(payload, str):
        try:
            payload = json.loads(payload, parse_float=Decimal)
        except ValueError:
            return None
    if not isinstance(payload, Mapping) or not isinstance(payload.get("regels"), list):
        return None
    signatures = []
    for regel in payload["regels"]:
        aantal = Decimal(str(regel.get("aantal") or 0))
        prijs = Decimal(str(regel.get("stuksprijs") or 0))
        korting = Decimal(str(regel.get("kortingsPercentage") or 0))
        signatures.append((aantal.normalize(), to_cents(prijs), korting.normalize()))
    return sorted(signatures)


def _describe_lines(before: Sequence[tuple], after: Sequence[tuple]) -> str:
    gone = Counter(before) - Counter(after)
    new = Counter(after) - Counter(before)

    def show(items: Counter) -> str:
        parts = [
            f"{a:f} x {p:f}" + (f" -{k:f}%" if k else "")
            for a, p, k in sorted(items.elements())
        ]
        return "; ".join(parts) or "nothing"

    return f"lines changed: booked {show(gone)}, now {show(new)}"


def _shop_changed(order: ShopOrder, ledger_row: Mapping[str, Any] | None) -> bool:
    if ledger_row is None:
        return False
    if ledger_row.get("changed_hash") or ledger_row.get("flag"):
        return True
    booked_hash = ledger_row.get("shop_hash")
    return bool(booked_hash) and booked_hash != order.payload_hash


def classify(
    order: ShopOrder,
    matches: Sequence[BookedOrder],
    *,
    ledger_row: Mapping[str, Any] | None,
    held: Mapping[str, Any] | None,
    tolerance: Decimal,
) -> OrderDifference | None:
    """Diagnose one shop order against its verkooporders.

    Args:
        order: the shop order.
        matches: the verkooporders tied to it.
        ledger_row: its ``ledger_orders`` row, if any.
        held: its quarantine row (open or ignored), if any.
        tolerance: the largest difference taken as rounding (EUR).

    Returns:
        The difference, or None when the order agrees (or is not eligible
        and not booked, which the bridge counts on its own line).
    """
    shop_incl = order.incl if order.eligible else ZERO
    shop_excl = order.excl if order.eligible else ZERO
    booked_incl = _sum(m.incl if m.incl is not None else shop_incl for m in matches)
    booked_excl = _sum(m.excl if m.excl is not None else shop_excl for m in matches)

    def found(category: Category, detail: str = "") -> OrderDifference:
        return OrderDifference(
            category=category,
            order_id=order.order_id,
            reference=order.reference,
            snelstart_nummers=tuple(m.nummer for m in matches if m.nummer is not None),
            shop_incl=shop_incl,
            shop_excl=shop_excl,
            booked_incl=booked_incl,
            booked_excl=booked_excl,
            detail=detail,
        )

    if len(matches) > 1:
        return found(Category.DUPLICATE_IN_SNELSTART, f"{len(matches)} verkooporders")
    if not matches:
        return _unbooked(order, ledger_row, held, found)
    if not order.eligible:
        return found(Category.CANCELLED_AFTER_BOOKING, "no longer eligible in the shop")
    posted = _posted_lines(ledger_row)
    current = matches[0].line_signatures()
    if posted is not None and matches[0].lines_known and posted != current:
        return found(Category.CHANGED_IN_SNELSTART, _describe_lines(posted, current))
    if shop_incl == booked_incl and shop_excl == booked_excl:
        return None
    reasons = str((held or {}).get("reasons") or "")
    if _shop_changed(order, ledger_row) or Reason.CHANGED_AFTER_BOOKING in reasons:
        return found(Category.CHANGED_IN_SHOP, "the shop changed the order")
    if abs(shop_incl - booked_incl) <= tolerance and (
        abs(shop_excl - booked_excl) <= tolerance
    ):
        residue = order.residue
        detail = f"shop rounding {to_cents(residue):f}" if residue else "VAT rounding"
        return found(Category.ROUNDING_LINE, detail)
    outside = (ledger_row or {}).get("status") == "external"
    detail = "booked outside koppel; amounts differ" if outside else "amounts differ"
    return found(Category.UNEXPLAINED, detail)


def _unbooked(
    order: ShopOrder,
    ledger_row: Mapping[str, Any] | None,
    held: Mapping[str, Any] | None,
    found: Callable[..., OrderDifference],
) -> OrderDifference | None:
    if not order.eligible:
        return None
    if held is not None:
        status = str(held.get("status") or "open")
        return found(Category.QUARANTINED, f"{status}: {held.get('reasons') or ''}")
    status = None if ledger_row is None else ledger_row.get("status")
    if status in _BOOKED_STATUSES:
        nummer = ledger_row.get("nummer") if ledger_row else None
        return found(
            Category.MISSING_IN_SNELSTART,
            f"ledger: {status} as nummer {nummer}; not found in SnelStart",
        )
    return found(Category.AWAITING_BOOKING, f"ledger: {status or 'no entry'}")


def _not_from_shop(order: BookedOrder) -> OrderDifference:
    refs = [r for r in (order.orderreferentie, order.betalingskenmerk) if r]
    return OrderDifference(
        category=Category.NOT_FROM_SHOP,
        order_id=None,
        reference=None,
        snelstart_nummers=() if order.nummer is None else (order.nummer,),
        shop_incl=ZERO,
        shop_excl=ZERO,
        booked_incl=order.incl or ZERO,
        booked_excl=order.excl or ZERO,
        detail="references: " + (", ".join(refs) or "none"),
    )


def booked_snelstart_ids(
    con: duckdb.DuckDBPyConnection, *, profile: Profile, since: date, until: date
) -> list[str]:
    """SnelStart ids the ledger holds for the orders placed in the period.

    Pass them to :func:`koppel.reports.booked.fetch_verkooporders` so orders
    dated outside the fetch window are still read back.
    """
    since, until = period_days(since, until, profile.zone)
    start, end = day_bounds(since, until, profile.zone)
    return sources.read_booked_ids(con, start, end)


def reconcile(
    con: duckdb.DuckDBPyConnection,
    snelstart_orders: Iterable[Mapping[str, Any]],
    *,
    profile: Profile,
    since: date,
    until: date,
    now: datetime | None = None,
) -> ReconciliationReport:
    """Reconcile the shop's orders of a period with what SnelStart holds.

    Args:
        con: an open staging connection (staging, ledger and quarantine).
        snelstart_orders: verkooporders read back from SnelStart (see
            :func:`koppel.reports.booked.fetch_verkooporders`), as dicts.
        profile: the profile (name, timezone, rounding tolerance).
        since: first day of the period, in the shop timezone.
        until: last day of the period (included).
        now: the report time (aware); defaults to the current time.

    Returns:
        The report: bridge, per-order differences, per day, per payment
        method and per VAT rate.

    Raises:
        ValueError: when the period is empty or a datetime is naive.
    """
    zone = profile.zone
    since, until = period_days(since, until, zone)
    start, end = day_bounds(since, until, zone)
    staged = sources.read_shop_orders(con, start, end)
    ids = [int(i) for i in staged["order_id"]]
    orders = shop_orders(staged, sources.read_line_totals(con, ids), zone)
    ledger = sources.read_ledger(con)
    matches = match_orders(
        parse_verkooporders(snelstart_orders), sources.read_order_keys(con), ledger
    )
    ledger_rows = _records(ledger)
    held_rows = _records(sources.read_quarantine(con))
    tolerance = profile.validation.total_tolerance

    differences = []
    for order in orders:
        found = classify(
            order,
            matches.get(order.order_id),
            ledger_row=ledger_rows.get(order.order_id),
            held=held_rows.get(order.order_id),
            tolerance=tolerance,
        )
        if found is not None:
            differences.append(found)
    outside = [o for o in matches.unmatched if o.datum and since <= o.datum <= until]
    differences.extend(_not_from_shop(o) for o in outside)

    booked = {o.order_id: matches.get(o.order_id) for o in orders}
    report = ReconciliationReport(
        profile=profile.name,
        since=since,
        until=until,
        generated_at=now or datetime.now(UTC),
        differences=differences,
        matched=sum(len(v) for v in booked.values()),
    )
    report.bridge = build_bridge(orders, booked, differences, outside)
    days = [since + timedelta(days=i) for i in range((until - since).days + 1)]
    report.by_day = group_rows(orders, booked, outside, key="day", keys=days)
    report.by_payment = group_rows(orders, booked, outside, key="payment")
    report.vat = vat_rows(o for o in orders if o.eligible)
    report.snelstart_vat = _sum(
        m.incl - m.excl
        for ms in [*booked.values(), outside]
        for m in ms
        if m.incl is not None and m.excl is not None
    )
    report.shop_vat_booked = _sum(
        o.incl - o.excl for o in orders if o.eligible and booked[o.order_id]
    )
    if ledger.empty:
        report.notes.append("no ledger yet: changes in SnelStart cannot be detected")
    return report
