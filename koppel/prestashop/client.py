"""HTTP client for the PrestaShop webservice, read-only.

One place decides what every answer means (:data:`STATUS_ACTIONS`), retries
what can recover (408, 429, 5xx, timeouts, cut-off bodies) with exponential
backoff and jitter, honours ``Retry-After``, and turns everything else into
koppel's exceptions. The key travels only as the Basic-auth user in a
header; messages and logs name the resource, never the URL's query or the
key. Every shape the shop uses for "nothing found" reads as an empty list.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from decimal import Decimal
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from koppel import settings
from koppel.exceptions import ApiAuthError, FatalApiError, TransientApiError

if TYPE_CHECKING:
    from pydantic import SecretStr

    from koppel.profile import Profile

__all__ = [
    "STATUS_ACTIONS",
    "Action",
    "WebserviceClient",
    "classify",
    "is_timeout",
    "records_of",
    "redact_url",
]

log = logging.getLogger(__name__)

API = "prestashop"
TIMEOUT_CODE = "timeout"
USER_AGENT = "koppel (PrestaShop to SnelStart)"
_SNIPPET = 200


class Action(StrEnum):
    """What the client does with an answer."""

    OK = "ok"
    RETRY = "retry"
    AUTH = "auth"
    FATAL = "fatal"


STATUS_ACTIONS: dict[int, Action] = {
    200: Action.OK,
    400: Action.FATAL,
    401: Action.AUTH,
    403: Action.AUTH,
    404: Action.FATAL,
    405: Action.FATAL,
    408: Action.RETRY,
    429: Action.RETRY,
    500: Action.RETRY,
    502: Action.RETRY,
    503: Action.RETRY,
    504: Action.RETRY,
}

# Webservice error codes (in the body) that override the status. PHP notices
# (1-15) alone may pass on a retry; a parameter error never does, even when a
# notice follows it and PrestaShop 9 sends both with HTTP 500
# (openlinker-project/openlinker#2877).
PHP_ERROR_CODES = frozenset(range(1, 16))
AUTH_ERROR_CODES = frozenset({17, 18, 19, 20, 21, 26, 131, 132})

# JSON envelope keys that differ from the URL segment.
PLURAL_KEYS = {"order_slip": "order_slips", "stock_movements": "stock_mvts"}


def classify(status: int, codes: list[int] | None = None) -> Action:
    """Decide what to do with an HTTP status and the body's error codes."""
    action = STATUS_ACTIONS.get(status)
    if action is None:
        if 200 <= status < 300:
            action = Action.OK
        elif status >= 500:
            action = Action.RETRY
        else:
            action = Action.FATAL
    if action is Action.OK or not codes:
        return action
    if any(code in AUTH_ERROR_CODES for code in codes):
        return Action.AUTH
    if action is Action.RETRY and any(c not in PHP_ERROR_CODES for c in codes):
        return Action.FATAL
    return action


def is_timeout(exc: BaseException) -> bool:
    """True when the failure was a timeout (the caller may ask for less)."""
    return isinstance(exc, TransientApiError) and TIMEOUT_CODE in exc.codes


