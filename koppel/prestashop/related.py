"""Records related to a batch of orders, read with OR filters in chunks.

Never one request per order: customers and addresses by ``filter[id]``,
order details, cart rules, carriers and histories by ``filter[id_order]``,
payments by ``filter[order_reference]``, each as ``[a|b|c]`` with chunks
small enough to keep URLs under ~4 KB. A chunk that keeps failing after
the client's retries (a timeout, or a shop error on one bad record) is
split in halves to isolate the record; a single value that still fails is
skipped and reported, and the orders that needed it count as incomplete.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from koppel import settings
from koppel.exceptions import TransientApiError
from koppel.prestashop.client import WebserviceClient
from koppel.prestashop.values import code, ident

__all__ = ["RELATED", "Related", "chunk_values", "fetch_related", "fetch_splitting"]

log = logging.getLogger(__name__)

Record = dict[str, Any]


def _ids(*fields: str) -> Callable[[Record], list[str]]:
    def pick(order: Record) -> list[str]:
        values = (ident(order.get(name)) for name in fields)
        return [str(v) for v in values if v is not None]

    return pick


def _reference(order: Record) -> list[str]:
    value = code(order.get("reference"))
    if value is None or any(c in value for c in "|[],"):
        return []
    return [value]


# resource, filter field, values taken from each order
RELATED: tuple[tuple[str, str, Callable[[Record], list[str]]], ...] = (
    ("customers", "id", _ids("id_customer")),
    ("addresses", "id", _ids("id_address_delivery", "id_address_invoice")),
    ("order_details", "id_order", _ids("id")),
    ("order_payments", "order_reference", _reference),
    ("order_cart_rules", "id_order", _ids("id")),
    ("order_carriers", "id_order", _ids("id")),
    ("order_histories", "id_order", _ids("id")),
)


@dataclass
class Related:
    """What one batch of orders refers to, by resource.

    Attributes:
        records: the records per resource, de-duplicated by id.
        failed: (resource, filter value) pairs that could not be read.
        problems: one line per value that was skipped.
    """

    records: dict[str, list[Record]] = field(default_factory=dict)
    failed: set[tuple[str, str]] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    def get(self, resource: str) -> list[Record]:
        """The records of one resource (empty when none)."""
        return self.records.get(resource, [])

    def gaps_of(self, order: Record) -> list[str]:
        """The resources this order's related records are missing from."""
        return [
            resource
            for resource, _, pick in RELATED
            if any((resource, value) in self.failed for value in pick(order))
        ]


def chunk_values(values: Iterable[str], max_chars: int, max_count: int) -> list:
    """Split filter values so each ``[a|b|c]`` stays under ``max_chars``
    once URL-encoded and holds at most ``max_count`` values."""
    chunks: list[list[str]] = []
    current: list[str] = []
    size = 2
    for value in values:
        cost = len(quote(value, safe="")) + 3
        if current and (size + cost > max_chars or len(current) >= max_count):
            chunks.append(current)
            current, size = [], 2
        current.append(value)
        size += cost
    if current:
        chunks.append(current)
    return chunks


def _params(name: str, values: list[str], display: str) -> dict[str, str]:
    return {"display": display, f"filter[{name}]": "[" + "|".join(values) + "]"}


def fetch_splitting(
    client: WebserviceClient,
    resource: str,
    name: str,
    values: list[str],
    result: Related,
    retries: int | None = None,
    display: str = "full",
) -> list[Record]:
    """Read ``resource`` where ``name`` is one of ``values``, splitting the
    chunk in halves while it keeps failing; values that fail alone are
    recorded in ``result`` and skipped."""
    params = _params(name, values, display)
    try:
        return client.list(resource, params, max_retries=retries)
    except TransientApiError as exc:
        if len(values) == 1:
            result.failed.add((resource, values[0]))
            result.problems.append(f"`{resource}` {name}={values[0]}: {exc}")
            log.warning(
                "prestashop: skipped `%s` %s=%s after retries",
                resource,
                name,
                values[0],
            )
            return []
        half = len(values) // 2
        log.warning(
            "prestashop: `%s` chunk of %d keeps failing; splitting it",
            resource,
            len(values),
        )
        return [
            record
            for part in (values[:half], values[half:])
            for record in fetch_splitting(
                client,
                resource,
                name,
                part,
                result,
                settings.PRESTASHOP_SPLIT_RETRIES,
                display,
            )
        ]


def _unique(records: list[Record]) -> list[Record]:
    seen: dict[Any, Record] = {}
    for record in records:
        seen[record.get("id")] = record
    return list(seen.values())


def fetch_related(
    client: WebserviceClient, orders: list[Record], *, max_count: int
) -> Related:
    """Read every related record of ``orders`` in OR-filtered chunks.

    Requests run on the client's worker threads, so at most the profile's
    concurrency is in flight.

    Args:
        client: the shop's client.
        orders: ``orders`` records of one batch.
        max_count: values per filter at most (the page size).

    Returns:
        The records by resource, with what could not be read.
    """
    result = Related()
    futures: list[tuple[str, Future[list[Record]]]] = []
    for resource, name, pick in RELATED:
        values = sorted({v for order in orders for v in pick(order)})
        result.records[resource] = []
        for chunk in chunk_values(
            values, settings.PRESTASHOP_MAX_QUERY_CHARS, max_count
        ):
            future = client.submit_call(
                fetch_splitting, client, resource, name, chunk, result
            )
            futures.append((resource, future))
    for resource, future in futures:
        result.records[resource].extend(future.result())
    for resource in result.records:
        result.records[resource] = _unique(result.records[resource])
    return result
