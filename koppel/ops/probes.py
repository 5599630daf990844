"""Small, direct HTTP probes for ``koppel doctor``.

Doctor must answer quickly and say exactly what failed, so these calls do
not retry or wait for throttles the way the pipeline's clients do: one
request each (a second one only after a 429 or 5xx), a short timeout, and
the outcome as data. Secrets go in
headers and form bodies, never in URLs, and are never part of an outcome.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import SecretStr

__all__ = ["Outcome", "PrestashopProbe", "SnelstartProbe"]

_SNIPPET = 200


@dataclass(frozen=True)
class Outcome:
    """What one probe request returned.

    Attributes:
        status: HTTP status, or None when no answer came (network error).
        data: the parsed JSON body on success.
        error: a short description of the failure (no secrets).
    """

    status: int | None
    data: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True for a 2xx answer."""
        return self.status is not None and 200 <= self.status < 300


_TRANSIENT = frozenset({429, 500, 502, 503, 504})
_PAUSE_SECONDS = 1.0


def _send(client: httpx.Client, method: str, url: str, **kw: Any) -> Outcome:
    """One probe request; a throttle or server error gets one second try.

    A single 429 or 5xx says little about the configuration, and the doctor
    should not report a passing hiccup as a failed check.
    """
    outcome = _send_once(client, method, url, **kw)
    if outcome.status in _TRANSIENT:
        time.sleep(_PAUSE_SECONDS)
        outcome = _send_once(client, method, url, **kw)
    return outcome


def _send_once(client: httpx.Client, method: str, url: str, **kw: Any) -> Outcome:
    try:
        response = client.request(method, url, **kw)
    except httpx.HTTPError as exc:
        return Outcome(None, error=f"{type(exc).__name__}: no answer from the server")
    if response.is_success:
        try:
            return Outcome(
                response.status_code, response.json() if response.content else None
            )
        except json.JSONDecodeError:
            return Outcome(response.status_code, error="answer is not JSON")
    body = response.text[:_SNIPPET].replace("\n", " ")
    return Outcome(response.status_code, error=f"HTTP {response.status_code}: {body}")


class PrestashopProbe:
    """Reads from a shop's webservice with its key."""

    def __init__(
        self,
        url: str,
        key: SecretStr,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self._client = httpx.Client(
            auth=(key.get_secret_value(), ""),
            headers={"Output-Format": "JSON", "Accept": "application/json"},
            timeout=timeout,
            transport=transport,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def orders(self) -> Outcome:
        """Read one order id: proves the URL, the key and its `orders` right."""
        params = {"display": "[id]", "limit": "1", "sort": "[id_DESC]"}
        return _send(self._client, "GET", f"{self.url}/orders", params=params)

    def shop_timezone(self) -> Outcome:
        """The shop's ``PS_TIMEZONE`` configuration value, when exposed."""
        params = {"display": "[name,value]", "filter[name]": "[PS_TIMEZONE]"}
        return _send(self._client, "GET", f"{self.url}/configurations", params=params)


class SnelstartProbe:
    """Gets a token with the koppelsleutel and reads the administration."""

    def __init__(
        self,
        api_url: str,
        token_url: str,
        clientkey: SecretStr,
        subscription_key: SecretStr,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.token_url = token_url
        self._clientkey = clientkey
        self._subscription = subscription_key
        self._token: str | None = None
        self._client = httpx.Client(timeout=timeout, transport=transport)

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def token(self) -> Outcome:
        """Exchange the koppelsleutel for a bearer token."""
        form = {
            "grant_type": "clientkey",
            "clientkey": self._clientkey.get_secret_value(),
        }
        outcome = _send(self._client, "POST", self.token_url, data=form)
        if outcome.ok:
            token = (outcome.data or {}).get("access_token")
            if not token:
                return Outcome(outcome.status, error="token answer has no access_token")
            self._token = str(token)
            return Outcome(outcome.status, data={"token_type": "bearer"})
        return outcome

    def get(self, path: str, params: dict[str, str] | None = None) -> Outcome:
        """GET a resource of the administration (after :meth:`token`)."""
        headers = {
            "Ocp-Apim-Subscription-Key": self._subscription.get_secret_value(),
            "Accept": "application/json",
        }
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        return _send(
            self._client,
            "GET",
            f"{self.api_url}/{path}",
            params=params,
            headers=headers,
        )
