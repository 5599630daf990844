"""Check SnelStart requests and responses against the B2B API v2 definition.

The OpenAPI file is SnelStart's own and is not shipped with koppel: it is
read from ``../shared/snelstart/`` next to the checkout, or from the path in
``KOPPEL_SNELSTART_OPENAPI``. openapi-core is imported only when a contract
is loaded (it is a dev dependency).

Three adjustments make the real definition usable, each one a documented
quirk of it rather than a loosening of the contract:

- the document itself is not validated first (``$top`` of ``GET
  /artikelen`` has default 500 above its maximum 25);
- date-times are accepted without an offset, as the real API sends them;
- calls are matched on path only: the ``servers`` entry names the real host.

What the definition does not cover is checked against the shapes the
reference documents: the token response, the gateway's ``{statusCode,
message}`` bodies (401, 429, 5xx) and the three error body shapes of 400s.
"""

from __future__ import annotations

import functools
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import yaml

from koppel.exceptions import KoppelError

__all__ = [
    "Contract",
    "ContractTransport",
    "ContractViolation",
    "default_spec_path",
    "load_contract",
]

ENV_VAR = "KOPPEL_SNELSTART_OPENAPI"
_HOST = "http://snelstart.contract"
_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})?"
)
_GATEWAY_STATUSES = {401, 429, 502, 503, 504}
_READ_ONLY = "read-only property"


class ContractViolation(KoppelError):
    """A request or response breaks the SnelStart contract."""

    def __init__(self, where: str, problems: list[str]) -> None:
        self.where = where
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{where} breaks the SnelStart contract:\n{lines}")


