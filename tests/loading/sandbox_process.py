"""Serve a SnelStart sandbox with a state file in its own process.

Used by the SIGKILL fault test: ``python -m tests.loading.sandbox_process
STATE_FILE`` prints the base URL on its first line and serves on loopback
until killed.
"""

from __future__ import annotations

import sys
import time

from koppel.sandbox.server import start_server
from koppel.sandbox.snelstart import (
    FaultOptions,
    SandboxOptions,
    SnelstartSandbox,
    create_app,
)


def main(state_file: str) -> None:
    """Start the sandbox and keep it running."""
    # every answer takes 10 ms, so a load lasts seconds however fast the
    # machine is and the test's kills land inside it
    slow = FaultOptions(slow_rate=1.0, slow_seconds=0.01)
    sandbox = SnelstartSandbox(
        SandboxOptions(state_file=state_file, throttling=False, faults=slow)
    )
    server = start_server(create_app(sandbox))
    print(server.url, flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main(sys.argv[1])
