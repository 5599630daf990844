"""Load plans built directly (no mapping) against the seeded sandbox.

Shared by the loading tests, the SIGKILL worker script and bench/load.py.
Everything is deterministic in the order id, so a rerun builds the same plan.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from koppel.plan import (
    ArtikelAction,
    LoadPlan,
    LookupRequest,
    OrderBooking,
    RelatieAction,
    payload_hash,
)
from koppel.snelstart.client import SnelstartClient
from koppel.snelstart.lookup import fetch_snapshot

FAKE_URL = "http://127.0.0.1:9"
UNLIMITED = {"calls_per_minute": 1_000_000, "calls_per_hour": 10_000_000}


def profile_data(data_dir: Path, url: str = FAKE_URL, **snelstart: Any) -> dict:
    """A profile mapping pointing at ``url`` (loopback only)."""
    return {
        "name": "test",
        "timezone": "Europe/Amsterdam",
        "data_dir": str(data_dir),
        "prestashop": {"url": "http://127.0.0.1:9/api", "key": {"env": "PS_KEY"}},
        "snelstart": {
            "api_url": f"{url}/v2",
            "token_url": f"{url}/b2b/token",
            "clientkey": {"env": "SN_CLIENTKEY"},
            "subscription_key": {"env": "SN_SUBSCRIPTION_KEY"},
            **snelstart,
        },
    }


SEEDED_EMAIL = "sanne.devries@example.nl"
SEEDED_CODES = ("MWS", "WW-250", "KPB-01", "MUTS-01", "VERZEND-H")
PRICES = {
    "MWS": Decimal("89.95"),
    "WW-250": Decimal("12.95"),
    "KPB-01": Decimal("8.50"),
    "MUTS-01": Decimal("19.95"),
    "VERZEND-H": Decimal("6.95"),
}


@dataclass(frozen=True)
class Seeded:
    """Ids of seeded records the plans point at."""

    relatie_id: str
    artikel_ids: dict[str, str]
    omzetgroep_id: str
    land_id: str


def seeded(client: SnelstartClient) -> Seeded:
    """Read the ids the plans need from the sandbox (GETs only)."""
    snapshot = fetch_snapshot(
        client,
        LookupRequest(
            emails=frozenset({SEEDED_EMAIL}), artikelcodes=frozenset(SEEDED_CODES)
        ),
    )
    relatie = next(r for r in snapshot.relaties if r.get("email") == SEEDED_EMAIL)
    groep = next(
        g
        for g in snapshot.artikelomzetgroepen
        if g["verkoopNederlandBtwSoort"] == "Hoog"
    )
    land = next(land for land in snapshot.landen if land.get("landcode") == "NL")
    return Seeded(
        relatie_id=str(relatie["id"]),
        artikel_ids={str(a["artikelcode"]): str(a["id"]) for a in snapshot.artikelen},
        omzetgroep_id=str(groep["id"]),
        land_id=str(land["id"]),
    )


def order_payload(order_id: int, relatie_key: str, *, prefix: str = "PS") -> dict:
    """A verkooporder with one to three lines, chosen by the order id."""
    codes = SEEDED_CODES[: 1 + order_id % 3]
    regels = [
        {
            "artikel": {"$artikel": code},
            "omschrijving": f"{code} voor order {order_id}",
            "stuksprijs": PRICES[code],
            "aantal": Decimal(1 + (order_id + n) % 2),
        }
        for n, code in enumerate(codes)
    ]
    return {
        "relatie": {"$relatie": relatie_key},
        "datum": "2024-05-01T00:00:00",
        "procesStatus": "Order",
        "verkooporderBtwIngaveModel": "Inclusief",
        "omschrijving": f"Webshop order {order_id}",
        "orderreferentie": f"{prefix}-{order_id}",
        "betalingskenmerk": f"{prefix}{order_id:09d}",
        "regels": regels,
    }


def booking(
    order_id: int, relatie_key: str = "seeded", *, prefix: str = "PS", **changes: Any
) -> OrderBooking:
    """An OrderBooking for ``order_payload``; ``changes`` edit the payload."""
    payload = {**order_payload(order_id, relatie_key, prefix=prefix), **changes}
    total = sum(
        (r["stuksprijs"] * r["aantal"] for r in payload["regels"]), Decimal("0")
    )
    return OrderBooking(
        order_id=order_id,
        reference=f"REF{order_id:06d}",
        betalingskenmerk=payload["betalingskenmerk"],
        orderreferentie=payload["orderreferentie"],
        relatie_key=relatie_key,
        payload=payload,
        total_incl=total,
        total_excl=(total / Decimal("1.21")).quantize(Decimal("0.01")),
        payload_hash=payload_hash(payload),
    )


def new_relatie(key: str, number: int) -> RelatieAction:
    """A relatie to create, findable by its e-mail after a lost response."""
    return RelatieAction(
        key=key,
        action="create",
        payload={
            "relatiesoort": ["Klant"],
            "naam": f"Nieuwe klant {number}",
            "email": f"klant{number}@example.nl",
        },
    )


def new_artikel(code: str, seed: Seeded) -> ArtikelAction:
    """An artikel to create in the seeded `hoog` omzetgroep."""
    return ArtikelAction(
        key=code,
        action="create",
        payload={
            "artikelcode": code,
            "omschrijving": f"Nieuw artikel {code}",
            "artikelOmzetgroep": {"id": seed.omzetgroep_id},
            "verkoopprijs": Decimal("10.00"),
        },
    )


def build_plan(
    seed: Seeded,
    order_ids: Iterable[int],
    *,
    new_customer_every: int = 0,
    new_article_every: int = 0,
    prefix: str = "PS",
) -> LoadPlan:
    """A plan for ``order_ids``; some orders need new relaties or artikelen.

    Every ``new_customer_every``-th order belongs to one of a small set of new
    customers, every ``new_article_every``-th gets an extra line with a new
    article, so several orders share each record to create.
    """
    relaties = {"seeded": RelatieAction("seeded", "use", seed.relatie_id)}
    artikelen = {
        code: ArtikelAction(code, "use", artikel_id)
        for code, artikel_id in seed.artikel_ids.items()
    }
    orders = []
    for oid in order_ids:
        key = "seeded"
        if new_customer_every and oid % new_customer_every == 0:
            number = (oid // new_customer_every) % 25
            key = f"new-{number}"
            relaties[key] = new_relatie(key, number)
        item = booking(oid, key, prefix=prefix)
        if new_article_every and oid % new_article_every == 0:
            code = f"NIEUW-{(oid // new_article_every) % 10}"
            artikelen[code] = new_artikel(code, seed)
            regels = [
                *item.payload["regels"],
                {
                    "artikel": {"$artikel": code},
                    "stuksprijs": Decimal("10.00"),
                    "aantal": Decimal(1),
                },
            ]
            item = booking(oid, key, prefix=prefix, regels=regels)
        orders.append(item)
    return LoadPlan(
        relaties=list(relaties.values()),
        artikelen=list(artikelen.values()),
        orders=orders,
    )


def booked_references(admin: Any, prefix: str = "PS") -> list[str]:
    """Every orderreferentie with the prefix in the sandbox, duplicates kept."""
    return [
        str(o.get("orderreferentie"))
        for o in admin.list("verkooporders")
        if str(o.get("orderreferentie", "")).startswith(f"{prefix}-")
    ]
