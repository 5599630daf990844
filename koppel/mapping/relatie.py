"""The relatie payload (RelatieWriteModel) and address blocks.

Field values come from ``customers.fields``; this module fits them to
SnelStart: lengths are cut to the API's limits with a warning, ``land`` is
resolved from the ISO-2 code to ``{"id": ...}``, ``btwNummer`` keeps letters
and digits only and is left out (with a warning) when it does not start with
the country's prefix, and a half-filled address is left out rather than
rejected by SnelStart (REL-0060).
"""

from __future__ import annotations

import copy
import html
from typing import Any

from koppel.mapping.context import OrderContext, Unplannable, evaluate
from koppel.mapping.index import SnapshotIndex
from koppel.mapping.rules import RuleSet
from koppel.mapping.schema import RELATIE_FIELDS
from koppel.mapping.transforms import (
    collapse,
    normalise_vat_number,
    postcode_display,
)
from koppel.reasons import Reason

__all__ = ["fit", "order_address", "relatie_payload", "update_payload"]

_ADDRESS_PARTS = ("straat", "postcode", "plaats", "land")
_READ_ONLY = (
    "uri",
    "modifiedOn",
    "extraVeldenKlant",
    "inkoopBoekingenUri",
    "verkoopBoekingenUri",
    "documents",
    "fax",
)


def fit(target: str, value: str, limit: int | None, warnings: list[str]) -> str:
    """Cut a value to SnelStart's limit, recording a warning when it was cut."""
    if limit is None or len(value) <= limit:
        return value
    warnings.append(f"{target} cut to {limit} characters (was {len(value)}): {value!r}")
    return value[:limit].rstrip()


def _land(iso: str, index: SnapshotIndex, ctx: OrderContext, target: str) -> dict:
    land_id = index.land_id(iso)
    if land_id is None:
        msg = (
            f"order {ctx.order_id}: country {iso!r} ({target}) is not among "
            "SnelStart's landen (matched on the ISO-2 `landcode`)"
        )
        raise Unplannable(Reason.UNKNOWN_LAND, msg, field=target, value=iso)
    return {"id": land_id}


def _set(payload: dict[str, Any], target: str, value: Any) -> None:
    head, _, tail = target.partition(".")
    if tail:
        payload.setdefault(head, {})[tail] = value
    else:
        payload[head] = value


def _vat_number(value: str, country: str | None, warnings: list[str]) -> str | None:
    clean = normalise_vat_number(value) or ""
    if not 2 <= len(clean) <= 50:
        warnings.append(f"btwNummer {value!r} left out: needs 2-50 letters or digits")
        return None
    prefix = "EL" if country == "GR" else country
    if prefix and clean[:2].isalpha() and clean[:2] != prefix:
        warnings.append(
            f"btwNummer {value!r} left out: it does not start with {prefix!r}, "
            "the country of the address"
        )
        return None
    return clean


def _mapped(
    ctx: OrderContext, index: SnapshotIndex, rules: RuleSet
) -> tuple[dict[str, Any], list[str]]:
    payload: dict[str, Any] = {}
    warnings: list[str] = []
    scope = ctx.scope()
    values = {
        t: evaluate(s, scope, rules.tables) for t, s in rules.customers.fields.items()
    }
    country = values.get("vestigingsAdres.land")
    for target, value in values.items():
        if value is None:
            continue
        if target.endswith(".land"):
            _set(payload, target, _land(value, index, ctx, target))
            continue
        if target == "btwNummer":
            value = _vat_number(value, country.upper() if country else None, warnings)
            if value is None:
                continue
        if target == "email" and len(value) > 250:
            warnings.append(f"email left out: longer than 250 characters: {value!r}")
            continue
        _set(payload, target, fit(target, value, RELATIE_FIELDS[target], warnings))
    for adres in ("vestigingsAdres", "correspondentieAdres"):
        block = payload.get(adres)
        missing = [p for p in _ADDRESS_PARTS if block and not block.get(p)]
        if block and missing:
            warnings.append(f"{adres} left out: {', '.join(missing)} missing")
            del payload[adres]
    return payload, warnings


def relatie_payload(
    ctx: OrderContext, index: SnapshotIndex, rules: RuleSet
) -> tuple[dict[str, Any], list[str]]:
    """The RelatieWriteModel of a new customer, with its warnings.

    Raises:
        Unplannable: UNKNOWN_LAND when a country is not in SnelStart.
    """
    payload, warnings = _mapped(ctx, index, rules)
    if not payload.get("naam"):
        msg = f"order {ctx.order_id}: the customer has no name for `naam`"
        raise Unplannable(Reason.MISSING_FIELD, msg, field="naam")
    return {"relatiesoort": ["Klant"], **payload}, warnings


def update_payload(
    relatie: dict[str, Any], ctx: OrderContext, index: SnapshotIndex, rules: RuleSet
) -> tuple[dict[str, Any], list[str], bool]:
    """The full relatie to PUT for ``add_and_update``.

    With ``unmapped: keep`` the existing relatie is the base and mapped
    fields are laid over it; with ``clear`` only the mapped fields (and the
    identity: id, relatiecode, relatiesoort) are sent.

    Returns:
        The payload, its warnings and whether it differs from SnelStart's.
    """
    mapped, warnings = _mapped(ctx, index, rules)
    current = {k: v for k, v in relatie.items() if k not in _READ_ONLY}
    if rules.customers.processing.unmapped == "keep":
        payload = copy.deepcopy(current)
    else:
        payload = {
            k: current[k] for k in ("id", "relatiecode", "relatiesoort") if k in current
        }
    for key, value in mapped.items():
        if isinstance(value, dict) and isinstance(payload.get(key), dict):
            payload[key] = {**payload[key], **value}
        else:
            payload[key] = value
    payload.setdefault("relatiesoort", ["Klant"])
    return payload, warnings, payload != current


def order_address(
    address: dict[str, Any] | None,
    index: SnapshotIndex,
    ctx: OrderContext,
    target: str,
    warnings: list[str],
) -> dict[str, Any] | None:
    """An order address block (afleveradres / factuuradres) from a shop address."""
    if not address:
        return None

    def text(key: str) -> str:
        return collapse(html.unescape(str(address.get(key) or ""))) or ""

    first, last, company = text("firstname"), text("lastname"), text("company")
    contact = " ".join(p for p in (first, last) if p)
    street = " ".join(p for p in (text("address1"), text("address2")) if p)
    country = str(address.get("country_iso") or "").upper()
    block: dict[str, Any] = {
        "contactpersoon": fit(
            f"{target}.contactpersoon",
            f"{company} t.a.v. {contact}" if company else contact,
            50,
            warnings,
        ),
        "straat": fit(f"{target}.straat", street, 50, warnings),
        "postcode": fit(
            f"{target}.postcode",
            postcode_display(str(address.get("postcode") or ""), country) or "",
            25,
            warnings,
        ),
        "plaats": fit(f"{target}.plaats", text("city"), 50, warnings),
    }
    if country:
        block["land"] = _land(country, index, ctx, f"{target}.land")
    return {k: v for k, v in block.items() if v}
