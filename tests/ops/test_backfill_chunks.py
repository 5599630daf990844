from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from koppel import staging
from koppel.ops.backfill import (
    BackfillProgress,
    backfill_key,
    parse_chunk,
    parse_moment,
    plan_chunks,
    read_progress,
    run_backfill,
    write_progress,
)

T0 = datetime(2026, 10, 1, tzinfo=UTC)


def test_plan_chunks_covers_range_without_gaps_and_cuts_last():
    chunks = plan_chunks(T0, T0 + timedelta(days=2, hours=12), timedelta(days=1))
    assert [(c.index, c.since, c.until) for c in chunks] == [
        (0, T0, T0 + timedelta(days=1)),
        (1, T0 + timedelta(days=1), T0 + timedelta(days=2)),
        (2, T0 + timedelta(days=2), T0 + timedelta(days=2, hours=12)),
    ]


@pytest.mark.parametrize(
    ("since", "until", "chunk"),
    [
        (T0, T0, timedelta(days=1)),
        (T0, T0 - timedelta(days=1), timedelta(days=1)),
        (T0, T0 + timedelta(days=1), timedelta(0)),
        (T0.replace(tzinfo=None), T0 + timedelta(days=1), timedelta(days=1)),
        (T0, T0 + timedelta(days=3650), timedelta(minutes=1)),
    ],
    ids=["empty", "reversed", "zero-chunk", "naive", "too-many"],
)
def test_plan_chunks_refuses_bad_ranges(since, until, chunk):
    with pytest.raises(ValueError):
        plan_chunks(since, until, chunk)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1d", timedelta(days=1)),
        ("6h", timedelta(hours=6)),
        ("90m", timedelta(minutes=90)),
        ("1w", timedelta(days=7)),
        ("3600", timedelta(hours=1)),
    ],
)
def test_parse_chunk_reads_sizes(text, expected):
    assert parse_chunk(text) == expected


@pytest.mark.parametrize("text", ["", "0d", "-1d", "1y", "d"])
def test_parse_chunk_refuses_nonsense(text):
    with pytest.raises(ValueError):
        parse_chunk(text)


def test_parse_moment_reads_dates_as_shop_local_midnight():
    moment = parse_moment("2026-11-01", "Europe/Amsterdam")
    assert moment.astimezone(UTC) == datetime(2026, 10, 31, 23, tzinfo=UTC)
    assert parse_moment(date(2026, 7, 1), "Europe/Amsterdam").utcoffset() == timedelta(
        hours=2
    )
    aware = parse_moment("2026-11-01T10:00:00+00:00", "Europe/Amsterdam")
    assert aware == datetime(2026, 11, 1, 10, tzinfo=UTC)


def test_backfill_key_depends_on_range_and_chunk_only():
    a = backfill_key(T0, T0 + timedelta(days=3), timedelta(days=1))
    same = backfill_key(
        T0.astimezone(parse_moment("2026-01-01", "Asia/Tokyo").tzinfo),
        T0 + timedelta(days=3),
        timedelta(days=1),
    )
    other = backfill_key(T0, T0 + timedelta(days=3), timedelta(hours=12))
    assert a == same
    assert a != other
    assert a.startswith("backfill:")


class Boom(Exception):
    pass


def memory_store():
    stored: dict[str, BackfillProgress] = {}

    def load(key):
        p = stored.get(key)
        return (
            None
            if p is None
            else BackfillProgress(**vars(p) | {"totals": dict(p.totals)})
        )

    def save(progress):
        stored[progress.key] = BackfillProgress(
            **vars(progress) | {"totals": dict(progress.totals)}
        )

    return stored, load, save


def test_run_backfill_interrupted_resumes_after_last_finished_chunk():
    chunks = plan_chunks(T0, T0 + timedelta(days=30), timedelta(days=1))
    stored, load, save = memory_store()
    ran: list[int] = []

    def failing(chunk):
        if chunk.index == 15:
            raise Boom
        ran.append(chunk.index)
        return {"loaded": 2, "extracted": 3}

    with pytest.raises(Boom):
        run_backfill(chunks, "k", failing, load, save)
    assert stored["k"].done == 15
    assert ran == list(range(15))

    resumed: list[int] = []

    def ok(chunk):
        resumed.append(chunk.index)
        return {"loaded": 2, "extracted": 3}

    final = run_backfill(chunks, "k", ok, load, save)
    assert resumed == list(range(15, 30))
    assert final.finished
    assert final.totals["loaded"] == 60
    assert final.done_until == chunks[-1].until.isoformat()


def test_run_backfill_finished_does_nothing_unless_restarted():
    chunks = plan_chunks(T0, T0 + timedelta(days=3), timedelta(days=1))
    _, load, save = memory_store()
    run_backfill(chunks, "k", lambda c: {}, load, save)
    again: list[int] = []
    run_backfill(chunks, "k", lambda c: again.append(c.index) or {}, load, save)
    assert again == []
    run_backfill(
        chunks, "k", lambda c: again.append(c.index) or {}, load, save, restart=True
    )
    assert again == [0, 1, 2]


def test_run_backfill_reports_progress_before_and_after_each_chunk():
    chunks = plan_chunks(T0, T0 + timedelta(days=4), timedelta(days=1))
    _, load, save = memory_store()
    seen: list[tuple[float, int | None]] = []
    run_backfill(
        chunks,
        "k",
        lambda c: {},
        load,
        save,
        on_progress=lambda p, c: seen.append(
            (p.fraction, None if c is None else c.index)
        ),
    )
    assert seen == [(0.0, None), (0.25, 0), (0.5, 1), (0.75, 2), (1.0, 3)]


def test_progress_round_trips_through_sync_state():
    with staging.connect(":memory:") as con:
        assert read_progress(con, "backfill:x") is None
        write_progress(
            con, BackfillProgress("backfill:x", 30, 12, "2026-10-13", {"loaded": 4})
        )
        assert read_progress(con, "backfill:x") == BackfillProgress(
            "backfill:x", 30, 12, "2026-10-13", {"loaded": 4}
        )
