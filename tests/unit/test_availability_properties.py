"""Property-based tests of the availability engine (hypothesis, derandomized).

Every check below is computed independently of the engine's internals: slots are converted back to the
calendar's local wall clock and compared with the weekly hours of that local date, and intervals are compared
directly as instants.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

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

TIMEZONES = ["UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe"]
DST_DATES_BY_ZONE = {
    "America/New_York": [date(2026, 3, 8), date(2026, 11, 1)],  # spring forward, fall back (1 h)
    "Europe/Paris": [date(2026, 3, 29), date(2026, 10, 25)],  # spring forward, fall back (1 h)
    "Australia/Lord_Howe": [date(2026, 4, 5), date(2026, 10, 4)],  # back 30 min, forward 30 min
}
DST_DATES = sorted(day for days in DST_DATES_BY_ZONE.values() for day in days)
ORDINARY_DATES = [date(2026, 1, 14), date(2026, 6, 17), date(2026, 8, 31), date(2026, 12, 30)]
# Wall-clock minutes around the transitions of the zones above, to hit gaps and folds often.
SPECIAL_MINUTES = [0, 60, 90, 105, 120, 135, 150, 165, 180, 195, 1440]
OTHER_ZONES = [
    UTC,
    timezone(timedelta(hours=-7)),
    timezone(timedelta(hours=5, minutes=45)),
    ZoneInfo("Europe/Paris"),
]

PROPERTY_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def minutes(value: int) -> timedelta:
    return timedelta(minutes=value)


def wall_time(minute_of_day: int) -> time:
    return time(0) if minute_of_day == 1440 else time(minute_of_day // 60, minute_of_day % 60)


# --------------------------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------------------------

boundary_minutes = st.one_of(st.sampled_from(SPECIAL_MINUTES[:-1]), st.integers(0, 287).map(lambda k: 5 * k))
range_lengths = st.one_of(
    st.sampled_from([30, 60, 90, 120, 180, 240, 300, 480, 1440]), st.integers(1, 144).map(lambda k: 5 * k)
)
range_gaps = st.one_of(st.sampled_from([0, 5, 30, 60, 120, 300]), st.integers(0, 144).map(lambda k: 5 * k))


@st.composite
def day_ranges(draw) -> list[WallRange]:
    """1-3 well-formed, non-overlapping wall ranges of one day, in random order (1440 stands for 24:00)."""
    ranges = []
    cursor = draw(boundary_minutes)
    for _ in range(draw(st.integers(1, 3))):
        if cursor >= 1440:
            break
        end = min(cursor + draw(range_lengths), 1440)
        ranges.append(WallRange(wall_time(cursor), wall_time(end)))
        cursor = end + draw(range_gaps)
    return draw(st.permutations(ranges))


def offsets(low: int, high: int) -> st.SearchStrategy[int]:
    """Minutes in [low, high]: often on the 5-minute grid of slots (to hit boundaries exactly), or any."""
    return st.one_of(st.integers(-(-low // 5), high // 5).map(lambda k: 5 * k), st.integers(low, high))


@st.composite
def windows(draw, max_days: int = 14, dst_only: bool = False) -> tuple[Interval, str | None]:
    """A window of up to ``max_days`` near a DST change or an ordinary date, and the zone changing then."""
    anchor = draw(st.sampled_from(DST_DATES if dst_only else DST_DATES + ORDINARY_DATES))
    zone = next((name for name, days in DST_DATES_BY_ZONE.items() if anchor in days), None)
    midnight = datetime.combine(anchor, time(0), tzinfo=UTC)
    if dst_only:  # cover the change: start up to a day and a half before its UTC date, last at least a day
        start = midnight - minutes(draw(offsets(0, 2160)))
        length = 1440 * draw(st.integers(1, max_days)) + draw(offsets(0, 1439))
    else:
        start = midnight + minutes(draw(offsets(-3 * 1440, 1440)))
        length = 1440 * draw(st.integers(0, max_days)) + draw(offsets(0, 1439))
    return Interval(start, start + minutes(length)), zone


@st.composite
def intervals_near(draw, window: Interval, lengths: st.SearchStrategy[int], max_count: int) -> list[Interval]:
    result = []
    grid = window.start.replace(hour=0, minute=0)  # on the 5-minute grid of slots, so intervals touch them
    days = max(0, (window.end - grid).days)
    for _ in range(draw(st.integers(0, max_count))):
        start = grid + timedelta(days=draw(st.integers(-1, days))) + minutes(5 * draw(st.integers(0, 287)))
        end = start + minutes(draw(lengths))
        zone = draw(st.sampled_from(OTHER_ZONES))  # any time zone: compared as instants
        result.append(Interval(start.astimezone(zone), end.astimezone(zone)))
    return result


exception_lengths = st.one_of(st.integers(0, 72).map(lambda k: 5 * k), st.integers(0, 2 * 1440))
busy_lengths = st.integers(0, 48).map(lambda k: 5 * k)


@st.composite
def calendars(
    draw, window: Interval, calendar_id: str, zones: Sequence[str], preferred_zone: str | None = None
) -> CalendarAvailability:
    weekly = {}
    for weekday in range(7):
        kind = draw(st.sampled_from(["open", "open", "open", "missing", "empty"]))
        if kind != "missing":
            weekly[weekday] = draw(day_ranges()) if kind == "open" else []
    zone_choice = st.sampled_from(zones)
    if preferred_zone in zones:  # make DST days of the calendar's own zone frequent
        zone_choice = st.one_of(st.just(preferred_zone), zone_choice)
    return CalendarAvailability(
        calendar_id=calendar_id,
        timezone=draw(zone_choice),
        weekly_hours=weekly,
        exceptions=draw(intervals_near(window, exception_lengths, max_count=3)),
        busy=draw(intervals_near(window, busy_lengths, max_count=12)),
        slot_step_minutes=draw(st.sampled_from([5, 10, 15, 20, 30, 45, 60])),
        min_notice_minutes=draw(st.one_of(st.just(0), st.integers(0, 12 * 48).map(lambda k: 5 * k))),
        horizon_days=draw(st.sampled_from([60, 30, 14, 7, 3, 2, 1, 0])),
    )


services = st.builds(
    ServiceShape,
    duration_minutes=st.one_of(
        st.sampled_from([15, 30, 45, 60, 90, 120]), st.integers(1, 36).map(lambda k: 5 * k)
    ),
    buffer_before_minutes=st.integers(0, 12).map(lambda k: 5 * k),
    buffer_after_minutes=st.integers(0, 12).map(lambda k: 5 * k),
)


@st.composite
def scenarios(
    draw, max_calendars: int = 3, zones: Sequence[str] = TIMEZONES, max_days: int = 14, dst_only: bool = False
):
    """Calendars, service, window, now; ``dst_only``: a window around a DST change of the calendars' zone."""
    window, dst_zone = draw(windows(max_days, dst_only))
    if dst_only:
        zones = [dst_zone]
    count = draw(st.integers(1, max_calendars))
    cals = [draw(calendars(window, f"cal-{i}", zones, dst_zone)) for i in range(count)]
    now = window.start + minutes(draw(st.one_of(offsets(-3 * 1440, 0), offsets(0, 1440))))
    return cals, draw(services), window, now


