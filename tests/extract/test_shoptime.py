"""Shop-local time: zero dates, DST folds and window bounds."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from koppel.prestashop.shoptime import (
    next_second,
    parse_local,
    parse_shop_datetime,
    to_local_bound,
    window_lower,
    window_upper,
)

AMS = ZoneInfo("Europe/Amsterdam")


@pytest.mark.parametrize(
    "value",
    ["0000-00-00 00:00:00", "0000-00-00", "", None, "not a date", 0, "2024-02-30"],
    ids=["zero", "zero-day", "empty", "none", "junk", "int", "impossible"],
)
def test_parse_local_zero_and_bad_dates_are_none(value):
    assert parse_local(value) is None


@pytest.mark.parametrize(
    ("local", "utc"),
    [
        ("2024-01-15 12:00:00", datetime(2024, 1, 15, 11, tzinfo=UTC)),
        ("2024-07-15 12:00:00", datetime(2024, 7, 15, 10, tzinfo=UTC)),
        ("2024-07-15", datetime(2024, 7, 14, 22, tzinfo=UTC)),
    ],
    ids=["winter", "summer", "date-only"],
)
def test_parse_shop_datetime_converts_shop_local_to_utc(local, utc):
    assert parse_shop_datetime(local, AMS) == utc


def test_parse_shop_datetime_ambiguous_hour_reads_earlier_instant():
    # 2024-10-27 02:30 happens twice in Amsterdam; fold 0 is CEST (+02:00)
    result = parse_shop_datetime("2024-10-27 02:30:00", AMS)
    assert result == datetime(2024, 10, 27, 0, 30, tzinfo=UTC)


def test_parse_shop_datetime_skipped_hour_uses_offset_before_change():
    # 2024-03-31 02:30 does not exist in Amsterdam (clocks jump 02:00→03:00)
    result = parse_shop_datetime("2024-03-31 02:30:00", AMS)
    assert result == datetime(2024, 3, 31, 1, 30, tzinfo=UTC)


def test_window_lower_plain_subtracts_overlap():
    upper = datetime(2024, 5, 1, 12, tzinfo=UTC)
    lower = window_lower("2024-05-01 13:00:00", timedelta(minutes=30), upper, AMS)
    assert lower == "2024-05-01 12:30:00"


def test_window_lower_across_fall_back_widens_by_the_shift():
    # watermark in the first pass of the repeated hour; the clocks then go back
    # and updates written at 02:10 (second pass) sort before the watermark
    upper = datetime(2024, 10, 27, 1, 20, tzinfo=UTC)  # 02:20 local, second pass
    lower = window_lower("2024-10-27 02:40:00", timedelta(minutes=30), upper, AMS)
    assert lower == "2024-10-27 01:10:00"
    assert lower <= "2024-10-27 02:10:00"


def test_window_upper_in_repeated_hour_reaches_end_of_first_pass():
    now = datetime(2024, 10, 27, 1, 10, tzinfo=UTC)  # 02:10 local, second pass
    assert window_upper(now, AMS) == "2024-10-27 02:59:59"


def test_window_upper_normally_is_now_minus_margin():
    now = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
    assert window_upper(now, AMS) == "2024-05-01 11:59:55"


@pytest.mark.parametrize(
    ("value", "end", "expected"),
    [
        (date(2024, 3, 1), False, "2024-03-01 00:00:00"),
        (date(2024, 3, 1), True, "2024-03-01 23:59:59"),
        ("2024-03-01", True, "2024-03-01 23:59:59"),
        ("2024-03-01 10:11:12", True, "2024-03-01 10:11:12"),
        (datetime(2024, 7, 1, 10, tzinfo=UTC), False, "2024-07-01 12:00:00"),
        (datetime(2024, 7, 1, 10), False, "2024-07-01 10:00:00"),
        (None, False, None),
    ],
    ids=["day", "day-end", "str-day-end", "str-time", "aware", "naive", "none"],
)
def test_to_local_bound_forms(value, end, expected):
    assert to_local_bound(value, AMS, end=end) == expected


def test_to_local_bound_junk_string_is_refused():
    with pytest.raises(ValueError, match="range bound"):
        to_local_bound("yesterday", AMS)


def test_next_second_rolls_over_midnight():
    assert next_second("2024-12-31 23:59:59") == "2025-01-01 00:00:00"