def default_spec_path() -> Path:
    """Where the OpenAPI definition is looked for."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override)
    root = Path(__file__).resolve().parents[3]
    return root.parent / "shared" / "snelstart" / "snelstart-b2b-api-v2.openapi.yaml"


def load_contract(path: str | os.PathLike[str] | None = None) -> Contract:
    """Load the contract (cached per path).

    Raises:
        FileNotFoundError: the OpenAPI file is absent; tests skip on this.
    """
    spec_path = Path(path) if path is not None else default_spec_path()
    if not spec_path.is_file():
        msg = (
            f"SnelStart OpenAPI definition not found at `{spec_path}`; "
            f"set {ENV_VAR} to its path"
        )
        raise FileNotFoundError(msg)
    return _load(str(spec_path.resolve()))


@functools.lru_cache(maxsize=4)
def _load(path: str) -> Contract:
    from openapi_core import Config, OpenAPI  # dev dependency, loaded lazily

    with open(path, encoding="utf-8") as handle:
        spec = yaml.safe_load(handle)
    _cap_defaults(spec)
    base_path = urlsplit(spec["servers"][0]["url"]).path
    spec["servers"] = [{"url": f"{_HOST}{base_path}"}]
    config = Config(
        spec_validator_cls=None,
        extra_format_validators={"date-time": _is_date_time},
    )
    return Contract(OpenAPI.from_dict(spec, config=config), base_path)


def _cap_defaults(spec: dict[str, Any]) -> None:
    """Lower parameter defaults that exceed their maximum to that maximum.

    ``GET /artikelen`` declares ``$top`` default 500, maximum 25; a validator
    would otherwise fill in 500 for a request without ``$top`` and refuse it.
    """
    for operations in spec["paths"].values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                top, default = schema.get("maximum"), schema.get("default")
                if isinstance(top, int) and isinstance(default, int) and default > top:
                    schema["default"] = top


def _is_date_time(value: Any) -> bool:
    return not isinstance(value, str) or bool(_DATE_TIME.fullmatch(value))


@dataclass(frozen=True)
class Contract:
    """The loaded definition; check calls with `check` or `validate`."""

    openapi: Any
    base_path: str

    def validate(
        self, request: httpx.Request, response: httpx.Response | None = None
    ) -> None:
        """Raise when the request (and the response, if given) break the contract.

        Raises:
            ContractViolation: listing every problem found.
        """
        problems = self.check(request, response)
        if problems:
            where = f"{request.method} {_api_path(request, self.base_path)}"
            raise ContractViolation(where, problems)

    def check(
        self, request: httpx.Request, response: httpx.Response | None = None
    ) -> list[str]:
        """Problems of a request and, when given, its response ([] when fine).

        Args:
            request: the request as sent (to the sandbox or the real API).
            response: its answer; None checks the request alone.
        """
        path = urlsplit(str(request.url)).path
        if path.endswith("/b2b/token"):
            return _check_token(request, response)
        problems = self.check_request(request)
        if response is not None:
            problems += self.check_response(request, response)
        return problems

    def check_request(
        self, request: httpx.Request, *, allow_read_only: bool = True
    ) -> list[str]:
        """Problems of a request alone ([] when it fits the definition).

        Args:
            request: the request as sent.
            allow_read_only: accept read-only properties (``uri``,
                ``modifiedOn``, …) in bodies. The real API ignores them and
                SnelStart's own examples send them; pass False to flag them.
        """
        if urlsplit(str(request.url)).path.endswith("/b2b/token"):
            return _check_token(request, None)
        adapter = _Request(request, self.base_path)
        try:
            self.openapi.validate_request(adapter)
        except Exception as exc:  # openapi-core raises a family of errors
            details = _schema_errors(exc)
            if allow_read_only:
                kept = [d for d in details if _READ_ONLY not in d]
                if details and not kept:
                    return []
                details = kept
            return [f"request: {type(exc).__name__}: {exc}", *details]
        return []

    def check_response(
        self, request: httpx.Request, response: httpx.Response
    ) -> list[str]:
        """Problems of a response to a request ([] when it fits)."""
        if urlsplit(str(request.url)).path.endswith("/b2b/token"):
            return [p for p in _check_token(request, response) if "response" in p]
        status = response.status_code
        if status in _GATEWAY_STATUSES:
            return _check_gateway(response)
        problems = _check_error_shape(response) if status >= 400 else []
        if status >= 500:
            return problems
        try:
            self.openapi.validate_response(
                _Request(request, self.base_path), _Response(response)
            )
        except Exception as exc:  # openapi-core raises a family of errors
            # The definition omits error statuses the API does send (a 400
            # for a too large $top on a GET list): the documented shape
            # checked above is then the contract.
            if not (status >= 400 and type(exc).__name__ == "ResponseNotFound"):
                problems.append(f"response {status}: {_describe(exc)}")
        return problems


def _describe(exc: Exception) -> str:
    return "; ".join([f"{type(exc).__name__}: {exc}", *_schema_errors(exc)])


def _schema_errors(exc: BaseException) -> list[str]:
    found = []
    for source in (exc, exc.__cause__):
        for detail in getattr(source, "schema_errors", None) or []:
            location = "/".join(str(p) for p in getattr(detail, "path", []))
            found.append(f"at `{location}`: {getattr(detail, 'message', detail)}")
    return found


def _json(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content or b"null")
    except ValueError:
        return None


def _check_token(request: httpx.Request, response: httpx.Response | None) -> list:
    problems = []
    form = parse_qs(request.content.decode("utf-8", "replace"))
    if form.get("grant_type", [""])[0] not in ("clientkey", "password"):
        problems.append("token request: `grant_type` must be clientkey or password")
    if "clientkey" in urlsplit(str(request.url)).query:
        problems.append("token request: credentials must be in the body")
    if response is not None and response.status_code == 200:
        body = _json(response) or {}
        if not isinstance(body.get("access_token"), str):
            problems.append("token response: `access_token` must be a string")
        if str(body.get("token_type", "")).lower() != "bearer":
            problems.append("token response: `token_type` must be bearer")
        if not isinstance(body.get("expires_in"), int):
            problems.append("token response: `expires_in` must be an integer")
    elif response is not None and "error" not in (_json(response) or {}):
        problems.append("token error response: no `error` field")
    return problems


def _check_gateway(response: httpx.Response) -> list[str]:
    body = _json(response)
    problems = []
    if not isinstance(body, dict) or body.get("statusCode") != response.status_code:
        problems.append(f"gateway {response.status_code}: body is not {{statusCode}}")
    elif not isinstance(body.get("message"), str):
        problems.append(f"gateway {response.status_code}: no `message`")
    if (
        response.status_code == 429
        and not response.headers.get("Retry-After", "").isdigit()
    ):
        problems.append("gateway 429: `Retry-After` seconds missing")
    return problems


def _check_error_shape(response: httpx.Response) -> list[str]:
    body = _json(response)
    if isinstance(body, list) and all(
        isinstance(i, dict)
        and re.fullmatch(r"[A-Z]{3}-\d{4}", str(i.get("errorCode", "")))
        and isinstance(i.get("message"), str)
        for i in body
    ):
        return []
    if isinstance(body, dict) and isinstance(body.get("Message"), str):
        return []
    if isinstance(body, dict) and isinstance(body.get("modelState"), dict):
        return []
    return [f"error {response.status_code}: body is none of the documented shapes"]


def _api_path(request: httpx.Request, base_path: str) -> str:
    path = urlsplit(str(request.url)).path
    index = path.find(base_path + "/")
    return path[index:] if index >= 0 else path


@dataclass(frozen=True)
class CheckedCall:
    """One call a `ContractTransport` saw, with the problems found."""

    method: str
    path: str
    status: int
    problems: tuple[str, ...]


class ContractTransport(httpx.BaseTransport):
    """An httpx transport that checks every call it carries.

    Wrap the transport a SnelStart client uses (its default is a plain
    `httpx.HTTPTransport`) to check the client's requests and the answers
    it gets; problems are collected, not raised, so the client behaves as
    it would without the check.

    Args:
        contract: the loaded contract.
        inner: the transport that really sends; default `httpx.HTTPTransport`.
        allow_read_only: passed to `Contract.check_request`.
    """

    def __init__(
        self,
        contract: Contract,
        inner: httpx.BaseTransport | None = None,
        *,
        allow_read_only: bool = True,
    ) -> None:
        self.contract = contract
        self.inner = inner or httpx.HTTPTransport()
        self.allow_read_only = allow_read_only
        self.calls: list[CheckedCall] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send the request, then check it and its response."""
        request.read()
        response = self.inner.handle_request(request)
        response.read()
        problems = self.contract.check_request(
            request, allow_read_only=self.allow_read_only
        )
        problems += self.contract.check_response(request, response)
        path = urlsplit(str(request.url)).path
        self.calls.append(
            CheckedCall(request.method, path, response.status_code, tuple(problems))
        )
        return response

    def close(self) -> None:
        """Close the inner transport."""
        self.inner.close()

    @property
    def problems(self) -> list[str]:
        """Every problem found so far, prefixed with its call."""
        return [
            f"{c.method} {c.path} -> {c.status}: {p}"
            for c in self.calls
            for p in c.problems
        ]