# --------------------------------------------------------------------------------------------------------
# Independent checks
# --------------------------------------------------------------------------------------------------------


def intersects(a_start: datetime, a_end: datetime, b: Interval) -> bool:
    """Half-open intervals share an instant (an empty interval [x, x) shares none)."""
    return b.start < b.end and a_start < b.end and b.start < a_end


def wall(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def stays_before(start: datetime, end: datetime, zone: ZoneInfo, limit: datetime) -> bool:
    """Every instant of [start, end) shows a local wall time strictly before ``limit``.

    Wall clocks are increasing except at a fall back; offsets here are whole minutes and the durations short,
    so checking the last instant, plus every minute when the offset changes inside, is exhaustive.
    """
    last = end - timedelta(microseconds=1)
    if wall(last, zone) >= limit:
        return False
    if start.astimezone(zone).utcoffset() == last.astimezone(zone).utcoffset():
        return True
    probe = start
    while probe < end:
        if wall(probe, zone) >= limit:
            return False
        probe += minutes(1)
    return True


def fits_opening_hours(cal: CalendarAvailability, start: datetime, end: datetime) -> bool:
    """The service [start, end) lies inside one wall range of the local date of ``start``.

    The start wall time must be on the range's step grid and inside it; every instant up to the end must show
    a wall time before the range end (``time(0)`` = 24:00). This is how opening hours read on the local clock.
    """
    zone = ZoneInfo(cal.timezone)
    local_start = wall(start, zone)
    local_date = local_start.date()
    for wall_range in cal.weekly_hours.get(local_date.weekday(), ()):
        range_start = datetime.combine(local_date, wall_range.start)
        end_date = local_date + timedelta(days=1) if wall_range.end == time(0) else local_date
        range_end = datetime.combine(end_date, wall_range.end)
        if not range_start <= local_start < range_end:
            continue
        if (local_start - range_start) % minutes(cal.slot_step_minutes):
            continue
        if stays_before(start, end, zone, range_end):
            return True
    return False


def exists(wall_value: datetime, zone: ZoneInfo) -> bool:
    return wall(wall_value.replace(tzinfo=zone).astimezone(UTC), zone) == wall_value


def bookable(
    cal: CalendarAvailability, service: ServiceShape, window: Interval, now: datetime, start: datetime
) -> bool:
    """Every rule but the opening hours, straight from the specification."""
    end = start + minutes(service.duration_minutes)
    padded = (start - minutes(service.buffer_before_minutes), end + minutes(service.buffer_after_minutes))
    return (
        window.start <= start < window.end
        and start >= now + minutes(cal.min_notice_minutes)
        and start < now + timedelta(days=cal.horizon_days)
        and not any(intersects(start, end, exception) for exception in cal.exceptions)
        and not any(intersects(*padded, busy) for busy in cal.busy)
    )


def brute_force_starts(
    cal: CalendarAvailability, service: ServiceShape, window: Interval, now: datetime
) -> set[datetime]:
    """Every step-aligned existing wall candidate of every local date, kept by the independent checks."""
    zone = ZoneInfo(cal.timezone)
    duration = minutes(service.duration_minutes)
    first = window.start.astimezone(zone).date() - timedelta(days=1)
    last = window.end.astimezone(zone).date() + timedelta(days=1)
    result = set()
    day = first
    while day <= last:
        for wall_range in cal.weekly_hours.get(day.weekday(), ()):
            candidate = datetime.combine(day, wall_range.start)
            end_date = day + timedelta(days=1) if wall_range.end == time(0) else day
            range_end = datetime.combine(end_date, wall_range.end)
            while candidate < range_end:
                if exists(candidate, zone):
                    start = candidate.replace(tzinfo=zone).astimezone(UTC)
                    if bookable(cal, service, window, now, start) and fits_opening_hours(
                        cal, start, start + duration
                    ):
                        result.add(start)
                candidate += minutes(cal.slot_step_minutes)
        day += timedelta(days=1)
    return result


def shuffled(cals: list[CalendarAvailability], rng: random.Random) -> list[CalendarAvailability]:
    result = []
    for cal in cals:
        exceptions, busy = list(cal.exceptions), list(cal.busy)
        rng.shuffle(exceptions)
        rng.shuffle(busy)
        weekdays = list(cal.weekly_hours)
        rng.shuffle(weekdays)
        weekly = {weekday: list(reversed(cal.weekly_hours[weekday])) for weekday in weekdays}
        result.append(dataclasses.replace(cal, exceptions=exceptions, busy=busy, weekly_hours=weekly))
    rng.shuffle(result)
    return result


def keys(slots: list[Slot]) -> list[tuple[datetime, datetime]]:
    return [(slot.start, slot.end) for slot in slots]


# --------------------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(scenario=scenarios(), rng=st.randoms(use_true_random=False))
def test_every_slot_respects_every_rule(scenario, rng: random.Random) -> None:
    cals, service, window, now = scenario
    slots = compute_slots(cals, service, window, now)
    by_id = {cal.calendar_id: cal for cal in cals}

    # Sorted, no duplicates, UTC, service duration, sorted non-empty calendar ids.
    assert keys(slots) == sorted(set(keys(slots)))
    for slot in slots:
        assert slot.start.tzinfo is UTC and slot.end.tzinfo is UTC
        assert slot.end - slot.start == minutes(service.duration_minutes)
        assert slot.calendar_ids and list(slot.calendar_ids) == sorted(set(slot.calendar_ids))
        for calendar_id in slot.calendar_ids:
            cal = by_id[calendar_id]
            assert fits_opening_hours(cal, slot.start, slot.end), (calendar_id, slot)
            assert bookable(cal, service, window, now, slot.start), (calendar_id, slot)

    # Independent of the order of calendars, exceptions, busy periods and ranges.
    assert compute_slots(shuffled(cals, rng), service, window, now) == slots

    # Merging: a slot lists calendar c iff computing for c alone yields that slot.
    for cal in cals:
        alone = compute_slots([cal], service, window, now)
        assert all(slot.calendar_ids == (cal.calendar_id,) for slot in alone)
        assert keys(alone) == [
            key for key, slot in zip(keys(slots), slots, strict=True) if cal.calendar_id in slot.calendar_ids
        ]


@settings(PROPERTY_SETTINGS, max_examples=100)
@given(scenario=scenarios(max_calendars=1, zones=["UTC"]))
def test_completeness_in_utc_without_busy(scenario) -> None:
    (cal,), service, window, now = scenario
    cal = dataclasses.replace(cal, busy=())
    duration = minutes(service.duration_minutes)
    expected = set()
    day = window.start.date() - timedelta(days=1)
    while day <= window.end.date() + timedelta(days=1):
        for wall_range in cal.weekly_hours.get(day.weekday(), ()):
            range_start = datetime.combine(day, wall_range.start, tzinfo=UTC)
            end_date = day + timedelta(days=1) if wall_range.end == time(0) else day
            range_end = datetime.combine(end_date, wall_range.end, tzinfo=UTC)
            start = range_start
            while start + duration <= range_end:
                if bookable(cal, service, window, now, start):
                    expected.add(start)
                start += minutes(cal.slot_step_minutes)
        day += timedelta(days=1)

    slots = compute_slots([cal], service, window, now)
    assert [slot.start for slot in slots] == sorted(expected)


@settings(PROPERTY_SETTINGS, max_examples=300)
@given(scenario=scenarios(max_calendars=1, max_days=3, dst_only=True))
def test_completeness_around_dst_changes(scenario) -> None:
    """Engine == brute force over every existing step-aligned wall candidate, DST days included."""
    (cal,), service, window, now = scenario
    slots = compute_slots([cal], service, window, now)
    assert [slot.start for slot in slots] == sorted(brute_force_starts(cal, service, window, now))


@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    tz=st.sampled_from(TIMEZONES[1:]),
    change_day=st.sampled_from(DST_DATES),
    step=st.sampled_from([5, 10, 15, 30]),
    ranges=day_ranges(),
)
def test_change_days_have_no_duplicated_or_shifted_wall_time(
    tz: str, change_day: date, step: int, ranges
) -> None:
    zone = ZoneInfo(tz)
    cal = CalendarAvailability(
        "c", tz, {change_day.weekday(): ranges}, slot_step_minutes=step, min_notice_minutes=0
    )
    window = Interval(
        datetime.combine(change_day, time(0), tzinfo=zone),
        datetime.combine(change_day + timedelta(days=1), time(0), tzinfo=zone),
    )
    slots = compute_slots([cal], ServiceShape(5), window, window.start - timedelta(days=1))
    walls = [wall(slot.start, zone) for slot in slots]
    assert len(set(walls)) == len(walls)
    for local in walls:
        assert exists(local, zone)
        assert any(
            datetime.combine(change_day, r.start) <= local
            and (local - datetime.combine(change_day, r.start)) % minutes(step) == timedelta(0)
            for r in ranges
        )


