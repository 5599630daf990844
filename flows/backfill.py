"""Backfill a date range in resumable chunks, without moving the watermark.

Each chunk extracts the shop's orders changed in ``[since, until)`` of that
chunk ("range" mode, which leaves the incremental watermark alone), then
validates, maps and books them like a normal run. Finished chunks are
recorded in ``sync_state``; running the same backfill again resumes after
the last finished chunk. A progress artifact shows how far it got.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import (
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)

from koppel import pipeline, staging
from koppel.ops import artifacts
from koppel.ops.backfill import (
    BackfillProgress,
    Chunk,
    backfill_key,
    parse_moment,
    plan_chunks,
    read_progress,
    run_backfill,
    write_progress,
)
from koppel.profile import Profile, find_profile, load_profile
from tasks import ops

__all__ = ["PROGRESS_HOOKS", "backfill"]

# Called in-process with (progress, chunk) after every chunk: the CLI's
# progress bar listens here when it runs the flow itself.
PROGRESS_HOOKS: list[Callable[[BackfillProgress, Chunk | None], None]] = []


def _chunk_runner(profile: str) -> Callable[[Chunk], dict[str, Any]]:
    def run(chunk: Chunk) -> dict[str, Any]:
        def body(run_id: str) -> dict[str, Any]:
            return ops.run_stages(
                profile, run_id, mode="range", since=chunk.since, until=chunk.until
            )

        run_id = f"{pipeline.new_run_id()}-c{chunk.index:04d}"
        return ops.run_observed(
            profile, "backfill", body, run_id=run_id, guard=False, publish=False
        )

    return run


def _store(prof: Profile) -> tuple[Callable[..., Any], Callable[..., Any]]:
    def load(key: str) -> BackfillProgress | None:
        with staging.connect(prof.database_path) as con:
            return read_progress(con, key)

    def save(progress: BackfillProgress) -> None:
        with staging.connect(prof.database_path) as con:
            write_progress(con, progress)

    return load, save


@flow(name="backfill", flow_run_name="backfill-{profile}")
def backfill(
    profile: str,
    since: datetime | date | str,
    until: datetime | date | str,
    chunk: timedelta = timedelta(days=1),
    restart: bool = False,
) -> dict[str, Any]:
    """Book the shop's orders changed in ``[since, until)``, chunk by chunk.

    Args:
        profile: profile name (``profiles/<name>.toml``) or path.
        since: start of the range; dates and naive times are shop-local.
        until: end of the range (exclusive).
        chunk: size of one chunk (default one day).
        restart: ignore recorded progress and start at the first chunk.

    Returns:
        The backfill's progress: chunks done and total, and the summed
        figures (extracted, loaded, quarantined, skipped, failed).
    """
    logger = get_run_logger()
    prof = load_profile(find_profile(profile))
    start = parse_moment(since, prof.timezone)
    end = parse_moment(until, prof.timezone)
    chunks = plan_chunks(start, end, chunk)
    key = backfill_key(start, end, chunk)
    load, save = _store(prof)
    artifact_id = create_progress_artifact(
        progress=0.0,
        key=artifacts.artifact_key(prof.name, "backfill"),
        description=f"backfill of `{prof.name}` {start.isoformat()} to "
        f"{end.isoformat()} in {len(chunks)} chunks",
    )

    def on_progress(progress: BackfillProgress, done: Chunk | None) -> None:
        update_progress_artifact(artifact_id, progress=100.0 * progress.fraction)
        if done is None and progress.done:
            logger.info(
                "backfill %s: resuming after chunk %d of %d (until %s)",
                prof.name,
                progress.done,
                progress.total,
                progress.done_until,
            )
        for hook in PROGRESS_HOOKS:
            hook(progress, done)

    with ops.profile_guard(profile, holder=key):
        result = run_backfill(
            chunks,
            key,
            _chunk_runner(profile),
            load,
            save,
            restart=restart,
            on_progress=on_progress,
        )
    create_table_artifact(
        table=[
            {"figure": "chunks done", "value": f"{result.done} of {result.total}"},
            *(
                {"figure": f"orders {k}", "value": v}
                for k, v in sorted(result.totals.items())
            ),
        ],
        key=artifacts.artifact_key(prof.name, "backfill-summary"),
        description=f"backfill of `{prof.name}` {start.isoformat()} to "
        f"{end.isoformat()}",
    )
    logger.info(
        "backfill %s: %d of %d chunks done; %s",
        prof.name,
        result.done,
        result.total,
        ", ".join(f"{k} {v}" for k, v in sorted(result.totals.items())),
    )
    return {
        "profile": prof.name,
        "key": result.key,
        "chunks": result.total,
        "done": result.done,
        "done_until": result.done_until,
        **result.totals,
    }
