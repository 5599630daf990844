"""Commands that look into one profile's data: quarantine, order, replay."""

from __future__ import annotations

import argparse
from typing import Any

from koppel import staging
from koppel.cli import command, print_json
from koppel.profile import find_profile, load_profile

__all__ = ["register"]


def _database(profile_ref: str) -> Any:
    return load_profile(find_profile(profile_ref)).database_path


@command("quarantine")
def cmd_quarantine(args: argparse.Namespace) -> int:
    """List, show, retry or ignore quarantined orders."""
    from koppel import quarantine

    with staging.connect(_database(args.profile)) as con:
        if args.action == "list":
            entries = quarantine.list_entries(con, status=args.status)
            if args.json:
                print_json(entries)
            else:
                print(quarantine.format_entries(entries))
        elif args.action == "show":
            detail = quarantine.show(con, _one_id(args))
            if args.json:
                print_json(detail)
            else:
                print(quarantine.format_show(detail))
        elif args.action == "retry":
            ids = quarantine.request_retry(con, args.ids or None)
            print(f"{len(ids)} order(s) will be validated again on the next run")
        elif args.action == "ignore":
            if not args.reason:
                print("koppel: `ignore` needs --reason TEXT")
                return 2
            quarantine.ignore(con, _one_id(args), args.reason)
            print(f"order {_one_id(args)} ignored: {args.reason}")
    return 0


def _one_id(args: argparse.Namespace) -> int:
    if len(args.ids) != 1:
        msg = f"`{args.action}` takes exactly one order id, got {args.ids!r}"
        raise SystemExit(msg)
    return args.ids[0]


@command("order")
def cmd_order(args: argparse.Namespace) -> int:
    """Show one shop order's whole history: shop → mapped → SnelStart."""
    from koppel.ledger import order_history

    with staging.connect(_database(args.profile)) as con:
        print_json(order_history(con, args.order_id))
    return 0


@command("replay")
def cmd_replay(args: argparse.Namespace) -> int:
    """Run one order through validate, map and load again."""
    from koppel import pipeline

    ctx = pipeline.open_context(args.profile, pipeline.new_run_id())
    summary = pipeline.replay_order(ctx, args.order_id, dry_run=args.dry_run)
    print_json(summary)
    return 0


def register(sub: Any) -> None:
    """Add the data commands to the CLI."""
    q = sub.add_parser("quarantine", help="list, show, retry or ignore")
    q.add_argument("profile")
    q.add_argument("action", choices=["list", "show", "retry", "ignore"])
    q.add_argument("ids", nargs="*", type=int, help="shop order ids")
    q.add_argument("--reason", help="why an order is ignored (for `ignore`)")
    q.add_argument(
        "--status", default="open", help="for `list`: open, ignored, released or all"
    )
    q.add_argument("--json", action="store_true")

    o = sub.add_parser("order", help="one order's history, shop to SnelStart")
    o.add_argument("profile")
    o.add_argument("order_id", type=int)

    r = sub.add_parser("replay", help="validate, map and load one order again")
    r.add_argument("profile")
    r.add_argument("order_id", type=int)
    r.add_argument("--dry-run", action="store_true")
