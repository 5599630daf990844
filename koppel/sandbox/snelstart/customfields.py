"""``GET|PUT /v2/artikelen/{id}/customFields``: an artikel's extra fields.

SnelStart shows an artikel's extra fields read-only in ``extraVelden``
(``[{naam, waarde}]``) and writes them only through this endpoint, which
takes ``[{name, value}]`` and answers with the fields as
``[{definition: {name, type, ...}, value}]``. The sandbox has no field
definitions: every name is a text field, created on first write; a ``null``
value clears the field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from koppel.sandbox.snelstart import responses
from koppel.sandbox.snelstart.binding import format_datetime
from koppel.sandbox.snelstart.service import get_one
from koppel.sandbox.snelstart.store import Administration

__all__ = ["get_custom_fields", "put_custom_fields"]

_PARAM = "updatedCustomFieldModels"


def _dto(extra: dict[str, Any]) -> dict[str, Any]:
    definition = {
        "name": extra.get("naam"),
        "type": "Text",
        "properties": [],
        "yPosition": 0,
        "xPosition": 0,
    }
    return {"definition": definition, "value": extra.get("waarde")}


def get_custom_fields(admin: Administration, record_id: str) -> list[dict[str, Any]]:
    """The artikel's extra fields as custom-field DTOs.

    Raises:
        ApiProblem: malformed (400) or unknown (404) id.
    """
    artikel = get_one(admin, "artikelen", record_id)
    return [_dto(e) for e in artikel.get("extraVelden") or ()]


def _updates(body: Any) -> dict[str, str | None]:
    """``{name: text or None}`` from a PUT body, or a 400 in model-state form."""
    if not isinstance(body, list):
        msg = "Een lijst met extra velden is vereist."
        raise responses.model_state({_PARAM: [msg]})
    updates: dict[str, str | None] = {}
    errors: dict[str, list[str]] = {}
    for i, item in enumerate(body):
        name = item.get("name") if isinstance(item, dict) else None
        value = item.get("value") if isinstance(item, dict) else None
        if not isinstance(name, str) or not name.strip():
            errors[f"{_PARAM}[{i}].name"] = ["De naam van het extra veld is vereist."]
        elif isinstance(value, (dict, list)):
            errors[f"{_PARAM}[{i}].value"] = ["De waarde moet enkelvoudig zijn."]
        else:
            updates[name] = None if value is None else _text(value)
    if errors:
        raise responses.model_state(errors)
    return updates


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def put_custom_fields(
    admin: Administration, record_id: str, body: Any, now: datetime
) -> list[dict[str, Any]]:
    """Write extra fields onto an artikel; other fields keep their values.

    Raises:
        ApiProblem: unknown id (404) or a malformed body (400).
    """
    current = get_one(admin, "artikelen", record_id)
    updates = _updates(body)
    record = admin.get("artikelen", current["id"]) or current
    kept = [e for e in record.get("extraVelden") or () if e.get("naam") not in updates]
    added = [{"naam": n, "waarde": v} for n, v in updates.items() if v is not None]
    extras = [*kept, *added]
    admin.put(
        "artikelen",
        {**record, "extraVelden": extras, "modifiedOn": format_datetime(now)},
    )
    return [_dto(e) for e in extras]
