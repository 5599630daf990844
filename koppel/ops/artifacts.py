"""What a run shows in the Prefect UI, built as plain data.

The Prefect layer (``tasks/ops.py``) only publishes what these functions
return: the summary table, the quarantine list in markdown and one event per
booked or quarantined order. Nothing here carries personal data: orders are
named by shop id and reference, SnelStart records by their nummer, and
quarantine entries by reason code and field name (never the bad value, which
may be an e-mail address or a street).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "EVENT_BOOKED",
    "EVENT_QUARANTINED",
    "EVENT_SILENT_STOP",
    "EventSpec",
    "QuarantinedOrder",
    "artifact_key",
    "booked_event",
    "normalise_quarantined",
    "order_events",
    "quarantine_markdown",
    "quarantined_event",
    "silent_stop_event",
    "summary_table",
]

EVENT_BOOKED = "koppel.order.booked"
EVENT_QUARANTINED = "koppel.order.quarantined"
EVENT_SILENT_STOP = "koppel.profile.silent-stop"

_STAGES = ("extract", "validate", "map", "load")


def artifact_key(profile: str, what: str) -> str:
    """A Prefect artifact key: lower case letters, digits and dashes only.

    Keys are per profile, so the UI keeps one history per profile and kind
    (``koppel-demo-run-summary``, ``koppel-demo-quarantine``…).
    """
    raw = f"koppel-{profile}-{what}".lower()
    return re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9-]", "-", raw)).strip("-")


def _int(summary: Mapping[str, Any], name: str) -> int:
    return int(summary.get(name, 0) or 0)


def summary_table(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Rows ``{"figure", "value"}`` for the run-summary table artifact.

    Reads the run summary of :func:`koppel.pipeline.summarise`, plus
    ``stage_seconds`` (stage -> seconds) and ``calls`` (SnelStart endpoint ->
    count) when the flow adds them.
    """
    rows: list[dict[str, Any]] = [
        {"figure": "orders extracted", "value": _int(summary, "extracted")},
        {"figure": "pending from earlier runs", "value": _int(summary, "backlog")},
        {"figure": "orders validated", "value": _int(summary, "validated")},
        {"figure": "orders quarantined", "value": _int(summary, "quarantined")},
        {"figure": "orders loaded", "value": _int(summary, "loaded")},
        {"figure": "orders skipped", "value": _int(summary, "skipped")},
        {
            "figure": "orders failed (retried next run)",
            "value": _int(summary, "failed"),
        },
        {"figure": "customers created", "value": _int(summary, "customers_created")},
        {"figure": "articles created", "value": _int(summary, "articles_created")},
    ]
    seconds = summary.get("stage_seconds") or {}
    for stage in (*_STAGES, *sorted(set(seconds) - set(_STAGES))):
        if stage in seconds:
            value = round(float(seconds[stage]), 2)
            rows.append({"figure": f"seconds in {stage}", "value": value})
    rows.append(
        {
            "figure": "HTTP calls to PrestaShop",
            "value": _int(summary, "requests_prestashop"),
        }
    )
    rows.append(
        {"figure": "HTTP calls to SnelStart", "value": _int(summary, "calls_snelstart")}
    )
    for endpoint, count in sorted((summary.get("calls") or {}).items()):
        rows.append({"figure": f"SnelStart {endpoint}", "value": int(count)})
    return rows


@dataclass(frozen=True)
class QuarantinedOrder:
    """One quarantined order for the artifact: id, reasons, fields."""

    order_id: int
    reasons: tuple[str, ...]
    fields: tuple[str, ...] = ()
    reference: str | None = None


def _attr(item: Any, name: str) -> Any:
    if isinstance(item, Mapping):
        return item.get(name)
    return getattr(item, name, None)


