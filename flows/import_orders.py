"""The main job: book a profile's new shop orders in SnelStart."""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger

from tasks import ops


@flow(name="import-orders", flow_run_name="import-orders-{profile}")
def import_orders(profile: str = "demo", dry_run: bool = False) -> dict[str, Any]:
    """Extract, validate, map and book the shop's new and changed orders.

    The run holds the profile's guard (never two runs of one profile, one
    shared limit per SnelStart administration), is recorded in the profile's
    ``runs`` table and publishes its summary and quarantine artifacts and an
    event per booked or quarantined order.

    Args:
        profile: profile name (``profiles/<name>.toml``) or path to a TOML file.
        dry_run: build the full plan and preview it; write nothing to SnelStart.

    Returns:
        The run summary: extracted, loaded, quarantined, skipped, failed, what
        was created in SnelStart and the time per stage.
    """

    def body(run_id: str) -> dict[str, Any]:
        return ops.run_stages(profile, run_id, dry_run=dry_run)

    summary = ops.run_observed(
        profile, "dry-run" if dry_run else "import", body, publish=not dry_run
    )
    get_run_logger().info(
        "run %s: %d extracted, %d loaded, %d quarantined, %d skipped, %d failed",
        summary["run_id"],
        summary["extracted"],
        summary["loaded"],
        summary["quarantined"],
        summary["skipped"],
        summary["failed"],
    )
    return summary
