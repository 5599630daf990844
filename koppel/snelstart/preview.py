"""The dry-run preview: what a real load would write to SnelStart."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from koppel.money import to_cents
from koppel.plan import OrderBooking

if TYPE_CHECKING:
    from koppel.snelstart.runner import LoadRun
    from koppel.snelstart.runstate import Sorted

__all__ = ["build_preview"]


def build_preview(run: LoadRun, todo: Sorted) -> dict[str, Any]:
    """Relaties and artikelen to write, and every order with its action.

    Order actions: ``book`` (POST), ``update`` (PUT after a change),
    ``skip`` (booked, unchanged), ``recover`` (an earlier POST landed),
    ``external`` (booked outside koppel), ``flag`` / ``ignore`` (changed
    after booking), ``credit_note`` (cancelled after booking).

    Returns:
        A JSON-ready dict (Decimals as strings).
    """
    for booking in todo.post:
        run.preview_actions[booking.order_id] = "book"
    needs = list(todo.post) + [b for b, _ in todo.update]
    records: dict[str, list[dict[str, Any]]] = {"relaties": [], "artikelen": []}
    for action in run.needed_records(needs):
        kind = "relatie" if hasattr(action, "relatie_id") else "artikel"
        if action.action == "use" or run.known_id(kind, action) is not None:
            continue
        payload = action.payload
        label = (
            payload.get("naam") if kind == "relatie" else payload.get("omschrijving")
        )
        records["relaties" if kind == "relatie" else "artikelen"].append(
            {"key": action.key, "action": action.action, "label": label}
        )
    orders = [
        _order(b, run.preview_actions.get(b.order_id, "skip")) for b in run.plan.orders
    ]
    booked = [o for o in orders if o["action"] in ("book", "update")]
    return {
        "relaties": records["relaties"],
        "artikelen": records["artikelen"],
        "orders": orders,
        "credit_note_candidates": [
            oid for oid, act in run.preview_actions.items() if act == "credit_note"
        ],
        "totals": {
            "orders": len(orders),
            "book": sum(o["action"] == "book" for o in orders),
            "update": sum(o["action"] == "update" for o in orders),
            "total_incl": _total(booked, "total_incl"),
            "total_excl": _total(booked, "total_excl"),
        },
    }


def _order(booking: OrderBooking, action: str) -> dict[str, Any]:
    return {
        "order_id": booking.order_id,
        "reference": booking.reference,
        "orderreferentie": booking.orderreferentie,
        "betalingskenmerk": booking.betalingskenmerk,
        "relatie": booking.relatie_key,
        "action": action,
        "lines": len(booking.payload.get("regels") or []),
        "total_incl": format(to_cents(booking.total_incl), "f"),
        "total_excl": format(to_cents(booking.total_excl), "f"),
        "warnings": list(booking.warnings),
    }


def _total(orders: list[dict[str, Any]], key: str) -> str:
    return format(sum((Decimal(o[key]) for o in orders), Decimal("0.00")), "f")
