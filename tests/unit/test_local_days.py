"""The days a caller asks about: both ends included, at most 92 (or open-ended for a listing that
pages), each from its local midnight."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from zoneinfo import ZoneInfo

import pytest

from creneau.domain.days import MAX_DAYS, LocalDays, OpenDays
from creneau.errors import ValidationFailed

PARIS = ZoneInfo("Europe/Paris")


def test_a_quarter_is_the_most_one_answer_covers():
    first = date(2027, 1, 1)
    assert LocalDays(first, first + timedelta(days=MAX_DAYS - 1))
    with pytest.raises(ValidationFailed) as refused:
        LocalDays(first, first + timedelta(days=MAX_DAYS))
    assert refused.value.details == [{"field": "to", "message": f"at most {MAX_DAYS} days at once"}]


@pytest.mark.parametrize("days", [LocalDays, OpenDays])
def test_to_before_from_names_the_field(days):
    with pytest.raises(ValidationFailed) as refused:
        days(date(2027, 1, 2), date(2027, 1, 1))
    assert refused.value.details == [{"field": "to", "message": "must not be before from"}]


def test_open_days_bound_only_the_ends_given_from_local_midnights():
    start, end = OpenDays(date(2027, 3, 28), date(2027, 3, 28)).bounds(PARIS)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=23)  # clocks go forward
    assert OpenDays(date(2027, 3, 28)).bounds(PARIS) == (start, None)
    assert OpenDays(last=date(2027, 3, 28)).bounds(PARIS) == (None, end)
    assert (
        OpenDays(last=date(2027, 3, 28) + timedelta(days=3650)).bounds(PARIS)[0] is None
    )  # no longest range


def test_the_window_runs_midnight_to_midnight_across_a_clock_change():
    spring = LocalDays(date(2027, 3, 28), date(2027, 3, 28)).window(PARIS)  # clocks go forward
    autumn = LocalDays(date(2027, 10, 31), date(2027, 10, 31)).window(PARIS)  # and back
    # Aware datetimes of one zone subtract as wall clocks: compare the instants.
    assert spring.end.astimezone(UTC) - spring.start.astimezone(UTC) == timedelta(hours=23)
    assert autumn.end.astimezone(UTC) - autumn.start.astimezone(UTC) == timedelta(hours=25)
    assert spring.start.isoformat() == "2027-03-28T00:00:00+01:00"
    assert spring.end.isoformat() == "2027-03-29T00:00:00+02:00"
