"""``koppel report``: reconciliation and data quality for one profile.

    koppel report PROFILE [--since DATE] [--until DATE] [--html FILE] [--json]

Reads the verkooporders of the period back from SnelStart, sets them against
the shop's staged orders and prints the reconciliation and the data-quality
figures (Markdown, or one JSON object with ``--json``). ``--html`` also
writes a standalone page that needs no network to view. The exit status is
1 when a difference is unexplained, so a scheduler can alert on it.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from koppel import staging
from koppel.cli import command, print_json
from koppel.exceptions import ConfigError
from koppel.profile import (
    Profile,
    SecretRef,
    find_profile,
    load_profile,
    resolve_secret,
)

__all__ = ["fetch_for_report", "register", "report_period"]

log = logging.getLogger(__name__)

DEFAULT_DAYS = 30


def report_period(
    profile: Profile, since: date | None, until: date | None
) -> tuple[date, date]:
    """The period to report on; by default the last 30 days up to today.

    Raises:
        ConfigError: when ``until`` is before ``since``.
    """
    last = until or datetime.now(profile.zone).date()
    first = since or last - timedelta(days=DEFAULT_DAYS - 1)
    if last < first:
        msg = (
            f"`--until` {last.isoformat()!r} is before `--since` "
            f"{first.isoformat()!r}; give a period that runs forward"
        )
        raise ConfigError(msg)
    return first, last


def _secret(ref: SecretRef) -> Any:
    loader = None
    if ref.block is not None:
        from tasks.secrets import load_secret_block  # imports Prefect

        loader = load_secret_block
    return resolve_secret(ref, loader)


def fetch_for_report(
    profile: Profile,
    since: date,
    until: date,
    *,
    ids: Sequence[str] = (),
    transport: Any = None,
) -> list[dict[str, Any]]:
    """Read the period's verkooporders from the profile's SnelStart.

    Args:
        profile: the profile (SnelStart URLs and secret references).
        since: first day of the period.
        until: last day of the period (included).
        ids: SnelStart ids the ledger holds for the period, read by id when
            they are dated outside the period.
        transport: an httpx transport, for tests.

    Raises:
        ConfigError: when a secret is missing or SnelStart refuses it.
    """
    from koppel.reports import fetch_verkooporders
    from koppel.snelstart.client import SnelstartClient

    settings = profile.snelstart
    with SnelstartClient(
        settings,
        clientkey=_secret(settings.clientkey),
        subscription_key=_secret(settings.subscription_key),
        transport=transport,
    ) as client:
        return fetch_verkooporders(client, since, until, ids=ids)


@command("report")
def cmd_report(args: argparse.Namespace) -> int:
    """Reconcile a period with SnelStart and report data quality."""
    from koppel.reports import (
        booked_snelstart_ids,
        quality_report,
        reconcile,
        render_html,
    )

    profile = load_profile(find_profile(args.profile))
    since, until = report_period(profile, args.since, args.until)
    database = profile.database_path
    if not database.exists():
        msg = (
            f"profile `{profile.name}` has no staging database at `{database}`; "
            f"run `koppel run {args.profile}` first"
        )
        raise ConfigError(msg)
    with staging.connect(database, read_only=True) as con:
        ids = booked_snelstart_ids(con, profile=profile, since=since, until=until)
    records = fetch_for_report(profile, since, until, ids=ids)
    with staging.connect(database, read_only=True) as con:
        rec = reconcile(con, records, profile=profile, since=since, until=until)
        quality = quality_report(con, since=since, until=until, profile=profile)
    html_path = None
    if args.html:
        html_path = Path(args.html)
        html_path.parent.mkdir(parents=True, exist_ok=True)
        html = render_html(rec, quality, profile_name=profile.name)
        html_path.write_text(html, encoding="utf-8")
    if args.json:
        print_json(
            {
                "reconciliation": rec.to_dict(),
                "quality": quality.to_dict(),
                "html": None if html_path is None else str(html_path),
            }
        )
    else:
        print(rec.to_markdown())
        print(quality.to_markdown())
        if html_path is not None:
            print(f"HTML report: {html_path}")
    return 0 if rec.is_clean else 1


def register(sub: Any) -> None:
    """Add ``koppel report`` to the CLI."""
    report = sub.add_parser(
        "report",
        help="reconcile with SnelStart and report data quality",
        description=(
            "Exit status 1 when the reconciliation finds an unexplained difference."
        ),
    )
    report.add_argument("profile", help="profile name (profiles/NAME.toml) or path")
    report.add_argument(
        "--since",
        type=date.fromisoformat,
        help=f"first day, YYYY-MM-DD (default: {DEFAULT_DAYS} days before --until)",
    )
    report.add_argument(
        "--until",
        type=date.fromisoformat,
        help="last day, included, YYYY-MM-DD (default: today in the shop timezone)",
    )
    report.add_argument("--html", metavar="FILE", help="also write a standalone page")
    report.add_argument("--json", action="store_true", help="print one JSON object")
