"""A local sandbox of SnelStart's B2B API v2 (token endpoint, API, gateway).

Typical use::

    sandbox = SnelstartSandbox(SandboxOptions())
    app = create_app(sandbox)          # serve with koppel.sandbox.server
    sandbox.administration().count("verkooporders")
"""

from __future__ import annotations

from koppel.sandbox.snelstart.app import create_app
from koppel.sandbox.snelstart.faults import FaultOptions
from koppel.sandbox.snelstart.sandbox import (
    RequestRecord,
    SandboxOptions,
    SnelstartSandbox,
)
from koppel.sandbox.snelstart.store import Administration

__all__ = [
    "Administration",
    "FaultOptions",
    "RequestRecord",
    "SandboxOptions",
    "SnelstartSandbox",
    "create_app",
]
