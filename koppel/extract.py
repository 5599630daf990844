"""The extract stage: new and changed PrestaShop orders into DuckDB staging.

Three modes read a window of ``date_upd`` (shop-local strings):

- ``incremental``: ``[watermark − overlap, now]``; the new watermark is the
  largest ``date_upd`` seen and is stored only after staging committed.
- ``range``: ``[since, until]`` for backfills; the watermark is untouched.
- ``rescan``: the last N days, comparing each order's version hash with
  staging, to catch edits that did not move ``date_upd``.

Orders already staged with the same ``(id, date_upd)`` are skipped before
any related request; the rest get their related records in OR-filtered
batches, are normalised and written one page per transaction.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from koppel import settings, staging
from koppel.exceptions import ConfigError
from koppel.prestashop import shoptime
from koppel.prestashop.batch import (
    RecordTexts,
    build_batch,
    group_related,
    products_of,
    version_hashes,
)
from koppel.prestashop.client import WebserviceClient
from koppel.prestashop.normalise import Refs
from koppel.prestashop.pager import OrderPager, Window
from koppel.prestashop.prefetch import prefetch
from koppel.prestashop.refs import RefCache
from koppel.prestashop.related import Related, fetch_related
from koppel.prestashop.store import Batch, staged_versions, write_batch, write_refs
from koppel.prestashop.values import code, whole

if TYPE_CHECKING:
    import duckdb
    import httpx
    from pydantic import SecretStr

    from koppel.profile import Profile

__all__ = ["MODES", "ExtractResult", "extract_orders", "plan_window"]

log = logging.getLogger(__name__)

Mode = Literal["incremental", "range", "rescan"]
MODES: tuple[str, ...] = ("incremental", "range", "rescan")
DATE_SORT_STATE = "prestashop.orders.date_sort_refused"
DATE_SORT_REPROBE = timedelta(hours=24)

Record = dict[str, Any]


@dataclass
class ExtractResult:
    """What one extraction did; small and JSON-friendly for Prefect.

    Attributes:
        run_id: the run.
        mode: ``incremental``, ``range`` or ``rescan``.
        orders_seen: distinct orders the shop listed in the window.
        orders_staged: new or changed order versions written to staging.
        changed_order_ids: those orders' ids.
        eligible_order_ids: the changed orders whose state makes them
            eligible for loading.
        requests: HTTP requests made (retries included).
        requests_by_resource: the same, per webservice resource.
        watermark_before: the stored watermark at the start (shop-local).
        watermark_after: the watermark after the run (unchanged for
            ``range`` and ``rescan``).
        seconds: wall time.
        fallback_used: orders were read by id because the shop refused
            sorting by date.
        seen_order_ids: every order id listed in the window.
        problems: related records that could not be read (their orders
            are staged and read again next run).
    """

    run_id: str
    mode: str
    orders_seen: int = 0
    orders_staged: int = 0
    changed_order_ids: list[int] = field(default_factory=list)
    eligible_order_ids: list[int] = field(default_factory=list)
    requests: int = 0
    requests_by_resource: dict[str, int] = field(default_factory=dict)
    watermark_before: str | None = None
    watermark_after: str | None = None
    seconds: float = 0.0
    fallback_used: bool = False
    seen_order_ids: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def watermark_name(profile: Profile) -> str:
    """The ``sync_state`` key of the profile's order watermark."""
    shop = profile.prestashop.id_shop
    return "prestashop.orders.date_upd" + (f".shop{shop}" if shop else "")


def plan_window(
    mode: str,
    profile: Profile,
    *,
    watermark: str | None,
    since: date | datetime | str | None,
    until: date | datetime | str | None,
    days: int | None,
    now: datetime,
) -> Window:
    """The ``date_upd`` window a run reads, in shop-local strings.

    Raises:
        ConfigError: for an unknown mode or a range that ends before it
            starts.
    """
    zone, ps = profile.zone, profile.prestashop
    upper = shoptime.window_upper(now, zone)
    first = shoptime.to_local_bound(ps.start_date, zone) or shoptime.EPOCH_LOCAL
    if mode == "incremental":
        if watermark is None:
            return Window(first, upper)
        overlap = timedelta(minutes=ps.overlap_minutes)
        return Window(shoptime.window_lower(watermark, overlap, now, zone), upper)
    if mode == "rescan":
        span = timedelta(days=ps.rescan_days if days is None else days)
        current = shoptime.format_local(now.astimezone(zone).replace(tzinfo=None))
        return Window(shoptime.window_lower(current, span, now, zone), upper)
    if mode == "range":
        lower = shoptime.to_local_bound(since, zone) or first
        end = shoptime.to_local_bound(until, zone, end=True)
        window = Window(lower, min(end, upper) if end else upper)
        if window.lower > window.upper:
            msg = (
                f"range `since` {window.lower!r} is after `until` {window.upper!r}; "
                "give since <= until"
            )
            raise ConfigError(msg)
        return window
    msg = f"extract mode {mode!r} is unknown; use one of {', '.join(MODES)}"
    raise ConfigError(msg)


