"""Operations commands: deploy, serve, backfill, rescan, status, doctor.

Prefect is imported inside the handlers only: ``koppel status`` and ``koppel
doctor`` work without it, and the core package never imports it.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from typing import Any

from koppel.cli import _quiet_prefect_env, command, print_json
from koppel.exceptions import ConfigError

__all__ = ["register"]


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _deployments(module: str) -> Any:
    """Import ``deployments.<module>`` from the project directory."""
    try:
        return importlib.import_module(f"deployments.{module}")
    except ModuleNotFoundError as exc:
        if exc.name not in ("deployments", f"deployments.{module}"):
            raise
    # NOTE: `deployments/` sits beside the installed packages, not in them;
    # the commands run from the project root, where profiles/ also lives.
    if not (Path.cwd() / "deployments" / "generate.py").exists():
        msg = "run `koppel deploy` / `koppel serve` from the koppel project directory"
        raise ConfigError(msg)
    sys.path.insert(0, str(Path.cwd()))
    return importlib.import_module(f"deployments.{module}")


def _require_api() -> str:
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if not url:
        msg = (
            "deployments need a Prefect server: start one with `prefect server "
            "start --host 127.0.0.1` and set `PREFECT_API_URL` "
            "(e.g. http://127.0.0.1:4200/api)"
        )
        raise ConfigError(msg)
    return str(url)


@command("deploy")
def cmd_deploy(args: argparse.Namespace) -> int:
    """Create or update the profiles' deployments on the Prefect API."""
    _quiet_prefect_env()
    api = _require_api()
    specs = _deployments("generate").build_specs(args.profiles)
    ids = _deployments("runner").deploy(specs)
    if args.json:
        print_json({name: str(i) for name, i in ids.items()})
        return 0
    _out(f"{len(ids)} deployments on {api}:")
    for spec in specs:
        when = ", ".join(s.describe() for s in spec.schedules) or "ad hoc"
        _out(f"  {spec.full_name:<32} {when}")
    _out("Runs start once a process serves them: `koppel serve`.")
    return 0


@command("serve")
def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the profiles' deployments until interrupted."""
    _quiet_prefect_env()
    _require_api()
    specs = _deployments("generate").build_specs(args.profiles)
    _deployments("runner").serve(specs, limit=args.limit)
    return 0


def _progress_bar(stream: Any) -> Any:
    def show(progress: Any, chunk: Any) -> None:
        width = 30
        filled = int(width * progress.fraction)
        bar = "#" * filled + "-" * (width - filled)
        loaded = progress.totals.get("loaded", 0)
        stream.write(
            f"\rbackfill [{bar}] {progress.done}/{progress.total} chunks, "
            f"{loaded} loaded"
        )
        if progress.finished:
            stream.write("\n")
        stream.flush()

    return show


@command("backfill")
def cmd_backfill(args: argparse.Namespace) -> int:
    """Backfill a date range in resumable chunks."""
    from koppel.ops.backfill import parse_chunk

    _quiet_prefect_env()
    try:
        chunk = parse_chunk(args.chunk)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    from flows import backfill as module

    hook = _progress_bar(sys.stderr)
    module.PROGRESS_HOOKS.append(hook)
    try:
        result = module.backfill(
            profile=args.profile,
            since=args.since,
            until=args.until,
            chunk=chunk,
            restart=args.restart,
        )
    finally:
        module.PROGRESS_HOOKS.remove(hook)
    if args.json:
        print_json(result)
    else:
        figures = ", ".join(
            f"{k} {result.get(k, 0)}" for k in ("extracted", "loaded", "quarantined")
        )
        _out(
            f"backfill {result['profile']}: {result['done']}/{result['chunks']} "
            f"chunks; {figures}"
        )
    return 0


@command("rescan")
def cmd_rescan(args: argparse.Namespace) -> int:
    """Re-read and book the orders of the last days."""
    _quiet_prefect_env()
    from flows.rescan import rescan

    summary = rescan(profile=args.profile, days=args.days)
    if args.json:
        print_json(summary)
    else:
        from koppel.cli import format_summary

        _out(f"koppel rescan {args.profile}:")
        _out(format_summary(summary))
    return 0


@command("status")
def cmd_status(args: argparse.Namespace) -> int:
    """Show last runs, watermark, ledger, quarantine and next run."""
    from koppel.ops.status import collect_status, render_status
    from koppel.profile import PROFILE_DIR, find_profile, load_profile

    refs = args.profiles or [str(p) for p in sorted(PROFILE_DIR.glob("*.toml"))]
    statuses = [
        collect_status(load_profile(find_profile(ref)), runs=args.runs) for ref in refs
    ]
    if args.json:
        print_json([s.as_dict() for s in statuses])
    else:
        _out(render_status(statuses) or "no profiles")
    return 0


def _block_loader() -> Any:
    def load(name: str) -> str:
        _quiet_prefect_env()
        from tasks.secrets import load_secret_block

        return load_secret_block(name)

    return load


@command("doctor")
def cmd_doctor(args: argparse.Namespace) -> int:
    """Check a profile, its credentials and its SnelStart set-up."""
    from koppel.ops.doctor import render_checklist, run_doctor

    result = run_doctor(
        args.profile, block_loader=_block_loader(), timeout=args.timeout
    )
    if args.json:
        print_json(
            {
                "profile": result.profile,
                "ok": result.ok,
                "checks": [vars(c) for c in result.checks],
            }
        )
    else:
        _out(render_checklist(result))
    return 0 if result.ok else 1


def register(sub: Any) -> None:
    """Add the operations sub-commands to the ``koppel`` parser."""
    profiles_help = "profile names or paths (default: all in profiles/)"
    deploy = sub.add_parser("deploy", help="create the deployments on Prefect")
    deploy.add_argument("profiles", nargs="*", help=profiles_help)
    deploy.add_argument("--json", action="store_true", help="print one JSON object")

    serve = sub.add_parser("serve", help="serve the deployments until Ctrl-C")
    serve.add_argument("profiles", nargs="*", help=profiles_help)
    serve.add_argument("--limit", type=int, default=None, help="max runs at once")

    fill = sub.add_parser("backfill", help="book a date range in chunks")
    fill.add_argument("profile", help="profile name or path")
    fill.add_argument("--since", required=True, help="start date (shop-local)")
    fill.add_argument("--until", required=True, help="end date, exclusive")
    fill.add_argument("--chunk", default="1d", help="chunk size: 1d, 6h, 30m")
    fill.add_argument("--restart", action="store_true", help="ignore progress")
    fill.add_argument("--json", action="store_true", help="print one JSON object")

    scan = sub.add_parser("rescan", help="re-read the last days of orders")
    scan.add_argument("profile", help="profile name or path")
    scan.add_argument("--days", type=int, default=None)
    scan.add_argument("--json", action="store_true", help="print one JSON object")

    status = sub.add_parser("status", help="runs, watermark, ledger, next run")
    status.add_argument("profiles", nargs="*", help=profiles_help)
    status.add_argument("--runs", type=int, default=5, help="recent runs to show")
    status.add_argument("--json", action="store_true", help="print one JSON object")

    doctor = sub.add_parser("doctor", help="check a profile end to end")
    doctor.add_argument("profile", help="profile name or path")
    doctor.add_argument("--timeout", type=float, default=10.0, help="per request")
    doctor.add_argument("--json", action="store_true", help="print one JSON object")
