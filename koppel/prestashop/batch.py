"""From one page of orders plus their related records to a staging batch.

An order's *version* is everything staging keeps of it: the order record
and its details, cart rules, carriers, histories, payments, customer and
addresses (secrets stripped). Its hash tells a re-scan whether anything
changed even when the shop did not move ``date_upd``.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from koppel.prestashop import normalise as norm
from koppel.prestashop.frames import frame
from koppel.prestashop.related import Related
from koppel.prestashop.store import Batch
from koppel.prestashop.values import code, ident, strip_secrets, whole

__all__ = [
    "RecordTexts",
    "build_batch",
    "canonical_json",
    "group_related",
    "products_of",
    "raw_frame",
    "version_hashes",
]

Record = dict[str, Any]
_HASH_CHARS = 32
_BY_ORDER = ("order_details", "order_cart_rules", "order_carriers", "order_histories")


def _plain(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    msg = f"cannot serialise {type(value).__name__} in a shop record"
    raise TypeError(msg)


def canonical_json(record: object) -> str:
    """Key-sorted JSON of a record; Decimals (JSON numbers with a fraction
    in the answer) are written as strings, like the shop's own money."""
    return json.dumps(record, sort_keys=True, ensure_ascii=False, default=_plain)


def hash_text(text: str) -> str:
    """The short SHA-256 used for payload hashes (as ``koppel.plan``)."""
    return hashlib.sha256(text.encode()).hexdigest()[:_HASH_CHARS]


class RecordTexts:
    """Canonical JSON of each record (secrets stripped), made once per page.

    Records are keyed by identity: they live for the page they came in.
    """

    def __init__(self) -> None:
        self._texts: dict[int, tuple[Record, str]] = {}

    def of(self, record: Record) -> str:
        """The record's canonical text."""
        known = self._texts.get(id(record))
        if known is None:
            known = (record, canonical_json(strip_secrets(record)))
            self._texts[id(record)] = known
        return known[1]


def group_related(
    orders: Iterable[Record], related: Related
) -> dict[int, dict[str, list[Record]]]:
    """The related records of each order, by resource."""
    by_key: dict[tuple[str, Any], list[Record]] = defaultdict(list)
    for resource in _BY_ORDER:
        for record in related.get(resource):
            by_key[(resource, ident(record.get("id_order")))].append(record)
    for record in related.get("order_payments"):
        by_key[("order_payments", code(record.get("order_reference")))].append(record)
    for resource in ("customers", "addresses"):
        for record in related.get(resource):
            by_key[(resource, whole(record.get("id")))].append(record)

    result = {}
    for order in orders:
        order_id = whole(order.get("id")) or 0
        addresses = {
            ident(order.get("id_address_delivery")),
            ident(order.get("id_address_invoice")),
        }
        group = {r: by_key.get((r, order_id), []) for r in _BY_ORDER}
        group["order_payments"] = by_key.get(
            ("order_payments", code(order.get("reference"))), []
        )
        group["customers"] = by_key.get(
            ("customers", ident(order.get("id_customer"))), []
        )
        group["addresses"] = [
            a
            for i in sorted(addresses - {None})
            for a in by_key.get(("addresses", i), [])
        ]
        result[order_id] = group
    return result


def products_of(orders: Iterable[Record], related: Related) -> dict[int, set[int]]:
    """The product ids of each order's lines (order rows and details)."""
    result: dict[int, set[int]] = defaultdict(set)
    for order in orders:
        rows = (order.get("associations") or {}).get("order_rows") or []
        ids = {ident(r.get("product_id")) for r in rows if isinstance(r, dict)}
        result[whole(order.get("id")) or 0] |= {i for i in ids if i}
    for detail in related.get("order_details"):
        order_id, product_id = (
            ident(detail.get("id_order")),
            ident(detail.get("product_id")),
        )
        if order_id in result and product_id:
            result[order_id].add(product_id)
    return dict(result)


