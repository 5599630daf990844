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
            unknown = sorted(set(args.ids) - set(ids))
            print(f"{len(ids)} order(s) will be validated again on the next run")
            if unknown:
                print(f"not in quarantine (nothing to retry): {unknown}")
                return 1
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
    from koppel import quarantine
    from koppel.ledger import order_history

    with staging.connect(_database(args.profile)) as con:
        _require_staged(con, args.order_id)
        history = order_history(con, args.order_id)
        if args.order_id in quarantine.open_order_ids(con) or _was_quarantined(
            con, args.order_id
        ):
            history.append(
                {"stage": "quarantine", **quarantine.show(con, args.order_id)}
            )
    print_json(history)
    return 0


def _was_quarantined(con: Any, order_id: int) -> bool:
    row = con.execute(
        "SELECT 1 FROM quarantine_orders WHERE order_id = ?", [order_id]
    ).fetchone()
    return row is not None


def _require_staged(con: Any, order_id: int) -> None:
    """Unknown order ids are an error, not an empty answer."""
    from koppel.exceptions import ConfigError

    row = con.execute(
        "SELECT 1 FROM stg_orders WHERE order_id = ?", [order_id]
    ).fetchone()
    if row is None:
        msg = (
            f"order {order_id} is not staged for this profile; it was never "
            "read from the shop (check the id, or run the import first)"
        )
        raise ConfigError(msg)


@command("replay")
def cmd_replay(args: argparse.Namespace) -> int:
    """Run one order through validate, map and load again."""
    from koppel import pipeline

    ctx = pipeline.open_context(args.profile, pipeline.new_run_id())
    with staging.connect(ctx.database) as con:
        _require_staged(con, args.order_id)
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
