"""The main job: book a profile's new shop orders in SnelStart."""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger

from koppel import pipeline
from tasks import stages


@flow(name="import-orders", flow_run_name="import-orders-{profile}")
def import_orders(profile: str = "demo", dry_run: bool = False) -> dict[str, Any]:
    """Extract, validate, map and book the shop's new and changed orders.

    Args:
        profile: profile name (``profiles/<name>.toml``) or path to a TOML file.
        dry_run: build the full plan and preview it; write nothing to SnelStart.

    Returns:
        The run summary: extracted, loaded, quarantined, skipped, failed and
        what was created in SnelStart.
    """
    run_id = pipeline.new_run_id()
    extracted = stages.extract_orders(profile, run_id)
    validated = stages.validate_orders(profile, run_id, extracted["changed_order_ids"])
    plan, planned = stages.plan_bookings(profile, run_id)
    loaded = stages.load_bookings(profile, run_id, plan, dry_run)
    summary = pipeline.summarise(extracted, validated, planned, plan, loaded)
    summary["dry_run"] = dry_run
    get_run_logger().info(
        "run %s: %d extracted, %d loaded, %d quarantined, %d skipped, %d failed",
        run_id,
        summary["extracted"],
        summary["loaded"],
        summary["quarantined"],
        summary["skipped"],
        summary["failed"],
    )
    return summary