class _Extraction:
    """One run's state: the open client and connection, and its counters."""

    def __init__(
        self,
        profile: Profile,
        client: WebserviceClient,
        con: duckdb.DuckDBPyConnection,
        result: ExtractResult,
        now: datetime | None,
    ) -> None:
        self.profile, self.client, self.con = profile, client, con
        self.result = result
        self.frozen = now
        self.refs = RefCache(client, profile.prestashop.language_id)
        self.seen: set[int] = set()
        self.latest: str | None = None
        self.hold: str | None = None
        self.pending: list[Batch] = []
        self.handled: set[tuple[int, str | None]] = set()  # (id, date_upd)

    def clock(self) -> datetime:
        return self.frozen or datetime.now(UTC)

    def note_seen(self, page: list[Record]) -> None:
        for order in page:
            self.seen.add(whole(order.get("id")) or 0)
            stamp = code(order.get("date_upd"))
            if stamp is not None and shoptime.parse_local(stamp) is not None:
                self.latest = stamp if self.latest is None else max(self.latest, stamp)

    def candidates(self, page: list[Record], staged: dict) -> list[Record]:
        """Orders to read in full: not yet handled in this run, and (except
        when re-scanning) not staged with this ``date_upd`` already."""
        fresh = [o for o in page if _version(o) not in self.handled]
        self.handled.update(_version(o) for o in fresh)
        if self.result.mode == "rescan":
            return fresh
        return [o for o in fresh if _stale(o, staged.get(whole(o.get("id"))))]

    def stage(self, page: list[Record]) -> None:
        self.note_seen(page)
        staged = staged_versions(self.con, [whole(o.get("id")) or 0 for o in page])
        candidates = self.candidates(page, staged)
        if not candidates:
            return
        ps = self.profile.prestashop
        related = fetch_related(self.client, candidates, max_count=ps.page_size)
        texts = RecordTexts()
        groups = group_related(candidates, related)
        hashes = version_hashes(candidates, groups, texts)
        changed = [o for o in candidates if _changed(o, staged, hashes)]
        if changed:
            self.write(changed, related, hashes, texts)

    def write(
        self,
        orders: list[Record],
        related: Related,
        hashes: dict,
        texts: RecordTexts,
    ) -> None:
        """Normalise changed orders; stage them once enough have gathered."""
        cache, ps = self.refs, self.profile.prestashop
        products = products_of(orders, related)
        unread = Related()
        references = cache.product_references(
            set().union(*products.values()), unread, max_count=ps.page_size
        )
        refs = Refs(
            cache.states,
            cache.countries,
            cache.currencies,
            cache.taxes,
            ps.language_id,
            references,
        )
        now = self.clock()
        batch = build_batch(
            orders,
            related,
            refs,
            zone=self.profile.zone,
            import_states=list(ps.import_states),
            hashes=hashes,
            run_id=self.result.run_id,
            fetched_at=now,
            texts=texts,
        )
        for order in orders:
            gaps = related.gaps_of(order)
            order_products = products.get(whole(order.get("id")) or 0, set())
            if any(("products", str(i)) in unread.failed for i in order_products):
                gaps.append("products")
            if gaps:
                stamp = code(order.get("date_upd"))
                batch.incomplete[whole(order.get("id")) or 0] = (stamp, gaps)
                if stamp is not None:
                    self.hold = min(self.hold or stamp, stamp)
        self.result.problems += related.problems + unread.problems
        self.pending.append(batch)
        if sum(len(b) for b in self.pending) >= settings.PRESTASHOP_STAGE_ORDERS:
            self.flush()

    def flush(self) -> None:
        """Write the gathered batches in one transaction."""
        if not self.pending:
            return
        batch = Batch.merge(self.pending)
        write_batch(self.con, batch, run_id=self.result.run_id, now=self.clock())
        self.pending = []
        staged = batch.frames["stg_orders"]
        self.result.changed_order_ids += [int(i) for i in staged["order_id"]]
        self.result.eligible_order_ids += [
            int(i) for i in staged.loc[staged["eligible"].fillna(False), "order_id"]
        ]


def _version(order: Record) -> tuple[int, str | None]:
    return whole(order.get("id")) or 0, code(order.get("date_upd"))


def _stale(order: Record, staged: tuple | None) -> bool:
    if staged is None:
        return True
    date_upd_local, _, incomplete = staged
    return bool(incomplete) or date_upd_local != code(order.get("date_upd"))


