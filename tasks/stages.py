"""One Prefect task per pipeline stage.

Tasks take and return small values (profile reference, run id, id lists,
summaries) and open their resources themselves. Only the IO stages retry,
and never on configuration errors, which no retry can fix.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff

from koppel import pipeline
from koppel.exceptions import ConfigError, FatalApiError, StagingLockedError
from koppel.plan import LoadPlan
from tasks.secrets import load_secret_block


def _retry_io(task: Any, task_run: Any, state: Any) -> bool:
    """Retry transient failures only; config and fatal API errors are final."""
    try:
        state.result()
    except (ConfigError, FatalApiError, StagingLockedError):
        return False
    except Exception:
        return True
    return False


def _context(profile: str, run_id: str) -> pipeline.RunContext:
    return pipeline.open_context(profile, run_id, block_loader=load_secret_block)


IO_TASK = {
    "retries": 2,
    "retry_delay_seconds": exponential_backoff(backoff_factor=5),
    "retry_jitter_factor": 0.5,
    "retry_condition_fn": _retry_io,
    "cache_policy": NO_CACHE,
}


@task(name="extract-orders", **IO_TASK)
def extract_orders(
    profile: str,
    run_id: str,
    mode: str = "incremental",
    since: datetime | None = None,
    until: datetime | None = None,
    days: int | None = None,
) -> dict[str, Any]:
    """Extract the shop's new and changed orders into DuckDB staging."""
    ctx = _context(profile, run_id)
    summary = pipeline.stage_extract(
        ctx, mode=mode, since=since, until=until, days=days
    )
    get_run_logger().info(
        "extract: %d orders seen, %d new or changed, %d requests",
        summary["orders_seen"],
        summary["orders_staged"],
        summary["requests"],
    )
    return summary


@task(name="validate-orders", cache_policy=NO_CACHE)
def validate_orders(
    profile: str, run_id: str, order_ids: list[int] | None
) -> dict[str, Any]:
    """Validate staged orders; quarantine failures with reasons."""
    ctx = _context(profile, run_id)
    summary = pipeline.stage_validate(ctx, order_ids)
    # the validation stage itself warns once per quarantined order
    get_run_logger().info(
        "validate: %d checked, %d passed, %d quarantined",
        summary["checked"],
        len(summary["passed_order_ids"]),
        len(summary["quarantined"]),
    )
    return summary


@task(name="plan-bookings", **IO_TASK)
def plan_bookings(profile: str, run_id: str) -> tuple[LoadPlan, dict[str, Any]]:
    """Look up SnelStart records and map pending orders into a load plan."""
    ctx = _context(profile, run_id)
    plan, summary = pipeline.stage_plan(ctx)
    get_run_logger().info(
        "map: %d pending, %d planned, %d quarantined by mapping",
        summary["pending"],
        summary["orders_planned"],
        summary["issues"],
    )
    return plan, summary


@task(name="load-bookings", cache_policy=NO_CACHE)
def load_bookings(
    profile: str, run_id: str, plan: LoadPlan, dry_run: bool = False
) -> dict[str, Any]:
    """Book the plan in SnelStart exactly once (retries live in the client)."""
    ctx = _context(profile, run_id)
    summary = pipeline.stage_load(ctx, plan, dry_run=dry_run)
    get_run_logger().info(
        "load: %d booked, %d skipped, %d failed, %d quarantined",
        len(summary["loaded"]),
        len(summary["skipped"]),
        len(summary["failed"]),
        len(summary["quarantined"]),
    )
    return summary
