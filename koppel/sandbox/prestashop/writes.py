"""PUT on products and stock_availables, for the later export direction.

Like PrestaShop, the body must be XML (8.x produces JSON but never reads
it), every entity needs its ``id``, and a PUT replaces the record: writable
fields missing from the body are emptied, required ones missing are refused.
Updating a product moves its ``date_upd``; updating stock does not.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from datetime import datetime
from typing import TYPE_CHECKING, Any

from koppel.sandbox.prestashop.answer import JSON_TYPE, XML_TYPE, Answer
from koppel.sandbox.prestashop.errors import WebserviceError
from koppel.sandbox.prestashop.render import Renderer, dumps_json
from koppel.sandbox.prestashop.resources import ResourceSpec

if TYPE_CHECKING:
    from koppel.sandbox.prestashop.service import Webservice, WsRequest

__all__ = ["put"]

_KEEP = frozenset({"id", "date_add", "date_upd"})


def put(
    service: Webservice,
    request: WsRequest,
    fmt: str,
    spec: ResourceSpec,
    renderer: Renderer,
) -> Answer:
    """Apply a PUT body and answer with the updated record.

    Raises:
        WebserviceError: 127 unreadable XML, 89/90 missing or duplicate ids,
            92 unknown id, 41 a required field is missing.
    """
    entities = _entities(request.body)
    ids = [_entity_id(e) for e in entities]
    if len(set(ids)) != len(ids):
        raise WebserviceError(400, 89, "an id appears twice in the request")
    if None in ids or not ids:
        raise WebserviceError(400, 90, "every entity needs its `id` for a PUT")
    when = service.options.now or service.shop.tick()
    updated = []
    for entity, record_id in zip(entities, ids, strict=True):
        if service.shop.get(spec.name, record_id or 0) is None:
            raise WebserviceError(
                404, 92, f"{spec.singular} {record_id} does not exist"
            )
        values = _values(entity, spec, renderer.languages)
        updated.append(_apply(service, spec, record_id or 0, values, when))
    record = updated[0]
    if fmt == "JSON":
        single = renderer.single_json(
            spec, record, drop_falsy=service.options.drops_falsy
        )
        body = dumps_json(single)
        return Answer(200, body, JSON_TYPE, authenticated=True)
    return Answer(200, renderer.single_xml(spec, record), XML_TYPE, authenticated=True)


def _entities(body: bytes) -> list[ElementTree.Element]:
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        msg = f"the body is not readable XML ({exc}); length {len(body)}"
        raise WebserviceError(500, 127, msg) from exc
    return list(root)


def _entity_id(entity: ElementTree.Element) -> int | None:
    text = (entity.findtext("id") or "").strip()
    return int(text) if text.isdigit() else None


def _values(
    entity: ElementTree.Element, spec: ResourceSpec, languages: tuple[str, ...]
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in spec.fields:
        if name in _KEEP or name in spec.getters:
            continue
        node = entity.find(name)
        if node is None:
            if name in spec.required:
                raise WebserviceError(400, 41, f"field {name!r} is required")
            if name not in spec.i18n:
                values[name] = ""
            continue
        values[name] = (
            _i18n(node, languages) if name in spec.i18n else (node.text or "").strip()
        )
    return values


def _i18n(node: ElementTree.Element, languages: tuple[str, ...]) -> dict[str, str]:
    translations = {
        lang.get("id", ""): (lang.text or "") for lang in node.findall("language")
    }
    if not translations:
        return dict.fromkeys(("1", "2"), (node.text or "").strip())
    return translations


def _apply(
    service: Webservice,
    spec: ResourceSpec,
    record_id: int,
    values: dict[str, Any],
    when: datetime,
) -> dict[str, Any]:
    record = service.shop.get(spec.name, record_id) or {}
    for name, value in values.items():
        if isinstance(value, dict):
            merged = dict(record.get(name) or {})
            merged.update(value)
            values[name] = merged
        elif isinstance(record.get(name), int) and value.lstrip("-").isdigit():
            values[name] = int(value)
    return service.shop.update_record(spec.name, record_id, values, when)
