"""The ``koppel`` command line.

Commands that run a pipeline import the Prefect flows lazily, so the core
package itself never imports Prefect; everything else works without it.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from koppel import settings
from koppel.exceptions import KoppelError
from koppel.sandbox.flags import add_sandbox_flags

__all__ = ["main"]

log = logging.getLogger("koppel")

Handler = Callable[[argparse.Namespace], int]
_COMMANDS: dict[str, Handler] = {}


def command(name: str) -> Callable[[Handler], Handler]:
    """Register a sub-command handler."""

    def register(func: Handler) -> Handler:
        _COMMANDS[name] = func
        return func

    return register


def _quiet_prefect_env() -> None:
    """Offline defaults: no telemetry, koppel's own logs in the run logs."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "koppel")
    # koppel's loggers also log outside flow runs (CLI, plain functions)
    os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
    # a busy 2-core machine needs longer than the default 20 s to start the
    # ephemeral API server
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def print_json(data: Any) -> None:
    """Print one JSON object on stdout."""
    print(json.dumps(data, indent=2, sort_keys=True, default=str))


def format_summary(summary: dict[str, Any]) -> str:
    """A readable run summary for the terminal."""
    rows = [
        ("extracted", summary.get("extracted", 0)),
        ("pending from earlier runs", summary.get("backlog", 0)),
        ("loaded", summary.get("loaded", 0)),
        ("quarantined", summary.get("quarantined", 0)),
        ("skipped", summary.get("skipped", 0)),
        ("failed (retried next run)", summary.get("failed", 0)),
        ("already in SnelStart (not ours)", summary.get("already_in_snelstart", 0)),
        ("unreadable in the shop (retried)", summary.get("unreadable_in_shop", 0)),
        ("customers created", summary.get("customers_created", 0)),
        ("articles created", summary.get("articles_created", 0)),
    ]
    if summary.get("dry_run"):
        rows.insert(2, ("would be booked", summary.get("would_book", 0)))
    width = max(len(r[0]) for r in rows)
    lines = [f"  {label:<{width}}  {value:>6}" for label, value in rows]
    if summary.get("dry_run"):
        lines.insert(0, "  (dry run: nothing was written to SnelStart)")
    return "\n".join(lines)


# --- run ---------------------------------------------------------------------


def check_profile(profile: str) -> None:
    """Fail fast, before Prefect starts, on a bad profile or a missing secret.

    Secrets in Prefect Secret blocks are read by the flow itself.
    """
    from koppel.profile import find_profile, load_profile, resolve_secret

    loaded = load_profile(find_profile(profile))
    ps, sn = loaded.prestashop, loaded.snelstart
    for ref in (ps.key, sn.clientkey, sn.subscription_key):
        if ref.env is not None:
            resolve_secret(ref)


