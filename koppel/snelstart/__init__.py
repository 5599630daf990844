"""SnelStart B2B API v2: the client, its throttle and bulk look-ups."""

from __future__ import annotations

from koppel.snelstart.client import ClientStats, SnelstartClient
from koppel.snelstart.lookup import fetch_snapshot
from koppel.snelstart.throttle import Throttle, ThrottleLimits

__all__ = [
    "ClientStats",
    "SnelstartClient",
    "Throttle",
    "ThrottleLimits",
    "fetch_snapshot",
]
