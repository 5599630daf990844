"""A small in-memory webservice for unit tests, served by httpx.MockTransport.

It understands just enough of the list language (``filter[f]=[a|b]``,
``[lo,hi]``, ``>[x]``, ``sort``, ``limit``, ``date=1``) to drive the client
and the pager; the PrestaShop sandbox covers the rest. Every request is
recorded, and ``faults`` lets a test answer chosen requests differently.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

KEY = "TESTKEY0000000000000000000000001"

Fault = Callable[[httpx.Request], httpx.Response | None]


def _cmp(cell: str, value: str) -> int:
    if re.fullmatch(r"-?\d+(\.\d+)?", cell) and re.fullmatch(r"-?\d+(\.\d+)?", value):
        a, b = Decimal(cell), Decimal(value)
    else:
        a, b = cell, value  # type: ignore[assignment]
    return (a > b) - (a < b)


def _matches(cell: Any, expr: str) -> bool:
    cell = str(cell)
    if expr.startswith(">["):
        return _cmp(cell, expr[2:-1]) > 0
    if expr.startswith("<["):
        return _cmp(cell, expr[2:-1]) < 0
    body = expr[1:-1]
    if "|" in body:
        return cell in body.split("|")
    if re.fullmatch(r"[\d.:\-\s]+,[\d.:\-\s]+", body):
        low, high = sorted(body.split(","))
        return _cmp(cell, low) >= 0 and _cmp(cell, high) <= 0
    return _cmp(cell, body) == 0


@dataclass
class FakeShop:
    """Records per resource, plus switches for the shapes tests need."""

    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    empty_shape: Any = "object"  # "object" → {"orders": []}; else sent as is
    refuse_date_sort: bool = False
    broken: dict[str, set[int]] = field(default_factory=dict)  # PHP notice ids
    faults: list[Fault] = field(default_factory=list)
    seen: list[httpx.Request] = field(default_factory=list)

    def transport(self) -> httpx.MockTransport:
        """The MockTransport that answers for this shop."""
        return httpx.MockTransport(self.handle)

    def paths(self) -> list[str]:
        """The resource of every request so far."""
        return [r.url.path.rsplit("/", 1)[-1] for r in self.seen]

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        for fault in self.faults:
            response = fault(request)
            if response is not None:
                return response
        auth = request.headers.get("authorization", "")
        if auth != httpx.BasicAuth(KEY, "")._auth_header:
            return httpx.Response(401, text="401 Unauthorized")
        resource = request.url.path.rsplit("/", 1)[-1]
        params = dict(request.url.params)
        return self.answer(resource, params)

    def answer(self, resource: str, params: dict[str, str]) -> httpx.Response:
        rows = list(self.records.get(resource, []))
        dated = params.get("date") == "1"
        for key, expr in params.items():
            if not key.startswith("filter["):
                continue
            name = key[7:-1]
            if name in ("date_upd", "date_add") and not dated:
                return _error(400, 32, "filter needs date=1")
            rows = [r for r in rows if _matches(r.get(name), expr)]
        sort = params.get("sort")
        if sort:
            items = sort.strip("[]").split(",")
            if self.refuse_date_sort and any("date_upd" in i for i in items):
                return httpx.Response(
                    500,
                    json={
                        "errors": [
                            {"code": 38, "message": "x"},
                            {"code": 3, "message": "y"},
                        ]
                    },
                )
            for item in reversed(items):
                name, _, way = item.rpartition("_")
                rows.sort(
                    key=lambda r, n=name: _sort_key(r.get(n)), reverse=way == "DESC"
                )
        if "limit" in params:
            parts = [int(p) for p in params["limit"].split(",")]
            offset, count = (0, parts[0]) if len(parts) == 1 else parts
            rows = rows[offset : offset + count]
        broken = self.broken.get(resource, set())
        if "display" in params and any(r.get("id") in broken for r in rows):
            return _error(500, 5, "[PHP Notice #8] Trying to access array offset")
        if not rows and self.empty_shape != "object":
            return httpx.Response(200, content=json.dumps(self.empty_shape))
        return httpx.Response(200, content=json.dumps({resource: rows}))


def _sort_key(value: Any) -> tuple[int, Any]:
    text = str(value)
    if re.fullmatch(r"-?\d+", text):
        return (0, int(text))
    return (1, text)


def _error(status: int, code: int, message: str) -> httpx.Response:
    return httpx.Response(status, json={"errors": [{"code": code, "message": message}]})
