"""The HTTP face of the SnelStart sandbox: token endpoint, gateway and API.

``create_app(sandbox)`` serves ``POST /b2b/token`` and the API under ``/v2``
on one port (the real API uses two hosts), plus the inspection endpoints
under ``/_sandbox`` (see `inspection`). Every ``/v2`` call passes the gateway
first, in the order Azure API Management applies it: subscription key,
bearer token, scope, throttling; then the fault switches; then the handler.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from koppel.sandbox.snelstart import jsonwire, responses, service
from koppel.sandbox.snelstart.auth import Token, decode_password_grant
from koppel.sandbox.snelstart.customfields import get_custom_fields, put_custom_fields
from koppel.sandbox.snelstart.inspection import add_inspection_routes
from koppel.sandbox.snelstart.responses import ApiProblem, json_response
from koppel.sandbox.snelstart.sandbox import SnelstartSandbox
from koppel.sandbox.snelstart.store import Administration, admin_key
from koppel.sandbox.snelstart.validation import problem

__all__ = ["create_app"]

logger = logging.getLogger(__name__)

Handler = Callable[..., Any]

# resource -> scope area; which operations exist is listed in `_ROUTES`.
_AREAS = {
    "relaties": "relaties",
    "artikelen": "artikelen",
    "artikelomzetgroepen": "artikelen",
    "verkooporders": "orders",
    "verkoopordersjablonen": "orders",
    "verkoopfacturen": "orders",
    "landen": "settings",
    "btwtarieven": "settings",
    "kostenplaatsen": "settings",
}
_ROUTES: dict[str, tuple[str, ...]] = {
    "relaties": ("list", "get", "post", "put", "delete"),
    "artikelen": ("list", "get", "post", "put", "delete"),
    "artikelomzetgroepen": ("list", "get"),
    "verkooporders": ("list", "get", "post", "put", "delete"),
    "verkoopordersjablonen": ("list", "get"),
    "verkoopfacturen": ("list", "get"),
    "landen": ("list", "get"),
    "btwtarieven": ("list",),
    "kostenplaatsen": ("list", "get", "post", "put", "delete"),
}
_JSON_TYPES = ("application/json", "text/json")
_DELETE_STATUS = {"verkooporders": 201}  # as the spec declares it


def create_app(sandbox: SnelstartSandbox | None = None) -> FastAPI:
    """Build the ASGI app of a sandbox (a default sandbox when None).

    Returns:
        A FastAPI app serving ``/b2b/token``, ``/v2/...`` and ``/_sandbox/...``.
    """
    sandbox = sandbox or SnelstartSandbox()
    app = FastAPI(
        title="koppel SnelStart B2B API sandbox",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.sandbox = sandbox
    app.add_middleware(CanonicalPaths)
    app.add_exception_handler(ApiProblem, _problem_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_api_route("/b2b/token", _token_endpoint(sandbox), methods=["POST"])
    for resource, operations in _ROUTES.items():
        _add_resource(app, sandbox, resource, operations)
    _add_singletons(app, sandbox)
    add_inspection_routes(app, sandbox)
    return app


class CanonicalPaths:
    """Route ``/v2`` paths case-insensitively, as ASP.NET does.

    ``/v2/Relaties`` and ``/v2/verkooporders/{id}/processtatus`` reach the
    routes spelled as in the definition; ids and echo input keep their case.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        names = [*_ROUTES, "companyInfo", "ProcesStatus", "customFields", "echo", "v2"]
        self.names = {n.lower(): n for n in names}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path.lower().startswith("/v2/"):
            canonical = self._canonical(path)
            if canonical != path:
                scope = {**scope, "path": canonical, "raw_path": canonical.encode()}
        await self.app(scope, receive, send)

    def _canonical(self, path: str) -> str:
        parts = path.split("/")
        for i, part in enumerate(parts):
            if i > 0 and parts[i - 1] == "echo":
                break
            parts[i] = self.names.get(part.lower(), part)
        return "/".join(parts)


async def _problem_handler(request: Request, exc: ApiProblem) -> Response:
    return exc.response()


async def _http_handler(request: Request, exc: StarletteHTTPException) -> Response:
    if exc.status_code == 405:
        msg = f"The requested resource does not support method {request.method!r}."
    else:
        msg = f"No HTTP resource was found that matches {request.url.path!r}."
    return json_response({"Message": msg}, exc.status_code)


def _token_endpoint(sandbox: SnelstartSandbox) -> Callable[[Request], Awaitable]:
    async def token(request: Request) -> Response:
        if sandbox.faults.take_token_failure():
            problem = _injected_error(503)
            sandbox.record("POST", "/b2b/token", problem.status, None)
            return problem.response()
        status, body = _issue_token(sandbox, request, await request.body())
        sandbox.record("POST", "/b2b/token", status, None)
        return json_response(body, status)

    return token


