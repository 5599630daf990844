"""Shop-local time: PrestaShop writes wall-clock strings in its own zone.

The webservice sends ``date_add``/``date_upd`` as ``YYYY-MM-DD HH:MM:SS``
without an offset, in the shop's timezone, so the same string can name two
instants when the clocks go back. Watermarks stay in that local string form
(the shop filters and sorts on it); staging stores UTC.

Ambiguous wall times are read as the earlier instant (``fold=0``); wall
times that do not exist (the hour skipped in spring) use the offset before
the change. Window bounds are widened so that no instant after the
watermark can fall below the lower bound in string order.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "EPOCH_LOCAL",
    "format_local",
    "next_second",
    "parse_local",
    "parse_shop_datetime",
    "to_local_bound",
    "to_utc",
    "window_lower",
    "window_upper",
]

log = logging.getLogger(__name__)

SHOP_FORMAT = "%Y-%m-%d %H:%M:%S"
_SHOP_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$")
EPOCH_LOCAL = "1970-01-01 00:00:00"
UPPER_MARGIN = timedelta(seconds=5)
_MAX_DST_SHIFT = timedelta(hours=2)
_SAMPLES = 400


def parse_local(value: object) -> datetime | None:
    """Read a shop date string as a naive local datetime.

    Returns:
        The datetime, or None for zero dates (``0000-00-00 …``), empty
        values and strings that are not a date.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or text.startswith("0000-00-00"):
        return None
    if _SHOP_DATE.match(text):
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    log.warning("shop date %r is not `YYYY-MM-DD HH:MM:SS`; staged as NULL", text)
    return None


def format_local(value: datetime) -> str:
    """Write a naive local datetime the way the shop does."""
    return value.strftime(SHOP_FORMAT)


def to_utc(local: datetime, zone: ZoneInfo, *, fold: int = 0) -> datetime:
    """Place a naive shop-local datetime in ``zone`` and convert it to UTC."""
    return local.replace(tzinfo=zone, fold=fold).astimezone(UTC)


def parse_shop_datetime(value: object, zone: ZoneInfo) -> datetime | None:
    """Parse a shop date string into an aware UTC datetime (None for zero)."""
    local = parse_local(value)
    return None if local is None else to_utc(local, zone)


def next_second(value: str) -> str:
    """The shop string one second later (for exclusive keyset bounds)."""
    local = parse_local(value)
    if local is None:
        msg = f"{value!r} is not a shop date; expected `YYYY-MM-DD HH:MM:SS`"
        raise ValueError(msg)
    return format_local(local + timedelta(seconds=1))


def _wall(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def _offset(instant: datetime, zone: ZoneInfo) -> timedelta:
    return instant.astimezone(zone).utcoffset() or timedelta(0)


def _min_offset(start: datetime, end: datetime, zone: ZoneInfo) -> timedelta:
    step = max((end - start) / _SAMPLES, timedelta(hours=1))
    offsets = [_offset(end, zone)]
    instant = start
    while instant < end:
        offsets.append(_offset(instant, zone))
        instant += step
    return min(offsets)


def window_lower(
    watermark: str, overlap: timedelta, upper: datetime, zone: ZoneInfo
) -> str:
    """The lower bound of an incremental window, as a shop string.

    Args:
        watermark: the largest ``date_upd`` of the last run (shop-local).
        overlap: how far to re-read before the watermark.
        upper: the run's upper bound as an aware instant.
        zone: the shop timezone.

    Returns:
        ``watermark − overlap``, moved earlier by the clock shift when the
        clocks go back inside the window, so updates written during the
        repeated hour are not skipped.

    Raises:
        ValueError: when ``watermark`` is not a shop date.
    """
    local = parse_local(watermark)
    if local is None:
        msg = f"watermark {watermark!r} is not a shop date"
        raise ValueError(msg)
    start = to_utc(local, zone) - overlap
    shift = _offset(start, zone) - _min_offset(start, upper, zone)
    return format_local(_wall(start, zone) - max(shift, timedelta(0)))


def window_upper(now: datetime, zone: ZoneInfo) -> str:
    """The frozen upper bound of a run: the latest shop string written so far.

    During the repeated hour after the clocks go back, strings written in
    the first pass sort after the current wall time; the bound then is the
    last second of that first pass.

    Args:
        now: the run's start as an aware datetime.
        zone: the shop timezone.

    Returns:
        The bound as a shop string, a few seconds before ``now``.
    """
    instant = now - UPPER_MARGIN
    latest = _wall(instant, zone)
    before = instant - _MAX_DST_SHIFT
    if _offset(before, zone) > _offset(instant, zone):
        change = _find_change(before, instant, zone)
        latest = max(latest, _wall(change - timedelta(seconds=1), zone))
    return format_local(latest)


def _find_change(start: datetime, end: datetime, zone: ZoneInfo) -> datetime:
    """The first whole second in (start, end] whose offset equals end's."""
    target = _offset(end, zone)
    low, high = start, end
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle <= low:
            break
        if _offset(middle, zone) == target:
            high = middle
        else:
            low = middle
    return high


def to_local_bound(
    value: date | datetime | str | None, zone: ZoneInfo, *, end: bool = False
) -> str | None:
    """Turn a range bound given by a user into a shop string.

    Args:
        value: a date (the whole day), an aware datetime (converted to the
            shop zone), a naive datetime or a string (taken as shop-local).
        zone: the shop timezone.
        end: for an upper bound, a date means its last second.

    Returns:
        The shop string, or None when ``value`` is None.

    Raises:
        ValueError: when a string is not a date.
    """
    if value is None:
        return None
    if isinstance(value, str):
        parsed = parse_local(value)
        if parsed is None:
            msg = f"range bound {value!r} is not `YYYY-MM-DD[ HH:MM:SS]`"
            raise ValueError(msg)
        if len(value.strip()) == 10:
            value = parsed.date()
        else:
            return format_local(parsed)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return format_local(_wall(value, zone))
        return format_local(value)
    day = datetime(value.year, value.month, value.day)  # noqa: DTZ001 - shop-local
    if end:
        day += timedelta(days=1, seconds=-1)
    return format_local(day)
