"""The engine against a plain reference implementation written here, over random calendars.

The engine expands most local dates with integer arithmetic (one UTC offset per date) and only the dates near
an offset change through zoneinfo; the reference resolves every wall time with zoneinfo, finds a gap's end by
walking the wall clock minute by minute, and checks every exception and busy period against every candidate.
Both must return exactly the same slots (instants, durations and calendar ids), on windows of up to 90 days
crossing DST changes in zones that move by an hour (Paris, New York), by 30 minutes (Lord Howe), at local
midnight (Santiago), or never and by a half hour from UTC (Kolkata).
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creneau.domain.availability import (
    CalendarAvailability,
    Interval,
    ServiceShape,
    Slot,
    WallRange,
    compute_slots,
)

ZONES = ["Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "America/Santiago", "UTC"]
# 2026 DST changes: New York, Paris, Lord Howe (back in April, forward in October), Santiago (at local
# midnight: 23:00-24:00 twice on April 4, no 00:00-01:00 on September 6); two ordinary dates.
ANCHORS = [
    date(2026, 3, 8),
    date(2026, 11, 1),
    date(2026, 3, 29),
    date(2026, 10, 25),
    date(2026, 4, 5),
    date(2026, 10, 4),
    date(2026, 4, 4),
    date(2026, 9, 6),
    date(2026, 1, 20),
    date(2026, 7, 1),
]
FOREIGN_ZONES = [UTC, timezone(timedelta(hours=-7)), timezone(timedelta(hours=5, minutes=45))]
ONE_MINUTE = timedelta(minutes=1)

SETTINGS = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def minutes(value: int) -> timedelta:
    return timedelta(minutes=value)


# --------------------------------------------------------------------------------------------------------
# The reference: the specification, one wall time at a time
# --------------------------------------------------------------------------------------------------------


def exists(wall: datetime, zone: ZoneInfo) -> bool:
    """A naive wall time that a clock of the zone shows at some instant (not in a spring-forward gap)."""
    return wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall


def instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """fold=0 (the first of two occurrences); a wall time in a gap resolves to the end of the gap."""
    while not exists(wall, zone):  # offsets of these zones change on whole minutes
        wall = wall.replace(second=0, microsecond=0) + ONE_MINUTE
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)


def meets(start: datetime, end: datetime, interval: Interval) -> bool:
    return interval.start < interval.end and start < interval.end and interval.start < end


def reference_starts(
    cal: CalendarAvailability, service: ServiceShape, window: Interval, now: datetime
) -> set[datetime]:
    zone = ZoneInfo(cal.timezone)
    low = max(window.start, now + minutes(cal.min_notice_minutes))
    high = min(window.end, now + timedelta(days=cal.horizon_days))
    duration = minutes(service.duration_minutes)
    before, after = minutes(service.buffer_before_minutes), minutes(service.buffer_after_minutes)
    found = set()
    day = low.astimezone(zone).date() - timedelta(days=2)
    while day <= high.astimezone(zone).date() + timedelta(days=2):
        for wall_range in cal.weekly_hours.get(day.weekday(), ()):
            wall_start = datetime.combine(day, wall_range.start)
            end_day = day + timedelta(days=1) if wall_range.end == time(0) else day
            wall_end = datetime.combine(end_day, wall_range.end)
            opens, closes = instant(wall_start, zone), instant(wall_end, zone)
            wall = wall_start
            while wall < wall_end:
                start = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
                end = start + duration
                if (
                    exists(wall, zone)
                    and opens <= start
                    and end <= closes
                    and low <= start < high
                    and not any(meets(start, end, closed) for closed in cal.exceptions)
                    and not any(meets(start - before, end + after, busy) for busy in cal.busy)
                ):
                    found.add(start)
                wall += minutes(cal.slot_step_minutes)
        day += timedelta(days=1)
    for opening in cal.openings:  # one-off openings: instants, stepped from their start
        start = opening.start.astimezone(UTC)
        while start < opening.end:
            end = start + duration
            if (
                end <= opening.end
                and low <= start < high
                and not any(meets(start, end, closed) for closed in cal.exceptions)
                and not any(meets(start - before, end + after, busy) for busy in cal.busy)
            ):
                found.add(start)
            start += minutes(cal.slot_step_minutes)
    return found


def reference_slots(
    cals: list[CalendarAvailability], service: ServiceShape, window: Interval, now: datetime
) -> list[Slot]:
    takers: dict[datetime, set[str]] = {}
    for cal in cals:
        for start in reference_starts(cal, service, window, now):
            takers.setdefault(start, set()).add(cal.calendar_id)
    duration = minutes(service.duration_minutes)
    return [Slot(start, start + duration, tuple(sorted(takers[start]))) for start in sorted(takers)]


# --------------------------------------------------------------------------------------------------------
# Random calendars
# --------------------------------------------------------------------------------------------------------


def wall_time(minute_of_day: int) -> time:
    return time(0) if minute_of_day == 1440 else time(minute_of_day // 60, minute_of_day % 60)


@st.composite
def day_ranges(draw) -> list[WallRange]:
    """0-3 ranges of one day, on the 5-minute grid or any minute, sometimes overlapping, up to 24:00."""
    ranges = []
    for _ in range(draw(st.integers(0, 3))):
        start = draw(st.one_of(st.integers(0, 287).map(lambda k: 5 * k), st.integers(0, 1439)))
        end = min(1440, start + draw(st.one_of(st.sampled_from([60, 180, 240, 480]), st.integers(1, 1440))))
        ranges.append(WallRange(wall_time(start), wall_time(end)))
    return ranges


@st.composite
def intervals(draw, window: Interval, max_count: int, max_minutes: int) -> list[Interval]:
    days = max(1, (window.end - window.start).days + 2)
    result = []
    for _ in range(draw(st.integers(0, max_count))):
        offset = draw(
            st.one_of(
                st.integers(-1440, days * 1440).map(lambda m: m - m % 5), st.integers(-1440, days * 1440)
            )
        )
        start = window.start.replace(second=0, microsecond=0) + minutes(offset)
        end = start + minutes(draw(st.integers(0, max_minutes)))
        zone = draw(st.sampled_from(FOREIGN_ZONES))
        result.append(Interval(start.astimezone(zone), end.astimezone(zone)))
    return result


@st.composite
def scenarios(draw, max_days: int, max_busy: int, max_calendars: int = 3):
    anchor = draw(st.sampled_from(ANCHORS))
    start = datetime.combine(anchor, time(0), tzinfo=UTC) - minutes(draw(st.integers(0, 3 * 1440)))
    start += timedelta(
        seconds=draw(st.sampled_from([0, 0, 0, 17])), microseconds=draw(st.sampled_from([0, 0, 1]))
    )
    window = Interval(start, start + minutes(draw(st.integers(60, max_days * 1440))))
    now = window.start + minutes(draw(st.integers(-2 * 1440, 1440)))
    cals = []
    for number in range(draw(st.integers(1, max_calendars))):
        weekly = {day: draw(day_ranges()) for day in range(7) if draw(st.booleans()) or day < 5}
        cals.append(
            CalendarAvailability(
                calendar_id=draw(st.sampled_from([f"cal-{number}", "shared-id"])),
                timezone=draw(st.sampled_from(ZONES)),
                weekly_hours=weekly,
                exceptions=draw(intervals(window, 3, 3 * 1440)),
                busy=draw(intervals(window, max_busy, 240)),
                slot_step_minutes=draw(st.sampled_from([5, 7, 10, 15, 20, 30, 45, 60, 90])),
                min_notice_minutes=draw(st.sampled_from([0, 0, 30, 60, 24 * 60])),
                horizon_days=draw(st.sampled_from([120, 60, 30, 7, 1])),
                openings=draw(intervals(window, 2, 6 * 60)) if draw(st.booleans()) else (),
            )
        )
    service = ServiceShape(
        duration_minutes=draw(st.sampled_from([5, 15, 20, 30, 45, 60, 90, 240])),
        buffer_before_minutes=draw(st.sampled_from([0, 0, 5, 15])),
        buffer_after_minutes=draw(st.sampled_from([0, 0, 10, 30])),
    )
    return cals, service, window, now


# --------------------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------------------


@SETTINGS
@given(scenario=scenarios(max_days=14, max_busy=30))
def test_engine_equals_the_reference_around_dst_changes(scenario) -> None:
    cals, service, window, now = scenario
    assert compute_slots(cals, service, window, now) == reference_slots(cals, service, window, now)


@settings(SETTINGS, max_examples=25)
@given(scenario=scenarios(max_days=90, max_busy=0, max_calendars=2))
def test_engine_equals_the_reference_over_long_windows_without_busy_time(scenario) -> None:
    cals, service, window, now = scenario
    assert compute_slots(cals, service, window, now) == reference_slots(cals, service, window, now)


@settings(SETTINGS, max_examples=25)
@given(scenario=scenarios(max_days=60, max_busy=200, max_calendars=1))
def test_engine_equals_the_reference_with_many_busy_periods(scenario) -> None:
    cals, service, window, now = scenario
    assert compute_slots(cals, service, window, now) == reference_slots(cals, service, window, now)


@pytest.mark.parametrize("name", ZONES)
@pytest.mark.parametrize("anchor", ANCHORS)
def test_nights_around_every_change_equal_the_reference(name: str, anchor: date) -> None:
    """Ranges over every hour at which these zones change (02:00-03:00, local midnight), every 5 minutes."""
    nights = [WallRange(time(0), time(4)), WallRange(time(21), time(0))]
    cal = CalendarAvailability(
        "c", name, dict.fromkeys(range(7), nights), slot_step_minutes=5, min_notice_minutes=0
    )
    start = datetime.combine(anchor - timedelta(days=2), time(0), tzinfo=UTC)
    window = Interval(start, start + timedelta(days=5))
    for service in (ServiceShape(5), ServiceShape(20, buffer_after_minutes=10), ServiceShape(90)):
        expected = reference_slots([cal], service, window, start - timedelta(days=1))
        assert compute_slots([cal], service, window, start - timedelta(days=1)) == expected


def test_bench_calendar_over_90_days_equals_the_reference() -> None:
    """The shape `make bench` measures: Monday to Friday, two ranges, 90 days across the March change."""
    hours = [WallRange(time(9), time(12)), WallRange(time(13, 30), time(17, 30))]
    for name in ZONES:
        zone = ZoneInfo(name)
        cal = CalendarAvailability(
            "c", name, dict.fromkeys(range(5), hours), min_notice_minutes=0, horizon_days=365
        )
        first = datetime(2027, 1, 4, tzinfo=zone)
        window = Interval(first, first + timedelta(days=90))
        service = ServiceShape(30, buffer_after_minutes=10)
        slots = compute_slots([cal], service, window, first - timedelta(days=1))
        assert len(slots) == 65 * 26  # 65 weekdays, 11 + 15 starts a day
        assert slots == reference_slots([cal], service, window, first - timedelta(days=1))


def test_offset_changes_are_days_apart_in_every_zone() -> None:
    """The engine samples UTC offsets 12 h apart: a change undone within 12 h would go unseen. tzdata has none
    closer than four days; this guards that for the time zone data this machine uses."""
    from zoneinfo import _common  # TZif reader behind zoneinfo: no public API lists transitions

    closest = timedelta.max
    for name in zoneinfo.available_timezones():
        for directory in zoneinfo.TZPATH:
            path = Path(directory) / name
            if path.is_file():
                with path.open("rb") as file:
                    indexes, instants, offsets, *_ = _common.load_data(file)
                break
        else:
            with _common.load_tzdata(name) as file:
                indexes, instants, offsets, *_ = _common.load_data(file)
        changes = [
            t
            for t, previous, current in zip(instants[1:], indexes, indexes[1:], strict=False)
            if offsets[previous] != offsets[current]
        ]
        for earlier, later in zip(changes, changes[1:], strict=False):
            closest = min(closest, timedelta(seconds=later - earlier))
    assert closest > timedelta(hours=24)
