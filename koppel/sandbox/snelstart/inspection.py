"""Inspection endpoints under ``/_sandbox`` for tests and users.

They are not part of SnelStart's API. Each needs the sandbox's subscription
key in ``Ocp-Apim-Subscription-Key``; the administration is the first one
unless ``X-Koppelsleutel`` names another.

- ``GET /_sandbox``: administrations with record counts, limits and faults;
- ``GET /_sandbox/{resource}`` and ``GET /_sandbox/{resource}/count``;
- ``GET /_sandbox/requests``: the calls answered so far;
- ``POST /_sandbox/reset``: reseed every administration;
- ``GET|POST /_sandbox/faults``: read or change fault switches (JSON body of
  `FaultOptions` fields);
- ``POST /_sandbox/verkooporders/{id}/factureer``: invoice an order, as a
  user would in SnelStart (creates a verkoopfactuur).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from starlette.responses import Response

from koppel.exceptions import ConfigError
from koppel.sandbox.snelstart import jsonwire, responses
from koppel.sandbox.snelstart.invoicing import invoice_order
from koppel.sandbox.snelstart.responses import json_response
from koppel.sandbox.snelstart.store import RESOURCES, Administration

if TYPE_CHECKING:
    from koppel.sandbox.snelstart.sandbox import SnelstartSandbox

__all__ = ["add_inspection_routes"]


def add_inspection_routes(app: FastAPI, sandbox: SnelstartSandbox) -> None:
    """Register the ``/_sandbox`` endpoints on the app."""

    def guarded(handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            key = request.headers.get("Ocp-Apim-Subscription-Key", "")
            if key not in sandbox.subscription_keys:
                msg = "Access denied: the subscription key is missing or wrong."
                return responses.gateway(401, msg).response()
            try:
                return await handler(request, _admin(sandbox, request))
            except responses.ApiProblem as exc:
                return exc.response()

        return endpoint

    async def summary(request: Request, admin: Administration) -> Response:
        return json_response(_summary(sandbox))

    async def listing(request: Request, admin: Administration) -> Response:
        return json_response(admin.list(_resource(request)))

    async def count(request: Request, admin: Administration) -> Response:
        resource = _resource(request)
        return json_response({"resource": resource, "count": admin.count(resource)})

    async def reset(request: Request, admin: Administration) -> Response:
        sandbox.reset()
        return json_response({"reset": True})

    async def faults(request: Request, admin: Administration) -> Response:
        if request.method == "POST":
            changes = jsonwire.loads(await request.body() or b"{}")
            try:
                sandbox.set_faults(**changes)
            except (ConfigError, TypeError) as exc:
                raise responses.framework(400, str(exc)) from exc
        return json_response(sandbox.faults.options.to_dict())

    async def requests_log(request: Request, admin: Administration) -> Response:
        rows = [dataclasses.asdict(r) for r in sandbox.requests]
        return json_response(rows)

    async def factureer(request: Request, admin: Administration) -> Response:
        with admin.lock:
            factuur = invoice_order(admin, request.path_params["id"], sandbox.now())
            sandbox.save()
        return json_response(factuur, 201)

    routes = [
        ("/_sandbox", summary, "GET"),
        ("/_sandbox/requests", requests_log, "GET"),
        ("/_sandbox/reset", reset, "POST"),
        ("/_sandbox/faults", faults, "GET"),
        ("/_sandbox/faults", faults, "POST"),
        ("/_sandbox/verkooporders/{id}/factureer", factureer, "POST"),
        ("/_sandbox/{resource}", listing, "GET"),
        ("/_sandbox/{resource}/count", count, "GET"),
    ]
    for path, handler, method in routes:
        app.add_api_route(
            path, guarded(handler), methods=[method], include_in_schema=False
        )


def _admin(sandbox: SnelstartSandbox, request: Request) -> Administration:
    clientkey = request.headers.get("X-Koppelsleutel")
    try:
        return sandbox.administration(clientkey)
    except KeyError as exc:
        raise responses.framework(404, "unknown administration") from exc


def _resource(request: Request) -> str:
    resource = request.path_params["resource"]
    if resource not in RESOURCES:
        msg = f"unknown resource {resource!r}; use one of {', '.join(RESOURCES)}"
        raise responses.framework(404, msg)
    return resource


def _summary(sandbox: SnelstartSandbox) -> dict[str, Any]:
    limits = sandbox.throttle.limits
    return {
        "administrations": [
            {
                "name": admin.name,
                "identifier": admin.identifier,
                "counts": {r: admin.count(r) for r in RESOURCES},
            }
            for admin in sandbox.administrations.values()
        ],
        "limits": dataclasses.asdict(limits),
        "token_ttl": sandbox.tokens.ttl,
        "faults": sandbox.faults.options.to_dict(),
    }
