"""Server-side fields of a verkooporder: number, defaults, lines, totals.

Defaults follow the reference where it is explicit (procesStatus ``Order``,
verkoopOrderStatus ``InBehandeling``, krediettermijn from the customer) and
the template otherwise (``verkooporderBtwIngaveModel`` from the template's
``prijsIngaveExclusiefBtw``, ``geblokkeerd`` from ``nieuweOrdersBlokkeren``).
A line without ``omschrijving`` or ``stuksprijs`` takes its article's.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from koppel.sandbox.snelstart import compute
from koppel.sandbox.snelstart.store import Administration

__all__ = ["complete_order"]


def complete_order(
    admin: Administration,
    record: dict[str, Any],
    stamp: str,
    existing: dict[str, Any] | None,
) -> dict[str, Any]:
    """Fill a bound verkooporder with the server's fields and its totals.

    Args:
        admin: the administration the order belongs to.
        record: the validated order with ``id`` and ``uri`` set.
        stamp: ``modifiedOn`` in SnelStart's date-time form.
        existing: the stored order on PUT (keeps its number), else None.
    """
    relatie = admin.get("relaties", record["relatie"]["id"]) or {}
    sjabloon_id = (record.get("verkoopordersjabloon") or {}).get("id", "")
    sjabloon = admin.get("verkoopordersjablonen", sjabloon_id)
    exclusive = sjabloon.get("prijsIngaveExclusiefBtw", True) if sjabloon else True
    nummer = existing["nummer"] if existing else admin.next_number("verkooporder")
    admin.company_info["volgendVerkoopordernummer"] = admin.peek_number("verkooporder")
    defaults = {
        "procesStatus": "Order",
        "verkoopOrderStatus": "InBehandeling",
        "verkooporderBtwIngaveModel": "Exclusief" if exclusive else "Inclusief",
        "krediettermijn": relatie.get("krediettermijn", 0),
        "geblokkeerd": bool(sjabloon and sjabloon.get("nieuweOrdersBlokkeren")),
        "regels": [],
    }
    order = {**defaults, **record, "nummer": nummer, "modifiedOn": stamp}
    if existing and existing.get("verkoopfactuur"):
        order["verkoopfactuur"] = existing["verkoopfactuur"]
    order["relatie"] = _ref("relaties", order["relatie"]["id"])
    return _with_totals(admin, order)


def _with_totals(admin: Administration, order: dict[str, Any]) -> dict[str, Any]:
    regels, kinds = [], []
    for regel in order["regels"]:
        artikel = _line_artikel(admin, regel)
        filled = dict(regel)
        if artikel:
            filled["artikel"] = _ref("artikelen", artikel["id"])
            filled.setdefault("omschrijving", artikel.get("omschrijving", ""))
            filled.setdefault("stuksprijs", artikel.get("verkoopprijs", Decimal(0)))
        filled.setdefault("aantal", Decimal(1))
        filled.setdefault("kortingsPercentage", Decimal(0))
        regels.append(filled)
        kinds.append(_vat_kind(admin, artikel))
    day = datetime.fromisoformat(order["datum"])
    tarieven = admin.list("btwtarieven")
    rates = {k: compute.rate_on(tarieven, k, day) for k in set(kinds)}
    totals = compute.compute_totals(
        regels,
        kinds,
        rates,
        inclusive=order["verkooporderBtwIngaveModel"] == "Inclusief",
        factuurkorting=Decimal(str(order.get("factuurkorting") or 0)),
        discount_on_unit_price=admin.company_info.get("regelkortingVerkooporder")
        == "BerekenenOverStukprijs",
    )
    for regel, total in zip(regels, totals.line_totals, strict=True):
        regel["totaal"] = total
    order["regels"] = regels
    order["totaalExclusiefBtw"] = totals.excl
    order["totaalInclusiefBtw"] = totals.incl
    return order


def _line_artikel(admin: Administration, regel: dict[str, Any]) -> dict | None:
    artikel_id = (regel.get("artikel") or {}).get("id")
    return admin.get("artikelen", artikel_id) if artikel_id else None


def _vat_kind(admin: Administration, artikel: dict[str, Any] | None) -> str:
    if artikel is None:
        return "Geen"
    group = admin.get("artikelomzetgroepen", artikel["artikelOmzetgroep"]["id"])
    return (group or {}).get("verkoopNederlandBtwSoort", "Geen")


def _ref(resource: str, record_id: str) -> dict[str, str]:
    return {"id": record_id, "uri": f"/{resource}/{record_id}"}