class _KoppelErrorsWithoutTraceback(logging.Filter):
    """Show koppel's own errors on the console as their message alone.

    Prefect logs a failed task or flow with its traceback; for a KoppelError
    the message already says what is wrong and how to fix it, and the CLI
    prints it once more as its last line. Other errors keep their traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, KoppelError):
            record.exc_info = None
            record.exc_text = None
        return True


def _console_without_tracebacks() -> None:
    for handler in logging.getLogger().handlers:
        if not any(
            isinstance(f, _KoppelErrorsWithoutTraceback) for f in handler.filters
        ):
            handler.addFilter(_KoppelErrorsWithoutTraceback())


def run_flow(profile: str, *, dry_run: bool = False) -> dict[str, Any]:
    """Run ``import_orders`` for a profile on the configured Prefect API."""
    check_profile(profile)
    _quiet_prefect_env()
    from flows.import_orders import import_orders

    _console_without_tracebacks()

    return import_orders(profile=profile, dry_run=dry_run)


@command("run")
def cmd_run(args: argparse.Namespace) -> int:
    """Run the import for one profile."""
    summary = run_flow(args.profile, dry_run=args.dry_run)
    if args.json:
        print_json(summary)
    else:
        print(f"koppel run {args.profile}:")
        print(format_summary(summary))
        if summary.get("dry_run") and summary.get("preview"):
            print_json(summary["preview"])
    return 0


# --- sandboxes and demo ------------------------------------------------------


def start_sandboxes(
    *,
    orders: int,
    seed: int,
    prestashop_port: int = 0,
    snelstart_port: int = 0,
    prestashop_options: Any = None,
    snelstart_options: Any = None,
    shop_kwargs: dict[str, Any] | None = None,
) -> tuple[Any, Any, Any, Any]:
    """Start both sandboxes on loopback.

    Args:
        orders: orders the PrestaShop sandbox generates.
        seed: generator seed (the same seed gives the same shop).
        prestashop_port: 0 picks a free port.
        snelstart_port: 0 picks a free port.
        prestashop_options: PrestaShop ``SandboxOptions`` (demo key if None).
        snelstart_options: SnelStart ``SandboxOptions`` (demo keys if None).
        shop_kwargs: more ``generate_shop`` arguments (shops, now, timezone).

    Returns:
        (prestashop server, snelstart server, shop, snelstart sandbox)
    """
    from koppel.sandbox import prestashop as ps
    from koppel.sandbox import snelstart as sn
    from koppel.sandbox.server import start_server

    shop = ps.generate_shop(orders=orders, seed=seed, **(shop_kwargs or {}))
    ps_app = ps.create_app(shop, prestashop_options or ps.SandboxOptions())
    sandbox = sn.SnelstartSandbox(snelstart_options or sn.SandboxOptions())
    ps_server = start_server(ps_app, prestashop_port)
    try:
        sn_server = start_server(sn.create_app(sandbox), snelstart_port)
    except OSError:
        ps_server.stop()
        raise
    return ps_server, sn_server, shop, sandbox


def write_sandbox_profile(
    directory: Path, prestashop_url: str, snelstart_url: str
) -> Path:
    """Write a copy of the demo profile that points at running sandboxes.

    Args:
        directory: the data directory (the profile and DuckDB file go here).
        prestashop_url: root URL of the PrestaShop sandbox (no ``/api``).
        snelstart_url: root URL of the SnelStart sandbox (no ``/v2``).
    """
    text = (Path("profiles") / "demo.toml").read_text(encoding="utf-8")
    default_ps = f"http://127.0.0.1:{settings.DEFAULT_PRESTASHOP_PORT}"
    default_sn = f"http://127.0.0.1:{settings.DEFAULT_SNELSTART_PORT}"
    text = text.replace(default_ps, prestashop_url).replace(default_sn, snelstart_url)
    text = text.replace('data_dir = "data"', f'data_dir = "{directory.as_posix()}"')
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "demo.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _demo_env() -> None:
    for name, value in settings.DEMO_ENV.items():
        os.environ.setdefault(name, value)


@command("demo")
def cmd_demo(args: argparse.Namespace) -> int:
    """Start both sandboxes, seed orders and book them with the demo profile."""
    directory = Path(args.data_dir)
    database = directory / "demo.duckdb"
    for stale in (database, database.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    ps_server, sn_server, _, sandbox = start_sandboxes(
        orders=args.orders, seed=args.seed
    )
    try:
        _demo_env()
        profile = write_sandbox_profile(directory, ps_server.url, sn_server.url)
        summary = run_flow(str(profile))
    finally:
        ps_server.stop()
        sn_server.stop()
    summary["database"] = str(database)
    if args.json:
        print_json(summary)
        return 0
    print(
        f"\nkoppel demo: {args.orders} orders from the PrestaShop sandbox, "
        "imported into the SnelStart sandbox"
    )
    print(format_summary(summary))
    print(f"\n  staging, ledger and quarantine: {database}")
    print(f"  see quarantined orders: koppel quarantine {profile} list")
    return 0


@command("sandbox")
def cmd_sandbox(args: argparse.Namespace) -> int:
    """Serve both sandboxes until interrupted."""
    import time

    from koppel.sandbox.flags import sandbox_options

    ps_server, sn_server, _, sandbox = start_sandboxes(
        orders=args.orders,
        seed=args.seed,
        prestashop_port=args.prestashop_port,
        snelstart_port=args.snelstart_port,
        **sandbox_options(args),
    )
    print(f"PrestaShop webservice: {ps_server.url}/api/  ({args.orders} orders)")
    print(f"  webservice key (Basic-auth user): {args.prestashop_key}")
    print(f"SnelStart B2B API:     {sn_server.url}/v2/")
    print(f"  token endpoint:      {sn_server.url}/b2b/token")
    print(f"  koppelsleutel:       {args.snelstart_clientkey}")
    print(f"  subscription key:    {args.snelstart_subscription_key}")
    defaults = (settings.DEFAULT_PRESTASHOP_PORT, settings.DEFAULT_SNELSTART_PORT)
    if (ps_server.port, sn_server.port) != defaults:
        print(
            "\n(profiles/demo.toml expects the default ports; copy it and "
            "change the URLs to use these)"
        )
    print("\nFor profiles/demo.toml:")
    print(f"  export KOPPEL_DEMO_PRESTASHOP_KEY={args.prestashop_key}")
    print(f"  export KOPPEL_DEMO_SNELSTART_CLIENTKEY={args.snelstart_clientkey}")
    print(
        "  export KOPPEL_DEMO_SNELSTART_SUBSCRIPTION_KEY="
        f"{args.snelstart_subscription_key}"
    )
    print("Press Ctrl-C to stop.", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        ps_server.stop()
        sn_server.stop()
        sandbox.close()  # compacts the state file's journal into its snapshot
    return 0


# --- parser ------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every koppel command."""
    parser = argparse.ArgumentParser(
        prog="koppel", description="Book PrestaShop orders in SnelStart."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logs")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run the import on the local sandboxes")
    demo.add_argument("--orders", type=int, default=200)
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--json", action="store_true", help="print one JSON object")
    demo.add_argument(
        "--data-dir",
        default="data/demo-run",
        help="where the demo's DuckDB file goes (wiped first)",
    )

    box = sub.add_parser("sandbox", help="serve both sandboxes until Ctrl-C")
    box.add_argument(
        "--prestashop-port", type=int, default=settings.DEFAULT_PRESTASHOP_PORT
    )
    box.add_argument(
        "--snelstart-port", type=int, default=settings.DEFAULT_SNELSTART_PORT
    )
    box.add_argument("--prestashop-key", default=settings.DEMO_PRESTASHOP_KEY)
    box.add_argument("--snelstart-clientkey", default=settings.DEMO_SNELSTART_CLIENTKEY)
    box.add_argument(
        "--snelstart-subscription-key", default=settings.DEMO_SNELSTART_SUBSCRIPTION_KEY
    )
    add_sandbox_flags(box)

    run = sub.add_parser("run", help="run the import for a profile")
    run.add_argument("profile", help="profile name (profiles/NAME.toml) or path")
    run.add_argument("--json", action="store_true", help="print one JSON object")
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="plan and preview; write nothing to SnelStart",
    )
    _load_extensions(sub)
    return parser


# Modules that add sub-commands: each has ``register(sub) -> None`` which adds
# its parsers to the sub-parser action and handlers with ``@command``.
EXTENSIONS = ("koppel.cli_ops", "koppel.cli_data", "koppel.cli_reports")


def _load_extensions(sub: Any) -> None:
    import importlib

    for name in EXTENSIONS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(sub)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``koppel`` console script."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return _COMMANDS[args.command](args)
    except KoppelError as exc:
        print(f"koppel: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
