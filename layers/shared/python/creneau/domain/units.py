"""Claim units: how a booking's occupied time is cut into items that two bookings cannot share.

Units follow the calendar's local grid (09:00, 09:05, ... on its wall clock), so that calendars in
zones with half- or quarter-hour offsets (Kolkata, Kathmandu) still align with their opening hours,
but each unit is keyed by the UTC instant at which it starts, never by its wall-clock label: on
the night clocks go back, the two passes of the repeated hour are different instants and so
different units, and a booking in one pass does not refuse a disjoint one in the other.

An instant t belongs to the unit keyed K = t - (minutes of t's local time, under the offset in
force at t, since the last grid line). Every instant keyed K lies in [K, K + unit) of real time,
hence:
- two intervals that share an instant share the unit holding it, so conditional writes on unit
  items never let two overlapping holds both commit;
- two disjoint intervals whose ends lie on the local grid never share a unit. Where a transition
  moves the clock by less than a unit (Lord Howe's 30 minutes with 60-minute units), the unit
  straddling it is cut in two pieces with distinct keys, each shorter than a unit.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

# Offsets of every time zone in use are multiples of 15 minutes, so stepping through an interval
# in UTC by 5 minutes visits every local unit it touches, whatever the unit.
_PROBE = timedelta(minutes=5)
KEY_FORMAT = "%Y%m%dT%H%MZ"  # not the former wall-clock labels (YYYYMMDDHHMM): the two never meet

# A transaction holds at most 100 items. The largest one (a reschedule that also consumes a
# lock) writes the new units, frees the old ones and the lock's, plus a handful of records.
MAX_UNITS_PER_BOOKING = 30


def unit_key(instant: datetime, zone: ZoneInfo, unit_minutes: int) -> str:
    """The key (UTC start instant, YYYYMMDDTHHMMZ) of the unit holding `instant` (on the 5-min grid)."""
    local = instant.astimezone(zone)
    into_unit = timedelta(minutes=local.minute % unit_minutes)  # units divide the hour
    return (instant.astimezone(UTC) - into_unit).strftime(KEY_FORMAT)


def unit_keys(start: datetime, end: datetime, timezone: str, unit_minutes: int) -> list[str]:
    """Keys of the units touched by [start, end), in time order."""
    if end <= start:
        raise ValueError("an occupied interval must not be empty")
    zone = ZoneInfo(timezone)
    keys: list[str] = []
    first = start.astimezone(UTC)
    # Start on the 5-minute grid so that the unit holding the interval's last minutes is visited too.
    probe = first - timedelta(minutes=first.minute % 5, seconds=first.second, microseconds=first.microsecond)
    while probe < end:
        key = unit_key(probe, zone, unit_minutes)
        if key not in keys:
            keys.append(key)
        probe += _PROBE
    return keys


def units_needed(occupied_minutes: int, unit_minutes: int) -> int:
    return -(-occupied_minutes // unit_minutes)
