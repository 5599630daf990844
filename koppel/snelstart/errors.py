"""How the SnelStart client reacts to each HTTP status, and error bodies.

One table decides, per status and method, what the client does. Writes are
special: a POST that failed after it was sent may have created the record,
so it is never repeated blindly; it surfaces as ambiguous and loading looks
the record up by its reference first.
"""

from __future__ import annotations

import email.utils
import enum
import json
import re
from datetime import UTC, datetime
from typing import Any

import httpx

__all__ = [
    "Action",
    "classify",
    "classify_transport_error",
    "parse_error_body",
    "parse_retry_after",
]

_CODE_RE = re.compile(r"\b[A-Z]{3}-\d{4}\b")
_MESSAGE_LIMIT = 300


class Action(enum.Enum):
    """What the client does with a response or a transport failure."""

    OK = "ok"
    WAIT = "wait"  # throttled: wait Retry-After, then repeat
    RETRY = "retry"  # transient: back off with jitter, then repeat
    AMBIGUOUS = "ambiguous"  # a write may have happened: do not repeat
    REAUTH = "reauth"  # token expired or revoked: fetch one, repeat once
    DENIED = "denied"  # credentials or scopes wrong: stop the run
    REJECT = "reject"  # the request itself is wrong: fatal for this record


# The status -> action table; statuses not listed follow their class.
STATUS_ACTIONS: dict[int, Action] = {
    401: Action.REAUTH,
    403: Action.DENIED,
    408: Action.RETRY,
    429: Action.WAIT,
}
_IDEMPOTENT = frozenset({"GET", "PUT", "DELETE", "HEAD", "OPTIONS"})


def classify(status: int, method: str) -> Action:
    """Decide what to do with a response.

    Args:
        status: the HTTP status code.
        method: the request method; non-idempotent writes (POST) turn a
            retriable failure into :attr:`Action.AMBIGUOUS`.
    """
    if 200 <= status < 300:
        return Action.OK
    action = STATUS_ACTIONS.get(status)
    if action is None:
        action = Action.RETRY if status >= 500 else Action.REJECT
    if action is Action.RETRY and method.upper() not in _IDEMPOTENT:
        return Action.AMBIGUOUS
    return action


def classify_transport_error(exc: httpx.TransportError, method: str) -> Action:
    """Decide what to do when no response arrived.

    Failures before the request left (connect errors, pool timeouts) are
    safe to repeat for any method; after it left, a POST is ambiguous.
    """
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return Action.RETRY
    if method.upper() in _IDEMPOTENT:
        return Action.RETRY
    return Action.AMBIGUOUS


def parse_retry_after(
    value: str | None, *, now: datetime | None = None
) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


def parse_error_body(content: bytes) -> tuple[list[str], str]:
    """Error codes and a short message from any of SnelStart's error shapes.

    SnelStart answers with a list of ``{errorCode, message}``, with
    ``{"message", "modelState"}`` from model binding, ``{"Message"}`` from
    OData, ``{"statusCode", "message"}`` from the gateway, or nothing.

    Returns:
        The ``ABC-NNNN`` codes (possibly none) and a message cut to a fixed
        length so response bodies never flood logs or the audit trail.
    """
    try:
        body: Any = json.loads(content) if content else None
    except ValueError:
        text = content.decode("utf-8", "replace")
        return sorted(set(_CODE_RE.findall(text))), text[:_MESSAGE_LIMIT]
    codes: list[str] = []
    messages: list[str] = []
    items = body if isinstance(body, list) else [body]
    for item in items:
        if isinstance(item, dict):
            code = item.get("errorCode")
            if isinstance(code, str):
                codes.append(code)
            message = item.get("message") or item.get("Message") or item.get("error")
            if message:
                messages.append(str(message))
            state = item.get("modelState")
            if isinstance(state, dict):
                messages.extend(f"{k}: {v}" for k, v in state.items())
        elif isinstance(item, str):
            messages.append(item)
    if not codes:
        codes = sorted(set(_CODE_RE.findall(" ".join(messages))))
    return codes, "; ".join(messages)[:_MESSAGE_LIMIT]
