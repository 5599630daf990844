"""Create koppel's deployments on a Prefect API, and serve them.

``deploy`` registers (or updates) every deployment on the configured
``PREFECT_API_URL``; its runs wait until a process serves them. ``serve``
does both in one long-running process on one machine, with no work pool or
worker: it polls the API for due runs and runs each in a subprocess. Stopping
it (SIGTERM, Ctrl-C) pauses the schedules; the next ``serve`` resumes them.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from deployments.generate import DeploymentSpec
from koppel.ops.schedule import INTERVAL_ANCHOR, ScheduleSpec

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

__all__ = ["deploy", "serve", "to_prefect_schedule", "to_runner_deployments"]


def to_prefect_schedule(spec: ScheduleSpec) -> Any:
    """A Prefect ``Interval`` or ``Cron`` schedule in the profile timezone."""
    from prefect.schedules import Cron, Interval

    if spec.kind == "interval":
        seconds = spec.interval_seconds or 0
        anchor = datetime.fromisoformat(INTERVAL_ANCHOR).replace(
            tzinfo=ZoneInfo(spec.timezone)
        )
        return Interval(
            timedelta(seconds=seconds), anchor_date=anchor, timezone=spec.timezone
        )
    return Cron(spec.cron or "", timezone=spec.timezone)


def _load_flow(module_entrypoint: str) -> Any:
    module_name, _, attr = module_entrypoint.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)


def to_runner_deployments(specs: Sequence[DeploymentSpec]) -> list[RunnerDeployment]:
    """Prefect runner deployments for the specs, loading flows by module path.

    Module-path entrypoints keep them independent of the serving directory's
    layout; profiles and mapping rules are still read relative to it.
    """
    from prefect.deployments.runner import EntrypointType

    out = []
    for spec in specs:
        flow = _load_flow(spec.module_entrypoint)
        out.append(
            flow.to_deployment(
                name=spec.name,
                description=spec.description,
                tags=list(spec.tags),
                parameters=dict(spec.parameters),
                schedules=[to_prefect_schedule(s) for s in spec.schedules],
                paused=False,
                entrypoint_type=EntrypointType.MODULE_PATH,
            )
        )
    return out


def deploy(specs: Sequence[DeploymentSpec]) -> dict[str, UUID]:
    """Create or update the deployments on the configured Prefect API.

    Returns:
        ``flow/deployment`` name -> deployment id.
    """
    ids: dict[str, UUID] = {}
    for spec, deployment in zip(specs, to_runner_deployments(specs), strict=True):
        ids[spec.full_name] = deployment.apply()
    return ids


def serve(specs: Sequence[DeploymentSpec], *, limit: int | None = None) -> None:
    """Serve the deployments until interrupted: schedules and manual runs.

    Args:
        specs: the deployments to serve.
        limit: at most this many flow runs at once (None: no limit; the
            per-profile concurrency limits still apply inside the flows).
    """
    from prefect import serve as prefect_serve

    prefect_serve(*to_runner_deployments(specs), limit=limit)