def normalise_quarantined(quarantined: Any) -> list[QuarantinedOrder]:
    """Accept ``{order_id: [reason, ...]}`` or quarantine entries (objects or
    dicts with ``order_id``, ``reason`` and optionally ``field`` and
    ``reference``) and group them per order, sorted by order id."""
    grouped: dict[int, dict[str, Any]] = {}
    if isinstance(quarantined, Mapping):
        for order_id, reasons in quarantined.items():
            entry = grouped.setdefault(int(order_id), {"r": [], "f": [], "ref": None})
            values = [reasons] if isinstance(reasons, str) else list(reasons or [])
            entry["r"].extend(str(r) for r in values)
    else:
        for item in quarantined or ():
            entry = grouped.setdefault(
                int(_attr(item, "order_id")), {"r": [], "f": [], "ref": None}
            )
            if _attr(item, "reason") is not None:
                entry["r"].append(str(_attr(item, "reason")))
            if _attr(item, "field"):
                entry["f"].append(str(_attr(item, "field")))
            entry["ref"] = entry["ref"] or _attr(item, "reference")
    return [
        QuarantinedOrder(
            order_id,
            tuple(dict.fromkeys(e["r"])),
            tuple(dict.fromkeys(e["f"])),
            e["ref"],
        )
        for order_id, e in sorted(grouped.items())
    ]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def quarantine_markdown(
    profile: str, run_id: str, orders: Sequence[QuarantinedOrder], limit: int = 500
) -> str:
    """The markdown artifact listing quarantined orders with their reasons."""
    lines = [f"# Quarantined orders: {profile}", "", f"Run `{run_id}`.", ""]
    if not orders:
        lines.append("No order was quarantined in this run.")
        return "\n".join(lines) + "\n"
    lines += [
        f"{len(orders)} orders are held back until fixed; see "
        f"`koppel quarantine {profile} list` and release them after fixing.",
        "",
        "| order | reference | reasons | fields |",
        "|---:|---|---|---|",
    ]
    for item in orders[:limit]:
        lines.append(
            f"| {item.order_id} | {_cell(item.reference or '')} | "
            f"{_cell(', '.join(item.reasons))} | {_cell(', '.join(item.fields))} |"
        )
    if len(orders) > limit:
        lines += ["", f"… and {len(orders) - limit} more."]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class EventSpec:
    """Arguments of one ``prefect.events.emit_event`` call."""

    event: str
    resource: dict[str, str]
    payload: dict[str, Any]


def _order_resource(profile: str, order_id: int) -> dict[str, str]:
    return {
        "prefect.resource.id": f"koppel.order.{profile}.{order_id}",
        "prefect.resource.name": f"order {order_id} ({profile})",
        "koppel.profile": profile,
        "koppel.order.id": str(order_id),
    }


def booked_event(
    profile: str, run_id: str, order_id: int, nummer: Any = None
) -> EventSpec:
    """The event for an order booked in SnelStart (shop id and nummer only)."""
    resource = _order_resource(profile, order_id)
    if nummer is not None:
        resource["koppel.snelstart.nummer"] = str(nummer)
    return EventSpec(EVENT_BOOKED, resource, {"run_id": run_id})


def quarantined_event(profile: str, run_id: str, order: QuarantinedOrder) -> EventSpec:
    """The event for an order quarantined with its reason codes."""
    resource = _order_resource(profile, order.order_id)
    payload = {"run_id": run_id, "reasons": list(order.reasons)}
    return EventSpec(EVENT_QUARANTINED, resource, payload)


def silent_stop_event(
    profile: str, hours: int, last_booking_at: Any, eligible_orders: int
) -> EventSpec:
    """The alert event of the silent-stop guard."""
    resource = {
        "prefect.resource.id": f"koppel.profile.{profile}",
        "prefect.resource.name": f"koppel profile {profile}",
        "koppel.profile": profile,
    }
    payload = {
        "hours": hours,
        "last_booking_at": None if last_booking_at is None else str(last_booking_at),
        "eligible_orders": eligible_orders,
    }
    return EventSpec(EVENT_SILENT_STOP, resource, payload)


def order_events(
    profile: str,
    run_id: str,
    booked: Mapping[int, Any] | Iterable[int],
    quarantined: Sequence[QuarantinedOrder],
) -> list[EventSpec]:
    """One event per booked order (id -> SnelStart nummer, or bare ids) and
    one per quarantined order."""
    pairs = (
        booked.items() if isinstance(booked, Mapping) else ((i, None) for i in booked)
    )
    events = [booked_event(profile, run_id, int(i), n) for i, n in pairs]
    events += [quarantined_event(profile, run_id, q) for q in quarantined]
    return events
