"""Verkooporders as SnelStart holds them: fetching and parsing for reports.

Reconciliation compares the shop with what SnelStart *holds*, so these
records are read back from the API (never from koppel's own ledger). The
fetch is one OData query on ``Datum`` with paging done by the client.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from koppel.money import ZERO, to_cents

__all__ = [
    "BookedLine",
    "BookedOrder",
    "ListingClient",
    "fetch_verkooporders",
    "parse_verkooporder",
    "parse_verkooporders",
    "verkooporder_filter",
]

log = logging.getLogger(__name__)

# Orders may be dated by payment date rather than order date (a mapping
# option), so the fetch reaches this many days past both ends of the period.
DEFAULT_MARGIN_DAYS = 14


class ListingClient(Protocol):
    """What the fetch needs from :class:`koppel.snelstart.client.SnelstartClient`."""

    def get_all(
        self, resource: str, *, filter: str | None = None, top: int | None = None
    ) -> list[dict[str, Any]]:
        """Every record of an OData list, page by page."""
        ...


def _odata_datetime(day: date) -> str:
    return f"datetime'{day.isoformat()}T00:00:00'"


def verkooporder_filter(since: date, until: date) -> str:
    """The OData ``$filter`` selecting verkooporders dated in a period.

    SnelStart stores ``datum`` as a naive local timestamp, so the bounds are
    local midnights: from ``since`` up to, not including, the day after
    ``until``.

    Args:
        since: first day of the period.
        until: last day of the period (included).

    Returns:
        e.g. ``Datum ge datetime'2026-11-01T00:00:00' and Datum lt
        datetime'2026-12-01T00:00:00'``.

    Raises:
        ValueError: when ``until`` is before ``since``.
    """
    since, until = _day(since), _day(until)
    if until < since:
        msg = f"`until` {until.isoformat()!r} is before `since` {since.isoformat()!r}"
        raise ValueError(msg)
    end = until + timedelta(days=1)
    return f"Datum ge {_odata_datetime(since)} and Datum lt {_odata_datetime(end)}"


def _day(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


def _guids(ids: Iterable[str]) -> list[str]:
    """Valid SnelStart ids, lower case; anything else is dropped."""
    result = set()
    for value in ids:
        try:
            result.add(str(uuid.UUID(str(value))))
        except ValueError:
            log.warning("report: ignoring a ledger id that is not a GUID")
    return sorted(result)


def fetch_verkooporders(
    client: ListingClient,
    since: date,
    until: date,
    *,
    margin_days: int = DEFAULT_MARGIN_DAYS,
    ids: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """Read the verkooporders dated in the period, plus a margin, from SnelStart.

    Orders koppel booked for the period but dated outside the window (paid
    much later, or re-dated in SnelStart) are fetched by id, so that
    "missing in SnelStart" means missing.

    Args:
        client: a SnelStart client (``get_all(resource, filter=...)``).
        since: first day of the period.
        until: last day of the period (included).
        margin_days: extra days fetched on both sides, for orders dated by
            payment date; reconciliation drops what does not belong.
        ids: SnelStart ids the ledger holds for the period's orders (see
            :func:`koppel.reports.booked_snelstart_ids`).

    Returns:
        The verkooporders as the API returns them (camelCase dicts).
    """
    from koppel.snelstart.lookup import or_filters

    margin = timedelta(days=margin_days)
    query = verkooporder_filter(_day(since) - margin, _day(until) + margin)
    records = list(client.get_all("verkooporders", filter=query))
    have = {str(r.get("id") or "").lower() for r in records}
    wanted = [i for i in _guids(ids) if i not in have]
    for clause in or_filters(f"Id eq guid'{i}'" for i in wanted):
        records.extend(client.get_all("verkooporders", filter=clause))
    log.info(
        "report: %d verkooporders read from SnelStart (%d looked up by id)",
        len(records),
        len(wanted),
    )
    return records


@dataclass(frozen=True)
class BookedLine:
    """One regel of a verkooporder, money as Decimal."""

    artikel_id: str | None
    omschrijving: str
    aantal: Decimal
    stuksprijs: Decimal
    korting: Decimal
    totaal: Decimal | None

    def signature(self) -> tuple[Decimal, Decimal, Decimal]:
        """Quantity, unit price and discount, normalised for comparison."""
        return (
            self.aantal.normalize(),
            to_cents(self.stuksprijs),
            self.korting.normalize(),
        )


@dataclass(frozen=True)
class BookedOrder:
    """A verkooporder read back from SnelStart.

    ``incl`` / ``excl`` are SnelStart's own totals; when the API left one
    out, the lines' sum fills the side that ``verkooporderBtwIngaveModel``
    names and the other stays None. ``lines_known`` is False when the record
    came without ``regels`` at all (a list view), so its lines cannot be
    compared with what was posted.
    """

    id: str
    nummer: int | None
    datum: date | None
    orderreferentie: str | None
    betalingskenmerk: str | None
    incl: Decimal | None
    excl: Decimal | None
    inclusief: bool
    lines: tuple[BookedLine, ...]
    proces_status: str | None = None
    lines_known: bool = True

    @property
    def label(self) -> str:
        """The order number, else the id."""
        return str(self.nummer) if self.nummer is not None else self.id

    def line_signatures(self) -> list[tuple[Decimal, Decimal, Decimal]]:
        """Sorted line signatures, for comparing with what was posted."""
        return sorted(line.signature() for line in self.lines)


def _money(value: Any) -> Decimal | None:
    """Read an API amount; the client parses JSON numbers as Decimal.

    NOTE: a float (from a JSON parser without ``parse_float=Decimal``) is
    read through its shortest repr, which round-trips the API's 2-6
    decimals exactly.
    """
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        result = Decimal(value) if isinstance(value, Decimal | int) else None
        if result is None:
            result = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return result if result.is_finite() else None


def _ref_id(value: Any) -> str | None:
    if isinstance(value, Mapping) and value.get("id"):
        return str(value["id"]).lower()
    return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _parse_date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).date()
    except ValueError:
        return None


def _parse_line(regel: Mapping[str, Any]) -> BookedLine:
    return BookedLine(
        artikel_id=_ref_id(regel.get("artikel")),
        omschrijving=str(regel.get("omschrijving") or ""),
        aantal=_money(regel.get("aantal")) or ZERO,
        stuksprijs=_money(regel.get("stuksprijs")) or ZERO,
        korting=_money(regel.get("kortingsPercentage")) or ZERO,
        totaal=_money(regel.get("totaal")),
    )


def _lines_total(lines: Sequence[BookedLine]) -> Decimal:
    total = ZERO
    for line in lines:
        if line.totaal is not None:
            total += line.totaal
            continue
        gross = line.aantal * line.stuksprijs
        total += to_cents(gross - gross * line.korting / Decimal(100))
    return total


def parse_verkooporder(record: Mapping[str, Any]) -> BookedOrder:
    """Turn one verkooporder dict (camelCase, as the API sends it) into data.

    Missing keys and nulls are tolerated: SnelStart omits many fields.
    """
    regels = record.get("regels")
    lines = tuple(_parse_line(r) for r in regels or ())
    inclusief = record.get("verkooporderBtwIngaveModel") == "Inclusief"
    incl = _money(record.get("totaalInclusiefBtw"))
    excl = _money(record.get("totaalExclusiefBtw"))
    if incl is None and excl is None and lines:
        if inclusief:
            incl = _lines_total(lines)
        else:
            excl = _lines_total(lines)
    return BookedOrder(
        id=str(record.get("id") or "").lower(),
        nummer=_int(record.get("nummer")),
        datum=_parse_date(record.get("datum")),
        orderreferentie=_text(record.get("orderreferentie")),
        betalingskenmerk=_text(record.get("betalingskenmerk")),
        incl=incl,
        excl=excl,
        inclusief=inclusief,
        lines=lines,
        proces_status=_text(record.get("procesStatus")),
        lines_known=isinstance(regels, list),
    )


def parse_verkooporders(records: Iterable[Mapping[str, Any]]) -> list[BookedOrder]:
    """Parse many verkooporders; records without an id are skipped."""
    orders = [parse_verkooporder(r) for r in records]
    return [o for o in orders if o.id]
