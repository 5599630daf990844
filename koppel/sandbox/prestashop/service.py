"""One webservice request, answered as PrestaShop's dispatcher would.

Framework-free: :class:`Webservice` takes a :class:`WsRequest` and returns
an :class:`Answer` (status, body, headers, delay); ``app.py`` only adapts it
to FastAPI. Checks run in PrestaShop's order: hosting rate limit, missing
key, webservice switch, key, shop context, resource, method, language, then
the GET/PUT itself.
"""

from __future__ import annotations

import base64
import binascii
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from koppel.sandbox.prestashop import faults, writes
from koppel.sandbox.prestashop.answer import JSON_TYPE, XML_TYPE, Answer
from koppel.sandbox.prestashop.errors import WebserviceError
from koppel.sandbox.prestashop.options import SandboxOptions
from koppel.sandbox.prestashop.query import (
    Display,
    Filter,
    ListQuery,
    closest,
    parse_display,
    parse_list_query,
    select_records,
)
from koppel.sandbox.prestashop.render import (
    Renderer,
    dumps_json,
    errors_json,
    errors_xml,
)
from koppel.sandbox.prestashop.resources import RESOURCES, WRITABLE, ResourceSpec
from koppel.sandbox.prestashop.store import Record, Shop

__all__ = ["Answer", "Webservice", "WsRequest"]

REALM = 'Basic realm="PrestaShop Webservice (sandbox): the key is the user name"'
_METHODS = ("GET", "PUT", "POST", "PATCH", "DELETE", "HEAD")
_DEFAULT_PERMISSIONS = frozenset({"GET", "HEAD", "PUT"})
_INDEXED = frozenset({"eq", "in", "between"})


@dataclass
class WsRequest:
    """The parts of an HTTP request the webservice looks at."""

    method: str
    path: str
    params: dict[str, str]
    headers: Mapping[str, str]
    body: bytes = b""
    base_url: str = "http://127.0.0.1/api/"


