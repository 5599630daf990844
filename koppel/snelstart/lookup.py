"""Bulk look-ups in SnelStart: as few OData calls as the filters allow.

Values are ``or``-batched into one ``$filter`` per call (bounded in clauses
and length, as the OData backend limits both), paged at the real maxima and
cached on the client for the run, so a second batch never asks again for an
e-mail address or article code it already asked for. Reference lists
without OData (landen, omzetgroepen, ...) are fetched once per client.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from koppel.plan import LookupRequest, SnelstartSnapshot
from koppel.snelstart.client import SnelstartClient

__all__ = [
    "MAX_CLAUSES",
    "fetch_snapshot",
    "find_artikelen",
    "find_artikelen_by_extra_field",
    "find_relaties",
    "find_verkooporders",
    "odata_guid",
    "odata_string",
    "or_filters",
    "remember",
]

log = logging.getLogger(__name__)

# ASP.NET OData refuses filters above 100 nodes; one `X eq 'v'` is 3 nodes.
MAX_CLAUSES = 20
# an extra-field clause `any(e:e/Waarde eq 'v' and e/Naam eq 'f')` is ~10 nodes
MAX_EXTRA_FIELD_CLAUSES = 6
MAX_FILTER_CHARS = 1500

# the cache is shared by loading's worker threads
_CACHE_LOCK = threading.RLock()

_REFERENCE_LISTS = (
    ("landen", "landen"),
    ("artikelomzetgroepen", "artikelomzetgroepen"),
    ("verkoopordersjablonen", "verkoopordersjablonen"),
    ("kostenplaatsen", "kostenplaatsen"),
    ("btwtarieven", "btwtarieven"),
)


def odata_string(value: str) -> str:
    """An OData v3 string literal (``'`` doubled)."""
    return "'" + value.replace("'", "''") + "'"


def odata_guid(value: str) -> str:
    """An OData v3 GUID literal."""
    return f"guid'{value}'"


def or_filters(clauses: Iterable[str], *, max_clauses: int = MAX_CLAUSES) -> list[str]:
    """Join clauses with ``or`` into as few filters as the limits allow."""
    filters: list[str] = []
    batch: list[str] = []
    length = 0
    for clause in clauses:
        extra = len(clause) + 4
        if batch and (len(batch) >= max_clauses or length + extra > MAX_FILTER_CHARS):
            filters.append(" or ".join(batch))
            batch, length = [], 0
        batch.append(clause)
        length += extra
    if batch:
        filters.append(" or ".join(batch))
    return filters


def _cache(client: SnelstartClient) -> dict[Any, Any]:
    with _CACHE_LOCK:
        cache = getattr(client, "_lookup_cache", None)
        if cache is None:
            cache = {}
            client._lookup_cache = cache  # type: ignore[attr-defined]
        return cache


@dataclass(frozen=True)
class _Key:
    """One property to match: OData name, literal form and JSON field.

    ``clause`` and ``read`` replace ``prop eq literal`` and the JSON field
    for keys that are not a plain property (an extra field's value).
    """

    prop: str
    values: Iterable[Any]
    literal: Callable[[Any], str]
    field: str
    clause: Callable[[Any], str] | None = None
    read: Callable[[dict[str, Any]], list[Any]] | None = None
    max_clauses: int = MAX_CLAUSES

    def clause_for(self, value: Any) -> str:
        """The OData clause asking for one value."""
        if self.clause is not None:
            return self.clause(value)
        return f"{self.prop} eq {self.literal(value)}"

    def values_of(self, record: dict[str, Any]) -> list[Any]:
        """The record's values this key compares."""
        if self.read is not None:
            return self.read(record)
        return [_get(record, self.field)]


def _lookup(
    client: SnelstartClient,
    resource: str,
    keys: Sequence[_Key],
    *,
    use_cache: bool = True,
    pool: Executor | None = None,
) -> list[dict[str, Any]]:
    """Records matching any key value; clauses of all keys share or-filters.

    Each value's matches are checked client-side (a backend that ignores a
    filter must not turn every record into a match) and cached per run.
    """
    cache = _cache(client)
    wanted = [
        (k, v)
        for k in keys
        for v in sorted({v for v in k.values if v not in (None, "")}, key=str)
    ]
    with _CACHE_LOCK:
        missing = [
            (k, v)
            for k, v in wanted
            if not use_cache or (resource, k.prop, v) not in cache
        ]
    limit = min((k.max_clauses for k, _ in missing), default=MAX_CLAUSES)
    filters = or_filters((k.clause_for(v) for k, v in missing), max_clauses=limit)
    found: dict[tuple[str, Any], list[dict[str, Any]]] = {
        (k.prop, _norm(v)): [] for k, v in missing
    }
    for page in _pages(client, resource, filters, pool):
        for record in page:
            for key in keys:
                for value in key.values_of(record):
                    hit = (key.prop, _norm(value))
                    if hit in found and record not in found[hit]:
                        found[hit].append(record)
    records: dict[str, dict[str, Any]] = {}
    with _CACHE_LOCK:
        for k, v in missing:
            cache[(resource, k.prop, v)] = found[(k.prop, _norm(v))]
        for k, v in wanted:
            for record in cache.get((resource, k.prop, v), []):
                records[str(record.get("id"))] = record
    return list(records.values())


def _pages(
    client: SnelstartClient,
    resource: str,
    filters: list[str],
    pool: Executor | None,
) -> Iterable[list[dict[str, Any]]]:
    if pool is None or len(filters) < 2:
        return (client.get_all(resource, filter=f) for f in filters)
    return pool.map(lambda f: client.get_all(resource, filter=f), filters)


def _norm(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _get(record: dict[str, Any], field: str) -> Any:
    value: Any = record
    for part in field.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def find_relaties(
    client: SnelstartClient,
    *,
    emails: Iterable[str] = (),
    relatiecodes: Iterable[int] = (),
    vat_numbers: Iterable[str] = (),
    names: Iterable[str] = (),
    use_cache: bool = True,
) -> list[dict[str, Any]]:
    """Relaties matching any of the given e-mails, codes, VAT numbers or names."""
    keys = [
        _Key("Email", emails, odata_string, "email"),
        _Key("Relatiecode", relatiecodes, lambda v: str(int(v)), "relatiecode"),
        _Key("BtwNummer", vat_numbers, odata_string, "btwNummer"),
        _Key("Naam", names, odata_string, "naam"),
    ]
    return _lookup(client, "relaties", keys, use_cache=use_cache)


def find_artikelen(
    client: SnelstartClient, codes: Iterable[str], *, use_cache: bool = True
) -> list[dict[str, Any]]:
    """Artikelen by artikelcode (pages of 25, the endpoint's maximum)."""
    key = _Key("Artikelcode", codes, odata_string, "artikelcode")
    return _lookup(client, "artikelen", [key], use_cache=use_cache)


def _extra_field_key(name: str, codes: Iterable[str]) -> _Key:
    def clause(value: Any) -> str:
        return (
            f"ExtraVelden/any(e:e/Waarde eq {odata_string(str(value))} "
            f"and e/Naam eq {odata_string(name)})"
        )

    def read(record: dict[str, Any]) -> list[Any]:
        extras = record.get("extraVelden") or ()
        return [e.get("waarde") for e in extras if e.get("naam") == name]

    return _Key(
        f"ExtraVelden/{name}",
        codes,
        odata_string,
        "extraVelden",
        clause=clause,
        read=read,
        max_clauses=MAX_EXTRA_FIELD_CLAUSES,
    )


def find_artikelen_by_extra_field(
    client: SnelstartClient,
    name: str,
    codes: Iterable[str],
    *,
    use_cache: bool = True,
) -> list[dict[str, Any]]:
    """Artikelen whose extra field ``name`` holds one of the codes.

    Args:
        client: the SnelStart client (its run cache is used).
        name: the extra field's name (``naam`` in ``extraVelden``).
        codes: the shop's article codes.
        use_cache: False to ask SnelStart again (after an ambiguous write).

    Returns:
        The matching artikelen, each once.
    """
    key = _extra_field_key(name, codes)
    return _lookup(client, "artikelen", [key], use_cache=use_cache)


def find_verkooporders(
    client: SnelstartClient,
    *,
    references: Iterable[str] = (),
    betalingskenmerken: Iterable[str] = (),
    relatie_ids: Iterable[str] = (),
    pool: Executor | None = None,
) -> list[dict[str, Any]]:
    """Verkooporders by orderreferentie, betalingskenmerk or relatie.

    Never cached: these answer "was this booked?", which changes during a
    run. With a ``pool`` the filters are sent concurrently (the throttle
    still applies).
    """
    keys = [
        _Key("Orderreferentie", references, odata_string, "orderreferentie"),
        _Key("Betalingskenmerk", betalingskenmerken, odata_string, "betalingskenmerk"),
        _Key("Relatie/Id", relatie_ids, odata_guid, "relatie.id"),
    ]
    return _lookup(client, "verkooporders", keys, use_cache=False, pool=pool)


_KEYS = {
    "relaties": (
        ("Email", "email"),
        ("Relatiecode", "relatiecode"),
        ("BtwNummer", "btwNummer"),
        ("Naam", "naam"),
    ),
    "artikelen": (("Artikelcode", "artikelcode"),),
}


def remember(client: SnelstartClient, resource: str, record: dict[str, Any]) -> None:
    """Add a record koppel just created to the run's cached look-ups.

    Without this a later batch of the same run would still see the cached
    "not found" and plan to create the relatie or artikel a second time.
    """
    cache = _cache(client)
    with _CACHE_LOCK:
        _remember(cache, resource, record)


def _remember(cache: dict[Any, Any], resource: str, record: dict[str, Any]) -> None:
    pairs = [(prop, _get(record, field)) for prop, field in _KEYS.get(resource, ())]
    if resource == "artikelen":
        pairs += [
            (f"ExtraVelden/{e.get('naam')}", e.get("waarde"))
            for e in record.get("extraVelden") or ()
        ]
    for prop, value in pairs:
        keys = [k for k in cache if isinstance(k, tuple) and k[:2] == (resource, prop)]
        for key in keys:
            if _norm(key[2]) == _norm(value):
                entries = cache[key]
                if all(str(r.get("id")) != str(record.get("id")) for r in entries):
                    cache[key] = [*entries, record]


def _reference_lists(client: SnelstartClient) -> dict[str, Any]:
    cache = _cache(client)
    if "reference_lists" not in cache:
        lists: dict[str, Any] = {}
        for attr, path in _REFERENCE_LISTS:
            lists[attr] = client.get(path) or []
        lists["company_info"] = client.get("companyInfo") or {}
        cache["reference_lists"] = lists
    return cache["reference_lists"]


def fetch_snapshot(
    client: SnelstartClient, request: LookupRequest
) -> SnelstartSnapshot:
    """Answer a mapping's LookupRequest with the SnelStart records it needs.

    Args:
        client: an open client; look-ups and reference lists are cached on
            it, so one client per run keeps steady-state batches cheap.
        request: e-mails, codes, VAT numbers, names, article codes and order
            references of one batch of orders.

    Returns:
        The candidates and the complete reference lists (camelCase dicts as
        SnelStart returns them).

    Raises:
        ApiError: when SnelStart cannot be read (see SnelstartClient).
    """
    relaties = find_relaties(
        client,
        emails=request.emails,
        relatiecodes=request.relatiecodes,
        vat_numbers=request.vat_numbers,
        names=request.names,
    )
    artikelen = find_artikelen(client, request.artikelcodes)
    if request.artikel_extra_field:
        # extra lines' articles keep their code in artikelcode; the shop's
        # codes are looked up in both places (matching reads the extra field)
        known = {str(a.get("id")) for a in artikelen}
        for artikel in find_artikelen_by_extra_field(
            client, request.artikel_extra_field, request.artikelcodes
        ):
            if str(artikel.get("id")) not in known:
                artikelen.append(artikel)
    orders = find_verkooporders(client, references=request.references)
    if request.recent_orders_for_relaties and relaties:
        known = {str(o.get("id")) for o in orders}
        for order in find_verkooporders(
            client, relatie_ids=[str(r["id"]) for r in relaties if r.get("id")]
        ):
            if str(order.get("id")) not in known:
                orders.append(order)
    lists = _reference_lists(client)
    log.debug(
        "snapshot: %d relaties, %d artikelen, %d verkooporders",
        len(relaties),
        len(artikelen),
        len(orders),
    )
    return SnelstartSnapshot(
        relaties=relaties,
        artikelen=artikelen,
        verkooporders=orders,
        landen=list(lists["landen"]),
        artikelomzetgroepen=list(lists["artikelomzetgroepen"]),
        verkoopordersjablonen=list(lists["verkoopordersjablonen"]),
        kostenplaatsen=list(lists["kostenplaatsen"]),
        btwtarieven=list(lists["btwtarieven"]),
        company_info=dict(lists["company_info"]),
    )
