"""Build staged orders, ledger rows and verkooporders for report tests.

Rows go through the real modules where they exist (the ledger's and the
quarantine's own write functions), so the tests follow their schemas.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from koppel.plan import dumps
from koppel.profile import Profile, parse_profile

ZONE = ZoneInfo("Europe/Amsterdam")
DAY = date(2026, 11, 10)
RUN = "20261110T120000-abcdef"

Line = tuple[str, str, str]  # (tax rate, incl, excl)


def profile(**overrides: Any) -> Profile:
    """A valid profile for tests (nothing is contacted)."""
    data: dict[str, Any] = {
        "name": "shop",
        "timezone": "Europe/Amsterdam",
        "prestashop": {"url": "http://127.0.0.1:9/api", "key": {"env": "X_PS"}},
        "snelstart": {
            "api_url": "http://127.0.0.1:9/v2",
            "token_url": "http://127.0.0.1:9/b2b/token",
            "clientkey": {"env": "X_CK"},
            "subscription_key": {"env": "X_SK"},
        },
    }
    data.update(overrides)
    return parse_profile(data)


def _d(value: str | Decimal) -> Decimal:
    return Decimal(str(value))


def add_order(
    con: duckdb.DuckDBPyConnection,
    order_id: int,
    *,
    day: date = DAY,
    eligible: bool = True,
    lines: Sequence[Line] = (("21", "121.00", "100.00"),),
    shipping: tuple[str, str, str] = ("21", "0", "0"),
    discount: tuple[str, str] = ("0", "0"),
    rounding: str = "0",
    payment: str = "iDEAL",
    reference: str | None = None,
    payload_hash: str = "h1",
    at: time = time(12, 0),
) -> tuple[Decimal, Decimal]:
    """Stage one order with its lines; returns its totals (incl, excl)."""
    incl = sum((_d(li[1]) for li in lines), Decimal(0))
    excl = sum((_d(li[2]) for li in lines), Decimal(0))
    incl += _d(shipping[1]) - _d(discount[0]) + _d(rounding)
    excl += _d(shipping[2]) - _d(discount[1])
    placed = datetime.combine(day, at, tzinfo=ZONE)
    con.execute(
        "INSERT INTO stg_orders (order_id, reference, eligible, payment, module, "
        "total_paid_tax_incl, total_paid_tax_excl, total_shipping_tax_incl, "
        "total_shipping_tax_excl, carrier_tax_rate, total_discounts_tax_incl, "
        "total_discounts_tax_excl, total_wrapping_tax_incl, total_wrapping_tax_excl, "
        "date_add, date_upd, payload_hash, run_id, fetched_at, state_name) "
        "VALUES (?, ?, ?, ?, 'mod', ?, ?, ?, ?, ?, ?, ?, 0, 0, ?, ?, ?, ?, ?, ?)",
        [
            order_id,
            reference or f"REF{order_id:06d}",
            eligible,
            payment,
            incl,
            excl,
            _d(shipping[1]),
            _d(shipping[2]),
            _d(shipping[0]),
            _d(discount[0]),
            _d(discount[1]),
            placed,
            placed,
            payload_hash,
            RUN,
            placed,
            "Payment accepted" if eligible else "Awaiting payment",
        ],
    )
    for position, (rate, line_incl, line_excl) in enumerate(lines):
        con.execute(
            "INSERT INTO stg_order_lines (line_id, order_id, position, quantity, "
            "tax_rate, total_price_tax_incl, total_price_tax_excl, run_id) "
            "VALUES (?, ?, ?, 1, ?, ?, ?, ?)",
            [
                order_id * 100 + position,
                order_id,
                position,
                _d(rate),
                _d(line_incl),
                _d(line_excl),
                RUN,
            ],
        )
    return incl, excl


def regels(*prices: str, aantal: str = "1") -> list[dict[str, Any]]:
    """Verkooporder lines with these unit prices."""
    return [
        {
            "omschrijving": f"regel {i}",
            "aantal": Decimal(aantal),
            "stuksprijs": Decimal(p),
            "kortingsPercentage": Decimal(0),
        }
        for i, p in enumerate(prices)
    ]


def ledger_row(
    order_id: int,
    *,
    nummer: int,
    lines: list[dict[str, Any]],
    status: str = "booked",
    shop_hash: str = "h1",
    booked_at: datetime | None = None,
) -> Any:
    """The ledger row loading writes after SnelStart said 201."""
    from koppel.ledger import LedgerRow

    now = booked_at or datetime(2026, 11, 10, 13, 0, tzinfo=UTC)
    return LedgerRow(
        order_id=order_id,
        status=status,
        payload_hash=f"p{order_id}",
        shop_hash=shop_hash,
        orderreferentie=f"PS-{order_id}",
        betalingskenmerk=f"REF{order_id:06d}",
        snelstart_id=f"00000000-0000-0000-0000-{order_id:012d}",
        nummer=nummer,
        intent_at=now,
        booked_at=now if status == "booked" else None,
        payload=dumps({"regels": lines, "datum": "2026-11-10T00:00:00"}, numbers=True),
    )


def write_ledger(con: duckdb.DuckDBPyConnection, rows: Sequence[Any]) -> None:
    """Write ledger rows through the ledger, in one transaction."""
    from koppel.ledger import Ledger

    ledger = Ledger(con, RUN)
    for row in rows:
        ledger.put(row)
    ledger.flush()


def book(con: duckdb.DuckDBPyConnection, order_id: int, **fields: Any) -> None:
    """Write one order's ledger row (see :func:`ledger_row`)."""
    write_ledger(con, [ledger_row(order_id, **fields)])


def verkooporder(
    order_id: int | None,
    nummer: int,
    *,
    incl: str,
    excl: str,
    lines: list[dict[str, Any]],
    datum: date = DAY,
    orderreferentie: str | None = None,
    betalingskenmerk: str | None = None,
    uid: str | None = None,
) -> dict[str, Any]:
    """A verkooporder as SnelStart returns it (Decimals, as the client parses)."""
    ident = uid or f"00000000-0000-0000-0000-{(order_id or nummer):012d}"
    return {
        "id": ident,
        "nummer": nummer,
        "datum": f"{datum.isoformat()}T00:00:00",
        "orderreferentie": orderreferentie
        or (f"PS-{order_id}" if order_id is not None else None),
        "betalingskenmerk": betalingskenmerk
        or (f"REF{order_id:06d}" if order_id is not None else None),
        "verkooporderBtwIngaveModel": "Inclusief",
        "procesStatus": "Order",
        "regels": lines,
        "totaalInclusiefBtw": Decimal(incl),
        "totaalExclusiefBtw": Decimal(excl),
    }


def quarantine(
    con: duckdb.DuckDBPyConnection, order_ids: int | Sequence[int], reason: str
) -> None:
    """Quarantine orders through the quarantine module."""
    from koppel import quarantine as q
    from koppel.reasons import Reason

    ids = [order_ids] if isinstance(order_ids, int) else list(order_ids)
    entries = [
        q.QuarantineEntry(
            order_id=i, reason=Reason(reason), field="x", value="y", message="m"
        )
        for i in ids
    ]
    q.add(con, entries, run_id=RUN, stage="validate")