def _changed(order: Record, staged: dict, hashes: dict) -> bool:
    order_id = whole(order.get("id")) or 0
    known = staged.get(order_id)
    return known is None or bool(known[2]) or known[1] != hashes.get(order_id)


def _check_now(now: datetime | None) -> None:
    if now is not None and now.utcoffset() is None:
        msg = f"`now` must be timezone-aware, got {now!r}"
        raise ConfigError(msg)


def _date_sort_refused(con: duckdb.DuckDBPyConnection, now: datetime) -> bool:
    value = staging.get_state(con, DATE_SORT_STATE)
    if not value:
        return False
    try:
        since = datetime.fromisoformat(value)
    except ValueError:
        return False
    return now - since < DATE_SORT_REPROBE


def extract_orders(
    profile: Profile,
    key: SecretStr,
    *,
    run_id: str,
    mode: Mode | str = "incremental",
    since: date | datetime | str | None = None,
    until: date | datetime | str | None = None,
    days: int | None = None,
    transport: httpx.BaseTransport | None = None,
    now: datetime | None = None,
) -> ExtractResult:
    """Read the shop's new and changed orders into the profile's staging.

    Args:
        profile: the profile (shop URL, timezone, paging, import states).
        key: the resolved webservice key.
        run_id: this run's id, stored on every staged row.
        mode: ``incremental``, ``range`` (backfill) or ``rescan``.
        since: range start: a date (whole day), an aware datetime or a
            shop-local string; default the profile's ``start_date``.
        until: range end, same forms; default now.
        days: rescan span; default the profile's ``rescan_days``.
        transport: an httpx transport for tests.
        now: a frozen clock (aware) for tests.

    Returns:
        Counts, changed and eligible order ids, requests and watermarks.

    Raises:
        ConfigError: for a bad mode, range or clock.
        ApiAuthError: when the shop refuses the key.
        FatalApiError: when the shop refuses a request for good.
        TransientApiError: when the shop keeps failing after retries.
        StagingLockedError: when another process holds the DuckDB file.
    """
    _check_now(now)
    started = time.monotonic()
    result = ExtractResult(run_id=run_id, mode=str(mode))
    with (
        staging.connect(profile.database_path) as con,
        WebserviceClient.from_profile(profile, key, transport=transport) as client,
    ):
        moment = now or datetime.now(UTC)
        name = watermark_name(profile)
        result.watermark_before = staging.get_state(con, name) or None
        window = plan_window(
            str(mode),
            profile,
            watermark=result.watermark_before,
            since=since,
            until=until,
            days=days,
            now=moment,
        )
        run = _Extraction(profile, client, con, result, now)
        _ = run.refs.states  # loaded every run: eligibility depends on them
        by_id = _date_sort_refused(con, moment)
        if by_id:
            log.info("prestashop: reading orders by id; the shop refuses date sort")
        pager = OrderPager(
            client, window, page_size=profile.prestashop.page_size, id_keyset=by_id
        )
        log.debug("prestashop: %s window [%s, %s]", mode, window.lower, window.upper)
        for page in prefetch(pager.pages()):
            run.stage(page)
        run.flush()
        write_refs(con, run.refs.frames())
        _finish(con, run, pager, name, moment)
    result.seconds = round(time.monotonic() - started, 3)
    log.info(
        "extract %s: %d orders seen, %d staged (%d eligible), %d requests in %.1f s",
        mode,
        result.orders_seen,
        result.orders_staged,
        len(result.eligible_order_ids),
        result.requests,
        result.seconds,
    )
    return result


def _finish(
    con: duckdb.DuckDBPyConnection,
    run: _Extraction,
    pager: OrderPager,
    name: str,
    moment: datetime,
) -> None:
    """Fill the result and, after staging committed, move the watermark."""
    result = run.result
    result.seen_order_ids = sorted(run.seen)
    result.orders_seen = len(run.seen)
    result.changed_order_ids = sorted(set(result.changed_order_ids))
    result.orders_staged = len(result.changed_order_ids)
    result.eligible_order_ids = sorted(set(result.eligible_order_ids))
    result.requests = run.client.total_requests
    result.requests_by_resource = dict(sorted(run.client.requests.items()))
    result.fallback_used = pager.fallback_used
    result.problems += pager.problems
    if pager.refused_now:
        staging.set_state(con, DATE_SORT_STATE, moment.isoformat())
    elif not pager.fallback_used and staging.get_state(con, DATE_SORT_STATE):
        staging.set_state(con, DATE_SORT_STATE, "")
    result.watermark_after = result.watermark_before
    if result.mode != "incremental":
        return
    after = max(filter(None, [result.watermark_before, run.latest]), default=None)
    holds = [h for h in (run.hold, pager.hold) if h is not None]
    if holds and after is not None:
        after = min(after, *holds)
    if after is not None and after != result.watermark_before:
        staging.set_state(con, name, after)
    result.watermark_after = after
