"""The SnelStart B2B API v2 client: tokens, throttle, retries, redaction.

Every call to SnelStart goes through :class:`SnelstartClient`:

- a bearer token from ``POST {token_url}`` (form ``grant_type=clientkey``),
  fetched again shortly before it expires and once after a 401;
- the ``Ocp-Apim-Subscription-Key`` header on every API call;
- the per-administration :class:`~koppel.snelstart.throttle.Throttle`;
- the status -> action table of :mod:`koppel.snelstart.errors`: 429 waits
  ``Retry-After``, 5xx and timeouts back off exponentially with jitter
  (bounded), POSTs that may have landed raise
  :class:`~koppel.exceptions.AmbiguousWriteError`, 400 raises
  :class:`~koppel.exceptions.FatalApiError` with SnelStart's codes and
  401/403 raise :class:`~koppel.exceptions.ApiAuthError`;
- Decimal-safe JSON both ways (bodies via ``koppel.plan.dumps(numbers=True)``,
  responses parsed with ``parse_float=Decimal``);
- logs with method and path only: no query strings (they hold e-mail
  addresses), no tokens, no keys, no bodies.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
from pydantic import SecretStr

from koppel.exceptions import (
    AmbiguousWriteError,
    ApiAuthError,
    FatalApiError,
    TransientApiError,
)
from koppel.plan import dumps
from koppel.profile import SnelstartSettings
from koppel.snelstart.errors import (
    Action,
    classify,
    classify_transport_error,
    parse_error_body,
    parse_retry_after,
)
from koppel.snelstart.throttle import Throttle, ThrottleLimits, administration_key

__all__ = ["ClientStats", "SnelstartClient", "page_size"]

log = logging.getLogger(__name__)

API = "snelstart"
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 30.0
MAX_THROTTLED_ATTEMPTS = 30
TOKEN_MARGIN_SECONDS = 60.0

# scopes a koppeling needs per resource, for the 403 message
_SCOPES = {
    "relaties": "relaties",
    "artikelen": "artikelen",
    "artikelomzetgroepen": "artikelen",
    "verkooporders": "orders",
    "verkoopordersjablonen": "orders",
    "landen": "settings",
    "btwtarieven": "settings",
    "kostenplaatsen": "settings",
    "companyInfo": "settings",
}


def page_size(resource: str) -> int:
    """The real ``$top`` maximum of a list endpoint (25 for artikelen)."""
    from koppel import settings

    if resource.startswith("artikelen"):
        return settings.SNELSTART_MAX_TOP_ARTIKELEN
    return settings.SNELSTART_MAX_TOP


@dataclass
class ClientStats:
    """What one client did: calls by ``METHOD resource``, retries, waits."""

    calls: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    throttled: int = 0
    throttle_wait_seconds: float = 0.0
    token_fetches: int = 0

    def total_calls(self) -> int:
        """API calls made (token requests not included)."""
        return sum(self.calls.values())


class SnelstartClient:
    """An httpx client for one SnelStart administration; a context manager.

    Args:
        settings: the profile's ``[snelstart]`` section.
        clientkey: the koppelsleutel of the administration.
        subscription_key: the ``Ocp-Apim-Subscription-Key``.
        transport: an httpx transport (tests pass a MockTransport).
        throttle: the administration's shared throttle; None builds one
            shared by the runs in this process (pass
            :meth:`Throttle.for_profile` to share it across processes).
        sleep: how to wait between attempts; injectable for tests.
        rng: source of backoff jitter.
        backoff_base: first backoff in seconds (doubles per attempt).
        clock: monotonic seconds for token expiry; injectable for tests.
    """

    def __init__(
        self,
        settings: SnelstartSettings,
        *,
        clientkey: SecretStr,
        subscription_key: SecretStr,
        transport: httpx.BaseTransport | None = None,
        throttle: Throttle | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        backoff_base: float = BACKOFF_BASE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._clientkey = clientkey
        self._subscription_key = subscription_key
        self.throttle = throttle or Throttle(
            ThrottleLimits(
                calls_per_minute=settings.calls_per_minute,
                calls_per_hour=settings.calls_per_hour,
                concurrency=settings.concurrency,
            ),
            key=administration_key(settings.api_url, clientkey.get_secret_value()),
        )
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._backoff_base = backoff_base
        self._clock = clock
        timeout = httpx.Timeout(
            settings.timeout_seconds, connect=min(10.0, settings.timeout_seconds)
        )
        self._http = httpx.Client(
            transport=transport,
            timeout=timeout,
            headers={"Accept": "application/json"},
            limits=httpx.Limits(max_connections=settings.concurrency),
        )
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_lock = threading.Lock()
        self._stats_lock = threading.Lock()
        self.stats = ClientStats()

    def __enter__(self) -> SnelstartClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET one resource or one page; parsed JSON (Decimals for numbers)."""
        return self.request("GET", path, params=params)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        """POST a new record; raises AmbiguousWriteError when it may exist."""
        return self.request("POST", path, body=body)

    def put(self, path: str, body: dict[str, Any]) -> Any:
        """PUT a full record (idempotent, so retried like a GET)."""
        return self.request("PUT", path, body=body)

    def get_all(
        self, resource: str, *, filter: str | None = None, top: int | None = None
    ) -> list[dict[str, Any]]:
        """Every record of an OData list, page by page at the real maximum.

        SnelStart answers bare arrays without a count: the next page is asked
        for only while the last one came back full.
        """
        top = top or page_size(resource)
        records: list[dict[str, Any]] = []
        skip = 0
        while True:
            params: dict[str, Any] = {"$top": top, "$skip": skip}
            if filter:
                params["$filter"] = filter
            page = self.get(resource, params)
            if not isinstance(page, list):
                return [page] if isinstance(page, dict) else records
            records.extend(page)
            if len(page) < top:
                return records
            skip += top

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
    ) -> Any:
        """Send one API request under the status -> action table.

        Raises:
            AmbiguousWriteError: a POST failed after it was sent.
            TransientApiError: retries or throttle waits exhausted.
            FatalApiError: SnelStart rejected the request (codes attached).
            ApiAuthError: credentials or scopes are wrong; stop the run.
        """
        method = method.upper()
        path = path.strip("/")
        content = None if body is None else dumps(body, numbers=True).encode()
        failures = throttled = 0
        reauthed = False
        while True:
            try:
                response = self._send(method, path, params, content)
            except httpx.TransportError as exc:
                action = classify_transport_error(exc, method)
                failures += 1
                self._on_failure(action, method, path, None, failures, exc)
                continue
            action = classify(response.status_code, method)
            if action is Action.OK:
                return _parse(response)
            if action is Action.WAIT:
                throttled += 1
                self._on_throttled(method, path, response, throttled)
            elif action is Action.REAUTH and not reauthed:
                reauthed = True
                self._drop_token()
            elif action in (Action.REAUTH, Action.DENIED):
                raise self._auth_error(method, path, response.status_code)
            elif action is Action.REJECT:
                raise _rejected(method, path, response)
            else:
                failures += 1
                self._on_failure(action, method, path, response, failures, None)

    def _send(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        content: bytes | None,
    ) -> httpx.Response:
        headers = {
            "Authorization": f"Bearer {self._bearer()}",
            "Ocp-Apim-Subscription-Key": self._subscription_key.get_secret_value(),
        }
        if content is not None:
            headers["Content-Type"] = "application/json"
        url = f"{self.settings.api_url}/{path}"
        with self.throttle.acquire() as waited:
            with self._stats_lock:
                self.stats.calls[f"{method} {_resource(path)}"] += 1
                self.stats.throttle_wait_seconds += waited
            response = self._http.request(
                method, url, params=params, content=content, headers=headers
            )
        log.debug("%s /%s -> %s", method, path, response.status_code)
        return response

    def _on_failure(
        self,
        action: Action,
        method: str,
        path: str,
        response: httpx.Response | None,
        failures: int,
        exc: Exception | None,
    ) -> None:
        status = None if response is None else response.status_code
        what = type(exc).__name__ if exc is not None else f"HTTP {status}"
        if action is Action.AMBIGUOUS:
            msg = (
                f"`{method} /{path}` failed after it was sent ({what}); the record "
                "may exist in SnelStart: look it up by its reference before "
                "posting again"
            )
            raise AmbiguousWriteError(msg, api=API, status=status, path=path) from exc
        if failures > self.settings.max_retries:
            msg = (
                f"`{method} /{path}` still failing after {failures} attempts "
                f"({what}); allowed: `max_retries` = {self.settings.max_retries}"
            )
            raise TransientApiError(msg, api=API, status=status, path=path) from exc
        delay = self._backoff(failures)
        with self._stats_lock:
            self.stats.retries += 1
        log.warning(
            "SnelStart %s /%s failed (%s); retry %d of %d in %.2f s",
            method,
            path,
            what,
            failures,
            self.settings.max_retries,
            delay,
        )
        self._sleep(delay)

    def _on_throttled(
        self, method: str, path: str, response: httpx.Response, throttled: int
    ) -> None:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if throttled > MAX_THROTTLED_ATTEMPTS:
            msg = (
                f"`{method} /{path}` throttled {throttled} times in a row (429); "
                "lower `calls_per_minute` in the profile or run later"
            )
            raise TransientApiError(
                msg, api=API, status=429, path=path, retry_after=retry_after
            )
        wait = retry_after if retry_after is not None else self._backoff(throttled)
        with self._stats_lock:
            self.stats.throttled += 1
        log.warning(
            "SnelStart throttled %s /%s (429); waiting %.2f s", method, path, wait
        )
        # the shared throttle holds back every caller of this administration
        self.throttle.block_for(wait)

    def _backoff(self, attempt: int) -> float:
        ceiling = min(BACKOFF_CAP_SECONDS, self._backoff_base * 2 ** (attempt - 1))
        return ceiling * (0.5 + self._rng.random() / 2)

    def _bearer(self) -> str:
        with self._token_lock:
            if self._token is None or self._clock() >= self._token_expires:
                self._fetch_token()
            assert self._token is not None
            return self._token

    def _drop_token(self) -> None:
        with self._token_lock:
            self._token = None

    def _fetch_token(self) -> None:
        data = {
            "grant_type": "clientkey",
            "clientkey": self._clientkey.get_secret_value(),
        }
        for attempt in range(1, self.settings.max_retries + 2):
            try:
                response = self._http.post(self.settings.token_url, data=data)
            except httpx.TransportError as exc:
                error: Exception | None = exc
                status: int | None = None
            else:
                error, status = None, response.status_code
                if status < 300:
                    self._store_token(response)
                    return
                if status < 500 and status not in (408, 429):
                    raise self._token_refused(status, response)
            if attempt > self.settings.max_retries:
                break
            self._sleep(self._backoff(attempt))
        msg = (
            f"SnelStart token endpoint unreachable after "
            f"{self.settings.max_retries + 1} attempts (status {status})"
        )
        raise TransientApiError(msg, api=API, status=status, path="token") from error

    def _store_token(self, response: httpx.Response) -> None:
        try:
            body = response.json()
            token = str(body["access_token"])
            lifetime = float(body.get("expires_in", 3599))
        except (ValueError, KeyError, TypeError) as exc:
            msg = "SnelStart token endpoint answered without an `access_token`"
            raise TransientApiError(msg, api=API, path="token") from exc
        margin = min(TOKEN_MARGIN_SECONDS, lifetime / 10)
        self._token = token
        self._token_expires = self._clock() + lifetime - margin
        with self._stats_lock:
            self.stats.token_fetches += 1
        log.debug("SnelStart token fetched, valid %.0f s", lifetime)

    def _token_refused(self, status: int, response: httpx.Response) -> ApiAuthError:
        _, detail = parse_error_body(response.content)
        msg = (
            f"SnelStart refused the koppelsleutel from "
            f"{self.settings.clientkey.describe()} (token endpoint, HTTP {status}: "
            f"{detail!r}); generate a new koppelsleutel in SnelStart and update "
            "the secret"
        )
        return ApiAuthError(msg, api=API, status=status, path="token")

    def _auth_error(self, method: str, path: str, status: int) -> ApiAuthError:
        if status == 403:
            scope = _SCOPES.get(_resource(path), "the needed")
            access = "read" if method == "GET" else "write"
            msg = (
                f"SnelStart denied `{method} /{path}` (403): the koppeling lacks "
                f"the `{scope}:{access}` scope; ask the administration owner to "
                "grant it"
            )
        else:
            msg = (
                f"SnelStart refused the credentials for `{method} /{path}` (401): "
                f"check the subscription key in "
                f"{self.settings.subscription_key.describe()} and the koppelsleutel "
                f"in {self.settings.clientkey.describe()}"
            )
        return ApiAuthError(msg, api=API, status=status, path=path)


def _resource(path: str) -> str:
    return path.strip("/").split("/", 1)[0].split("?", 1)[0]


def _parse(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return json.loads(response.content, parse_float=Decimal)
    except ValueError as exc:
        msg = f"SnelStart answered HTTP {response.status_code} with invalid JSON"
        raise TransientApiError(msg, api=API, status=response.status_code) from exc


def _rejected(method: str, path: str, response: httpx.Response) -> FatalApiError:
    codes, detail = parse_error_body(response.content)
    shown = ", ".join(codes) if codes else "no error code"
    msg = (
        f"SnelStart rejected `{method} /{path}` (HTTP {response.status_code}, "
        f"{shown}): {detail!r}"
    )
    return FatalApiError(
        msg, api=API, status=response.status_code, path=path, codes=codes
    )
