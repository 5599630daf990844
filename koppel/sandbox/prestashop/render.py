"""Shape records and errors as PrestaShop's JSON and XML output does.

Timestamps become shop-local strings without offset, multi-language fields
become a plain string when one language is shown and a list of
``{"id", "value"}`` objects otherwise, empty associations vanish from JSON,
and the version quirks (bare ``[]`` for empty lists on 1.7, falsy fields
dropped from single records on 8.x/9.x) are applied here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from koppel.sandbox.prestashop.query import Cell, Display
from koppel.sandbox.prestashop.resources import LINKS, Association, ResourceSpec

__all__ = ["Renderer", "dumps_json", "local_text"]

EmptyStyle = Literal["array", "object"]
_XML_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">\n'
)
_XML_TAIL = "</prestashop>\n"


# (id of a stored datetime, zone) -> (that datetime, its text). Keyed by id
# because hashing aware datetimes costs a UTC-offset lookup each time.
_TEXTS: dict[tuple[int, str], tuple[datetime, str]] = {}


def local_text(moment: datetime, timezone: ZoneInfo) -> str:
    """A timestamp as the shop writes it: local wall time, no offset."""
    key = (id(moment), timezone.key)
    hit = _TEXTS.get(key)
    if hit is not None and hit[0] is moment:
        return hit[1]
    text = moment.astimezone(timezone).strftime("%Y-%m-%d %H:%M:%S")
    if len(_TEXTS) > 500_000:
        _TEXTS.clear()
    _TEXTS[key] = (moment, text)
    return text


def dumps_json(data: Any) -> str:
    """Serialise like PHP's ``json_encode`` with unescaped unicode."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("/", "\\/")


def _php_truthy(value: Any) -> bool:
    return value not in ("", "0", None, 0, False) and value != [] and value != {}


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


