"""What each SnelStart endpoint does to an administration (no HTTP here).

Functions take an `Administration`, the bound request data and the current
time, change the store and return the record to answer with; they raise
`ApiProblem` for every refusal, in the body shape the real API uses.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from koppel.sandbox.snelstart import responses
from koppel.sandbox.snelstart.binding import bind, check_spec, format_datetime
from koppel.sandbox.snelstart.models import (
    MODEL_NAMES,
    ODATA_RESOURCES,
    SHAPES,
    pascal_to_camel,
)
from koppel.sandbox.snelstart.odata import Filter, ODataError, parse_filter
from koppel.sandbox.snelstart.orders import complete_order
from koppel.sandbox.snelstart.store import Administration
from koppel.sandbox.snelstart.validation import (
    check_artikel,
    check_kostenplaats,
    check_relatie,
    check_verkooporder,
    problem,
)

__all__ = [
    "create",
    "delete",
    "get_one",
    "list_records",
    "public",
    "set_proces_status",
    "update",
]

# Fields the server owns: ignored on write, filled by the sandbox.
_READ_ONLY = {
    "relaties": {"uri", "modifiedOn", "inkoopBoekingenUri", "verkoopBoekingenUri",
                 "extraVeldenKlant", "fax"},
    "artikelen": {"uri", "modifiedOn", "isHoofdartikel", "subartikelen",
                  "technischeVoorraad", "vrijeVoorraad", "extraVelden"},
    "verkooporders": {"uri", "modifiedOn", "totaalExclusiefBtw",
                      "totaalInclusiefBtw", "verkoopfactuur"},
    "kostenplaatsen": {"uri"},
}  # fmt: skip
_CHECKS = {
    "relaties": check_relatie,
    "artikelen": check_artikel,
    "verkooporders": check_verkooporder,
    "kostenplaatsen": check_kostenplaats,
}
_NOT_VIA_API = ("Contantbon", "Factuur")
_PARAM = {
    "relaties": "relatie",
    "artikelen": "artikel",
    "verkooporders": "verkoopOrder",
    "kostenplaatsen": "kostenplaats",
}


def public(record: dict[str, Any]) -> dict[str, Any]:
    """A fresh copy of a record as the API shows it: no internal keys, no nulls."""
    return {
        k: _public_value(v)
        for k, v in record.items()
        if not k.startswith("_") and v is not None
    }


def _public_value(value: Any) -> Any:
    if isinstance(value, dict):
        return public(value)
    if isinstance(value, list):
        return [_public_value(v) for v in value]
    return value


def list_records(
    admin: Administration, resource: str, params: dict[str, str]
) -> list[dict[str, Any]]:
    """GET on a collection; OData options apply where the API supports them.

    Raises:
        ApiProblem: an invalid ``$top``/``$skip``/``$filter``.
    """
    if resource not in ODATA_RESOURCES:
        # the real API ignores OData options on these collections
        return [public(r) for r in admin.iter_records(resource)]
    maximum = ODATA_RESOURCES[resource]
    top = _int_option(params, "$top", default=maximum)
    skip = _int_option(params, "$skip", default=0)
    if top > maximum:
        msg = (
            f"The limit of '{maximum}' for Top query has been exceeded. "
            f"The value from the incoming request is '{top}'."
        )
        raise responses.framework(400, msg)
    text = params.get("$filter")
    odata = _filter(resource, text) if text else None
    keep = _selected(resource, params.get("$select"))
    with admin.lock:
        rows = admin.iter_records(resource)
        hits = [r for r in rows if odata is None or odata.matches(r)]
        page = [public(r) for r in hits[skip : skip + top]]
    if keep is None:
        return page
    return [{k: v for k, v in row.items() if k in keep} for row in page]


def _selected(resource: str, text: str | None) -> set[str] | None:
    """The JSON keys a ``$select`` keeps (None: everything)."""
    if not text or text.strip() == "*":
        return None
    keep = set()
    for name in (n.strip() for n in text.split(",")):
        key = pascal_to_camel(name)
        if key not in SHAPES[resource] or key == name:
            msg = (
                f"The query specified in the URI is not valid. Could not find a "
                f"property named {name!r} on type {MODEL_NAMES[resource]!r}."
            )
            raise responses.framework(400, msg)
        keep.add(key)
    return keep


def _int_option(params: dict[str, str], name: str, *, default: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        msg = f"Invalid value {raw!r} for query option {name!r}: not an integer >= 0."
        raise responses.framework(400, msg)
    return value


def _filter(resource: str, text: str) -> Filter:
    try:
        return parse_filter(text, SHAPES[resource], model=MODEL_NAMES[resource])
    except ODataError as exc:
        if exc.kind == "not_filterable":
            raise responses.coded([problem("ALG-0104")]) from exc
        msg = f"The query specified in the URI is not valid. {exc}"
        raise responses.framework(400, msg) from exc


def get_one(admin: Administration, resource: str, record_id: str) -> dict[str, Any]:
    """GET by id.

    Raises:
        ApiProblem: 400 for a malformed id, 404 for an unknown one (and for
            non-active relaties, which the API does not return by id).
    """
    record = admin.get(resource, _guid(record_id))
    if record is None or (resource == "relaties" and record.get("nonactief")):
        raise _not_found(resource, record_id)
    return public(record)


def _guid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError as exc:
        raise responses.coded([problem("ALG-0103")]) from exc


def _not_found(resource: str, record_id: str) -> responses.ApiProblem:
    msg = f"No {resource} record with id {record_id!r} was found."
    return responses.framework(404, msg)


def create(
    admin: Administration, resource: str, body: Any, now: datetime
) -> dict[str, Any]:
    """POST: validate, fill the server's fields, store, return the record.

    Raises:
        ApiProblem: the body breaks the spec or a business rule.
    """
    data = _validated(admin, resource, body, existing=None)
    record_id = str(uuid.uuid4())
    record = _complete(admin, resource, data, record_id, now, existing=None)
    admin.put(resource, record)
    return public(record)


def update(
    admin: Administration, resource: str, record_id: str, body: Any, now: datetime
) -> dict[str, Any]:
    """PUT (full replace) of an existing record.

    Raises:
        ApiProblem: unknown id (404), id mismatch or invalid body (400).
    """
    record_id = _guid(record_id)
    existing = admin.get(resource, record_id)
    if existing is None:
        raise _not_found(resource, record_id)
    data = _validated(admin, resource, body, existing=existing)
    body_id = data.get("id")
    if body_id and body_id != record_id:
        code = "REL-0047" if resource == "relaties" else "ALG-0101"
        raise responses.coded([problem(code)])
    record = _complete(admin, resource, data, record_id, now, existing=existing)
    admin.put(resource, record)
    return public(record)


def _validated(
    admin: Administration,
    resource: str,
    body: Any,
    existing: dict[str, Any] | None,
) -> dict[str, Any]:
    name = _PARAM[resource]
    data, errors = bind(body, SHAPES[resource], name)
    for path, messages in check_spec(resource, data, name).items():
        if path not in errors:
            errors[path] = messages
    if resource == "verkooporders" and data.get("procesStatus") in _NOT_VIA_API:
        errors.setdefault(f"{name}.procesStatus", []).append(
            f"Processtatus {data['procesStatus']!r} kan niet via de API."
        )
    if errors:
        raise responses.model_state(errors)
    problems = _CHECKS[resource](admin, data, existing)
    if problems:
        raise responses.coded(problems)
    return {k: v for k, v in data.items() if k not in _READ_ONLY[resource]}


def _complete(
    admin: Administration,
    resource: str,
    data: dict[str, Any],
    record_id: str,
    now: datetime,
    existing: dict[str, Any] | None,
) -> dict[str, Any]:
    stamp = format_datetime(now)
    record = {**data, "id": record_id, "uri": f"/{resource}/{record_id}"}
    if resource == "relaties":
        return _complete_relatie(admin, record, stamp, existing)
    if resource == "artikelen":
        return _complete_artikel(record, stamp, existing)
    if resource == "verkooporders":
        return complete_order(admin, record, stamp, existing)
    return record


def _complete_relatie(
    admin: Administration,
    record: dict[str, Any],
    stamp: str,
    existing: dict[str, Any] | None,
) -> dict[str, Any]:
    rid = record["id"]
    if record.get("relatiecode") is None:
        record["relatiecode"] = (
            existing["relatiecode"] if existing else _next_relatiecode(admin)
        )
    defaults = {
        "krediettermijn": 0,
        "nonactief": False,
        "bankieren": False,
        "ublBestandAlsBijlage": False,
        "aanmaningsoort": "Consument",
        "incassoSoort": "Geen",
    }
    return {
        **defaults,
        **record,
        "modifiedOn": stamp,
        "inkoopBoekingenUri": f"/relaties/{rid}/inkoopboekingen",
        "verkoopBoekingenUri": f"/relaties/{rid}/verkoopboekingen",
        "extraVeldenKlant": (existing or {}).get("extraVeldenKlant", []),
    }


def _next_relatiecode(admin: Administration) -> int:
    taken = {r.get("relatiecode") for r in admin.iter_records("relaties")}
    code = admin.next_number("relatiecode", 1001)
    while code in taken:
        code = admin.next_number("relatiecode", 1001)
    return code


def _complete_artikel(
    record: dict[str, Any], stamp: str, existing: dict[str, Any] | None
) -> dict[str, Any]:
    old = existing or {}
    defaults = {"isNonActief": False, "voorraadControle": False}
    return {
        **defaults,
        **record,
        "modifiedOn": stamp,
        "isHoofdartikel": False,
        "subartikelen": [],
        "technischeVoorraad": old.get("technischeVoorraad", Decimal(0)),
        "vrijeVoorraad": old.get("vrijeVoorraad", Decimal(0)),
        "extraVelden": old.get("extraVelden", []),
    }


def set_proces_status(
    admin: Administration, record_id: str, body: Any, now: datetime
) -> dict[str, Any]:
    """``PUT /verkooporders/{id}/ProcesStatus``.

    Raises:
        ApiProblem: unknown order, id mismatch, or a status the API refuses.
    """
    record_id = _guid(record_id)
    order = admin.get("verkooporders", record_id)
    if order is None:
        raise _not_found("verkooporders", record_id)
    data, errors = bind(body, {"id": "guid", "procesStatus": "str"}, "model")
    for path, messages in check_spec("processtatus", data, "model").items():
        errors.setdefault(path, messages)
    status = data.get("procesStatus")
    if status in _NOT_VIA_API or status is None:
        errors.setdefault("model.procesStatus", []).append(
            f"Processtatus {status!r} kan niet via de API worden gezet."
        )
    if errors:
        raise responses.model_state(errors)
    if data.get("id") and data["id"] != record_id:
        raise responses.coded([problem("ALG-0101")])
    order["procesStatus"] = status
    order["modifiedOn"] = format_datetime(now)
    admin.put("verkooporders", order)
    return public(order)


def delete(admin: Administration, resource: str, record_id: str) -> None:
    """DELETE: soft for relaties and artikelen, hard for the rest.

    Raises:
        ApiProblem: unknown id, or a record still used by open orders.
    """
    record_id = _guid(record_id)
    record = admin.get(resource, record_id)
    if record is None:
        raise _not_found(resource, record_id)
    open_orders = [
        o for o in admin.iter_records("verkooporders")
        if o.get("verkoopOrderStatus") == "InBehandeling"
    ]  # fmt: skip
    if resource == "relaties":
        if any(o["relatie"]["id"] == record_id for o in open_orders):
            raise responses.coded([problem("REL-0050")])
        admin.put(resource, {**record, "nonactief": True})
    elif resource == "artikelen":
        used = any(
            (r.get("artikel") or {}).get("id") == record_id
            for o in open_orders
            for r in o.get("regels", [])
        )
        if used:
            raise responses.coded([problem("ART-0011")])
        admin.put(resource, {**record, "isNonActief": True})
    else:
        admin.remove(resource, record_id)
