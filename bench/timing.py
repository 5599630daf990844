"""Timing helpers shared by the benchmark scripts."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    """Run ``action`` ``repeat`` times; the wall time of each run in seconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return times


def figures(times: list[float]) -> tuple[float, float, float]:
    """(median ms, max ms, runs per second) of a list of timings."""
    return (
        statistics.median(times) * 1000,
        max(times) * 1000,
        len(times) / sum(times),
    )
