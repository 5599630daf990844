"""Names of the Prefect global concurrency limits that keep runs apart.

- ``koppel-profile-<name>`` (1 slot): never two runs of one profile at once,
  whatever the flow (import, re-scan, backfill).
- ``koppel-snelstart-<hash>`` (1 slot): one writer per SnelStart
  administration across profiles, because its throttle counts per
  administration. The administration is known by its API URL and
  koppelsleutel, which is secret, so the name carries a salted SHA-256 prefix
  of both, never the key.
"""

from __future__ import annotations

import hashlib
import re

from pydantic import SecretStr

__all__ = [
    "ADMINISTRATION_SLOTS",
    "PROFILE_SLOTS",
    "administration_limit_name",
    "profile_limit_name",
]

PROFILE_SLOTS = 1
ADMINISTRATION_SLOTS = 1
_SALT = b"koppel-administration-v1\x00"


def profile_limit_name(profile: str) -> str:
    """The per-profile limit: ``koppel-profile-<name>``."""
    return "koppel-profile-" + re.sub(r"[^a-z0-9_-]", "-", profile.lower())


def administration_limit_name(api_url: str, clientkey: SecretStr) -> str:
    """The per-administration limit: ``koppel-snelstart-<12 hex>``.

    Two profiles that book into the same administration (same API URL and
    koppelsleutel) get the same name; the koppelsleutel cannot be read back.
    """
    digest = hashlib.sha256(
        _SALT
        + api_url.rstrip("/").lower().encode()
        + b"\x00"
        + clientkey.get_secret_value().encode()
    ).hexdigest()
    return f"koppel-snelstart-{digest[:12]}"
