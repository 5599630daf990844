"""Paging through the orders of a window without skipping any.

The window is ``[lower, upper]`` in shop-local strings, upper frozen at the
start of the run. Pages follow a ``(date_upd, id)`` keyset: each request
starts at the last page's ``date_upd`` and skips, by offset, the orders of
that second already read, asking for one extra so the last order read
comes back first as an anchor. When an order moved out of the window while
paging (it was updated), the anchor is missing and the rest of that second
is re-read by id, so the shift cannot hide an order the way plain offset
paging would.

When the shop refuses to sort by ``date_upd`` (PrestaShop 9, error 38) the
pager reads the same window by an id keyset instead, and says so once.
A timed-out page makes every later page smaller. A page that keeps failing
(a PHP error while rendering one order) is listed by id only, its orders
are read by id in halves to isolate the broken ones, and the rest of the
window continues by id; broken orders are reported, not skipped silently.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from koppel import settings
from koppel.exceptions import FatalApiError, TransientApiError
from koppel.prestashop.client import WebserviceClient, is_timeout
from koppel.prestashop.related import Related, fetch_splitting
from koppel.prestashop.shoptime import next_second
from koppel.prestashop.values import whole

__all__ = ["DATE_SORT_REFUSED", "OrderPager", "Window"]

log = logging.getLogger(__name__)

Record = dict[str, Any]
DATE_SORT_REFUSED = "38"
RESOURCE = "orders"


@dataclass(frozen=True)
class Window:
    """Orders whose ``date_upd`` lies in ``[lower, upper]`` (shop-local)."""

    lower: str
    upper: str


@dataclass(frozen=True)
class _Anchor:
    date: str
    id: int
    seen: int  # orders read so far whose date_upd equals ``date``


@dataclass
class _Page:
    records: list[Record]
    ids: list[int]  # every order the shop listed, readable or not
    count: int  # how many were asked for
    broken: list[int] = field(default_factory=list)

    @property
    def full(self) -> bool:
        return len(self.ids) >= self.count


def _key(record: Record) -> tuple[str, int]:
    return str(record.get("date_upd")), whole(record.get("id")) or 0


class OrderPager:
    """Yield the orders of a window page by page.

    Args:
        client: the shop's client.
        window: the ``date_upd`` bounds.
        page_size: orders per request to start with.
        id_keyset: read by id from the start (the shop is known to refuse
            sorting by date).

    Attributes:
        fallback_used: orders were read by id because date sort was refused.
        refused_now: the refusal was discovered in this run.
        broken: orders the shop could not render (read again next run).
        hold: the latest ``date_upd`` before which every order was read;
            set only when orders were broken.
        problems: one line per broken order.
    """

    def __init__(
        self,
        client: WebserviceClient,
        window: Window,
        *,
        page_size: int,
        id_keyset: bool = False,
    ) -> None:
        self._client = client
        self.window = window
        self.size = page_size
        self._min = min(settings.PRESTASHOP_MIN_PAGE_SIZE, page_size)
        self.fallback_used = id_keyset
        self.refused_now = False
        self.broken: list[int] = []
        self.hold: str | None = None
        self.problems: list[str] = []

    def pages(self) -> Iterator[list[Record]]:
        """The window's orders in pages (a page may be empty only at the end).

        Raises:
            FatalApiError: when the shop refuses the request for another
                reason than sorting by date.
            TransientApiError: when a page keeps failing even by id.
        """
        if not self.fallback_used:
            try:
                yield from self._date_pages()
                return
            except FatalApiError as exc:
                if DATE_SORT_REFUSED not in exc.codes:
                    raise
                self.fallback_used = self.refused_now = True
                log.warning(
                    "prestashop: the shop refuses to sort orders by `date_upd` "
                    "(error 38); reading the window by order id instead"
                )
        yield from self._id_pages(self.window.lower)

    def _base(self, lower: str, upper: str) -> dict[str, str]:
        return {
            "display": "full",
            "date": "1",
            "filter[date_upd]": f"[{lower},{upper}]",
        }

    def _fetch(
        self, params: dict[str, str], offset: int, floor: str, extra: int = 0
    ) -> _Page:
        """One page; ``floor`` is a ``date_upd`` no order of it is below."""
        while True:
            count = self.size + extra
            query = {**params, "limit": f"{offset},{count}"}
            at_minimum = self.size <= self._min
            # once an order proved unreadable, failing pages go to isolation fast
            retries = settings.PRESTASHOP_SPLIT_RETRIES if self.broken else None
            try:
                records = self._client.list(
                    RESOURCE, query, retry_timeouts=at_minimum, max_retries=retries
                )
            except TransientApiError as exc:
                if not is_timeout(exc) or at_minimum:
                    return self._isolate(query, count, exc, floor)
                self.size = max(self._min, self.size // 2)
                log.warning(
                    "prestashop: an `orders` page timed out; asking for %d "
                    "orders per page from now on",
                    self.size,
                )
                continue
            log.debug("prestashop: %d orders from offset %d", len(records), offset)
            ids = [_key(r)[1] for r in records]
            return _Page(records, ids, count)

    def _isolate(
        self, query: dict[str, str], count: int, exc: TransientApiError, floor: str
    ) -> _Page:
        """List the failing page by id only, then read its orders by id."""
        log.warning("prestashop: an `orders` page keeps failing; reading it by id")
        listing = {k: v for k, v in query.items() if k != "display"}
        ids = [whole(r.get("id")) or 0 for r in self._client.list(RESOURCE, listing)]
        if not ids:
            raise exc
        found = Related()
        records = fetch_splitting(
            self._client,
            RESOURCE,
            "id",
            [str(i) for i in ids if i not in self.broken],
            found,
            settings.PRESTASHOP_SPLIT_RETRIES,
        )
        by_id = {_key(r)[1]: r for r in records}
        broken = [i for i in ids if i not in by_id]
        if set(broken) - set(self.broken):
            self.broken += [i for i in broken if i not in self.broken]
            self.problems += found.problems
        if broken:
            self.hold = min(self.hold or floor, floor)
        return _Page([by_id[i] for i in ids if i in by_id], ids, count, broken)

    def _date_pages(self) -> Iterator[list[Record]]:
        lower, anchor = self.window.lower, None
        sort = {"sort": "[date_upd_ASC,id_ASC]"}
        while True:
            start = anchor.date if anchor else lower
            params = {**self._base(start, self.window.upper), **sort}
            offset = anchor.seen - 1 if anchor else 0
            page = self._fetch(params, offset, start, extra=1 if anchor else 0)
            if anchor is not None:
                if not page.ids or page.ids[0] != anchor.id:
                    log.info(
                        "prestashop: orders moved while paging; re-reading "
                        "those updated at %s by id",
                        anchor.date,
                    )
                    yield from self._same_second(anchor)
                    lower, anchor = next_second(anchor.date), None
                    continue
                page.records = [r for r in page.records if _key(r)[1] != anchor.id]
            if page.records:
                yield page.records
            if not page.full:
                return
            if page.ids[-1] in page.broken or not page.records:
                # an unreadable order has no date_upd to page on: go on by id
                yield from self._id_pages(start)
                return
            anchor = _advance(anchor, page.records)

    def _same_second(self, anchor: _Anchor) -> Iterator[list[Record]]:
        yield from self._by_id(anchor.date, anchor.date, after=anchor.id)

    def _id_pages(self, lower: str) -> Iterator[list[Record]]:
        yield from self._by_id(lower, self.window.upper, after=0)

    def _by_id(self, lower: str, upper: str, *, after: int) -> Iterator[list[Record]]:
        last = after
        while True:
            params = {
                **self._base(lower, upper),
                "filter[id]": f">[{last}]",
                "sort": "[id_ASC]",
            }
            page = self._fetch(params, 0, lower)
            fresh = [r for r in page.records if _key(r)[1] > last]
            if fresh:
                yield fresh
            listed = [i for i in page.ids if i > last]
            if not page.full or not listed:
                return
            last = max(listed)


def _advance(anchor: _Anchor | None, records: list[Record]) -> _Anchor:
    date, last_id = _key(records[-1])
    same = sum(1 for r in records if str(r.get("date_upd")) == date)
    if anchor is not None and anchor.date == date:
        same += anchor.seen
    return _Anchor(date, last_id, same)
