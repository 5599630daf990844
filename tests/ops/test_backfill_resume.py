"""A 30-day backfill against both sandboxes, interrupted halfway, resumes
from its last finished chunk and books every order exactly once, without
touching the incremental watermark."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from koppel import pipeline, settings, staging
from koppel.extract import watermark_name
from koppel.ops.backfill import (
    BackfillProgress,
    Chunk,
    backfill_key,
    plan_chunks,
    read_progress,
    run_backfill,
    write_progress,
)
from tests.ops.sandboxes import fast_sandboxes, sandbox_profile

ROOT = Path(__file__).parents[2]
ORDERS = 60


class Interrupted(Exception):
    """Stands for a crash in the middle of a chunk."""


@pytest.fixture
def shop(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    for name, value in settings.DEMO_ENV.items():
        monkeypatch.setenv(name, value)
    ps, sn, sandbox = fast_sandboxes(ORDERS, seed=7)
    try:
        yield sandbox_profile(tmp_path / "data", ps, sn), sandbox
    finally:
        ps.stop()
        sn.stop()


def chunk_runner(profile: Path, ran: list[int], crash_at: int | None = None):
    def run(chunk: Chunk) -> dict:
        ctx = pipeline.open_context(str(profile), f"bf-{chunk.index}")
        extracted = pipeline.stage_extract(
            ctx, mode="range", since=chunk.since, until=chunk.until
        )
        ran.append(chunk.index)
        validated = pipeline.stage_validate(ctx, extracted["changed_order_ids"])
        plan, planned = pipeline.stage_plan(ctx)
        if chunk.index == crash_at:
            # half of the chunk's bookings reach SnelStart, then the crash
            plan.orders = plan.orders[: len(plan.orders) // 2]
            pipeline.stage_load(ctx, plan)
            raise Interrupted
        loaded = pipeline.stage_load(ctx, plan)
        return pipeline.summarise(extracted, validated, planned, plan, loaded)

    return run


def store(database: Path):
    def load(key: str) -> BackfillProgress | None:
        with staging.connect(database) as con:
            return read_progress(con, key)

    def save(progress: BackfillProgress) -> None:
        with staging.connect(database) as con:
            write_progress(con, progress)

    return load, save


@pytest.mark.slow
def test_backfill_30_days_interrupted_resumes_without_duplicates(shop):
    path, sandbox = shop
    ctx = pipeline.open_context(str(path), "probe")
    database, name = ctx.database, watermark_name(ctx.profile)
    until = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    since = until - timedelta(days=30)
    # 3-day chunks: each chunk pays a run's fixed cost (token, reference
    # lists, look-ups), so ten chunks keep the test near half a minute
    chunk = timedelta(days=3)
    chunks = plan_chunks(since, until, chunk)
    key = backfill_key(since, until, chunk)
    load, save = store(database)
    assert len(chunks) == 10

    first: list[int] = []
    with pytest.raises(Interrupted):
        run_backfill(chunks, key, chunk_runner(path, first, crash_at=5), load, save)
    assert first == list(range(6))
    assert load(key).done == 5

    second: list[int] = []
    final = run_backfill(chunks, key, chunk_runner(path, second), load, save)
    assert second == list(range(5, 10)), "resumed from the last finished chunk"
    assert final.finished

    orders = sandbox.administration().list("verkooporders")
    references = Counter(o.get("orderreferentie") for o in orders)
    assert orders, "the backfill booked nothing"
    assert max(references.values()) == 1, "an order was booked twice"
    with staging.connect(database) as con:
        booked = con.execute(
            "SELECT count(*) FROM ledger_orders WHERE status = 'booked'"
        ).fetchone()[0]
        eligible = con.execute(
            "SELECT count(*) FROM stg_orders WHERE eligible"
        ).fetchone()[0]
        watermark = staging.get_state(con, name)
    assert booked == len(orders)
    assert final.totals["loaded"] + final.totals["quarantined"] <= eligible
    assert watermark is None, "a backfill must not move the incremental watermark"
