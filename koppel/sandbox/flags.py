"""Command-line switches of ``koppel sandbox``, mapped onto sandbox options.

Every behaviour switch of both sandboxes is reachable from the command line,
so a user can try koppel against a PrestaShop 9 shop in another timezone, a
rate-limited host, or a SnelStart gateway that drops responses.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

__all__ = ["add_sandbox_flags", "sandbox_options"]


def _id_map(text: str) -> dict[str, list[int]]:
    """Parse ``orders:5,7;customers:3`` into ``{"orders": [5, 7], ...}``."""
    result: dict[str, list[int]] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        resource, _, ids = part.partition(":")
        if not ids:
            msg = f"{part!r}: expected RESOURCE:ID[,ID...]"
            raise argparse.ArgumentTypeError(msg)
        try:
            result[resource.strip()] = [int(i) for i in ids.split(",") if i]
        except ValueError as exc:
            msg = f"{part!r}: ids must be whole numbers"
            raise argparse.ArgumentTypeError(msg) from exc
    return result


def _moment(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        msg = f"{text!r} is not an ISO date-time like 2026-12-01T12:00:00+01:00"
        raise argparse.ArgumentTypeError(msg) from exc
    if value.tzinfo is None:
        msg = f"{text!r} needs a UTC offset, e.g. +01:00"
        raise argparse.ArgumentTypeError(msg)
    return value


def add_sandbox_flags(parser: argparse.ArgumentParser) -> None:
    """Add the PrestaShop and SnelStart sandbox switches to a parser."""
    ps = parser.add_argument_group("PrestaShop sandbox")
    ps.add_argument("--orders", type=int, default=200, help="orders to generate")
    ps.add_argument("--seed", type=int, default=1, help="generator seed")
    ps.add_argument("--now", type=_moment, help="fixed shop clock (ISO, with offset)")
    ps.add_argument("--prestashop-version", choices=["1.7", "8", "9"], default="8")
    ps.add_argument("--shop-timezone", help="shop timezone (default Europe/Amsterdam)")
    ps.add_argument("--multishop", action="store_true", help="two shops")
    ps.add_argument("--multilang", action="store_true", help="two languages")
    ps.add_argument(
        "--fault-ids",
        type=_id_map,
        default={},
        help="500 with a PHP notice, e.g. 'orders:5,7'",
    )
    ps.add_argument(
        "--html-fatal-ids",
        type=_id_map,
        default={},
        help="HTML fatal error page, e.g. 'customers:3'",
    )
    ps.add_argument(
        "--fault-every", type=int, default=0, help="every n-th request fails with a 500"
    )
    ps.add_argument(
        "--latency-per-record",
        type=float,
        default=0.0,
        help="seconds of delay per record in a page",
    )
    ps.add_argument(
        "--rate-limit",
        type=int,
        default=0,
        help="host limit: requests per minute (0 = none)",
    )
    ps.add_argument("--rate-limit-status", type=int, choices=[429, 403], default=429)

    sn = parser.add_argument_group("SnelStart sandbox")
    sn.add_argument(
        "--tier",
        choices=["production", "development"],
        default="production",
        help="gateway limits to enforce",
    )
    sn.add_argument("--no-throttling", action="store_true")
    sn.add_argument("--token-ttl", type=int, default=3599, help="token lifetime (s)")
    sn.add_argument("--error-rate", type=float, default=0.0, help="random 5xx share")
    sn.add_argument("--throttle-rate", type=float, default=0.0, help="random 429 share")
    sn.add_argument("--slow-rate", type=float, default=0.0)
    sn.add_argument("--slow-seconds", type=float, default=0.0)
    sn.add_argument(
        "--drop-rate", type=float, default=0.0, help="create-then-drop share of POSTs"
    )
    sn.add_argument("--drop-mode", choices=["502", "timeout"], default="502")
    sn.add_argument("--fault-seed", type=int, default=None)
    sn.add_argument(
        "--state-file",
        default=None,
        help="keep the SnelStart administration across restarts",
    )


def sandbox_options(args: argparse.Namespace) -> dict[str, Any]:
    """Build the keyword arguments of ``start_sandboxes`` from parsed flags."""
    from koppel.sandbox import prestashop as ps
    from koppel.sandbox import snelstart as sn
    from koppel.sandbox.snelstart.faults import FaultOptions

    shops = 2 if args.multishop else 1
    return {
        "shop_kwargs": {
            "shops": shops,
            "now": args.now,
            "timezone": args.shop_timezone,
        },
        "prestashop_options": ps.SandboxOptions(
            key=args.prestashop_key,
            version=args.prestashop_version,
            timezone=args.shop_timezone,
            multishop=args.multishop,
            multilang=args.multilang,
            fault_ids=args.fault_ids,
            html_fatal_ids=args.html_fatal_ids,
            fault_every=args.fault_every,
            latency_per_record=args.latency_per_record,
            rate_limit=args.rate_limit,
            rate_limit_status=args.rate_limit_status,
            now=args.now,
        ),
        "snelstart_options": sn.SandboxOptions(
            clientkeys=(args.snelstart_clientkey,),
            subscription_keys=(args.snelstart_subscription_key,),
            state_file=args.state_file,
            token_ttl=args.token_ttl,
            tier=args.tier,
            throttling=not args.no_throttling,
            faults=FaultOptions(
                seed=args.fault_seed,
                error_rate=args.error_rate,
                throttle_rate=args.throttle_rate,
                slow_rate=args.slow_rate,
                slow_seconds=args.slow_seconds,
                drop_rate=args.drop_rate,
                drop_mode=args.drop_mode,
            ),
        ),
    }
