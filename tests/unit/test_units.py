"""Claim units across clock changes: two holds share a unit exactly when they share an instant.

The intervals drawn here end on the calendar's local grid (instants whose wall-clock minute, under the
offset in force, is a multiple of the unit), as bookings do: slot starts, durations and buffers are
multiples of the unit. The nights drawn are the clock changes of Paris, New York and Lord Howe (whose
clocks move by 30 minutes), plus a day in Kolkata (+05:30) and Kathmandu (+05:45).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from creneau.domain.units import unit_keys

# (zone, a local date around which the clocks change or the offset is not whole hours)
NIGHTS = [
    ("Europe/Paris", date(2027, 10, 31)),  # fall back 03:00 CEST -> 02:00 CET
    ("Europe/Paris", date(2027, 3, 28)),  # spring forward
    ("America/New_York", date(2027, 11, 7)),  # fall back 02:00 EDT -> 01:00 EST
    ("America/New_York", date(2027, 3, 14)),
    ("Australia/Lord_Howe", date(2027, 4, 4)),  # fall back 02:00 -> 01:30 (30 minutes)
    ("Australia/Lord_Howe", date(2027, 10, 3)),  # spring forward 02:00 -> 02:30
    ("Asia/Kolkata", date(2027, 10, 31)),
    ("Asia/Kathmandu", date(2027, 10, 31)),
]
UNITS = [5, 10, 15, 30, 60]


@cache
def grid(zone_name: str, day: date, unit: int) -> tuple[datetime, ...]:
    """Every instant from the day before to the day after whose local minute is on the unit grid."""
    zone = ZoneInfo(zone_name)
    start = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(days=1)
    instants = (start + timedelta(minutes=5 * i) for i in range(3 * 24 * 12))
    return tuple(t for t in instants if t.astimezone(zone).minute % unit == 0)


def change_index(zone_name: str, points: tuple[datetime, ...]) -> int:
    """Where the offset changes among `points` (the middle when it does not)."""
    zone = ZoneInfo(zone_name)
    offsets = [p.astimezone(zone).utcoffset() for p in points]
    changes = [i for i in range(1, len(points)) if offsets[i] != offsets[i - 1]]
    return changes[0] if changes else len(points) // 2


@st.composite
def grid_intervals(draw, overlapping: bool):
    """(zone, unit, (a, b), (c, d)): two intervals ending on the grid, overlapping or disjoint."""
    zone, day = draw(st.sampled_from(NIGHTS))
    unit = draw(st.sampled_from(UNITS))
    points = grid(zone, day, unit)
    last = len(points) - 1
    middle = change_index(zone, points)
    a = draw(st.integers(max(0, middle - 30), min(last - 3, middle + 30)))  # around the change
    b = draw(st.integers(a + 1, min(last - 2, a + 12)))
    if overlapping:
        c = draw(st.integers(max(0, a - 12), b - 1))
        d = draw(st.integers(max(a, c) + 1, min(last, max(a, c) + 13)))
    else:
        c = draw(st.integers(b, min(last - 1, b + 12)))  # starts where the first ends, or later
        d = draw(st.integers(c + 1, min(last, c + 12)))
    return zone, unit, (points[a], points[b]), (points[c], points[d])


def keys(zone: str, unit: int, interval: tuple[datetime, datetime]) -> set[str]:
    return set(unit_keys(interval[0], interval[1], zone, unit))


@settings(max_examples=500, deadline=None, derandomize=True)
@given(drawn=grid_intervals(overlapping=False))
def test_disjoint_intervals_never_share_a_unit(drawn):
    zone, unit, first, second = drawn
    assert not keys(zone, unit, first) & keys(zone, unit, second), (first, second)


@settings(max_examples=500, deadline=None, derandomize=True)
@given(drawn=grid_intervals(overlapping=True))
def test_overlapping_intervals_always_share_a_unit(drawn):
    zone, unit, first, second = drawn
    assert first[0] < second[1] and second[0] < first[1]
    assert keys(zone, unit, first) & keys(zone, unit, second), (first, second)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_booking_in_the_first_pass_leaves_the_second_pass_free_in_paris():
    # 2027-10-31: 02:00-02:30 CEST is 00:00-00:30 UTC; 02:30 CEST + 60 min runs into 02:00-02:30 CET.
    first_pass = keys("Europe/Paris", 5, (utc(2027, 10, 31, 0, 0), utc(2027, 10, 31, 0, 30)))
    across = keys("Europe/Paris", 5, (utc(2027, 10, 31, 0, 30), utc(2027, 10, 31, 1, 30)))
    assert not first_pass & across


def test_lord_howe_hour_units_are_cut_at_the_half_hour_change():
    # 2027-04-04 02:00 LHDT (+11) = 15:00 UTC on the 3rd becomes 01:30 LHST (+10:30). The 01:00 unit
    # of the first pass ends at the change; the rest of that wall hour is a unit of its own.
    before = unit_keys(utc(2027, 4, 3, 14, 0), utc(2027, 4, 3, 15, 0), "Australia/Lord_Howe", 60)
    after = unit_keys(utc(2027, 4, 3, 15, 0), utc(2027, 4, 3, 15, 30), "Australia/Lord_Howe", 60)
    assert before == ["20270403T1400Z"]
    assert after == ["20270403T1430Z"]  # its grid line under +10:30 (01:00 local); never the first's


def test_half_and_quarter_hour_zones_keep_one_unit_per_local_hour():
    # 09:00-10:00 local is one 60-minute unit in Kolkata (03:30 UTC) and Kathmandu (03:15 UTC).
    assert unit_keys(utc(2027, 1, 4, 3, 30), utc(2027, 1, 4, 4, 30), "Asia/Kolkata", 60) == ["20270104T0330Z"]
    assert unit_keys(utc(2027, 1, 4, 3, 15), utc(2027, 1, 4, 4, 15), "Asia/Kathmandu", 60) == [
        "20270104T0315Z"
    ]
