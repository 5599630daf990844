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
A timed-out page makes every later page smaller.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from koppel import settings
from koppel.exceptions import FatalApiError, TransientApiError
from koppel.prestashop.client import WebserviceClient, is_timeout
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

    def pages(self) -> Iterator[list[Record]]:
        """The window's orders in pages (a page may be empty only at the end).

        Raises:
            FatalApiError: when the shop refuses the request for another
                reason than sorting by date.
            TransientApiError: when a page keeps failing.
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
        yield from self._id_pages()

    def _base(self, lower: str, upper: str) -> dict[str, str]:
        return {
            "display": "full",
            "date": "1",
            "filter[date_upd]": f"[{lower},{upper}]",
        }

    def _fetch(self, params: dict[str, str], offset: int, extra: int = 0) -> tuple:
        while True:
            count = self.size + extra
            query = {**params, "limit": f"{offset},{count}"}
            at_minimum = self.size <= self._min
            try:
                page = self._client.list(RESOURCE, query, retry_timeouts=at_minimum)
            except TransientApiError as exc:
                if not is_timeout(exc) or at_minimum:
                    raise
                self.size = max(self._min, self.size // 2)
                log.warning(
                    "prestashop: an `orders` page timed out; asking for %d "
                    "orders per page from now on",
                    self.size,
                )
                continue
            return page, count

    def _date_pages(self) -> Iterator[list[Record]]:
        lower, anchor = self.window.lower, None
        sort = {"sort": "[date_upd_ASC,id_ASC]"}
        while True:
            start = anchor.date if anchor else lower
            params = {**self._base(start, self.window.upper), **sort}
            offset = anchor.seen - 1 if anchor else 0
            page, count = self._fetch(params, offset, extra=1 if anchor else 0)
            if anchor is not None:
                if not page or _key(page[0]) != (anchor.date, anchor.id):
                    log.info(
                        "prestashop: orders moved while paging; re-reading "
                        "those updated at %s by id",
                        anchor.date,
                    )
                    yield from self._same_second(anchor)
                    lower, anchor = next_second(anchor.date), None
                    continue
                page = page[1:]
            if page:
                yield page
            if len(page) + (1 if anchor else 0) < count:
                return
            anchor = _advance(anchor, page)

    def _same_second(self, anchor: _Anchor) -> Iterator[list[Record]]:
        last = anchor.id
        while True:
            params = {
                **self._base(anchor.date, anchor.date),
                "filter[id]": f">[{last}]",
                "sort": "[id_ASC]",
            }
            page, count = self._fetch(params, 0)
            page = [r for r in page if _key(r)[1] > last]
            if page:
                yield page
                last = _key(page[-1])[1]
            if len(page) < count:
                return

    def _id_pages(self) -> Iterator[list[Record]]:
        last = 0
        while True:
            params = {
                **self._base(self.window.lower, self.window.upper),
                "filter[id]": f">[{last}]",
                "sort": "[id_ASC]",
            }
            page, count = self._fetch(params, 0)
            page = [r for r in page if _key(r)[1] > last]
            if page:
                yield page
                last = max(_key(r)[1] for r in page)
            if len(page) < count:
                return


def _advance(anchor: _Anchor | None, page: list[Record]) -> _Anchor:
    date, last_id = _key(page[-1])
    same = sum(1 for r in page if str(r.get("date_upd")) == date)
    if anchor is not None and anchor.date == date:
        same += anchor.seen
    return _Anchor(date, last_id, same)