class Webservice:
    """Answers requests against one shop with one set of options."""

    def __init__(
        self,
        shop: Shop,
        options: SandboxOptions,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.shop, self.options, self.clock = shop, options, clock
        self.timezone = (
            ZoneInfo(options.timezone) if options.timezone else shop.timezone
        )
        self._hits: deque[float] = deque()
        self._count = 0
        self._lock = threading.Lock()

    def handle(self, request: WsRequest) -> Answer:
        """Answer one request."""
        hosting = self._hosting(request)
        if hosting is not None:
            return hosting
        fmt = output_format(request.headers, request.params)
        key = self._key(request)
        if key is None:
            return Answer(
                401, "401 Unauthorized", "text/plain", {"WWW-Authenticate": REALM}
            )
        try:
            return self._serve(request, fmt, key)
        except faults.FatalPage as page:
            return faults.fatal_answer(page)
        except WebserviceError as error:
            answer = error_answer(fmt, error)
            answer.authenticated = error.code not in (16, 17, 18, 20, 21, 22)
            if error.status == 401 and not answer.authenticated:
                answer.headers["WWW-Authenticate"] = REALM
            return answer

    # --- the checks, in PrestaShop's order ---------------------------------

    def _hosting(self, request: WsRequest) -> Answer | None:
        with self._lock:
            self._count += 1
            count = self._count
            limited = self._rate_limited()
        if limited:
            return faults.rate_limited(self.options)
        every = self.options.fault_every
        if every and count % every == 0 and not self.options.debug_mode:
            return error_answer(
                output_format(request.headers, request.params), faults.php_notice()
            )
        return None

    def _rate_limited(self) -> bool:
        limit = self.options.rate_limit
        if not limit:
            return False
        now = self.clock()
        while self._hits and self._hits[0] <= now - self.options.rate_window:
            self._hits.popleft()
        if len(self._hits) >= limit:
            return True
        self._hits.append(now)
        return False

    def _key(self, request: WsRequest) -> str | None:
        header = (
            None
            if self.options.strip_authorization
            else _header(request, "authorization")
        )
        if header and header[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                decoded = None
            if decoded is not None:
                return decoded.partition(":")[0].strip()
        return request.params.get("ws_key")

    def _serve(self, request: WsRequest, fmt: str, key: str) -> Answer:
        if not self.options.webservice_enabled:
            raise WebserviceError(
                503, 22, "the webservice of this shop is switched off"
            )
        _check_key(key, self.options.key)
        shops = self._shop_context(request.params)
        resource = request.path.strip("/").split("/")[0]
        spec = self._resource(resource)
        self._check_method(request.method, resource)
        renderer = Renderer(
            request.base_url, self.timezone, self._languages(request.params)
        )
        if spec is None:
            return faults.root_listing(self.options, fmt, renderer, self._allowed())
        with self.shop.lock:
            if request.method == "PUT":
                return writes.put(self, request, fmt, spec, renderer)
            return self._get(request, fmt, spec, renderer, shops)

    def _shop_context(self, params: Mapping[str, str]) -> set[int] | None:
        existing = set(self.shop.table("shops"))
        group = params.get("id_shop_group") or params.get("id_group_shop")
        if group is not None and group.isdigit():
            shops = {
                s["id"]
                for s in self.shop.table("shops").values()
                if s["id_shop_group"] == group
            }
            if not shops:
                raise WebserviceError(500, 999, f"shop group {group!r} has no shops")
        elif "id_shop" in params:
            value = params["id_shop"]
            if value == "all":
                shops = existing
            elif value.lstrip("-").isdigit():
                shops = {int(value)}
            else:
                raise WebserviceError(404, 999, f"shop id {value!r} does not exist")
        else:
            shops = {self.options.default_shop}
        bound = (
            set(self.options.key_shops)
            if self.options.key_shops is not None
            else existing
        )
        if not shops & bound:
            raise WebserviceError(
                403, 132, f"the key has no access to shop(s) {sorted(shops)}"
            )
        return shops if self.options.multishop else None

    def _resource(self, name: str) -> ResourceSpec | None:
        if name == "":
            return None
        if name not in RESOURCES:
            guess = closest(name, sorted(RESOURCES))
            msg = f"resource {name!r} does not exist; did you mean {guess!r}?"
            raise WebserviceError(400, 27, msg)
        if name not in self._allowed():
            msg = f"resource {name!r} is not allowed with this key"
            raise WebserviceError(401, 26, msg)
        return RESOURCES[name]

    def _allowed(self) -> dict[str, frozenset[str]]:
        permissions = self.options.permissions
        if permissions is None:
            return {name: _DEFAULT_PERMISSIONS for name in RESOURCES}
        return {
            name: frozenset(m.upper() for m in methods)
            for name, methods in permissions.items()
        }

    def _check_method(self, method: str, resource: str) -> None:
        if method not in _METHODS:
            raise WebserviceError(405, 23, f"method {method!r} is not valid")
        if not resource:
            return
        if method not in ("GET", "HEAD", "PUT") or (
            method == "PUT" and resource not in WRITABLE
        ):
            msg = f"the sandbox does not allow {method} on {resource!r}"
            raise WebserviceError(405, 101, msg)
        if method not in self._allowed().get(resource, ()):
            msg = f"method {method} on {resource!r} is not allowed with this key"
            raise WebserviceError(405, 25, msg)

    def _languages(self, params: Mapping[str, str]) -> tuple[str, ...]:
        available = ("1", "2") if self.options.multilang else ("1",)
        wanted = params.get("language")
        if wanted is None:
            return available
        chosen = [lang for lang in parse_languages(wanted) if lang in available]
        if not chosen:
            raise WebserviceError(400, 81, f"language {wanted!r} is not available")
        return tuple(chosen)

    # --- GET -------------------------------------------------------------

    def _get(
        self,
        request: WsRequest,
        fmt: str,
        spec: ResourceSpec,
        renderer: Renderer,
        shops: set[int] | None,
    ) -> Answer:
        params = request.params
        schema = params.get("schema")
        if schema is not None:
            return faults.schema_answer(schema, fmt, spec, renderer)
        parts = request.path.strip("/").split("/")
        if len(parts) > 1 and parts[1] != "":
            return self._single(parts[1], params, fmt, spec, renderer, shops)
        query = parse_list_query(
            params, spec, refuse_date_sort=self.options.refuses_date_sort
        )
        candidates = self._candidates(spec, query, shops)
        page = select_records(candidates, query, renderer.cell)
        if query.display is not None:
            faults.check_records(self.options, spec, page)
        if fmt == "JSON":
            body = dumps_json(
                renderer.list_json(spec, page, query.display, self.options.empty_style)
            )
        else:
            body = renderer.list_xml(spec, page, query.display)
        return self._ok(fmt, body, len(page), full=query.display is not None)

    def _single(
        self,
        raw_id: str,
        params: Mapping[str, str],
        fmt: str,
        spec: ResourceSpec,
        renderer: Renderer,
        shops: set[int] | None,
    ) -> Answer:
        display = parse_display(params.get("display"), spec)
        record = self.shop.get(spec.name, _php_int(raw_id))
        if record is None:
            return Answer(404)
        if (
            shops is not None
            and spec.shop_scoped
            and int(record["id_shop"]) not in shops
        ):
            msg = f"{spec.singular} {record['id']} does not exist on this shop"
            raise WebserviceError(404, 131, msg)
        faults.check_records(self.options, spec, [record])
        if "display" in params:
            shown = display or Display()
            if fmt == "JSON":
                body = dumps_json(renderer.list_json(spec, [record], shown, "object"))
            else:
                body = renderer.list_xml(spec, [record], shown)
        elif fmt == "JSON":
            body = dumps_json(
                renderer.single_json(spec, record, drop_falsy=self.options.drops_falsy)
            )
        else:
            body = renderer.single_xml(spec, record)
        return self._ok(fmt, body, 1, full=True)

    def _candidates(
        self, spec: ResourceSpec, query: ListQuery, shops: set[int] | None
    ) -> Iterable[Record]:
        records = self._indexed(spec, query.filters)
        if records is None:
            records = self.shop.table(spec.name).values()
        if shops is None or not spec.shop_scoped:
            return records
        return (r for r in records if int(r["id_shop"]) in shops)

    def _indexed(
        self, spec: ResourceSpec, filters: tuple[Filter, ...]
    ) -> list[Record] | None:
        """Candidates found through an index, so a page does not scan the table."""
        table = self.shop.table(spec.name)
        for flt in filters:
            if flt.field not in ("id", "id_order") or flt.kind not in _INDEXED:
                continue
            if not all(v.strip().isdigit() for v in flt.values):
                continue
            ids = [int(v) for v in flt.values]
            if flt.kind == "between":
                if ids[1] - ids[0] > len(table):
                    continue
                ids = list(range(ids[0], ids[1] + 1))
            if flt.field == "id":
                return [table[i] for i in sorted(set(ids)) if i in table]
            rows = [r for i in set(ids) for r in self.shop.children(spec.name, i)]
            return sorted(rows, key=lambda r: r["id"])
        return None

    def _ok(self, fmt: str, body: str, count: int, *, full: bool) -> Answer:
        per_record = self.options.latency_per_record * (1 if full else 0.05)
        return Answer(
            200,
            body,
            JSON_TYPE if fmt == "JSON" else XML_TYPE,
            delay=self.options.latency_base + per_record * count,
            authenticated=True,
        )


def output_format(headers: Mapping[str, str], params: Mapping[str, str]) -> str:
    """JSON only for the exact value ``JSON``; headers win over parameters."""
    lowered = {k.lower(): v for k, v in headers.items()}
    for value in (
        lowered.get("io-format"),
        lowered.get("output-format"),
        params.get("output_format"),
        params.get("io_format"),
    ):
        if value is not None:
            return "JSON" if value == "JSON" else "XML"
    return "XML"


def parse_languages(value: str) -> list[str]:
    """``1``, ``[1|2]`` or ``[1,3]`` as a list of language ids.

    Raises:
        WebserviceError: 78 for a bad range, 79 for a bad value.
    """
    if value.isdigit():
        return [str(int(value))]
    if not (value.startswith("[") and value.endswith("]")):
        raise WebserviceError(400, 79, f"language value {value!r} is wrong")
    body = value[1:-1]
    if "," in body:
        bounds = body.split(",")
        if len(bounds) != 2 or not all(b.isdigit() for b in bounds):
            raise WebserviceError(400, 78, f"language range {value!r} needs two ids")
        return [str(i) for i in range(int(bounds[0]), int(bounds[1]) + 1)]
    return [part for part in body.split("|") if part.isdigit()]


def error_answer(fmt: str, error: WebserviceError) -> Answer:
    """PrestaShop's error envelope in the requested format."""
    if fmt == "JSON":
        return Answer(error.status, errors_json(error.errors), JSON_TYPE)
    return Answer(error.status, errors_xml(error.errors), XML_TYPE)


def _check_key(key: str, accepted: str) -> None:
    if key == "":
        raise WebserviceError(401, 17, "the webservice key is empty")
    if len(key) != 32:
        raise WebserviceError(401, 18, "the webservice key must be 32 characters long")
    if key != accepted:
        raise WebserviceError(401, 20, "the webservice key is unknown or not active")


def _header(request: WsRequest, name: str) -> str | None:
    for key, value in request.headers.items():
        if key.lower() == name:
            return value
    return None


def _php_int(text: str) -> int:
    digits = ""
    for char in text.strip():
        if not char.isdigit():
            break
        digits += char
    return int(digits) if digits else 0
