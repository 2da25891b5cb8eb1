"""Claim units: how a booking's occupied time is cut into items that two bookings cannot share.

Units are aligned on the calendar's local wall clock (09:00, 09:05, ...), not on UTC, so that
calendars in zones with half- or quarter-hour offsets still align with their opening hours. Two
intervals that share an instant share the unit holding that instant, so conditional writes on
unit items can never let two overlapping bookings both succeed. On the fall-back night both
02:xx hours map to the same units: that can only refuse, never double book.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

# Offsets of every time zone in use are multiples of 15 minutes, so stepping through an interval
# in UTC by 5 minutes visits every local unit it touches, whatever the unit.
_PROBE = timedelta(minutes=5)

# A transaction holds at most 100 items. The largest one (a reschedule that also consumes a
# lock) writes the new units, frees the old ones and the lock's, plus a handful of records.
MAX_UNITS_PER_BOOKING = 30


def unit_keys(start: datetime, end: datetime, timezone: str, unit_minutes: int) -> list[str]:
    """Local wall-clock unit labels (YYYYMMDDHHMM) touched by [start, end), in time order."""
    if end <= start:
        raise ValueError("an occupied interval must not be empty")
    zone = ZoneInfo(timezone)
    keys: list[str] = []
    first = start.astimezone(UTC)
    # Start on the 5-minute grid so that the unit holding the interval's last minutes is visited too.
    probe = first - timedelta(minutes=first.minute % 5, seconds=first.second, microseconds=first.microsecond)
    while probe < end:
        local = probe.astimezone(zone)
        floored = local.replace(minute=local.minute - local.minute % unit_minutes, second=0, microsecond=0)
        label = floored.strftime("%Y%m%d%H%M")
        if label not in keys:
            keys.append(label)
        probe += _PROBE
    return keys


def units_needed(occupied_minutes: int, unit_minutes: int) -> int:
    return -(-occupied_minutes // unit_minutes)
