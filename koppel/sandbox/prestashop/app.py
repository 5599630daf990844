"""The FastAPI app of the PrestaShop sandbox: routes under ``/api`` and headers.

Every answer of the webservice carries PrestaShop's headers
(``Access-Time``, ``X-Powered-By``, ``PSWS-Version`` once authenticated,
``Execution-Time``, ``Content-Sha1``); from version 8 a matching
``Local-Content-Sha1`` request header gets a 304 without body.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request, Response

from koppel.sandbox.prestashop.answer import Answer
from koppel.sandbox.prestashop.options import SandboxOptions
from koppel.sandbox.prestashop.service import Webservice, WsRequest
from koppel.sandbox.prestashop.store import Shop

__all__ = ["create_app"]

log = logging.getLogger(__name__)
_METHODS = ["GET", "HEAD", "PUT", "POST", "PATCH", "DELETE"]


def create_app(shop: Shop, options: SandboxOptions | None = None) -> FastAPI:
    """Build the sandbox webservice for ``shop``.

    Args:
        shop: the shop to serve (see ``generate_shop``).
        options: behaviour switches; defaults to a PrestaShop 8 shop
            accepting the demo key.

    Returns:
        An ASGI app; serve it with ``koppel.sandbox.server.start_server``.
        The webservice lives under ``/api/``.
    """
    options = options or SandboxOptions()
    service = Webservice(shop, options)
    app = FastAPI(
        title="koppel PrestaShop sandbox",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.shop = shop
    app.state.options = options
    app.state.webservice = service

    async def handle(request: Request, path: str = "") -> Response:
        started = time.perf_counter()
        ws_request = WsRequest(
            method=request.method.upper(),
            path=path,
            params=dict(parse_qsl(request.url.query, keep_blank_values=True)),
            headers=dict(request.headers),
            body=await request.body(),
            base_url=str(request.base_url) + "api/",
        )
        answer = service.handle(ws_request)
        log.debug("sandbox %s /api/%s -> %s", ws_request.method, path, answer.status)
        if answer.delay > 0:
            await asyncio.sleep(answer.delay)
        return _response(answer, ws_request, options, time.perf_counter() - started)

    app.add_api_route("/api", handle, methods=_METHODS, include_in_schema=False)
    app.add_api_route(
        "/api/{path:path}", handle, methods=_METHODS, include_in_schema=False
    )
    return app


def _response(
    answer: Answer, request: WsRequest, options: SandboxOptions, elapsed: float
) -> Response:
    body = answer.body.encode("utf-8")
    headers = dict(answer.headers)
    if answer.from_webservice:
        headers.update(_ps_headers(answer, options, body, elapsed))
    if answer.content_type:
        headers["Content-Type"] = answer.content_type
    cached = request.headers.get("local-content-sha1")
    if (
        options.version != "1.7"
        and answer.status == 200
        and cached is not None
        and cached == headers.get("Content-Sha1")
    ):
        return Response(status_code=304, headers=_without_body(headers))
    if request.method == "HEAD":
        return Response(status_code=answer.status, headers=_without_body(headers))
    return Response(content=body, status_code=answer.status, headers=headers)


def _ps_headers(
    answer: Answer, options: SandboxOptions, body: bytes, elapsed: float
) -> dict[str, str]:
    now = options.now.timestamp() if options.now else time.time()
    headers = {
        "Access-Time": str(int(now)),
        "X-Powered-By": "PrestaShop Webservice",
        "Execution-Time": f"{elapsed:.3f}",
        "Content-Sha1": hashlib.sha1(body).hexdigest(),
    }
    if answer.authenticated:
        headers["PSWS-Version"] = options.psws_version
    return headers


def _without_body(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() != "content-length"}
