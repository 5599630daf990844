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


# Runs `koppel` with the ops commands even while `koppel.cli.build_parser`
# does not load its EXTENSIONS yet (then this adds them; else a no-op).
KOPPEL = (
    "import sys\n"
    "from koppel import cli\n"
    "build = cli.build_parser\n"
    "def with_extensions():\n"
    "    parser = build()\n"
    "    sub = next(a for a in parser._actions if hasattr(a, 'choices') and a.choices"
    " and 'run' in a.choices)\n"
    "    if 'deploy' not in sub.choices:\n"
    "        cli._load_extensions(sub)\n"
    "    return parser\n"
    "cli.build_parser = with_extensions\n"
    "sys.exit(cli.main(sys.argv[1:]))\n"
)


def koppel_argv(*args: str) -> list[str]:
    """argv that runs ``koppel ARGS`` in a fresh interpreter."""
    return [sys.executable, "-c", KOPPEL, *args]
