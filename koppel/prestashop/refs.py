"""Reference data of the shop: order states, countries, currencies, taxes.

Each is read at most once per run, with one list request, and only when
the run needs it (order states always: eligibility depends on them). Ids
are install-specific, so orders are classified by the states' flags and
ISO codes come from the shop, never from hard-coded ids.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pandas as pd

from koppel import settings
from koppel.prestashop.frames import frame
from koppel.prestashop.related import Related, chunk_values, fetch_splitting
from koppel.prestashop.values import code, flag, money, text, whole

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from koppel.prestashop.client import WebserviceClient

__all__ = [
    "Country",
    "Currency",
    "OrderState",
    "RefCache",
    "Tax",
    "parse_countries",
    "parse_currencies",
    "parse_order_states",
    "parse_taxes",
]

log = logging.getLogger(__name__)

FULL = {"display": "full"}
PRODUCT_DISPLAY = "[id,reference]"


@dataclass(frozen=True)
class OrderState:
    """An order state and the flags that decide eligibility."""

    id: int
    name: str | None
    paid: bool | None
    logable: bool | None
    invoice: bool | None
    shipped: bool | None
    delivery: bool | None

    def has_any(self, kinds: list[str]) -> bool:
        """True when one of the flags named in ``kinds`` is set."""
        return any(bool(getattr(self, kind)) for kind in kinds)


@dataclass(frozen=True)
class Country:
    """A country: its install-specific id and its ISO code."""

    id: int
    iso_code: str | None
    name: str | None


@dataclass(frozen=True)
class Currency:
    """A currency and its rate against the shop's default currency."""

    id: int
    iso_code: str | None
    conversion_rate: Decimal | None


@dataclass(frozen=True)
class Tax:
    """A tax as stored by the shop (``rate`` in percent)."""

    id: int
    rate: Decimal | None
    name: str | None


def _by_id(records: list[dict[str, Any]], build: Callable[[dict], Any]) -> dict:
    result = {}
    for record in records:
        key = whole(record.get("id"))
        if key is not None:
            result[key] = build(record)
    return result


def parse_order_states(
    records: list[dict[str, Any]], language_id: int | None = None
) -> dict[int, OrderState]:
    """Read ``order_states`` records, keyed by id."""
    return _by_id(
        records,
        lambda r: OrderState(
            whole(r["id"]) or 0,
            text(r.get("name"), language_id),
            flag(r.get("paid")),
            flag(r.get("logable")),
            flag(r.get("invoice")),
            flag(r.get("shipped")),
            flag(r.get("delivery")),
        ),
    )


def parse_countries(
    records: list[dict[str, Any]], language_id: int | None = None
) -> dict[int, Country]:
    """Read ``countries`` records, keyed by id (ISO codes upper case)."""
    return _by_id(
        records,
        lambda r: Country(
            whole(r["id"]) or 0,
            (code(r.get("iso_code")) or "").upper() or None,
            text(r.get("name"), language_id),
        ),
    )


def parse_currencies(records: list[dict[str, Any]]) -> dict[int, Currency]:
    """Read ``currencies`` records, keyed by id."""
    return _by_id(
        records,
        lambda r: Currency(
            whole(r["id"]) or 0,
            (code(r.get("iso_code")) or "").upper() or None,
            money(r.get("conversion_rate")),
        ),
    )


def parse_taxes(
    records: list[dict[str, Any]], language_id: int | None = None
) -> dict[int, Tax]:
    """Read ``taxes`` records, keyed by id."""
    return _by_id(
        records,
        lambda r: Tax(
            whole(r["id"]) or 0,
            money(r.get("rate")),
            text(r.get("name"), language_id),
        ),
    )


class RefCache:
    """Reference data read lazily, once per run, through one client."""

    def __init__(self, client: WebserviceClient, language_id: int | None = None):
        self._client = client
        self._language = language_id
        self._lock = threading.Lock()
        self._loaded: dict[str, dict[int, Any]] = {}
        self._products: dict[int, str | None] = {}

    def _get(self, resource: str, parse: Callable[[list], dict]) -> dict[int, Any]:
        with self._lock:
            if resource not in self._loaded:
                records = self._client.list(resource, FULL)
                self._loaded[resource] = parse(records)
                log.debug("prestashop: %d %s read", len(records), resource)
            return self._loaded[resource]

    @property
    def states(self) -> dict[int, OrderState]:
        """Order states by id."""
        return self._get(
            "order_states", lambda r: parse_order_states(r, self._language)
        )

    @property
    def countries(self) -> dict[int, Country]:
        """Countries by id."""
        return self._get("countries", lambda r: parse_countries(r, self._language))

    @property
    def currencies(self) -> dict[int, Currency]:
        """Currencies by id."""
        return self._get("currencies", parse_currencies)

    @property
    def taxes(self) -> dict[int, Tax]:
        """Taxes by id."""
        return self._get("taxes", lambda r: parse_taxes(r, self._language))

    def product_references(
        self, product_ids: Iterable[int], failed: Related, *, max_count: int
    ) -> dict[int, str | None]:
        """The products' own references (shared by their combinations).

        Only ids not read before in this run are requested, as
        ``display=[id,reference]`` with OR filters. A product the shop no
        longer has maps to None; one that could not be read is left out and
        recorded in ``failed``.

        Args:
            product_ids: the products of a batch's order lines.
            failed: collects the ids that could not be read.
            max_count: ids per request at most.

        Returns:
            product id → reference for every id that could be read.
        """
        wanted = sorted({i for i in product_ids if i})
        missing = [str(i) for i in wanted if i not in self._products]
        limit = settings.PRESTASHOP_MAX_QUERY_CHARS
        for chunk in chunk_values(missing, limit, max_count):
            records = fetch_splitting(
                self._client, "products", "id", chunk, failed, display=PRODUCT_DISPLAY
            )
            found = {whole(r.get("id")): code(r.get("reference")) for r in records}
            for value in chunk:
                if ("products", value) not in failed.failed:
                    self._products[int(value)] = found.get(int(value))
        return {i: self._products[i] for i in wanted if i in self._products}

    def frames(self) -> dict[str, pd.DataFrame]:
        """The ``ref_*`` rows of everything read this run, by table name."""
        loaded = dict(self._loaded)
        result: dict[str, pd.DataFrame] = {}
        if "order_states" in loaded:
            result["ref_order_states"] = frame(
                [
                    {
                        "state_id": s.id,
                        "name": s.name,
                        "paid": s.paid,
                        "logable": s.logable,
                        "invoice": s.invoice,
                        "shipped": s.shipped,
                        "delivery": s.delivery,
                    }
                    for s in loaded["order_states"].values()
                ],
                "ref_order_states",
            )
        if "countries" in loaded:
            result["ref_countries"] = frame(
                [
                    {"country_id": c.id, "iso_code": c.iso_code, "name": c.name}
                    for c in loaded["countries"].values()
                ],
                "ref_countries",
            )
        if "currencies" in loaded:
            result["ref_currencies"] = frame(
                [
                    {
                        "currency_id": c.id,
                        "iso_code": c.iso_code,
                        "conversion_rate": c.conversion_rate,
                    }
                    for c in loaded["currencies"].values()
                ],
                "ref_currencies",
            )
        if "taxes" in loaded:
            result["ref_taxes"] = frame(
                [
                    {"tax_id": t.id, "rate": t.rate, "name": t.name}
                    for t in loaded["taxes"].values()
                ],
                "ref_taxes",
            )
        return result
