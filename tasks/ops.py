"""Run-level operations for the flows: concurrency guard, artifacts, events,
run metrics and the silent-stop guard.

The content (table rows, markdown, event bodies, metrics) is built by the
Prefect-free :mod:`koppel.ops` modules; this module only publishes it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.concurrency.sync import concurrency
from prefect.events import emit_event
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

from koppel import staging
from koppel.exceptions import StagingLockedError
from koppel.ops import artifacts, limits, metrics
from koppel.ops.runlock import run_lock
from koppel.profile import Profile, find_profile, load_profile, resolve_secret
from tasks.secrets import load_secret_block

__all__ = [
    "GUARD_TIMEOUT_SECONDS",
    "emit_order_events",
    "ensure_limits",
    "guard_limit_names",
    "guard_silent_stop",
    "profile_guard",
    "publish_run_artifacts",
    "record_run_metrics",
]

log = logging.getLogger(__name__)

# How long a run waits for another run of its profile (or another profile on
# its SnelStart administration) before it gives up.
GUARD_TIMEOUT_SECONDS = 15 * 60


def _profile(profile: str | Profile) -> Profile:
    if isinstance(profile, Profile):
        return profile
    return load_profile(find_profile(profile))


def guard_limit_names(profile: Profile) -> dict[str, int]:
    """The concurrency limits a run of this profile occupies, with slots."""
    clientkey = resolve_secret(profile.snelstart.clientkey, load_secret_block)
    return {
        limits.profile_limit_name(profile.name): limits.PROFILE_SLOTS,
        limits.administration_limit_name(
            profile.snelstart.api_url, clientkey
        ): limits.ADMINISTRATION_SLOTS,
    }


def ensure_limits(names: Mapping[str, int]) -> list[str]:
    """Create the global concurrency limits that do not exist yet.

    Returns:
        The names that were created.
    """
    created = []
    with get_client(sync_client=True) as client:
        for name, slots in names.items():
            try:
                client.read_global_concurrency_limit_by_name(name)
                continue
            except ObjectNotFound:
                pass
            try:
                client.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(name=name, limit=slots)
                )
                created.append(name)
            except ObjectAlreadyExists:
                pass  # another run created it meanwhile
    return created


@contextlib.contextmanager
def profile_guard(
    profile: str | Profile,
    *,
    holder: str = "",
    timeout_seconds: float = GUARD_TIMEOUT_SECONDS,
) -> Iterator[None]:
    """Run the block as the only run of this profile and administration.

    Takes the profile's and the administration's global concurrency limits
    (created if missing, then acquired with ``strict=True``, so a limit
    deleted later fails the run instead of silently letting two runs in) and
    the profile's run lock file.

    Raises:
        StagingLockedError: when the slots or the lock stay taken for
            ``timeout_seconds``.
    """
    prof = _profile(profile)
    names = guard_limit_names(prof)
    ensure_limits(names)
    try:
        with concurrency(
            list(names), occupy=1, timeout_seconds=timeout_seconds, strict=True
        ):
            with run_lock(prof, holder=holder, wait_seconds=30.0):
                yield
    except TimeoutError as exc:
        msg = (
            f"profile `{prof.name}` waited {timeout_seconds:.0f} s for another "
            "run of it (or of its SnelStart administration) to finish; try again "
            "later"
        )
        raise StagingLockedError(msg) from exc


@task(name="publish-run-artifacts", cache_policy=NO_CACHE)
def publish_run_artifacts(
    profile: str,
    run_id: str,
    summary: Mapping[str, Any],
    quarantined: Any,
) -> dict[str, UUID]:
    """Publish the run-summary table and the quarantine markdown artifacts.

    Args:
        profile: the profile name (artifact keys are per profile).
        run_id: the pipeline run id.
        summary: the run summary (see :func:`koppel.ops.artifacts.summary_table`).
        quarantined: ``{order_id: [reasons]}`` or quarantine entries.

    Returns:
        Artifact kind -> artifact id.
    """
    name = _profile(profile).name
    orders = artifacts.normalise_quarantined(quarantined)
    table_id = create_table_artifact(
        table=artifacts.summary_table(summary),
        key=artifacts.artifact_key(name, "run-summary"),
        description=f"koppel run {run_id} of profile `{name}`",
    )
    markdown_id = create_markdown_artifact(
        markdown=artifacts.quarantine_markdown(name, run_id, orders),
        key=artifacts.artifact_key(name, "quarantine"),
        description=f"orders quarantined in run {run_id} of `{name}`",
    )
    return {"run-summary": table_id, "quarantine": markdown_id}


@task(name="emit-order-events", cache_policy=NO_CACHE)
def emit_order_events(
    profile: str,
    run_id: str,
    booked: Mapping[int, Any] | Sequence[int],
    quarantined: Any,
) -> int:
    """Emit one Prefect event per booked and per quarantined order.

    Args:
        profile: the profile name.
        run_id: the pipeline run id.
        booked: order id -> SnelStart nummer (or bare order ids).
        quarantined: ``{order_id: [reasons]}`` or quarantine entries.

    Returns:
        The number of events emitted.
    """
    name = _profile(profile).name
    specs = artifacts.order_events(
        name, run_id, booked, artifacts.normalise_quarantined(quarantined)
    )
    for spec in specs:
        emit_event(event=spec.event, resource=spec.resource, payload=spec.payload)
    return len(specs)


@task(name="record-run-metrics", cache_policy=NO_CACHE)
def record_run_metrics(
    profile: str,
    run_id: str,
    kind: str,
    started_at: datetime,
    status: str,
    summary: Mapping[str, Any] | None = None,
    finished_at: datetime | None = None,
) -> None:
    """Write the run's row in the profile's ``runs`` table.

    Args:
        profile: profile name or path.
        run_id: the pipeline run id.
        kind: ``import``, ``rescan``, ``backfill`` …
        started_at: when the run started (aware).
        status: ``running``, ``completed`` or ``failed``.
        summary: the run summary.
        finished_at: when it ended; None while running.
    """
    prof = _profile(profile)
    with staging.connect(prof.database_path) as con:
        metrics.record_run(
            con,
            run_id=run_id,
            profile=prof.name,
            kind=kind,
            started_at=started_at,
            finished_at=finished_at,
            status=status,
            summary=summary,
        )


@task(name="silent-stop-guard", cache_policy=NO_CACHE)
def guard_silent_stop(
    profile: str, now: datetime | None = None
) -> metrics.SilentStop | None:
    """Emit an alert event when the profile booked nothing for
    ``schedule.silent_stop_hours`` while the shop had eligible orders.

    Returns:
        The alert, or None when all is well.
    """
    prof = _profile(profile)
    with staging.connect(prof.database_path) as con:
        alert = metrics.check_silent_stop(
            con,
            profile=prof.name,
            hours=prof.schedule.silent_stop_hours,
            now=now or datetime.now(UTC),
        )
    if alert is None:
        return None
    spec = artifacts.silent_stop_event(
        alert.profile, alert.hours, alert.last_booking_at, alert.eligible_orders
    )
    emit_event(event=spec.event, resource=spec.resource, payload=spec.payload)
    get_run_logger().warning(
        "silent stop: profile %s booked nothing for %d h while %d eligible orders "
        "arrived",
        alert.profile,
        alert.hours,
        alert.eligible_orders,
    )
    return alert


# --- one observed run --------------------------------------------------------


def run_stages(
    profile: str,
    run_id: str,
    *,
    mode: str = "incremental",
    since: datetime | None = None,
    until: datetime | None = None,
    days: int | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Extract (in ``mode``), validate, plan and load once, as tasks.

    Returns:
        The run summary of :func:`koppel.pipeline.summarise`, plus
        ``stage_seconds``, ``calls`` (SnelStart endpoint -> count) and
        ``quarantine`` (entries with order id, reason and field).
    """
    from tasks import stages

    seconds: dict[str, float] = {}
    clock = _Clock(seconds)
    with clock("extract"):
        extracted = stages.extract_orders(
            profile, run_id, mode=mode, since=since, until=until, days=days
        )
    with clock("validate"):
        validated = stages.validate_orders(
            profile, run_id, extracted["changed_order_ids"]
        )
    with clock("map"):
        plan, planned = stages.plan_bookings(profile, run_id)
    with clock("load"):
        loaded = stages.load_bookings(profile, run_id, plan, dry_run)
    from koppel import pipeline

    summary = pipeline.summarise(extracted, validated, planned, plan, loaded)
    summary["run_id"] = run_id
    summary["mode"] = mode
    summary["dry_run"] = dry_run
    summary["stage_seconds"] = seconds
    summary["calls"] = dict(loaded.get("calls") or {})
    summary["quarantine"] = _quarantine_entries(validated, plan, loaded)
    if dry_run:
        summary["preview"] = loaded.get("preview")
    return summary


