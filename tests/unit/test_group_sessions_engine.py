"""Property tests of the engine with capacities: a group slot offers seats, a session is joinable at its
own start while it has the seats asked for, and busy time for every other start.

Each property compares the engine with itself on a plainer question (capacity 1, the session's time as
ordinary busy time), which the other property tests prove against brute force.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creneau.domain.availability import (
    CalendarAvailability,
    GroupSession,
    Interval,
    ServiceShape,
    WallRange,
    compute_slots,
)

NOW = datetime(2026, 3, 23, 6, 0, tzinfo=UTC)  # a Monday; the window spans Paris's spring change
WINDOW = Interval(NOW, NOW + timedelta(days=9))
SETTINGS = settings(
    max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def calendars(draw, calendar_id: str = "cal") -> CalendarAvailability:
    opens = draw(st.integers(6, 12)) * 60
    closes = opens + draw(st.integers(2, 9)) * 60
    days = draw(st.sets(st.integers(0, 6), min_size=1, max_size=7))
    hours = {day: [WallRange(time(opens // 60), time(min(closes // 60, 23), 0))] for day in days}
    busy = [
        Interval(start, start + timedelta(minutes=draw(st.sampled_from([15, 30, 90]))))
        for start in draw(
            st.lists(st.integers(0, 9 * 24 * 4).map(lambda k: NOW + timedelta(minutes=15 * k)), max_size=6)
        )
    ]
    return CalendarAvailability(
        calendar_id=calendar_id,
        timezone=draw(st.sampled_from(["UTC", "Europe/Paris"])),
        weekly_hours=hours,
        busy=busy,
        slot_step_minutes=draw(st.sampled_from([15, 30, 60])),
        min_notice_minutes=draw(st.sampled_from([0, 120])),
        horizon_days=draw(st.sampled_from([5, 60])),
    )


shapes = st.builds(
    ServiceShape,
    duration_minutes=st.sampled_from([30, 60, 120]),
    buffer_before_minutes=st.sampled_from([0, 15]),
    buffer_after_minutes=st.sampled_from([0, 30]),
    capacity=st.integers(2, 40),
)


def starts(slots) -> list[datetime]:
    return [slot.start for slot in slots]


def session_at(start: datetime, shape: ServiceShape, seats_left: int) -> GroupSession:
    span = Interval(
        start - timedelta(minutes=shape.buffer_before_minutes),
        start + timedelta(minutes=shape.duration_minutes + shape.buffer_after_minutes),
    )
    return GroupSession(start, span, seats_left)


@SETTINGS
@given(calendar=calendars(), shape=shapes, seats=st.integers(1, 45))
def test_free_time_offers_the_whole_capacity_to_a_party_that_fits(calendar, shape, seats):
    single = compute_slots([calendar], replace(shape, capacity=1), WINDOW, NOW)
    group = compute_slots([calendar], shape, WINDOW, NOW, seats=seats)
    if seats > shape.capacity:
        assert group == []
    else:
        assert starts(group) == starts(single)
        assert {slot.seats_left for slot in group} <= {shape.capacity}


@SETTINGS
@given(calendar=calendars(), shape=shapes, data=st.data())
def test_a_session_is_joinable_at_its_start_while_seats_last_and_busy_for_every_other_start(
    calendar, shape, data
):
    free = compute_slots([calendar], shape, WINDOW, NOW)
    if not free:
        return
    chosen = data.draw(st.sampled_from(free)).start
    seats_left = data.draw(st.integers(0, shape.capacity))
    seats = data.draw(st.integers(1, shape.capacity))
    session = session_at(chosen, shape, seats_left)
    with_session = replace(calendar, sessions=[session])
    as_busy = replace(calendar, busy=[*calendar.busy, session.span])

    offered = compute_slots([with_session], shape, WINDOW, NOW, seats=seats)
    others = compute_slots([as_busy], shape, WINDOW, NOW, seats=seats)
    expected = sorted({*starts(others), *([chosen] if seats_left >= seats else [])})
    assert starts(offered) == expected
    by_start = {slot.start: slot.seats_left for slot in offered}
    if seats_left >= seats:
        assert by_start[chosen] == seats_left
    assert all(by_start[s] == shape.capacity for s in starts(others))


@SETTINGS
@given(first=calendars("a"), second=calendars("b"), shape=shapes, data=st.data())
def test_several_calendars_offer_the_most_seats_one_of_them_has(first, second, shape, data):
    free = compute_slots([first], shape, WINDOW, NOW)
    if not free:
        return
    chosen = data.draw(st.sampled_from(free)).start
    seats_left = data.draw(st.integers(1, shape.capacity))
    joined = replace(first, sessions=[session_at(chosen, shape, seats_left)])
    merged = {slot.start: slot for slot in compute_slots([joined, second], shape, WINDOW, NOW)}
    alone = {slot.start: slot for slot in compute_slots([second], shape, WINDOW, NOW)}
    assert merged[chosen].seats_left == (shape.capacity if chosen in alone else seats_left)
    assert ("a" in merged[chosen].calendar_ids) and (
        ("b" in merged[chosen].calendar_ids) == (chosen in alone)
    )