def _issue_token(
    sandbox: SnelstartSandbox, request: Request, raw: bytes
) -> tuple[int, dict[str, Any]]:
    if "clientkey" in request.query_params or "password" in request.query_params:
        return 400, _oauth_error("invalid_request", "credentials belong in the body")
    form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
    grant = form.get("grant_type")
    if grant == "clientkey":
        clientkey = form.get("clientkey", "")
    elif grant == "password":
        clientkey = _clientkey_for_password(sandbox, form)
    else:
        return 400, _oauth_error("unsupported_grant_type", f"{grant!r}")
    if clientkey not in sandbox.clientkeys:
        return 400, _oauth_error("invalid_grant", "the clientkey is not valid")
    issued = sandbox.tokens.issue(clientkey, sandbox.scopes_for(clientkey))
    ttl = sandbox.tokens.ttl
    return 200, {
        "access_token": issued.value,
        "token_type": "bearer",
        "expires_in": ttl,
    }


def _clientkey_for_password(sandbox: SnelstartSandbox, form: dict[str, str]) -> str:
    wanted = (form.get("username", ""), form.get("password", ""))
    for clientkey in sandbox.clientkeys:
        if decode_password_grant(clientkey) == wanted:
            return clientkey
    return ""


def _oauth_error(code: str, description: str) -> dict[str, str]:
    return {"error": code, "error_description": description}


async def _through_gateway(
    sandbox: SnelstartSandbox,
    request: Request,
    scope: str | None,
    handler: Handler,
) -> Response:
    admin_name: str | None = None
    try:
        token = _authenticate(sandbox, request, scope)
        key = admin_key(token.clientkey)
        admin = sandbox.administrations[key]
        admin_name = admin.name
        response = await _throttled(sandbox, request, key, admin, handler)
    except ApiProblem as exc:
        response = exc.response()
    sandbox.record(request.method, request.url.path, response.status_code, admin_name)
    return response