@dataclass(frozen=True)
class Renderer:
    """Renders records for one request (base URL, timezone, languages)."""

    base_url: str
    timezone: ZoneInfo
    languages: tuple[str, ...] = ("1",)

    # --- values ----------------------------------------------------------

    def cell(self, record: dict[str, Any], field: str) -> Cell:
        """A field's text as the database compares it (for filters and sorts)."""
        value = record.get(field)
        if isinstance(value, datetime):
            return local_text(value, self.timezone)
        if isinstance(value, dict):
            return tuple(value.get(lang, "") for lang in self.languages)
        if value is None:
            return None
        return str(value)

    def value(self, value: Any) -> Any:
        """A stored value as JSON shows it."""
        if isinstance(value, datetime):
            return local_text(value, self.timezone)
        if isinstance(value, dict):
            if len(self.languages) == 1:
                return value.get(self.languages[0], "")
            return [
                {"id": lang, "value": value.get(lang, "")} for lang in self.languages
            ]
        return value

    # --- JSON ------------------------------------------------------------

    def record_json(
        self, spec: ResourceSpec, record: dict[str, Any], display: Display | None
    ) -> dict[str, Any]:
        """One record with the displayed fields and non-empty associations."""
        selected = None if display is None else display.fields
        out = {
            f: self.value(record.get(f))
            for f in spec.fields
            if selected is None or f in selected
        }
        associations = self._associations(spec, record, selected)
        if associations:
            out["associations"] = associations
        return out

    def list_json(
        self,
        spec: ResourceSpec,
        records: Sequence[dict[str, Any]],
        display: Display | None,
        empty_style: EmptyStyle,
    ) -> Any:
        """A list response; ids only when ``display`` is absent."""
        if not records and empty_style == "array":
            return []
        if display is None:
            items = [{"id": r["id"]} for r in records]
        else:
            items = [self.record_json(spec, r, display) for r in records]
        return {spec.envelope: items}

    def single_json(
        self, spec: ResourceSpec, record: dict[str, Any], *, drop_falsy: bool
    ) -> dict[str, Any]:
        """A single-record response (``/api/orders/1`` without ``display``)."""
        body = self.record_json(spec, record, Display())
        if drop_falsy:
            body = {k: v for k, v in body.items() if _php_truthy(v)}
        return {spec.singular: body}

    def _associations(
        self,
        spec: ResourceSpec,
        record: dict[str, Any],
        selected: Any,
    ) -> dict[str, list[dict[str, str]]]:
        stored = record.get("associations") or {}
        result = {}
        for assoc in spec.associations:
            items = stored.get(assoc.name)
            if not items or (selected is not None and assoc.name not in selected):
                continue
            subfields = None if selected is None else selected[assoc.name]
            if subfields is not None:
                items = [{k: v for k, v in i.items() if k in subfields} for i in items]
            result[assoc.name] = items
        return result

    # --- XML -------------------------------------------------------------

    def list_xml(
        self,
        spec: ResourceSpec,
        records: Sequence[dict[str, Any]],
        display: Display | None,
    ) -> str:
        """A list response in XML; ids with links when ``display`` is absent."""
        parts = [_XML_HEAD, f"<{spec.envelope}>\n"]
        for record in records:
            if display is None:
                href = f"{self.base_url}{spec.name}/{record['id']}"
                parts.append(
                    f'<{spec.singular} id="{record["id"]}" xlink:href="{href}"/>\n'
                )
            else:
                parts.append(self._record_xml(spec, record, display))
        parts += [f"</{spec.envelope}>\n", _XML_TAIL]
        return "".join(parts)

    def single_xml(self, spec: ResourceSpec, record: dict[str, Any]) -> str:
        """A single-record response in XML."""
        return _XML_HEAD + self._record_xml(spec, record, Display()) + _XML_TAIL

    def _record_xml(
        self, spec: ResourceSpec, record: dict[str, Any], display: Display
    ) -> str:
        selected = display.fields
        lines = [f"<{spec.singular}>\n"]
        for field in spec.fields:
            if selected is None or field in selected:
                lines.append("\t" + self._field_xml(spec, field, record.get(field)))
        if selected is None or any(a.name in selected for a in spec.associations):
            lines.append(self._associations_xml(spec, record, selected))
        lines.append(f"</{spec.singular}>\n")
        return "".join(lines)

    def _field_xml(self, spec: ResourceSpec, field: str, value: Any) -> str:
        if isinstance(value, dict):
            langs = "".join(
                f'<language id="{lang}" xlink:href="{self.base_url}languages/{lang}">'
                f"{_cdata(value.get(lang, ''))}</language>"
                for lang in self.languages
            )
            return f"<{field}>{langs}</{field}>\n"
        attrs = ' notFilterable="true"' if field in spec.getters else ""
        text = "" if value is None else str(self.value(value))
        if field in LINKS and text not in ("", "0"):
            attrs += f' xlink:href="{self.base_url}{LINKS[field]}/{text}"'
        body = "" if value is None else _cdata(text)
        return f"<{field}{attrs}>{body}</{field}>\n"

    def _associations_xml(
        self, spec: ResourceSpec, record: dict[str, Any], selected: Any
    ) -> str:
        if not spec.associations:
            return ""
        stored = record.get("associations") or {}
        parts = ["\t<associations>\n"]
        for assoc in spec.associations:
            if selected is None or assoc.name in selected:
                subfields = None if selected is None else selected[assoc.name]
                items = stored.get(assoc.name, [])
                parts.append(self._association_xml(assoc, items, subfields))
        parts.append("\t</associations>\n")
        return "".join(parts)

    def _association_xml(
        self,
        assoc: Association,
        items: Iterable[dict[str, str]],
        subfields: Sequence[str] | None,
    ) -> str:
        kind = f' api="{assoc.api}"' if assoc.api else ' virtualEntity="true"'
        head = f'\t<{assoc.name} nodeType="{assoc.node}"{kind}'
        body = []
        for item in items:
            href = ""
            if assoc.api:
                href = f' xlink:href="{self.base_url}{assoc.api}/{item["id"]}"'
            body.append(f"\t<{assoc.node}{href}>\n")
            for key, text in item.items():
                if subfields is None or key in subfields:
                    body.append(f"\t<{key}>{_cdata(str(text))}</{key}>\n")
            body.append(f"\t</{assoc.node}>\n")
        if not body:
            return head + "/>\n"
        return head + ">\n" + "".join(body) + f"\t</{assoc.name}>\n"


def errors_json(errors: Sequence[tuple[int, str]]) -> str:
    """PrestaShop's JSON error envelope."""
    return dumps_json({"errors": [{"code": c, "message": m} for c, m in errors]})


def errors_xml(errors: Sequence[tuple[int, str]]) -> str:
    """PrestaShop's XML error envelope."""
    items = "".join(
        f"<error>\n<code>{_cdata(str(c))}</code>\n<message>{_cdata(m)}</message>\n"
        "</error>\n"
        for c, m in errors
    )
    return _XML_HEAD + "<errors>\n" + items + "</errors>\n" + _XML_TAIL