@settings(PROPERTY_SETTINGS, max_examples=100)
@given(scenario=scenarios(max_calendars=1), data=st.data())
def test_intervals_touching_a_slot_keep_it_and_overlapping_ones_remove_it(scenario, data) -> None:
    """Half-open intervals: touching the service (or its buffers) is fine, one minute of overlap is not."""
    (cal,), service, window, now = scenario
    slots = compute_slots([cal], service, window, now)
    if not slots:
        return
    slot = data.draw(st.sampled_from(slots))
    length = minutes(data.draw(st.integers(1, 600)))
    before, after = minutes(service.buffer_before_minutes), minutes(service.buffer_after_minutes)
    one = minutes(1)

    touching = dataclasses.replace(
        cal,
        exceptions=[
            *cal.exceptions,
            Interval(slot.end, slot.end + length),
            Interval(slot.start - length, slot.start),
        ],
        busy=[
            *cal.busy,
            Interval(slot.end + after, slot.end + after + length),
            Interval(slot.start - before - length, slot.start - before),
        ],
    )
    assert slot in compute_slots([touching], service, window, now)

    overlapping = [
        {"exceptions": [*cal.exceptions, Interval(slot.end - one, slot.end - one + length)]},
        {"exceptions": [*cal.exceptions, Interval(slot.start + one - length, slot.start + one)]},
        {"busy": [*cal.busy, Interval(slot.end + after - one, slot.end + after - one + length)]},
        {"busy": [*cal.busy, Interval(slot.start - before + one - length, slot.start - before + one)]},
    ]
    for change in overlapping:
        shrunk = compute_slots([dataclasses.replace(cal, **change)], service, window, now)
        assert slot.start not in [other.start for other in shrunk], change