def redact_url(url: str) -> str:
    """Drop user info and the query string from a URL before showing it."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def records_of(body: Any, resource: str) -> list[dict[str, Any]]:
    """The records in a list answer; every empty shape gives ``[]``.

    PrestaShop says "nothing" as ``[]``, ``{}``, ``""``, a missing key or
    ``{"orders": []}`` depending on the version; one record may also come
    as an object instead of a list.

    Raises:
        FatalApiError: when the body is not JSON of any known list shape.
    """
    if body in (None, "", [], {}):
        return []
    if isinstance(body, list):
        return [r for r in body if isinstance(r, dict)]
    if not isinstance(body, dict):
        msg = f"`{resource}`: expected a JSON object or list, got {type(body)!r}"
        raise FatalApiError(msg, api=API, path=resource)
    value = body.get(PLURAL_KEYS.get(resource, resource))
    if value is None:
        value = body.get(_singular(resource))
    if isinstance(value, list):
        return [r for r in value if isinstance(r, dict)]
    if isinstance(value, dict) and value:
        return [value]
    return []


def _singular(resource: str) -> str:
    for plural, single in (("ies", "y"), ("sses", "ss"), ("xes", "x"), ("s", "")):
        if resource.endswith(plural):
            return resource[: -len(plural)] + single
    return resource


def _error_codes(body: Any) -> list[int]:
    if not isinstance(body, dict) or not isinstance(body.get("errors"), list):
        return []
    codes = []
    for error in body["errors"]:
        try:
            codes.append(int(error.get("code")))
        except (AttributeError, TypeError, ValueError):
            continue
    return codes


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((moment.timestamp() - time.time()), 0.0)


def _why(exc: TransientApiError) -> str:
    if is_timeout(exc):
        return "timeout"
    return f"status {exc.status}" if exc.status else "network error"


def _decode(response: httpx.Response) -> Any:
    if not response.content:
        return None
    return json.loads(response.content, parse_float=Decimal)


class WebserviceClient:
    """Read lists from one shop's webservice with retries and a request cap.

    Args:
        base_url: the webservice root, ending in ``/api``.
        key: the webservice key (Basic-auth user, empty password).
        id_shop: multishop: the shop every request is scoped to.
        language_id: read translated fields in this language only.
        timeout: seconds per request.
        concurrency: requests in flight at once, at most.
        max_retries: retries per request after the first attempt.
        requests_per_minute: client-side cap for hosts that rate-limit.
        transport: an httpx transport (tests); None uses the network.
        sleep: how to wait between retries (tests pass a recorder).
    """

    def __init__(
        self,
        base_url: str,
        key: SecretStr,
        *,
        id_shop: int | None = None,
        language_id: int | None = None,
        timeout: float = settings.HTTP_TIMEOUT_SECONDS,
        concurrency: int = settings.PRESTASHOP_CONCURRENCY,
        max_retries: int = settings.PRESTASHOP_MAX_RETRIES,
        requests_per_minute: int | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        logging.getLogger("httpx").setLevel(logging.WARNING)
        self.where = redact_url(base_url)
        self.max_retries = max_retries
        self.requests: Counter[str] = Counter()
        self._scope = {"id_shop": str(id_shop)} if id_shop else {}
        if language_id:
            self._scope["language"] = str(language_id)
        self._http = httpx.Client(
            base_url=base_url.rstrip("/") + "/",
            auth=httpx.BasicAuth(key.get_secret_value(), ""),
            headers={"Output-Format": "JSON", "User-Agent": USER_AGENT},
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=concurrency),
            transport=transport,
            follow_redirects=False,
        )
        self._gate = threading.BoundedSemaphore(concurrency)
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="prestashop")
        self._count_lock = threading.Lock()
        self._pace_lock = threading.Lock()
        self._interval = 60.0 / requests_per_minute if requests_per_minute else 0.0
        self._next_slot = 0.0
        self._sleep = sleep

    @classmethod
    def from_profile(
        cls,
        profile: Profile,
        key: SecretStr,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> WebserviceClient:
        """Build the client a profile describes."""
        ps = profile.prestashop
        return cls(
            ps.url,
            key,
            id_shop=ps.id_shop,
            language_id=ps.language_id,
            timeout=ps.timeout_seconds,
            concurrency=ps.concurrency,
            requests_per_minute=ps.requests_per_minute,
            transport=transport,
            sleep=sleep,
        )

    def close(self) -> None:
        """Stop the worker threads and close the connections."""
        self._pool.shutdown(wait=True)
        self._http.close()

    def __enter__(self) -> WebserviceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def total_requests(self) -> int:
        """HTTP requests sent so far, retries included."""
        with self._count_lock:
            return sum(self.requests.values())

    def submit_call(
        self, function: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> Future[Any]:
        """Run ``function`` on the client's worker threads (at most
        ``concurrency`` of them)."""
        return self._pool.submit(function, *args, **kwargs)

    def list(
        self,
        resource: str,
        params: Mapping[str, str],
        *,
        retry_timeouts: bool = True,
        max_retries: int | None = None,
    ) -> list[dict[str, Any]]:
        """GET a list of records, retrying what may recover.

        Args:
            resource: the URL segment, e.g. ``orders``.
            params: query parameters (``display``, ``filter[...]``, ...);
                the shop scope and language are added.
            retry_timeouts: False hands a timeout straight back, so the
                caller can ask for a smaller page instead.
            max_retries: overrides the client's retry budget for this call.

        Returns:
            The records, ``[]`` for every empty shape.

        Raises:
            ApiAuthError: the shop refused the key (401/403).
            FatalApiError: a request no retry can fix (other 4xx, parameter
                errors); ``codes`` holds the webservice error codes.
            TransientApiError: still failing after the last retry.
        """
        query = {**params, **self._scope}
        budget = self.max_retries if max_retries is None else max_retries
        attempt = 0
        while True:
            attempt += 1
            try:
                return records_of(self._send(resource, query), resource)
            except TransientApiError as exc:
                if attempt > budget or (is_timeout(exc) and not retry_timeouts):
                    raise
                wait = self._backoff(attempt, exc.retry_after)
                log.warning(
                    "prestashop: `%s` failed (%s), attempt %d of %d; "
                    "retrying in %.1f s",
                    resource,
                    _why(exc),
                    attempt,
                    budget + 1,
                    wait,
                )
                self._sleep(wait)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        cap = settings.PRESTASHOP_BACKOFF_CAP_SECONDS
        if retry_after is not None:
            return min(retry_after, cap)
        base = settings.PRESTASHOP_BACKOFF_SECONDS * 2 ** (attempt - 1)
        return min(base * (0.5 + random.random()), cap)  # noqa: S311 - jitter

    def _pace(self) -> None:
        if not self._interval:
            return
        with self._pace_lock:
            now = time.monotonic()
            slot = max(now, self._next_slot)
            self._next_slot = slot + self._interval
        if slot > now:
            self._sleep(slot - now)

    def _send(self, resource: str, query: Mapping[str, str]) -> Any:
        self._pace()
        with self._count_lock:
            self.requests[resource] += 1
        try:
            with self._gate:
                response = self._http.get(resource, params=query)
        except httpx.TimeoutException as exc:
            msg = f"`{resource}` at {self.where}: no answer in time"
            raise TransientApiError(
                msg, api=API, path=resource, codes=[TIMEOUT_CODE]
            ) from exc
        except httpx.ConnectError as exc:
            msg = (
                f"cannot reach the shop for `{resource}` at {self.where}; check "
                "`prestashop.url` in the profile and that the shop is up"
            )
            raise TransientApiError(msg, api=API, path=resource) from exc
        except httpx.TransportError as exc:
            msg = f"`{resource}` at {self.where}: {type(exc).__name__}"
            raise TransientApiError(msg, api=API, path=resource) from exc
        return self._interpret(resource, response)

    def _interpret(self, resource: str, response: httpx.Response) -> Any:
        status = response.status_code
        try:
            body = _decode(response)
        except (ValueError, UnicodeDecodeError) as exc:
            body = None
            if 200 <= status < 300:
                msg = f"`{resource}` at {self.where}: cut off or not JSON"
                raise TransientApiError(
                    msg, api=API, status=status, path=resource
                ) from exc
        codes = _error_codes(body)
        action = classify(status, codes)
        if action is Action.OK:
            return body
        snippet = response.text[:_SNIPPET]
        msg = (
            f"PrestaShop answered {status} for `{resource}` at {self.where} "
            f"(codes {codes}): {snippet!r}"
        )
        text_codes = [str(c) for c in codes]
        if action is Action.AUTH:
            msg += (
                "; check the webservice key, its permissions and `id_shop` (a "
                "host that drops the Authorization header also answers 401)"
            )
            raise ApiAuthError(msg, api=API, status=status, path=resource)
        if action is Action.FATAL:
            raise FatalApiError(
                msg, api=API, status=status, path=resource, codes=text_codes
            )
        raise TransientApiError(
            msg,
            api=API,
            status=status,
            path=resource,
            codes=text_codes,
            retry_after=_retry_after(response),
        )
