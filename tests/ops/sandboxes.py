"""Both sandboxes for the ops tests, the SnelStart one without gateway
limits: these tests are about runs, chunks and deployments, not throttling,
and each run pays the throttle's spacing on every call."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from koppel import settings
from koppel.cli import write_sandbox_profile

ROOT = Path(__file__).parents[2]


def fast_sandboxes(orders: int, seed: int) -> tuple[Any, Any, Any]:
    """(PrestaShop server, SnelStart server, SnelStart sandbox) on loopback."""
    from koppel.sandbox import prestashop as ps_box
    from koppel.sandbox import snelstart as sn_box
    from koppel.sandbox.server import start_server

    shop = ps_box.generate_shop(orders=orders, seed=seed)
    options = ps_box.SandboxOptions(key=settings.DEMO_PRESTASHOP_KEY)
    sandbox = sn_box.SnelstartSandbox(
        sn_box.SandboxOptions(
            clientkeys=(settings.DEMO_SNELSTART_CLIENTKEY,),
            subscription_keys=(settings.DEMO_SNELSTART_SUBSCRIPTION_KEY,),
            throttling=False,
        )
    )
    ps_server = start_server(ps_box.create_app(shop, options))
    sn_server = start_server(sn_box.create_app(sandbox))
    return ps_server, sn_server, sandbox


def sandbox_profile(directory: Path, ps_server: Any, sn_server: Any) -> Path:
    """The demo profile pointed at the sandboxes, with its throttle opened."""
    path = write_sandbox_profile(directory, ps_server.url, sn_server.url)
    text = path.read_text(encoding="utf-8").replace(
        "[snelstart]\n",
        "[snelstart]\ncalls_per_minute = 100000\ncalls_per_hour = 1000000\n",
    )
    path.write_text(text, encoding="utf-8")
    return path


def koppel_argv(*args: str) -> list[str]:
    """argv of the ``koppel`` console script of this environment."""
    return [str(Path(sys.executable).parent / "koppel"), *args]