class _Request:
    """An httpx request seen through openapi-core's Request protocol."""

    def __init__(self, request: httpx.Request, base_path: str) -> None:
        from openapi_core.datatypes import RequestParameters
        from werkzeug.datastructures import Headers, ImmutableMultiDict

        self._request = request
        self._path = _api_path(request, base_path)
        query = parse_qs(urlsplit(str(request.url)).query, keep_blank_values=True)
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(query),
            header=Headers(dict(request.headers)),
            cookie=ImmutableMultiDict(),
        )

    @property
    def host_url(self) -> str:
        return _HOST

    @property
    def path(self) -> str:
        return self._path

    @property
    def method(self) -> str:
        return self._request.method.lower()

    @property
    def body(self) -> bytes | None:
        content = self._request.content
        return _without_nulls(content) if content else None

    @property
    def content_type(self) -> str:
        return self._request.headers.get("Content-Type", "").lower()


def _without_nulls(content: bytes) -> bytes:
    """The real API takes ``null`` for any field; the definition never says so."""
    try:
        data = json.loads(content)
    except ValueError:
        return content
    return json.dumps(_drop_nulls(data)).encode()


def _drop_nulls(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _drop_nulls(v) for k, v in data.items() if v is not None}
    if isinstance(data, list):
        return [_drop_nulls(v) for v in data]
    return data


class _Response:
    """An httpx response seen through openapi-core's Response protocol."""

    def __init__(self, response: httpx.Response) -> None:
        from werkzeug.datastructures import Headers

        self._response = response
        self.headers = Headers(dict(response.headers))

    @property
    def status_code(self) -> int:
        return self._response.status_code

    @property
    def content_type(self) -> str:
        media = self._response.headers.get("Content-Type", "").lower()
        return media.split(";")[0].strip()

    @property
    def data(self) -> bytes:
        return self._response.content