def _authenticate(
    sandbox: SnelstartSandbox, request: Request, scope: str | None
) -> Token:
    key = request.headers.get("Ocp-Apim-Subscription-Key")
    key = key or request.query_params.get("subscription-key")
    if not key:
        msg = "Access denied: no subscription key. Send it in the "
        msg += "Ocp-Apim-Subscription-Key header."
        raise responses.gateway(401, msg)
    if key not in sandbox.subscription_keys:
        msg = "Access denied: the subscription key is not valid for an "
        msg += "active subscription."
        raise responses.gateway(401, msg)
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    token = sandbox.tokens.lookup(value.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        msg = "Unauthorized: the access token is missing, invalid or expired."
        raise responses.gateway(401, msg)
    if scope is not None and scope not in token.scopes:
        msg = f"Authorization denied: the token lacks scope {scope!r}."
        raise responses.framework(403, msg)
    return token


async def _throttled(
    sandbox: SnelstartSandbox,
    request: Request,
    key: str,
    admin: Administration,
    handler: Handler,
) -> Response:
    wait = sandbox.throttle.acquire(key)
    if wait is not None:
        raise _too_many(wait)
    try:
        decision = sandbox.faults.decide(is_post=request.method == "POST")
        if decision.throttle:
            raise _too_many(sandbox.faults.options.retry_after)
        if decision.error is not None:
            raise _injected_error(decision.error)
        if decision.slow:
            await asyncio.sleep(decision.slow)
        response = await _handle(sandbox, request, admin, handler)
        if response.status_code == 201:
            mode = sandbox.faults.take_drop(decision)
            if mode is not None:
                return await _drop(sandbox, response, mode)
        return response
    finally:
        sandbox.throttle.release(key)


def _too_many(seconds: int) -> ApiProblem:
    msg = f"Rate limit is exceeded. Try again in {seconds} seconds."
    return responses.gateway(429, msg, {"Retry-After": str(seconds)})


def _injected_error(status: int) -> ApiProblem:
    if status == 500:
        return responses.framework(500, "An error has occurred.")
    return responses.gateway(status, "The backend service did not answer in time.")


async def _drop(sandbox: SnelstartSandbox, response: Response, mode: str) -> Response:
    logger.info("sandbox dropped the answer to a stored POST (%s)", mode)
    if mode == "502":
        raise responses.gateway(502, "Bad gateway: the backend connection was lost.")
    await asyncio.sleep(sandbox.faults.options.drop_seconds)
    return response


async def _handle(
    sandbox: SnelstartSandbox, request: Request, admin: Administration, handler: Handler
) -> Response:
    args: list[Any] = [request, admin]
    if request.method in ("POST", "PUT"):
        args.append(_parse_body(request, await request.body()))
    with admin.lock:
        result = handler(*args)
        if request.method != "GET":
            sandbox.save()
    status = 201 if request.method == "POST" else 200
    return json_response(result, getattr(request.state, "status", status))


def _parse_body(request: Request, raw: bytes) -> Any:
    if not raw.strip():
        raise responses.coded([problem("ALG-0106")])
    media = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if media not in _JSON_TYPES:
        msg = f"The request entity's media type {media!r} is not supported."
        raise responses.framework(415, msg)
    try:
        return jsonwire.loads(raw)
    except ValueError as exc:
        if "/relaties" in request.url.path:
            raise responses.coded([problem("REL-0066")]) from exc
        msg = "De JSON in de aanvraag is ongeldig."
        raise responses.model_state({"model": [msg]}) from exc


def _add_resource(
    app: FastAPI, sandbox: SnelstartSandbox, resource: str, operations: tuple
) -> None:
    area = _AREAS[resource]
    read, write = f"{area}:read", f"{area}:write"
    base, item = f"/v2/{resource}", f"/v2/{resource}/{{id}}"

    def route(path: str, method: str, scope: str, handler: Handler) -> None:
        async def endpoint(request: Request) -> Response:
            return await _through_gateway(sandbox, request, scope, handler)

        app.add_api_route(path, endpoint, methods=[method], include_in_schema=False)

    if "list" in operations:
        route(base, "GET", read, lambda r, a: _list(resource, r, a))
    if "get" in operations:
        route(item, "GET", read, lambda r, a: _get(resource, r, a))
    if "post" in operations:
        route(base, "POST", write, lambda r, a, b: _post(sandbox, resource, a, b))
    if "put" in operations:
        route(item, "PUT", write, lambda r, a, b: _put(sandbox, resource, r, a, b))
    if "delete" in operations:
        route(item, "DELETE", write, lambda r, a: _delete(resource, r, a))
    if resource == "artikelen":
        fields = f"{item}/customFields"
        route(fields, "GET", read, lambda r, a: _custom_get(r, a))
        route(fields, "PUT", write, lambda r, a, b: _custom_put(sandbox, r, a, b))
    if resource == "verkooporders":
        route(
            f"{item}/ProcesStatus",
            "PUT",
            write,
            lambda r, a, b: _status(sandbox, r, a, b),
        )


def _list(resource: str, request: Request, admin: Administration) -> Any:
    return service.list_records(admin, resource, dict(request.query_params))


def _get(resource: str, request: Request, admin: Administration) -> Any:
    return service.get_one(admin, resource, request.path_params["id"])


def _post(sandbox: SnelstartSandbox, resource: str, admin: Administration, body: Any):
    return service.create(admin, resource, body, sandbox.now())


def _put(
    sandbox: SnelstartSandbox,
    resource: str,
    request: Request,
    admin: Administration,
    body: Any,
) -> Any:
    record_id = request.path_params["id"]
    return service.update(admin, resource, record_id, body, sandbox.now())


def _delete(resource: str, request: Request, admin: Administration) -> Any:
    service.delete(admin, resource, request.path_params["id"])
    request.state.status = _DELETE_STATUS.get(resource, 200)
    return {}


def _custom_get(request: Request, admin: Administration) -> Any:
    return get_custom_fields(admin, request.path_params["id"])


def _custom_put(
    sandbox: SnelstartSandbox, request: Request, admin: Administration, body: Any
) -> Any:
    record_id = request.path_params["id"]
    return put_custom_fields(admin, record_id, body, sandbox.now())


def _status(
    sandbox: SnelstartSandbox, request: Request, admin: Administration, body: Any
) -> Any:
    record_id = request.path_params["id"]
    return service.set_proces_status(admin, record_id, body, sandbox.now())


def _add_singletons(app: FastAPI, sandbox: SnelstartSandbox) -> None:
    async def company_get(request: Request) -> Response:
        return await _through_gateway(
            sandbox, request, "settings:read", lambda r, a: dict(a.company_info)
        )

    async def company_put(request: Request) -> Response:
        return await _through_gateway(
            sandbox, request, "settings:write", _company_update
        )

    async def echo(request: Request) -> Response:
        return await _through_gateway(
            sandbox, request, None, lambda r, a: r.path_params["input"]
        )

    app.add_api_route("/v2/companyInfo", company_get, methods=["GET"])
    app.add_api_route("/v2/companyInfo", company_put, methods=["PUT"])
    app.add_api_route("/v2/echo/{input}", echo, methods=["GET"])


def _company_update(request: Request, admin: Administration, body: Any) -> Any:
    value = body.get("factureerBuitenlandsBtw") if isinstance(body, dict) else None
    if isinstance(value, bool):
        admin.company_info["factureerBuitenlandsBtw"] = value
    return dict(admin.company_info)