# --------------------------------------------------------------------------------------------------------
# One-off openings
# --------------------------------------------------------------------------------------------------------


@st.composite
def openings_in(draw, window: Interval) -> list[Interval]:
    result = []
    for _ in range(draw(st.integers(1, 3))):
        start = window.start + minutes(draw(offsets(-600, int((window.end - window.start) / minutes(1)))))
        end = start + minutes(draw(st.integers(0, 8 * 60)))
        zone = draw(st.sampled_from(OTHER_ZONES))
        result.append(Interval(start.astimezone(zone), end.astimezone(zone)))
    return result


@settings(PROPERTY_SETTINGS, max_examples=100)
@given(scenario=scenarios(max_calendars=1), data=st.data())
def test_openings_add_slots_inside_them_and_exceptions_still_win(scenario, data) -> None:
    """Openings only add slots; each added slot lies inside one opening, on its start's step grid; an
    exception over an opening takes back every slot it meets."""
    (cal,), service, window, now = scenario
    openings = data.draw(openings_in(window))
    with_openings = dataclasses.replace(cal, openings=openings)
    before = compute_slots([cal], service, window, now)
    after = compute_slots([with_openings], service, window, now)
    assert set(before) <= set(after)
    step = minutes(cal.slot_step_minutes)
    for slot in set(after) - set(before):
        assert any(
            o.start <= slot.start and slot.end <= o.end and (slot.start - o.start) % step == timedelta(0)
            for o in openings
        ), slot
    closed = dataclasses.replace(with_openings, exceptions=[*cal.exceptions, *openings])
    for slot in compute_slots([closed], service, window, now):
        assert not any(intersects(slot.start, slot.end, o) for o in openings), slot


def test_an_opening_on_a_closed_saturday_is_bookable_on_its_grid() -> None:
    """A Saturday 09:00-12:00 opening (Paris) on a Monday-Friday calendar: 30-minute service, 15-minute
    step -> 09:00 .. 11:30; notice and horizon still apply."""
    zone = ZoneInfo("Europe/Paris")
    saturday = datetime(2027, 3, 6, 9, tzinfo=zone)
    cal = CalendarAvailability(
        "c",
        "Europe/Paris",
        {0: [WallRange(time(9), time(17))]},
        openings=[Interval(saturday, saturday + timedelta(hours=3))],
        min_notice_minutes=0,
        horizon_days=30,
    )
    window = Interval(saturday - timedelta(hours=9), saturday + timedelta(hours=15))
    starts = [s.start for s in compute_slots([cal], ServiceShape(30), window, saturday - timedelta(days=1))]
    assert starts == [saturday + minutes(15 * k) for k in range(11)]
    late = compute_slots([cal], ServiceShape(30), window, saturday - timedelta(days=31))
    assert late == []
