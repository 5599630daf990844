"""Reconcile a period against SnelStart and report data quality.

Reads back the verkooporders SnelStart holds for the period, sets them
against the shop's staged orders, the ledger and the quarantine, and writes
one standalone HTML page (``<data_dir>/reports/<since>_<until>.html``) plus a
markdown artifact with the same findings in the Prefect UI.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from koppel import pipeline, staging
from koppel.ops import artifacts
from koppel.profile import Profile
from tasks.secrets import load_secret_block

__all__ = ["quality_report"]

DEFAULT_DAYS = 7
MAX_ORDERS_LISTED = 50


def _day(value: date | datetime | str | None) -> date | None:
    if value is None or isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(value.strip()[:10])


def default_period(profile: Profile, now: datetime) -> tuple[date, date]:
    """The last ``DEFAULT_DAYS`` full days before today, shop-local."""
    today = now.astimezone(profile.zone).date()
    return today - timedelta(days=DEFAULT_DAYS), today - timedelta(days=1)


@task(
    name="read-snelstart-orders",
    retries=2,
    retry_delay_seconds=10,
    cache_policy=NO_CACHE,
)
def read_snelstart_orders(
    profile: str, since: date, until: date
) -> list[dict[str, Any]]:
    """Read the period's verkooporders back from SnelStart."""
    from koppel.reports import fetch_verkooporders
    from koppel.snelstart.client import SnelstartClient

    ctx = pipeline.open_context(profile, "report", block_loader=load_secret_block)
    with SnelstartClient(
        ctx.profile.snelstart,
        clientkey=ctx.snelstart_clientkey,
        subscription_key=ctx.snelstart_subscription_key,
        transport=ctx.snelstart_transport,
    ) as client:
        return fetch_verkooporders(client, since, until)


@task(name="build-report", cache_policy=NO_CACHE)
def build_report(
    profile: str, records: list[dict[str, Any]], since: date, until: date
) -> dict[str, Any]:
    """Reconcile, gather quality figures, write the HTML page."""
    from koppel import reports
    from koppel.reports.markdown import quality_markdown, reconciliation_markdown

    ctx = pipeline.open_context(profile, "report", block_loader=load_secret_block)
    prof = ctx.profile
    with staging.connect(prof.database_path) as con:
        rec = reports.reconcile(con, records, profile=prof, since=since, until=until)
        quality = reports.quality_report(con, since=since, until=until, profile=prof)
    path = (
        Path(prof.data_dir)
        / "reports"
        / f"{since.isoformat()}_{until.isoformat()}.html"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(reports.render_html(rec, quality), encoding="utf-8")
    markdown = (
        reconciliation_markdown(rec, max_orders=MAX_ORDERS_LISTED)
        + "\n\n"
        + quality_markdown(quality)
        + f"\n\nFull report: `{path}`\n"
    )
    create_markdown_artifact(
        markdown=markdown,
        key=artifacts.artifact_key(prof.name, "quality-report"),
        description=f"reconciliation and data quality of `{prof.name}`, "
        f"{since.isoformat()} to {until.isoformat()}",
    )
    return {
        "profile": prof.name,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "matched": rec.matched,
        "differences": len(rec.differences),
        "unexplained": len(rec.unexplained),
        "html": str(path),
    }


@flow(name="quality-report", flow_run_name="quality-report-{profile}")
def quality_report(
    profile: str,
    since: date | str | None = None,
    until: date | str | None = None,
) -> dict[str, Any]:
    """Reconcile a period with SnelStart and report data quality.

    Args:
        profile: profile name (``profiles/<name>.toml``) or path.
        since: first day (shop-local); default a week before ``until``.
        until: last day, included; default yesterday.

    Returns:
        Matched orders, differences, unexplained differences and the path of
        the HTML report.
    """
    from datetime import UTC

    prof = pipeline.open_context(profile, "report", block_loader=load_secret_block)
    first, last = default_period(prof.profile, datetime.now(UTC))
    start = _day(since) or (
        _day(until) - timedelta(days=DEFAULT_DAYS - 1) if until else first
    )
    end = _day(until) or last
    records = read_snelstart_orders(profile, start, end)
    result = build_report(profile, records, start, end)
    get_run_logger().info(
        "report %s %s..%s: %d matched, %d differences, %d unexplained",
        result["profile"],
        result["since"],
        result["until"],
        result["matched"],
        result["differences"],
        result["unexplained"],
    )
    return result
