"""Backfills: a date range cut into chunks, run in order, resumable.

The progress of a backfill is one ``sync_state`` row keyed by its range and
chunk size (``backfill:<since>/<until>/<seconds>``), written after every
finished chunk. Running the same backfill again skips the finished chunks, so
an interrupted backfill resumes from its last finished chunk; the exactly-once
ledger makes re-running a half-done chunk safe. A backfill reads the shop in
"range" mode and never touches the incremental watermark.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from koppel import staging

__all__ = [
    "COUNTED",
    "BackfillProgress",
    "Chunk",
    "backfill_key",
    "parse_chunk",
    "parse_moment",
    "plan_chunks",
    "read_progress",
    "run_backfill",
    "write_progress",
]

log = logging.getLogger(__name__)

STATE_PREFIX = "backfill:"
MAX_CHUNKS = 10_000
# Run-summary figures added up over the chunks of a backfill.
COUNTED = ("extracted", "loaded", "quarantined", "skipped", "failed")


@dataclass(frozen=True)
class Chunk:
    """One half-open slice ``[since, until)`` of a backfill, numbered from 0."""

    index: int
    since: datetime
    until: datetime


@dataclass
class BackfillProgress:
    """How far a backfill got; stored as JSON in ``sync_state``.

    Attributes:
        key: the ``sync_state`` name.
        total: number of chunks.
        done: chunks finished, in order (the next to run is ``done``).
        done_until: end of the last finished chunk.
        totals: run-summary figures added up over the finished chunks.
    """

    key: str
    total: int
    done: int = 0
    done_until: str | None = None
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        """True when every chunk is done."""
        return self.done >= self.total

    @property
    def fraction(self) -> float:
        """Progress between 0 and 1."""
        return 1.0 if self.total == 0 else self.done / self.total


def parse_chunk(text: str) -> timedelta:
    """Read a chunk size: ``6h``, ``1d``, ``7d``, ``90m`` (or whole seconds).

    Raises:
        ValueError: when the text is not such a size or not positive.
    """
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
    raw = text.strip().lower()
    number, unit = (raw[:-1], raw[-1]) if raw[-1:] in units else (raw, "s")
    if not number.isdigit() or int(number) <= 0:
        msg = f"chunk {text!r} is not a size like `1d`, `6h` or `30m`"
        raise ValueError(msg)
    return timedelta(seconds=int(number) * units[unit])


def parse_moment(value: str | date | datetime, timezone: str) -> datetime:
    """An aware datetime; dates and naive times are shop-local.

    Raises:
        ValueError: when a string is not an ISO date or date-time.
    """
    if isinstance(value, str):
        text = value.strip()
        value = (
            datetime.fromisoformat(text)
            if "T" in text or " " in text
            else (date.fromisoformat(text))
        )
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(timezone))
    return value


def plan_chunks(since: datetime, until: datetime, chunk: timedelta) -> list[Chunk]:
    """Cut ``[since, until)`` into consecutive chunks; the last may be shorter.

    Raises:
        ValueError: on naive datetimes, an empty range, a non-positive chunk
            or more than ``MAX_CHUNKS`` chunks.
    """
    if since.tzinfo is None or until.tzinfo is None:
        msg = f"since and until must be timezone-aware, got {since!r}, {until!r}"
        raise ValueError(msg)
    if until <= since:
        msg = f"until {until.isoformat()!r} must be after since {since.isoformat()!r}"
        raise ValueError(msg)
    if chunk <= timedelta(0):
        msg = f"chunk {chunk!r} must be positive"
        raise ValueError(msg)
    count = -(-(until - since) // chunk)
    if count > MAX_CHUNKS:
        msg = f"{count} chunks is more than {MAX_CHUNKS}; use a larger chunk"
        raise ValueError(msg)
    return [
        Chunk(i, since + i * chunk, min(since + (i + 1) * chunk, until))
        for i in range(count)
    ]


def backfill_key(since: datetime, until: datetime, chunk: timedelta) -> str:
    """The ``sync_state`` name of a backfill: same range and chunk, same key."""
    a = since.astimezone(UTC).isoformat()
    b = until.astimezone(UTC).isoformat()
    return f"{STATE_PREFIX}{a}/{b}/{int(chunk.total_seconds())}"


def read_progress(con: Any, key: str) -> BackfillProgress | None:
    """The stored progress of a backfill, or None if it never ran."""
    raw = staging.get_state(con, key)
    if raw is None:
        return None
    data = json.loads(raw)
    return BackfillProgress(**data)


def write_progress(con: Any, progress: BackfillProgress) -> None:
    """Store a backfill's progress."""
    staging.set_state(con, progress.key, json.dumps(asdict(progress), sort_keys=True))


def _add(totals: dict[str, int], summary: Mapping[str, Any]) -> dict[str, int]:
    out = dict(totals)
    for name in COUNTED:
        out[name] = out.get(name, 0) + int(summary.get(name, 0) or 0)
    return out


def run_backfill(
    chunks: Sequence[Chunk],
    key: str,
    run_chunk: Callable[[Chunk], Mapping[str, Any]],
    load: Callable[[str], BackfillProgress | None],
    save: Callable[[BackfillProgress], None],
    *,
    restart: bool = False,
    on_progress: Callable[[BackfillProgress, Chunk | None], None] | None = None,
) -> BackfillProgress:
    """Run the chunks in order, skipping those a previous attempt finished.

    Args:
        chunks: from :func:`plan_chunks`.
        key: from :func:`backfill_key`.
        run_chunk: extracts, validates, plans and loads one chunk; returns
            its run summary.
        load: reads stored progress by key.
        save: stores progress; called after every finished chunk.
        restart: ignore stored progress and start at the first chunk.
        on_progress: called before the first chunk (with None) and after
            every finished chunk.

    Returns:
        The final progress. An exception from ``run_chunk`` propagates after
        the chunks before it were recorded as finished.
    """
    stored = None if restart else load(key)
    if stored is not None and stored.total != len(chunks):
        log.warning("backfill %s: stored chunk count differs; restarting", key)
        stored = None
    progress = stored or BackfillProgress(key=key, total=len(chunks))
    if progress.done:
        log.info(
            "backfill %s: resuming at chunk %d of %d",
            key,
            progress.done + 1,
            progress.total,
        )
    if on_progress is not None:
        on_progress(progress, None)
    for chunk in chunks[progress.done :]:
        summary = run_chunk(chunk)
        progress.done = chunk.index + 1
        progress.done_until = chunk.until.isoformat()
        progress.totals = _add(progress.totals, summary)
        save(progress)
        log.info(
            "backfill chunk %d/%d [%s, %s): %d loaded, %d quarantined",
            progress.done,
            progress.total,
            chunk.since.isoformat(),
            chunk.until.isoformat(),
            int(summary.get("loaded", 0) or 0),
            int(summary.get("quarantined", 0) or 0),
        )
        if on_progress is not None:
            on_progress(progress, chunk)
    return progress