class _Clock:
    def __init__(self, into: dict[str, float]) -> None:
        self.into = into

    @contextlib.contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        import time

        started = time.monotonic()
        try:
            yield
        finally:
            self.into[stage] = round(time.monotonic() - started, 3)


def _quarantine_entries(
    validated: Mapping[str, Any], plan: Any, loaded: Mapping[str, Any]
) -> list[dict[str, Any]]:
    from koppel.reasons import Reason

    entries: list[dict[str, Any]] = []
    for order_id, reasons in (validated.get("quarantined") or {}).items():
        entries += [{"order_id": int(order_id), "reason": str(r)} for r in reasons]
    for issue in getattr(plan, "issues", ()) or ():
        entries.append(
            {
                "order_id": int(issue.order_id),
                "reason": str(issue.reason),
                "field": issue.field,
            }
        )
    for order_id in loaded.get("quarantined") or ():
        entries.append(
            {"order_id": int(order_id), "reason": str(Reason.SNELSTART_REJECTED)}
        )
    return entries


def run_observed(
    profile: str,
    kind: str,
    body: Any,
    *,
    run_id: str | None = None,
    guard: bool = True,
    publish: bool = True,
) -> dict[str, Any]:
    """Run ``body(run_id) -> summary`` as one observed run of the profile.

    Records the run in ``runs`` (running, then completed or failed) and,
    unless told otherwise, holds the profile guard, publishes the summary and
    quarantine artifacts and the per-order events, and runs the silent-stop
    guard.

    Args:
        profile: profile name or path.
        kind: what kind of run (``import``, ``rescan``, ``backfill``).
        body: the run itself; returns the run summary.
        run_id: the pipeline run id (default: a new one).
        guard: take the profile guard (False when the caller holds it, as a
            backfill does around all its chunks).
        publish: publish artifacts and events and check for a silent stop.

    Returns:
        The run summary.
    """
    from koppel import pipeline

    run_id = run_id or pipeline.new_run_id()
    held = profile_guard(profile, holder=run_id) if guard else contextlib.nullcontext()
    with held:
        summary = _recorded(profile, kind, run_id, body)
    if publish:
        quarantined = summary.get("quarantine") or {
            i: [] for i in summary.get("quarantined_order_ids", [])
        }
        publish_run_artifacts(profile, run_id, summary, quarantined)
        emit_order_events(
            profile,
            run_id,
            _nummers(profile, summary.get("loaded_order_ids", [])),
            quarantined,
        )
        guard_silent_stop(profile)
    return summary


def _nummers(profile: str, order_ids: Sequence[int]) -> dict[int, Any]:
    with staging.connect(_profile(profile).database_path) as con:
        return metrics.booked_nummers(con, order_ids)


def _recorded(profile: str, kind: str, run_id: str, body: Any) -> dict[str, Any]:
    started = datetime.now(UTC)
    record_run_metrics(profile, run_id, kind, started, "running")
    try:
        summary = body(run_id)
    except BaseException:
        ended = datetime.now(UTC)
        record_run_metrics(profile, run_id, kind, started, "failed", None, ended)
        raise
    stored = {k: v for k, v in summary.items() if k != "preview"}
    ended = datetime.now(UTC)
    record_run_metrics(profile, run_id, kind, started, "completed", stored, ended)
    return summary
