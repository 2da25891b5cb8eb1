"""Example-based tests of the availability engine, including DST change days with exact UTC instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from creneau.domain.availability import (
    CalendarAvailability,
    Interval,
    ServiceShape,
    Slot,
    WallRange,
    compute_slots,
    opening_intervals,
)

ALL_WEEK = range(7)
MONDAY = date(2026, 6, 1)  # a Monday, far from any DST change
EARLY = datetime(2026, 1, 1, tzinfo=UTC)  # a "now" long before the tested dates


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def hours(*ranges: tuple[time, time], days=ALL_WEEK) -> dict[int, list[WallRange]]:
    return {weekday: [WallRange(start, end) for start, end in ranges] for weekday in days}


def calendar(
    weekly_hours,
    *,
    calendar_id: str = "cal",
    tz: str = "UTC",
    exceptions=(),
    busy=(),
    step: int = 30,
    notice: int = 0,
    horizon: int = 400,
) -> CalendarAvailability:
    return CalendarAvailability(
        calendar_id=calendar_id,
        timezone=tz,
        weekly_hours=weekly_hours,
        exceptions=tuple(exceptions),
        busy=tuple(busy),
        slot_step_minutes=step,
        min_notice_minutes=notice,
        horizon_days=horizon,
    )


def day_window(day: date) -> Interval:
    return Interval(at(day, 0), at(day + timedelta(days=1), 0))


def starts(slots: list[Slot]) -> list[datetime]:
    return [slot.start for slot in slots]


NINE_TO_NOON = hours((time(9), time(12)))


# --------------------------------------------------------------------------------------------------------
# Everyday behaviour
# --------------------------------------------------------------------------------------------------------


def test_simple_day() -> None:
    slots = compute_slots([calendar(NINE_TO_NOON)], ServiceShape(60), day_window(MONDAY), EARLY)

    assert slots == [
        Slot(at(MONDAY, 9), at(MONDAY, 10), ("cal",)),
        Slot(at(MONDAY, 9, 30), at(MONDAY, 10, 30), ("cal",)),
        Slot(at(MONDAY, 10), at(MONDAY, 11), ("cal",)),
        Slot(at(MONDAY, 10, 30), at(MONDAY, 11, 30), ("cal",)),
        Slot(at(MONDAY, 11), at(MONDAY, 12), ("cal",)),
    ]
    assert all(slot.start.tzinfo is UTC and slot.end.tzinfo is UTC for slot in slots)


def test_step_does_not_need_to_divide_the_range() -> None:
    cal = calendar(hours((time(9), time(10, 10))), step=25)
    slots = compute_slots([cal], ServiceShape(20), day_window(MONDAY), EARLY)
    assert starts(slots) == [at(MONDAY, 9), at(MONDAY, 9, 25), at(MONDAY, 9, 50)]


def test_lunch_break() -> None:
    cal = calendar(hours((time(9), time(12)), (time(13), time(17))), step=60)
    slots = compute_slots([cal], ServiceShape(60), day_window(MONDAY), EARLY)
    assert starts(slots) == [at(MONDAY, h) for h in (9, 10, 11, 13, 14, 15, 16)]


def test_slot_never_spans_two_ranges_even_when_adjacent() -> None:
    cal = calendar(hours((time(9), time(10)), (time(10), time(11))), step=30)
    slots = compute_slots([cal], ServiceShape(60), day_window(MONDAY), EARLY)
    assert starts(slots) == [at(MONDAY, 9), at(MONDAY, 10)]


def test_midnight_end_means_end_of_day() -> None:
    cal = calendar(hours((time(22), time(0))), step=30)
    slots = compute_slots([cal], ServiceShape(60), day_window(MONDAY), EARLY)
    assert starts(slots) == [at(MONDAY, 22), at(MONDAY, 22, 30), at(MONDAY, 23)]
    assert slots[-1].end == at(MONDAY + timedelta(days=1), 0)


def test_whole_day_range() -> None:
    cal = calendar(hours((time(0), time(0))), step=360)
    slots = compute_slots([cal], ServiceShape(360), day_window(MONDAY), EARLY)
    assert starts(slots) == [at(MONDAY, 0), at(MONDAY, 6), at(MONDAY, 12), at(MONDAY, 18)]


def test_exceptions_remove_intersecting_slots_only() -> None:
    holiday = Interval(at(MONDAY, 10), at(MONDAY, 11))
    cal = calendar(NINE_TO_NOON, exceptions=[holiday])
    slots = compute_slots([cal], ServiceShape(30), day_window(MONDAY), EARLY)
    # Half-open intervals: 09:30-10:00 and 11:00-11:30 touch the exception without intersecting it.
    assert starts(slots) == [at(MONDAY, 9), at(MONDAY, 9, 30), at(MONDAY, 11), at(MONDAY, 11, 30)]


def test_exception_covering_whole_days() -> None:
    vacation = Interval(at(MONDAY, 0), at(MONDAY + timedelta(days=2), 0))
    cal = calendar(NINE_TO_NOON, exceptions=[vacation], step=60)
    window = Interval(at(MONDAY, 0), at(MONDAY + timedelta(days=3), 0))
    slots = compute_slots([cal], ServiceShape(60), window, EARLY)
    wednesday = MONDAY + timedelta(days=2)
    assert starts(slots) == [at(wednesday, 9), at(wednesday, 10), at(wednesday, 11)]


def test_exception_in_another_time_zone_is_compared_as_instants() -> None:
    paris = ZoneInfo("Europe/Paris")  # UTC+2 in June
    closed = Interval(datetime(2026, 6, 1, 12, tzinfo=paris), datetime(2026, 6, 1, 13, tzinfo=paris))
    cal = calendar(NINE_TO_NOON, exceptions=[closed], step=60)
    slots = compute_slots([cal], ServiceShape(60), day_window(MONDAY), EARLY)
    assert starts(slots) == [at(MONDAY, 9), at(MONDAY, 11)]  # 10:00 UTC == 12:00 Paris


def test_busy_with_buffers() -> None:
    meeting = Interval(at(MONDAY, 10), at(MONDAY, 10, 30))
    cal = calendar(NINE_TO_NOON, busy=[meeting], step=15)
    slots = compute_slots([cal], ServiceShape(30, 15, 15), day_window(MONDAY), EARLY)
    # [s - 15, s + 45) must avoid [10:00, 10:30): s <= 09:15 or s >= 10:45. The 09:00 slot keeps its
    # buffer before opening hours, and the 11:30 slot its buffer after closing time.
    assert starts(slots) == [
        at(MONDAY, 9),
        at(MONDAY, 9, 15),
        at(MONDAY, 10, 45),
        at(MONDAY, 11),
        at(MONDAY, 11, 15),
        at(MONDAY, 11, 30),
    ]
    assert slots[0].end == at(MONDAY, 9, 30)  # the end is the service end, without buffer


def test_busy_without_buffers_only_blocks_overlapping_slots() -> None:
    meeting = Interval(at(MONDAY, 10), at(MONDAY, 10, 30))
    cal = calendar(NINE_TO_NOON, busy=[meeting], step=15)
    slots = compute_slots([cal], ServiceShape(30), day_window(MONDAY), EARLY)
    assert at(MONDAY, 9, 30) in starts(slots)
    assert at(MONDAY, 10, 30) in starts(slots)
    assert not {at(MONDAY, 9, 45), at(MONDAY, 10), at(MONDAY, 10, 15)} & set(starts(slots))


def test_buffers_may_fall_inside_exceptions() -> None:
    closed = [Interval(at(MONDAY, 8), at(MONDAY, 9)), Interval(at(MONDAY, 12), at(MONDAY, 13))]
    cal = calendar(NINE_TO_NOON, exceptions=closed, step=60)
    slots = compute_slots([cal], ServiceShape(60, 30, 30), day_window(MONDAY), EARLY)
    assert starts(slots) == [at(MONDAY, 9), at(MONDAY, 10), at(MONDAY, 11)]


def test_long_busy_interval_hiding_a_short_one() -> None:
    busy = [Interval(at(MONDAY, 9), at(MONDAY, 11)), Interval(at(MONDAY, 9, 30), at(MONDAY, 9, 45))]
    cal = calendar(NINE_TO_NOON, busy=busy, step=30)
    slots = compute_slots([cal], ServiceShape(30), day_window(MONDAY), EARLY)
    assert starts(slots) == [at(MONDAY, 11), at(MONDAY, 11, 30)]


def test_min_notice() -> None:
    cal = calendar(NINE_TO_NOON, notice=60)
    slots = compute_slots([cal], ServiceShape(30), day_window(MONDAY), at(MONDAY, 8, 20))
    assert starts(slots)[0] == at(MONDAY, 9, 30)  # 09:00 < 08:20 + 60 min
    slots = compute_slots([cal], ServiceShape(30), day_window(MONDAY), at(MONDAY, 8, 30))
    assert starts(slots)[0] == at(MONDAY, 9, 30)  # exactly now + notice is bookable
    slots = compute_slots([cal], ServiceShape(30), day_window(MONDAY), at(MONDAY, 8, 31))
    assert starts(slots)[0] == at(MONDAY, 10)


def test_horizon() -> None:
    cal = calendar(hours((time(0), time(1))), step=60, horizon=2)
    window = Interval(at(MONDAY, 0), at(MONDAY + timedelta(days=7), 0))
    slots = compute_slots([cal], ServiceShape(60), window, at(MONDAY, 0))
    # s < now + 2 days: the Wednesday 00:00 slot is exactly at the horizon and excluded.
    assert starts(slots) == [at(MONDAY, 0), at(MONDAY + timedelta(days=1), 0)]


def test_window_boundaries() -> None:
    window = Interval(at(MONDAY, 9, 30), at(MONDAY, 11))
    slots = compute_slots([calendar(NINE_TO_NOON)], ServiceShape(60), window, EARLY)
    # The window constrains starts only: the 10:30 slot ends after window.end; 11:00 is excluded.
    assert starts(slots) == [at(MONDAY, 9, 30), at(MONDAY, 10), at(MONDAY, 10, 30)]
    assert slots[-1].end == at(MONDAY, 11, 30)


def test_window_in_another_time_zone() -> None:
    new_york = ZoneInfo("America/New_York")  # UTC-4 in June
    window = Interval(datetime(2026, 6, 1, 6, tzinfo=new_york), datetime(2026, 6, 1, 7, tzinfo=new_york))
    slots = compute_slots([calendar(NINE_TO_NOON)], ServiceShape(60), window, EARLY)
    assert starts(slots) == [at(MONDAY, 10), at(MONDAY, 10, 30)]
    assert all(slot.start.tzinfo is UTC for slot in slots)


def test_empty_or_reversed_window() -> None:
    assert (
        compute_slots(
            [calendar(NINE_TO_NOON)], ServiceShape(60), Interval(at(MONDAY, 9), at(MONDAY, 9)), EARLY
        )
        == []
    )
    assert (
        compute_slots(
            [calendar(NINE_TO_NOON)], ServiceShape(60), Interval(at(MONDAY, 12), at(MONDAY, 9)), EARLY
        )
        == []
    )


def test_multi_calendar_merge() -> None:
    alice = calendar(hours((time(9), time(11))), calendar_id="alice", step=60)
    bob = calendar(hours((time(10), time(12))), calendar_id="bob", step=60)
    carol = calendar({}, calendar_id="carol", step=60)
    expected = [
        Slot(at(MONDAY, 9), at(MONDAY, 10), ("alice",)),
        Slot(at(MONDAY, 10), at(MONDAY, 11), ("alice", "bob")),
        Slot(at(MONDAY, 11), at(MONDAY, 12), ("bob",)),
    ]
    assert compute_slots([bob, carol, alice], ServiceShape(60), day_window(MONDAY), EARLY) == expected
    assert compute_slots([alice, bob, carol], ServiceShape(60), day_window(MONDAY), EARLY) == expected


def test_multi_calendar_different_steps_and_zones() -> None:
    london = calendar(hours((time(10), time(11))), calendar_id="london", tz="Europe/London", step=30)  # UTC+1
    utc_cal = calendar(hours((time(9), time(10))), calendar_id="utc", step=60)
    slots = compute_slots([utc_cal, london], ServiceShape(30), day_window(MONDAY), EARLY)
    assert slots == [
        Slot(at(MONDAY, 9), at(MONDAY, 9, 30), ("london", "utc")),
        Slot(at(MONDAY, 9, 30), at(MONDAY, 10), ("london",)),
    ]


def test_day_closed() -> None:
    weekdays_only = hours((time(9), time(12)), days=range(5))
    saturday = MONDAY + timedelta(days=5)
    window = Interval(at(saturday, 0), at(saturday + timedelta(days=2), 0))
    assert compute_slots([calendar(weekdays_only)], ServiceShape(30), window, EARLY) == []
    assert compute_slots([calendar(weekdays_only)], ServiceShape(30), day_window(MONDAY), EARLY) != []
    assert (
        compute_slots([calendar({4: []})], ServiceShape(30), day_window(MONDAY + timedelta(days=4)), EARLY)
        == []
    )


def test_service_longer_than_range() -> None:
    assert compute_slots([calendar(NINE_TO_NOON)], ServiceShape(181), day_window(MONDAY), EARLY) == []


def test_no_calendars() -> None:
    assert compute_slots([], ServiceShape(30), day_window(MONDAY), EARLY) == []


def test_input_order_does_not_matter() -> None:
    busy = [Interval(at(MONDAY, 11), at(MONDAY, 11, 15)), Interval(at(MONDAY, 9, 40), at(MONDAY, 9, 50))]
    exceptions = [Interval(at(MONDAY, 10, 30), at(MONDAY, 10, 45)), Interval(at(MONDAY, 9), at(MONDAY, 9, 5))]
    ranges = [(time(13), time(15)), (time(9), time(12))]
    one = calendar(hours(*ranges), busy=busy, exceptions=exceptions, step=15)
    two = calendar(hours(*reversed(ranges)), busy=busy[::-1], exceptions=exceptions[::-1], step=15)
    assert compute_slots([one], ServiceShape(30, 5, 5), day_window(MONDAY), EARLY) == compute_slots(
        [two], ServiceShape(30, 5, 5), day_window(MONDAY), EARLY
    )


@pytest.mark.parametrize("duration", [0, -15])
def test_duration_must_be_positive(duration: int) -> None:
    with pytest.raises(ValueError):
        compute_slots([calendar(NINE_TO_NOON)], ServiceShape(duration), day_window(MONDAY), EARLY)


@pytest.mark.parametrize("step", [0, -5])
def test_step_must_be_positive(step: int) -> None:
    with pytest.raises(ValueError):
        compute_slots([calendar(NINE_TO_NOON, step=step)], ServiceShape(30), day_window(MONDAY), EARLY)


def test_naive_datetimes_are_rejected() -> None:
    naive = datetime(2026, 6, 1)
    cal = calendar(NINE_TO_NOON)
    with pytest.raises(ValueError):
        compute_slots([cal], ServiceShape(30), day_window(MONDAY), naive)
    with pytest.raises(ValueError):
        compute_slots([cal], ServiceShape(30), Interval(naive, at(MONDAY, 12)), EARLY)
    with pytest.raises(ValueError):
        compute_slots([cal], ServiceShape(30), Interval(at(MONDAY, 0), naive + timedelta(days=1)), EARLY)
    with pytest.raises(ValueError):
        opening_intervals(cal, Interval(naive, naive + timedelta(days=1)))
    with pytest.raises(ValueError):
        compute_slots(
            [calendar(NINE_TO_NOON, busy=[Interval(naive, naive + timedelta(hours=1))])],
            ServiceShape(30),
            day_window(MONDAY),
            EARLY,
        )


def test_opening_intervals_are_clipped_to_the_window() -> None:
    cal = calendar(hours((time(9), time(12)), (time(13), time(17))))
    window = Interval(at(MONDAY, 10), at(MONDAY + timedelta(days=1), 10))
    assert opening_intervals(cal, window) == [
        Interval(at(MONDAY, 10), at(MONDAY, 12)),
        Interval(at(MONDAY, 13), at(MONDAY, 17)),
        Interval(at(MONDAY + timedelta(days=1), 9), at(MONDAY + timedelta(days=1), 10)),
    ]


# --------------------------------------------------------------------------------------------------------
# DST change days: exact UTC instants
# --------------------------------------------------------------------------------------------------------

DAY_HOURS = hours((time(9), time(12)), (time(14), time(17)))
NIGHT_HOURS = hours((time(0), time(5)))

# (zone, local change date, expected UTC starts of 09-12/14-17 with 60-min slots on the change date,
#  expected ones on the previous local date)
DAY_CASES = [
    pytest.param(
        "Europe/Paris",
        date(2026, 3, 29),  # 02:00 CET -> 03:00 CEST
        [utc(2026, 3, 29, h) for h in (7, 8, 9, 12, 13, 14)],  # UTC+2
        [utc(2026, 3, 28, h) for h in (8, 9, 10, 13, 14, 15)],  # UTC+1
        id="paris-spring-forward",
    ),
    pytest.param(
        "Europe/Paris",
        date(2026, 10, 25),  # 03:00 CEST -> 02:00 CET
        [utc(2026, 10, 25, h) for h in (8, 9, 10, 13, 14, 15)],  # UTC+1
        [utc(2026, 10, 24, h) for h in (7, 8, 9, 12, 13, 14)],  # UTC+2
        id="paris-fall-back",
    ),
    pytest.param(
        "America/New_York",
        date(2026, 3, 8),  # 02:00 EST -> 03:00 EDT
        [utc(2026, 3, 8, h) for h in (13, 14, 15, 18, 19, 20)],  # UTC-4
        [utc(2026, 3, 7, h) for h in (14, 15, 16, 19, 20, 21)],  # UTC-5
        id="new-york-spring-forward",
    ),
    pytest.param(
        "America/New_York",
        date(2026, 11, 1),  # 02:00 EDT -> 01:00 EST
        [utc(2026, 11, 1, h) for h in (14, 15, 16, 19, 20, 21)],  # UTC-5
        [utc(2026, 10, 31, h) for h in (13, 14, 15, 18, 19, 20)],  # UTC-4
        id="new-york-fall-back",
    ),
    pytest.param(
        "Australia/Lord_Howe",
        date(2026, 4, 5),  # 02:00 +11 -> 01:30 +10:30
        [
            utc(2026, 4, 4, 22, 30),
            utc(2026, 4, 4, 23, 30),
            utc(2026, 4, 5, 0, 30),
            utc(2026, 4, 5, 3, 30),
            utc(2026, 4, 5, 4, 30),
            utc(2026, 4, 5, 5, 30),
        ],  # UTC+10:30
        [utc(2026, 4, 3, 22), utc(2026, 4, 3, 23), utc(2026, 4, 4, 0)]
        + [utc(2026, 4, 4, h) for h in (3, 4, 5)],  # UTC+11
        id="lord-howe-back-30-min",
    ),
    pytest.param(
        "Australia/Lord_Howe",
        date(2026, 10, 4),  # 02:00 +10:30 -> 02:30 +11
        [utc(2026, 10, 3, 22), utc(2026, 10, 3, 23), utc(2026, 10, 4, 0)]
        + [utc(2026, 10, 4, h) for h in (3, 4, 5)],  # UTC+11
        [
            utc(2026, 10, 2, 22, 30),
            utc(2026, 10, 2, 23, 30),
            utc(2026, 10, 3, 0, 30),
            utc(2026, 10, 3, 3, 30),
            utc(2026, 10, 3, 4, 30),
            utc(2026, 10, 3, 5, 30),
        ],  # UTC+10:30
        id="lord-howe-forward-30-min",
    ),
]


def local_day_window(tz: str, day: date) -> Interval:
    zone = ZoneInfo(tz)
    return Interval(
        datetime.combine(day, time(0), tzinfo=zone),
        datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone),
    )


@pytest.mark.parametrize(("tz", "change_day", "expected", "expected_day_before"), DAY_CASES)
def test_dst_day_hours_have_the_right_offset(
    tz: str, change_day: date, expected: list[datetime], expected_day_before: list[datetime]
) -> None:
    cal = calendar(DAY_HOURS, tz=tz, step=60)
    service = ServiceShape(60)

    slots = compute_slots([cal], service, local_day_window(tz, change_day), EARLY)
    assert starts(slots) == expected
    assert [slot.end for slot in slots] == [start + timedelta(hours=1) for start in expected]

    before = compute_slots([cal], service, local_day_window(tz, change_day - timedelta(days=1)), EARLY)
    assert starts(before) == expected_day_before

    # Both days in one call: exactly the concatenation.
    both = Interval(
        local_day_window(tz, change_day - timedelta(days=1)).start, local_day_window(tz, change_day).end
    )
    assert starts(compute_slots([cal], service, both, EARLY)) == expected_day_before + expected


# (zone, change date, expected UTC starts of the 00:00-05:00 range with 30-min slots every 30 min,
#  expected opening interval of that range in UTC)
NIGHT_CASES = [
    pytest.param(
        "Europe/Paris",
        date(2026, 3, 29),
        [utc(2026, 3, 28, 23), utc(2026, 3, 28, 23, 30)]
        + [utc(2026, 3, 29, h, m) for h in (0, 1, 2) for m in (0, 30)],  # 02:00, 02:30 local do not exist
        Interval(utc(2026, 3, 28, 23), utc(2026, 3, 29, 3)),  # 4 hours
        id="paris-spring-forward",
    ),
    pytest.param(
        "Europe/Paris",
        date(2026, 10, 25),
        [utc(2026, 10, 24, h, m) for h in (22, 23) for m in (0, 30)]
        + [utc(2026, 10, 25, 0), utc(2026, 10, 25, 0, 30)]  # 02:00, 02:30 CEST (first occurrence only)
        + [utc(2026, 10, 25, h, m) for h in (2, 3) for m in (0, 30)],  # 03:00.. CET
        Interval(utc(2026, 10, 24, 22), utc(2026, 10, 25, 4)),  # 6 hours
        id="paris-fall-back",
    ),
    pytest.param(
        "America/New_York",
        date(2026, 3, 8),
        [utc(2026, 3, 8, h, m) for h in (5, 6) for m in (0, 30)]
        + [utc(2026, 3, 8, h, m) for h in (7, 8) for m in (0, 30)],
        Interval(utc(2026, 3, 8, 5), utc(2026, 3, 8, 9)),
        id="new-york-spring-forward",
    ),
    pytest.param(
        "America/New_York",
        date(2026, 11, 1),
        [utc(2026, 11, 1, h, m) for h in (4, 5) for m in (0, 30)]  # 00:00 .. 01:30 EDT
        + [utc(2026, 11, 1, h, m) for h in (7, 8, 9) for m in (0, 30)],  # 02:00 .. 04:30 EST
        Interval(utc(2026, 11, 1, 4), utc(2026, 11, 1, 10)),
        id="new-york-fall-back",
    ),
    pytest.param(
        "Australia/Lord_Howe",
        date(2026, 4, 5),
        [utc(2026, 4, 4, 13), utc(2026, 4, 4, 13, 30), utc(2026, 4, 4, 14), utc(2026, 4, 4, 14, 30)]  # +11
        + [utc(2026, 4, 4, 15, 30)]  # 02:00 +10:30; the second 01:30 (15:00 UTC) is not repeated
        + [utc(2026, 4, 4, h, m) for h in (16, 17) for m in (0, 30)]
        + [utc(2026, 4, 4, 18)],
        Interval(utc(2026, 4, 4, 13), utc(2026, 4, 4, 18, 30)),  # 5h30
        id="lord-howe-back-30-min",
    ),
    pytest.param(
        "Australia/Lord_Howe",
        date(2026, 10, 4),
        [utc(2026, 10, 3, 13, 30), utc(2026, 10, 3, 14), utc(2026, 10, 3, 14, 30), utc(2026, 10, 3, 15)]
        + [utc(2026, 10, 3, 15, 30)]  # 02:30 +11 (02:00 local does not exist)
        + [utc(2026, 10, 3, h, m) for h in (16, 17) for m in (0, 30)],
        Interval(utc(2026, 10, 3, 13, 30), utc(2026, 10, 3, 18)),  # 4h30
        id="lord-howe-forward-30-min",
    ),
]


@pytest.mark.parametrize(("tz", "change_day", "expected", "opening"), NIGHT_CASES)
def test_dst_night_range_crossing_the_transition(
    tz: str, change_day: date, expected: list[datetime], opening: Interval
) -> None:
    zone = ZoneInfo(tz)
    cal = calendar(NIGHT_HOURS, tz=tz, step=30)
    window = local_day_window(tz, change_day)

    slots = compute_slots([cal], ServiceShape(30), window, EARLY)
    assert starts(slots) == expected
    assert opening_intervals(cal, window) == [opening]

    walls = [slot.start.astimezone(zone).replace(tzinfo=None) for slot in slots]
    assert len(set(walls)) == len(walls)  # no duplicated wall time on fall-back day
    assert walls == sorted(walls)
    assert all(wall.minute in (0, 30) for wall in walls)  # nothing shifted out of the grid


@pytest.mark.parametrize(
    ("tz", "change_day", "gap_start", "gap_end"),
    [
        ("Europe/Paris", date(2026, 3, 29), time(2), time(3)),
        ("America/New_York", date(2026, 3, 8), time(2), time(3)),
        ("Australia/Lord_Howe", date(2026, 10, 4), time(2), time(2, 30)),
    ],
)
def test_no_slot_in_the_gap_with_a_fine_step(
    tz: str, change_day: date, gap_start: time, gap_end: time
) -> None:
    zone = ZoneInfo(tz)
    cal = calendar(NIGHT_HOURS, tz=tz, step=5)
    slots = compute_slots([cal], ServiceShape(5), local_day_window(tz, change_day), EARLY)
    walls = [slot.start.astimezone(zone).time() for slot in slots]
    assert not [wall for wall in walls if gap_start <= wall < gap_end]
    assert (
        len(slots)
        == (5 * 60 - (gap_end.hour * 60 + gap_end.minute - gap_start.hour * 60 - gap_start.minute)) // 5
    )


@pytest.mark.parametrize(
    ("tz", "change_day", "ambiguous_hour", "expected_count"),
    [
        ("Europe/Paris", date(2026, 10, 25), 2, 60),
        ("America/New_York", date(2026, 11, 1), 1, 60),
        ("Australia/Lord_Howe", date(2026, 4, 5), 1, 60),
    ],
)
def test_fall_back_wall_times_are_not_duplicated_with_a_fine_step(
    tz: str, change_day: date, ambiguous_hour: int, expected_count: int
) -> None:
    zone = ZoneInfo(tz)
    cal = calendar(NIGHT_HOURS, tz=tz, step=5)
    slots = compute_slots([cal], ServiceShape(5), local_day_window(tz, change_day), EARLY)
    local = [slot.start.astimezone(zone) for slot in slots]
    assert len(slots) == expected_count  # 00:00 .. 04:55, each wall time once
    assert all(moment.fold == 0 for moment in local)
    assert len({moment.replace(tzinfo=None) for moment in local}) == len(local)
    assert any(moment.hour == ambiguous_hour for moment in local)


@pytest.mark.parametrize(
    ("tz", "change_day", "wall_range", "expected"),
    [
        # Range start inside the gap: opening starts at the first instant after the gap (03:00 CEST).
        (
            "Europe/Paris",
            date(2026, 3, 29),
            (time(2, 30), time(5)),
            Interval(utc(2026, 3, 29, 1), utc(2026, 3, 29, 3)),
        ),
        # Range end inside the gap: opening ends at the first instant after the gap.
        (
            "Europe/Paris",
            date(2026, 3, 29),
            (time(0), time(2, 30)),
            Interval(utc(2026, 3, 28, 23), utc(2026, 3, 29, 1)),
        ),
        # A whole day (00:00-24:00) lasts 23 h on spring-forward day and 25 h on fall-back day.
        (
            "Europe/Paris",
            date(2026, 3, 29),
            (time(0), time(0)),
            Interval(utc(2026, 3, 28, 23), utc(2026, 3, 29, 22)),
        ),
        (
            "Europe/Paris",
            date(2026, 10, 25),
            (time(0), time(0)),
            Interval(utc(2026, 10, 24, 22), utc(2026, 10, 25, 23)),
        ),
        (
            "Australia/Lord_Howe",
            date(2026, 10, 4),
            (time(20), time(0)),
            Interval(utc(2026, 10, 4, 9), utc(2026, 10, 4, 13)),
        ),
        # Range entirely inside the gap: nothing is open.
        ("America/New_York", date(2026, 3, 8), (time(2, 10), time(2, 50)), None),
        # Ambiguous boundaries use the first occurrence (fold=0).
        (
            "America/New_York",
            date(2026, 11, 1),
            (time(1, 30), time(1, 45)),
            Interval(utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 5, 45)),
        ),
        (
            "Australia/Lord_Howe",
            date(2026, 10, 4),
            (time(2, 15), time(3)),
            Interval(utc(2026, 10, 3, 15, 30), utc(2026, 10, 3, 16)),
        ),
        (
            "Australia/Lord_Howe",
            date(2026, 4, 5),
            (time(1, 45), time(2, 15)),
            Interval(utc(2026, 4, 4, 14, 45), utc(2026, 4, 4, 15, 45)),
        ),
    ],
)
def test_range_boundaries_on_change_days(
    tz: str, change_day: date, wall_range: tuple[time, time], expected: Interval | None
) -> None:
    cal = calendar(hours(wall_range), tz=tz)
    assert opening_intervals(cal, local_day_window(tz, change_day)) == ([expected] if expected else [])


def test_slots_when_the_range_end_is_in_the_gap() -> None:
    cal = calendar(hours((time(0), time(2, 30))), tz="Europe/Paris", step=30)
    slots = compute_slots([cal], ServiceShape(60), local_day_window("Europe/Paris", date(2026, 3, 29)), EARLY)
    # The range ends at 03:00 CEST (01:00 UTC): 01:00 CET (00:00 UTC) + 60 min still fits; 01:30 does not.
    assert starts(slots) == [utc(2026, 3, 28, 23), utc(2026, 3, 28, 23, 30), utc(2026, 3, 29, 0)]


def test_slots_when_the_range_start_is_in_the_gap() -> None:
    cal = calendar(hours((time(2, 30), time(4))), tz="Europe/Paris", step=15)
    slots = compute_slots([cal], ServiceShape(30), local_day_window("Europe/Paris", date(2026, 3, 29)), EARLY)
    # 02:30 and 02:45 do not exist and are skipped (not shifted); 03:00 CEST is 01:00 UTC.
    assert starts(slots) == [utc(2026, 3, 29, 1), utc(2026, 3, 29, 1, 15), utc(2026, 3, 29, 1, 30)]


def test_slot_duration_is_elapsed_time_across_fall_back() -> None:
    cal = calendar(hours((time(1), time(4))), tz="Europe/Paris", step=60)
    slots = compute_slots(
        [cal], ServiceShape(120), local_day_window("Europe/Paris", date(2026, 10, 25)), EARLY
    )
    # Opening is 01:00 CEST (23:00 UTC) to 04:00 CET (03:00 UTC): four hours of real time. The 03:00 CET
    # candidate (02:00 UTC) would end at 04:00 UTC, after the opening: excluded.
    assert [(slot.start, slot.end) for slot in slots] == [
        (utc(2026, 10, 24, 23), utc(2026, 10, 25, 1)),  # 01:00 CEST -> 02:00 CET
        (utc(2026, 10, 25, 0), utc(2026, 10, 25, 2)),  # 02:00 CEST -> 03:00 CET
    ]
