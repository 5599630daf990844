"""The load plan: what the mapping engine decided and loading carries out.

The mapping engine (pure, over DataFrames) produces a :class:`LoadPlan`;
loading resolves its references and posts it. A plan is plain data: it can be
previewed (dry run), hashed, stored in the audit trail and compared between
runs.

References inside payloads: a verkooporder payload points at records that may
not exist yet. ``{"$relatie": KEY}`` and ``{"$artikel": KEY}`` stand where
SnelStart expects ``{"id": UUID}``; loading replaces them once the relatie or
artikel with that plan key has an id.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any, Literal

from koppel.reasons import Reason

__all__ = [
    "ArtikelAction",
    "LoadPlan",
    "LookupRequest",
    "OrderBooking",
    "PlanIssue",
    "RelatieAction",
    "SnelstartSnapshot",
    "dumps",
    "payload_hash",
]

Action = Literal["create", "update", "use"]


@dataclass(frozen=True)
class RelatieAction:
    """A customer to create, update or use as it is.

    Attributes:
        key: the plan key orders refer to (``$relatie``).
        action: create a new relatie, PUT an update, or use an existing one.
        relatie_id: SnelStart id for ``update`` and ``use``.
        payload: RelatieWriteModel JSON for ``create`` and ``update``.
        matched_by: which matching rule found the existing relatie.
        warnings: e.g. fields truncated to SnelStart's limits.
    """

    key: str
    action: Action
    relatie_id: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    matched_by: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ArtikelAction:
    """An article to create, update or use as it is (key = article code)."""

    key: str
    action: Action
    artikel_id: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class OrderBooking:
    """One shop order as the verkooporder to POST.

    Attributes:
        order_id: the shop's order id (the business key).
        reference: the shop's order reference (display only, not unique).
        betalingskenmerk: payment reference booked in SnelStart.
        orderreferentie: deterministic reference used to find the order in
            SnelStart after an ambiguous failure.
        relatie_key: plan key of the customer.
        payload: VerkoopOrderModel JSON with ``$relatie`` / ``$artikel`` refs.
        total_incl: the shop's total including VAT (what must be booked).
        total_excl: the shop's total excluding VAT.
        payload_hash: hash of the payload, to detect changes after booking.
        duplicate_check: when True, loading first asks SnelStart whether an
            order with this betalingskenmerk exists (booked outside koppel).
        warnings: e.g. a rounding line was added.
    """

    order_id: int
    reference: str
    betalingskenmerk: str
    orderreferentie: str
    relatie_key: str
    payload: dict[str, Any]
    total_incl: Decimal
    total_excl: Decimal
    payload_hash: str
    duplicate_check: bool = True
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlanIssue:
    """An order the mapping could not plan; it goes to quarantine."""

    order_id: int
    reason: Reason
    field: str | None
    value: str | None
    message: str


@dataclass
class LoadPlan:
    """Everything one run will write to SnelStart, in dependency order."""

    relaties: list[RelatieAction] = field(default_factory=list)
    artikelen: list[ArtikelAction] = field(default_factory=list)
    orders: list[OrderBooking] = field(default_factory=list)
    issues: list[PlanIssue] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (Decimals as strings) for previews and audits."""
        return json.loads(dumps(asdict(self)))


def _default(value: object) -> object:
    if isinstance(value, Decimal):
        return _DecimalStr(value)
    if isinstance(value, tuple):
        return list(value)
    msg = f"cannot serialise {type(value).__name__}"
    raise TypeError(msg)


class _DecimalStr(str):
    """Marker so Decimals can be written as JSON numbers without float."""

    def __new__(cls, value: Decimal) -> _DecimalStr:
        return super().__new__(cls, format(value, "f"))


def dumps(data: Any, *, numbers: bool = False) -> str:
    """Serialise plan data to JSON without ever converting money to float.

    Args:
        data: payloads holding Decimals.
        numbers: write Decimals as JSON numbers (for the SnelStart wire)
            instead of strings.
    """
    text = json.dumps(data, default=_default, sort_keys=True, ensure_ascii=False)
    if not numbers:
        return text
    return _to_json_numbers(data)


def _to_json_numbers(data: Any) -> str:
    if isinstance(data, Decimal):
        return format(data, "f")
    if isinstance(data, dict):
        items = (
            f"{json.dumps(str(k))}: {_to_json_numbers(v)}"
            for k, v in sorted(data.items())
        )
        return "{" + ", ".join(items) + "}"
    if isinstance(data, list | tuple):
        return "[" + ", ".join(_to_json_numbers(v) for v in data) + "]"
    return json.dumps(data, ensure_ascii=False)


def payload_hash(payload: dict[str, Any]) -> str:
    """Stable SHA-256 of a payload, independent of key order."""
    return hashlib.sha256(dumps(payload).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class LookupRequest:
    """What the mapping needs to know from SnelStart for one batch of orders.

    Loading turns it into as few OData calls as possible (``or``-batched
    filters at the real page maxima) and answers with a SnelstartSnapshot.
    """

    emails: frozenset[str] = frozenset()
    relatiecodes: frozenset[int] = frozenset()
    vat_numbers: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()
    artikelcodes: frozenset[str] = frozenset()
    # the shop code sits in this extra field of the artikel, not artikelcode
    artikel_extra_field: str | None = None
    references: frozenset[str] = frozenset()  # orderreferenties already booked?
    recent_orders_for_relaties: bool = False  # for the `last_used` template


@dataclass
class SnelstartSnapshot:
    """SnelStart records as its API returns them (camelCase JSON dicts).

    ``relaties`` and ``artikelen`` hold only the candidates a LookupRequest
    asked for; the reference lists (landen, omzetgroepen, ...) are complete.
    ``verkooporders`` holds existing orders found by reference, and, when
    asked, the recent orders of the candidate relaties.
    """

    relaties: list[dict[str, Any]] = field(default_factory=list)
    artikelen: list[dict[str, Any]] = field(default_factory=list)
    landen: list[dict[str, Any]] = field(default_factory=list)
    artikelomzetgroepen: list[dict[str, Any]] = field(default_factory=list)
    verkoopordersjablonen: list[dict[str, Any]] = field(default_factory=list)
    kostenplaatsen: list[dict[str, Any]] = field(default_factory=list)
    btwtarieven: list[dict[str, Any]] = field(default_factory=list)
    verkooporders: list[dict[str, Any]] = field(default_factory=list)
    company_info: dict[str, Any] = field(default_factory=dict)
