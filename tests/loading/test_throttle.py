"""The per-administration throttle: windows, sharing, concurrency slots."""

from __future__ import annotations

import threading
from bisect import bisect_left
from pathlib import Path

import pytest

from koppel.snelstart.throttle import Throttle, ThrottleLimits, administration_key
from tests.loading.conftest import CLIENTKEY, NoSleep


def _drain(throttle: Throttle, time: NoSleep, calls: int) -> list[float]:
    stamps = []
    for _ in range(calls):
        with throttle.acquire():
            stamps.append(time.now)
    return stamps


def _max_in_window(stamps: list[float], window: float) -> int:
    return max(bisect_left(stamps, t + window) - i for i, t in enumerate(stamps))


@pytest.mark.parametrize(
    ("per_minute", "per_hour"),
    [(100, 1000), (500, 5000), (30, 100)],
    ids=["development", "production", "tight-hour"],
)
def test_throttle_never_exceeds_limit_in_any_window(tmp_path, per_minute, per_hour):
    time = NoSleep()
    limits = ThrottleLimits(per_minute, per_hour, 5)
    throttle = Throttle(
        limits, key="w", state_dir=tmp_path, clock=time.clock, sleep=time
    )
    stamps = _drain(throttle, time, min(3 * per_minute, 600))
    assert _max_in_window(stamps, 60.0) <= per_minute
    assert _max_in_window(stamps, 3600.0) <= per_hour


def test_throttle_steady_rate_uses_most_of_the_ceiling(tmp_path):
    time = NoSleep()
    limits = ThrottleLimits(600, 1_000_000, 5)
    throttle = Throttle(limits, key="r", clock=time.clock, sleep=time)
    stamps = _drain(throttle, time, 1500)
    rate_per_minute = (len(stamps) - 1) / (stamps[-1] - stamps[0]) * 60
    assert 0.9 * 600 <= rate_per_minute <= 600


def test_throttle_shorter_windows_scale_the_limits(tmp_path):
    time = NoSleep()
    limits = ThrottleLimits(100, 10_000, 5, minute_seconds=0.6, hour_seconds=36.0)
    throttle = Throttle(limits, key="s", clock=time.clock, sleep=time)
    stamps = _drain(throttle, time, 300)
    assert _max_in_window(stamps, 0.6) <= 100
    # (300 - 5 burst) / (95 per 0.6 s), not minutes
    assert stamps[-1] - stamps[0] == pytest.approx(295 / 95 * 0.6, rel=0.01)


def test_throttle_two_instances_share_one_bucket_through_the_file(tmp_path):
    time = NoSleep()
    limits = ThrottleLimits(40, 10_000, 5)  # burst 2, then 38 per minute
    first = Throttle(limits, key="x", state_dir=tmp_path, clock=time.clock, sleep=time)
    second = Throttle(limits, key="x", state_dir=tmp_path, clock=time.clock, sleep=time)
    stamps = []
    for i in range(80):
        with (first if i % 2 else second).acquire():
            stamps.append(time.now)
    assert _max_in_window(stamps, 60.0) <= 40


def test_throttle_separate_administrations_do_not_share(tmp_path):
    time = NoSleep()
    limits = ThrottleLimits(20, 10_000, 5)
    one = Throttle(limits, key="a", state_dir=tmp_path, clock=time.clock, sleep=time)
    two = Throttle(limits, key="b", state_dir=tmp_path, clock=time.clock, sleep=time)
    with one.acquire(), two.acquire():
        pass
    assert time.waits == []


def test_throttle_block_for_holds_back_other_instances(tmp_path):
    time = NoSleep()
    limits = ThrottleLimits(1000, 100_000, 5)
    first = Throttle(limits, key="k", state_dir=tmp_path, clock=time.clock, sleep=time)
    second = Throttle(limits, key="k", state_dir=tmp_path, clock=time.clock, sleep=time)
    first.block_for(12.0)
    started = time.now
    with second.acquire() as waited:
        assert time.now - started >= 12.0
    assert waited >= 0


def test_throttle_corrupt_state_file_starts_fresh(tmp_path):
    (tmp_path / "c.json").write_text("{not json", encoding="utf-8")
    time = NoSleep()
    throttle = Throttle(
        ThrottleLimits(100, 1000, 5),
        key="c",
        state_dir=tmp_path,
        clock=time.clock,
        sleep=time,
    )
    with throttle.acquire():
        pass
    assert throttle.calls == 1


def test_throttle_concurrency_slots_are_shared_across_instances(tmp_path):
    limits = ThrottleLimits(10_000, 100_000, 2)
    holders = [Throttle(limits, key="slots", state_dir=tmp_path) for _ in range(2)]
    waiter = Throttle(limits, key="slots", state_dir=tmp_path)
    release = threading.Event()
    inside = threading.Semaphore(0)
    entered = threading.Event()

    def hold(throttle: Throttle) -> None:
        with throttle.acquire():
            inside.release()
            release.wait(10)

    def wait_for_slot() -> None:
        with waiter.acquire():
            entered.set()

    threads = [threading.Thread(target=hold, args=(t,)) for t in holders]
    for thread in threads:
        thread.start()
    assert inside.acquire(timeout=10) and inside.acquire(timeout=10)
    late = threading.Thread(target=wait_for_slot)
    late.start()
    assert not entered.wait(0.3)  # both slots are held by the other instances
    release.set()
    assert entered.wait(10)
    for thread in [*threads, late]:
        thread.join(10)


def test_throttle_for_profile_keeps_state_in_data_dir_without_secret(make_profile):
    profile = make_profile()
    throttle = Throttle.for_profile(profile, CLIENTKEY)
    with throttle.acquire():
        pass
    assert throttle.state_dir == Path(profile.data_dir) / "throttle"
    names = [p.name for p in throttle.state_dir.iterdir()]
    assert names and all(CLIENTKEY not in n for n in names)
    assert throttle.key == administration_key(profile.snelstart.api_url, CLIENTKEY)