def version_hashes(
    orders: Iterable[Record],
    groups: Mapping[int, Mapping[str, list[Record]]],
    texts: RecordTexts,
) -> dict[int, str]:
    """The version hash of each order (key order and secrets do not count)."""
    result = {}
    for order in orders:
        order_id = whole(order.get("id")) or 0
        group = groups.get(order_id, {})
        lines = [f"orders\t{texts.of(order)}"]
        for resource in sorted(group):
            lines += sorted(f"{resource}\t{texts.of(r)}" for r in group[resource])
        result[order_id] = hash_text("\n".join(lines))
    return result


def raw_frame(
    records: Mapping[str, Iterable[Record]],
    *,
    run_id: str,
    fetched_at: datetime,
    texts: RecordTexts | None = None,
) -> pd.DataFrame:
    """``raw_records`` rows: each record as fetched, secrets stripped."""
    texts = texts or RecordTexts()
    rows = []
    for resource, items in records.items():
        for record in items:
            text = texts.of(record)
            rows.append(
                {
                    "resource": resource,
                    "record_id": whole(record.get("id")),
                    "payload_hash": hash_text(text),
                    "date_upd": code(record.get("date_upd") or record.get("date_add")),
                    "fetched_at": fetched_at,
                    "run_id": run_id,
                    "payload": text,
                }
            )
    return frame(rows, "raw_records")


def build_batch(
    orders: list[Record],
    related: Related,
    refs: norm.Refs,
    *,
    zone: ZoneInfo,
    import_states: list[str],
    hashes: Mapping[int, str],
    run_id: str,
    fetched_at: datetime,
    texts: RecordTexts | None = None,
) -> Batch:
    """Normalise the changed orders of a page into one staging batch.

    Args:
        orders: the changed ``orders`` records.
        related: their related records (may hold more than needed).
        refs: reference data of this run.
        zone: the shop timezone.
        import_states: the state flags that make an order eligible.
        hashes: the version hash per order id.
        run_id: this run.
        fetched_at: when the page was read.
        texts: canonical texts already made for the page's records.

    Returns:
        Frames for ``raw_records`` and every ``stg_*`` table.
    """
    groups = group_related(orders, related)
    picked = {
        resource: _unique(r for g in groups.values() for r in g[resource])
        for resource in (*_BY_ORDER, "order_payments", "customers", "addresses")
    }
    states = refs.states
    kw = {"run_id": run_id}
    frames = {
        "raw_records": raw_frame(
            {"orders": orders, **picked},
            run_id=run_id,
            fetched_at=fetched_at,
            texts=texts,
        ),
        "stg_orders": norm.orders_frame(
            orders,
            refs,
            zone=zone,
            import_states=import_states,
            paid_at=norm.paid_dates(picked["order_histories"], states, zone),
            hashes=hashes,
            run_id=run_id,
            fetched_at=fetched_at,
        ),
        "stg_order_lines": norm.order_lines_frame(
            orders, picked["order_details"], refs, **kw
        ),
        "stg_customers": norm.customers_frame(picked["customers"], zone=zone, **kw),
        "stg_addresses": norm.addresses_frame(
            picked["addresses"], refs, zone=zone, **kw
        ),
        "stg_payments": norm.payments_frame(
            picked["order_payments"], refs, zone=zone, **kw
        ),
        "stg_discounts": norm.discounts_frame(picked["order_cart_rules"], **kw),
    }
    references = {
        whole(o.get("id")) or 0: ref
        for o in orders
        if (ref := code(o.get("reference")))
    }
    return Batch(
        frames=frames,
        order_ids=sorted(whole(o.get("id")) or 0 for o in orders),
        references=references,
    )


def _unique(records: Iterable[Record]) -> list[Record]:
    seen: dict[Any, Record] = {}
    for record in records:
        seen.setdefault(record.get("id"), record)
    return list(seen.values())
