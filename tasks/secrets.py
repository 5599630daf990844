"""Read Prefect Secret blocks for profiles that name them."""

from __future__ import annotations

from prefect.blocks.system import Secret


def load_secret_block(name: str) -> str:
    """Return the value of the Prefect Secret block called ``name``."""
    value = Secret.load(name).get()
    return str(value)
