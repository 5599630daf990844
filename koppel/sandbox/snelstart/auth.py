"""Bearer tokens of the sandbox's ``/b2b/token`` endpoint.

Tokens look like the real ones (a JWT whose payload carries space-separated
``scopes``) but are only checked by lookup, against the sandbox clock, so
tests can make them expire without waiting.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = ["ALL_SCOPES", "Token", "TokenIssuer", "decode_password_grant"]

ALL_SCOPES: tuple[str, ...] = tuple(
    f"{area}:{mode}"
    for area in (
        "artikelen",
        "bankieren",
        "boekhouden",
        "btwaangiftes",
        "documenten",
        "kas",
        "memoriaal",
        "orders",
        "relaties",
        "settings",
    )
    for mode in ("read", "write")
) + ("rapportage",)


@dataclass(frozen=True)
class Token:
    """An issued bearer token."""

    value: str
    clientkey: str
    scopes: frozenset[str]
    expires_at: float


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class TokenIssuer:
    """Issues tokens and finds them again until they expire."""

    def __init__(self, ttl: int, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self.clock = clock
        self._tokens: dict[str, Token] = {}
        self._lock = threading.Lock()

    def issue(self, clientkey: str, scopes: Iterable[str]) -> Token:
        """A fresh token for a koppelsleutel."""
        scope_set = frozenset(scopes)
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        claims = {
            "iss": "koppel-snelstart-sandbox",
            "scopes": " ".join(sorted(scope_set)),
            "jti": secrets.token_hex(8),
            "expires_in": self.ttl,
        }
        payload = _b64(json.dumps(claims).encode())
        value = f"{header}.{payload}.{_b64(secrets.token_bytes(32))}"
        token = Token(value, clientkey, scope_set, self.clock() + self.ttl)
        with self._lock:
            self._purge()
            self._tokens[value] = token
        return token

    def lookup(self, value: str) -> Token | None:
        """The live token with this value (None when unknown or expired)."""
        with self._lock:
            token = self._tokens.get(value)
            if token is None or self.clock() >= token.expires_at:
                return None
            return token

    def _purge(self) -> None:
        now = self.clock()
        for value in [v for v, t in self._tokens.items() if now >= t.expires_at]:
            del self._tokens[value]


def decode_password_grant(clientkey: str) -> tuple[str, str] | None:
    """The (username, password) a koppelsleutel encodes, as SnelStart's .NET
    client reads it (base64 of ``username:password``), or None."""
    try:
        text = base64.b64decode(clientkey, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    username, sep, password = text.partition(":")
    return (username, password) if sep else None
