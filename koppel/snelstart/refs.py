"""Plan placeholders (``{"$relatie": key}``, ``{"$artikel": code}``) and diffs.

Pure helpers: find which relaties and artikelen a payload needs, replace the
placeholders with SnelStart ids once they exist, and describe how two
versions of a payload differ (recorded when an order changes after booking).
"""

from __future__ import annotations

from typing import Any

__all__ = ["UnresolvedReference", "collect_refs", "diff_payloads", "resolve_refs"]

RELATIE = "$relatie"
ARTIKEL = "$artikel"
_DIFF_LIMIT = 50


class UnresolvedReference(LookupError):
    """A placeholder names a relatie or artikel that has no id (yet)."""

    def __init__(self, kind: str, key: str) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"no SnelStart id for {kind} `{key}`")


def _placeholder(value: Any) -> tuple[str, str] | None:
    if isinstance(value, dict) and len(value) == 1:
        ((name, key),) = value.items()
        if name in (RELATIE, ARTIKEL):
            return name[1:], str(key)
    return None


def collect_refs(payload: Any) -> tuple[set[str], set[str]]:
    """The relatie keys and artikel codes a payload refers to."""
    relaties: set[str] = set()
    artikelen: set[str] = set()
    stack = [payload]
    while stack:
        value = stack.pop()
        ref = _placeholder(value)
        if ref is not None:
            (relaties if ref[0] == "relatie" else artikelen).add(ref[1])
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)
    return relaties, artikelen


def resolve_refs(
    payload: Any, relatie_ids: dict[str, str], artikel_ids: dict[str, str]
) -> Any:
    """A copy of ``payload`` with every placeholder replaced by ``{"id": …}``.

    Raises:
        UnresolvedReference: when a key has no id.
    """
    ref = _placeholder(payload)
    if ref is not None:
        ids = relatie_ids if ref[0] == "relatie" else artikel_ids
        if ref[1] not in ids:
            raise UnresolvedReference(*ref)
        return {"id": ids[ref[1]]}
    if isinstance(payload, dict):
        return {
            k: resolve_refs(v, relatie_ids, artikel_ids) for k, v in payload.items()
        }
    if isinstance(payload, list | tuple):
        return [resolve_refs(v, relatie_ids, artikel_ids) for v in payload]
    return payload


def diff_payloads(old: Any, new: Any, path: str = "") -> list[dict[str, Any]]:
    """Paths where two payloads differ, with both values (at most 50)."""
    changes: list[dict[str, Any]] = []
    _diff(old, new, path, changes)
    return changes[:_DIFF_LIMIT]


def _diff(old: Any, new: Any, path: str, out: list[dict[str, Any]]) -> None:
    if len(out) >= _DIFF_LIMIT:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=str):
            _diff(old.get(key), new.get(key), f"{path}.{key}" if path else key, out)
    elif isinstance(old, list) and isinstance(new, list):
        for i in range(max(len(old), len(new))):
            a = old[i] if i < len(old) else None
            b = new[i] if i < len(new) else None
            _diff(a, b, f"{path}[{i}]", out)
    elif _comparable(old) != _comparable(new):
        out.append({"path": path, "old": old, "new": new})


def _comparable(value: Any) -> Any:
    # booked payloads come back from JSON, new ones hold Decimals
    if isinstance(value, int | float) and not isinstance(value, bool):
        from decimal import Decimal

        return Decimal(str(value)).normalize()
    if hasattr(value, "normalize"):
        return value.normalize()
    return value
