"""The nightly re-scan: re-read the shop's orders of the last days.

Incremental runs only see orders whose ``date_upd`` moved past the
watermark; some changes do not bump it (address edits, direct database
fixes). The re-scan reads every order updated in the last ``days`` days
again, so late changes and missed orders still reach staging and SnelStart.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger

from koppel.profile import find_profile, load_profile
from tasks import ops


@flow(name="rescan", flow_run_name="rescan-{profile}")
def rescan(profile: str = "demo", days: int | None = None) -> dict[str, Any]:
    """Re-read and book the orders of the last ``days`` days.

    Args:
        profile: profile name (``profiles/<name>.toml``) or path.
        days: how far back; default the profile's ``prestashop.rescan_days``.

    Returns:
        The run summary.
    """
    prof = load_profile(find_profile(profile))
    window = prof.prestashop.rescan_days if days is None else days
    if window < 1:
        msg = f"rescan of `{prof.name}`: days must be at least 1, got {window!r}"
        raise ValueError(msg)

    def body(run_id: str) -> dict[str, Any]:
        return ops.run_stages(profile, run_id, mode="rescan", days=window)

    summary = ops.run_observed(profile, "rescan", body)
    get_run_logger().info(
        "rescan %s over %d days: %d extracted, %d loaded, %d quarantined",
        prof.name,
        window,
        summary["extracted"],
        summary["loaded"],
        summary["quarantined"],
    )
    return summary
