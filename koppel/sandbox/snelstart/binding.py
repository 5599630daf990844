"""Request binding: JSON types and spec constraints, like ASP.NET model state.

`bind` walks a request body along a resource shape, drops unknown keys,
normalises wire values (numeric strings to Decimal, offsets dropped from
date-times) and reports values of the wrong JSON type. `check_spec` adds the
OpenAPI constraints (required, maxLength, enums, ranges) that have no
documented SnelStart error code. Both report problems as model-state entries
(``{"path": ["message", ...]}``), which the API answers in the
``{"message", "modelState"}`` body shape.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from koppel.sandbox.snelstart.jsonwire import coerce_decimal
from koppel.sandbox.snelstart.models import Shape

__all__ = [
    "PROCES_STATUSES",
    "SPEC_RULES",
    "ModelState",
    "bind",
    "check_spec",
    "format_datetime",
]

ModelState = dict[str, list[str]]

LOCAL_ZONE = ZoneInfo("Europe/Amsterdam")

_BAD = object()


def format_datetime(value: datetime) -> str:
    """SnelStart's date-time form: local wall clock, no offset."""
    if value.tzinfo is not None:
        value = value.astimezone(LOCAL_ZONE).replace(tzinfo=None)
    text = value.isoformat(timespec="milliseconds")
    return text[:-4] if text.endswith(".000") else text


def bind(body: Any, shape: Shape, name: str) -> tuple[dict[str, Any], ModelState]:
    """Normalise a request body against a shape.

    Args:
        body: the parsed JSON body.
        shape: the resource shape (see `models`).
        name: the parameter name used as prefix of model-state keys.

    Returns:
        The normalised body (unknown keys and nulls dropped) and the
        model-state errors (empty when every value has the right type).
    """
    errors: ModelState = {}
    if not isinstance(body, dict):
        errors[name] = ["De aanvraag moet een JSON-object zijn."]
        return {}, errors
    return _bind_object(body, shape, name, errors), errors


def _bind_object(
    body: dict[str, Any], shape: Shape, path: str, errors: ModelState
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in body.items():
        if key not in shape or value is None:
            continue
        bound = _bind_value(value, shape[key], f"{path}.{key}", errors)
        if bound is not _BAD:
            result[key] = bound
    return result


def _bind_value(value: Any, kind: Any, path: str, errors: ModelState) -> Any:
    if isinstance(kind, dict):
        if isinstance(value, dict):
            return _bind_object(value, kind, path, errors)
        return _fail(errors, path, "een object", value)
    if isinstance(kind, list):
        if not isinstance(value, list):
            return _fail(errors, path, "een lijst", value)
        items = [
            _bind_value(v, kind[0], f"{path}[{i}]", errors) for i, v in enumerate(value)
        ]
        return [v for v in items if v is not _BAD and v is not None]
    converted = _SCALARS[kind](value)
    if converted is _BAD:
        return _fail(errors, path, _TYPE_NAMES[kind], value)
    return converted


def _fail(errors: ModelState, path: str, wanted: str, value: Any) -> object:
    errors.setdefault(path, []).append(f"Waarde {value!r} is geen {wanted}.")
    return _BAD


def _as_str(value: Any) -> Any:
    return value if isinstance(value, str) else _BAD


def _as_int(value: Any) -> Any:
    number = coerce_decimal(value)
    if number is None or number != number.to_integral_value():
        return _BAD
    if not -(2**31) <= number < 2**31:
        return _BAD
    return int(number)


def _as_dec(value: Any) -> Any:
    number = coerce_decimal(value)
    return _BAD if number is None else number


def _as_bool(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return _BAD


def _as_dt(value: Any) -> Any:
    if not isinstance(value, str):
        return _BAD
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return _BAD
    return format_datetime(parsed)


def _as_guid(value: Any) -> Any:
    if not isinstance(value, str):
        return _BAD
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return _BAD


_SCALARS = {
    "str": _as_str,
    "int": _as_int,
    "dec": _as_dec,
    "bool": _as_bool,
    "dt": _as_dt,
    "guid": _as_guid,
}
_TYPE_NAMES = {
    "str": "tekst",
    "int": "geheel getal (int32)",
    "dec": "getal",
    "bool": "boolean",
    "dt": "datum/tijd",
    "guid": "GUID",
}

PROCES_STATUSES = (
    "Order",
    "Offerte",
    "Bevestiging",
    "Werkbon",
    "Pakbon",
    "Afhaalbon",
    "Contantbon",
    "Factuur",
)

# resource -> [(path, rule, argument)]; rules: required, max_length, enum, range.
# Only constraints without a documented SnelStart error code live here.
SPEC_RULES: dict[str, list[tuple[str, str, Any]]] = {
    "relaties": [
        ("naam", "max_length", 50),
        ("kvkNummer", "max_length", 12),
        ("websiteUrl", "max_length", 100),
        ("iban", "max_length", 50),
        ("bic", "max_length", 15),
        ("aanmaningsoort", "enum", ("Nee", "Onderneming", "Consument")),
        ("incassoSoort", "enum", ("Geen", "Core", "B2B")),
    ],
    "verkooporders": [
        ("relatie", "required", None),
        ("datum", "required", None),
        ("procesStatus", "enum", PROCES_STATUSES),
        ("verkoopOrderStatus", "enum", ("InBehandeling", "Uitgevoerd", "Service")),
        ("verkooporderBtwIngaveModel", "enum", ("Inclusief", "Exclusief")),
        ("krediettermijn", "range", (0, 100)),
        ("regels[].omschrijving", "max_length", 250),
    ],
    "processtatus": [("procesStatus", "enum", PROCES_STATUSES)],
}


def check_spec(resource: str, body: dict[str, Any], name: str) -> ModelState:
    """Model-state errors for the spec constraints of a resource."""
    errors: ModelState = {}
    for path, rule, arg in SPEC_RULES.get(resource, []):
        for where, value in _values_at(body, path, name):
            problem = _check(rule, arg, value)
            if problem:
                errors.setdefault(where, []).append(problem)
    return errors


def _values_at(body: dict[str, Any], path: str, name: str) -> list[tuple[str, Any]]:
    head, _, rest = path.partition("[].")
    if not rest:
        return [(f"{name}.{path}", body.get(path))]
    rows = body.get(head) or []
    return [(f"{name}.{head}[{i}].{rest}", r.get(rest)) for i, r in enumerate(rows)]


def _check(rule: str, arg: Any, value: Any) -> str | None:
    if rule == "required":
        return None if value not in (None, "") else "Dit veld is verplicht."
    if value is None:
        return None
    if rule == "max_length" and len(value) > arg:
        return f"Mag maximaal {arg} tekens bevatten."
    if rule == "enum" and value not in arg:
        return f"Waarde {value!r} is niet toegestaan; kies uit {', '.join(arg)}."
    if rule == "range" and not arg[0] <= value <= arg[1]:
        return f"Moet tussen {arg[0]} en {arg[1]} liggen."
    return None


def decimal_or_zero(value: Any) -> Decimal:
    """A bound number, or 0 when absent."""
    return value if isinstance(value, Decimal) else Decimal(value or 0)
