"""The error bodies of the SnelStart API and its gateway, as the API sends them.

The real API is inconsistent, and the sandbox reproduces each shape where
the reference says it occurs:

- business rules: ``[{"errorCode": "REL-0008", "message": …}]`` (HTTP 400);
- model binding: ``{"message": …, "modelState": {"path": [...]}}`` (400);
- framework and OData: ``{"Message": …}`` (400, 404, 405, 415, 500);
- Azure API Management gateway: ``{"statusCode": 401, "message": …}``
  (401, 429, 502, 503, 504).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from starlette.responses import Response

from koppel.exceptions import KoppelError
from koppel.sandbox.snelstart import jsonwire

__all__ = [
    "ApiProblem",
    "coded",
    "framework",
    "gateway",
    "json_response",
    "model_state",
]

MEDIA_TYPE = "application/json; charset=utf-8"


class ApiProblem(KoppelError):
    """Raised inside the sandbox to answer a call with an error response."""

    def __init__(
        self, status: int, body: Any, headers: Mapping[str, str] | None = None
    ) -> None:
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        super().__init__(f"sandbox answers HTTP {status}")

    def response(self) -> Response:
        """The HTTP response for this problem."""
        return json_response(self.body, self.status, self.headers)


def json_response(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON response with Decimals written as numbers."""
    return Response(
        content=jsonwire.dumps(data).encode("utf-8"),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=dict(headers or {}),
    )


def coded(problems: Sequence[tuple[str, str]], status: int = 400) -> ApiProblem:
    """Business-rule failures as a list of ``{errorCode, message}``."""
    body = [{"errorCode": code, "message": message} for code, message in problems]
    return ApiProblem(status, body)


def model_state(errors: Mapping[str, list[str]]) -> ApiProblem:
    """Model-binding failures in ASP.NET's ``modelState`` shape."""
    body = {"message": "Het verzoek is ongeldig.", "modelState": dict(errors)}
    return ApiProblem(400, body)


def framework(status: int, message: str) -> ApiProblem:
    """A framework-level failure: ``{"Message": …}``."""
    return ApiProblem(status, {"Message": message})


def gateway(
    status: int, message: str, headers: Mapping[str, str] | None = None
) -> ApiProblem:
    """A gateway (API Management) failure: ``{"statusCode", "message"}``."""
    return ApiProblem(status, {"statusCode": status, "message": message}, headers)
