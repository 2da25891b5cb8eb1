"""The pure reasons a start is refused on a calendar (domain/explain.py), each from the engine's rules."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from creneau.domain.availability import CalendarAvailability, Interval, ServiceShape, WallRange
from creneau.domain.explain import Occupied, Reason, reasons

MONDAY = datetime(2027, 3, 1, 9, tzinfo=UTC)  # a Monday; the calendar is open 09:00-12:00 UTC
CALENDAR = CalendarAvailability("c", "UTC", {0: [WallRange(time(9), time(12))]}, horizon_days=30)
CUT = ServiceShape(30, buffer_after_minutes=10)
NOW = MONDAY - timedelta(days=1)


def test_a_free_start_on_the_grid_has_no_reason():
    assert reasons(CALENDAR, CUT, MONDAY, NOW, []) == []


def test_hours_grid_notice_and_horizon():
    assert reasons(CALENDAR, CUT, MONDAY + timedelta(hours=4), NOW, []) == [Reason("closed")]
    assert reasons(CALENDAR, CUT, MONDAY + timedelta(minutes=7), NOW, []) == [Reason("off_grid")]
    # 11:45 is on the grid but the service would run past closing: closed, not off the grid.
    assert reasons(CALENDAR, CUT, MONDAY + timedelta(minutes=165), NOW, []) == [Reason("closed")]
    assert reasons(CALENDAR, CUT, MONDAY, MONDAY - timedelta(minutes=30), []) == [Reason("notice")]
    assert reasons(CALENDAR, CUT, MONDAY, MONDAY - timedelta(days=31), []) == [Reason("horizon")]


def test_exceptions_close_and_openings_open():
    closed = CalendarAvailability(
        "c",
        "UTC",
        {0: [WallRange(time(9), time(12))]},
        exceptions=[Interval(MONDAY, MONDAY + timedelta(hours=1))],
    )
    assert reasons(closed, CUT, MONDAY, NOW, []) == [Reason("closed")]
    saturday = MONDAY + timedelta(days=5)
    opened = CalendarAvailability(
        "c", "UTC", {0: []}, openings=[Interval(saturday, saturday + timedelta(hours=2))], horizon_days=30
    )
    assert reasons(opened, CUT, saturday, NOW, []) == []
    assert reasons(opened, CUT, saturday + timedelta(minutes=5), NOW, []) == [Reason("off_grid")]


def test_each_holder_is_named_and_buffers_count():
    expiry = int((MONDAY + timedelta(minutes=10)).timestamp())
    held = [
        Occupied(MONDAY + timedelta(minutes=30), MONDAY + timedelta(minutes=60), "APPT#a1"),
        Occupied(MONDAY - timedelta(minutes=30), MONDAY + timedelta(minutes=5), "LOCK#code", expiry),
        Occupied(MONDAY, MONDAY + timedelta(minutes=15), "EXT#google#event"),
        Occupied(MONDAY + timedelta(minutes=40), MONDAY + timedelta(minutes=50), "APPT#far"),
    ]
    assert reasons(CALENDAR, CUT, MONDAY, NOW, held) == [
        Reason("taken", appointment_id="a1"),  # meets the 10-minute buffer after
        Reason("locked", until=datetime.fromtimestamp(expiry, UTC)),
        Reason("busy_external"),
    ]
