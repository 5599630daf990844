"""Invoicing an order by hand, as a SnelStart user would (inspection only).

The API cannot invoice (``Factuur`` is refused), but koppel must cope with
orders a user invoiced after they were booked: this turns an order into a
verkoopfactuur linked to it, so ``GET /verkoopfacturen`` has something real
to return.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from koppel.sandbox.snelstart import responses
from koppel.sandbox.snelstart.binding import format_datetime
from koppel.sandbox.snelstart.store import Administration

__all__ = ["invoice_order"]


def invoice_order(
    admin: Administration, order_id: str, now: datetime
) -> dict[str, Any]:
    """Create the verkoopfactuur of an order and mark the order invoiced.

    Raises:
        ApiProblem: 404 when the order does not exist, 400 when it is
            already invoiced.
    """
    order = admin.get("verkooporders", order_id)
    if order is None:
        raise responses.framework(404, f"no verkooporder {order_id!r}")
    if order.get("verkoopfactuur"):
        raise responses.framework(400, "the order is already invoiced")
    factuur_id = str(uuid.uuid4())
    nummer = admin.next_number("factuur", 20240001)
    admin.company_info["volgendFactuurnummer"] = admin.peek_number("factuur")
    term = int(order.get("krediettermijn") or 0)
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    factuur = {
        "id": factuur_id,
        "uri": f"/verkoopfacturen/{factuur_id}",
        "modifiedOn": format_datetime(now),
        "factuurnummer": str(nummer),
        "factuurDatum": format_datetime(day),
        "vervalDatum": format_datetime(day + timedelta(days=term)),
        "relatie": order["relatie"],
        "factuurBedrag": order.get("totaalInclusiefBtw"),
        "openstaandSaldo": order.get("totaalInclusiefBtw"),
        "verkoopOrders": [{"id": order["id"], "uri": order["uri"]}],
    }
    admin.put("verkoopfacturen", factuur)
    ref = {"id": factuur_id, "uri": factuur["uri"]}
    admin.put(
        "verkooporders",
        {**order, "verkoopfactuur": ref, "procesStatus": "Factuur",
         "verkoopOrderStatus": "Uitgevoerd"},
    )  # fmt: skip
    return factuur
