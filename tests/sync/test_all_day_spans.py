"""An all-day event is a date, not an instant: each provider's wire form of one blocks its days from
local midnight to local midnight in the calendar's zone, however far that zone is from UTC and
whether or not the clock changes that day."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

SYNC = Path(__file__).resolve().parents[2] / "functions" / "sync"
PARIS, HONOLULU = ZoneInfo("Europe/Paris"), ZoneInfo("Pacific/Honolulu")


@pytest.fixture(params=["google_calendar", "outlook_calendar"])
def provider(request, monkeypatch):
    monkeypatch.syspath_prepend(str(SYNC))  # the function's sibling modules, as Lambda loads them
    return importlib.import_module(request.param)


def all_day(provider, first: str, after_last: str) -> dict:
    """The event as the provider lists it: Google gives dates; Graph gives the days' midnights,
    labelled with the zone the request prefers (UTC), not the instants they are for the owner."""
    if provider.__name__ == "google_calendar":
        return {"status": "confirmed", "start": {"date": first}, "end": {"date": after_last}}
    return {
        "showAs": "busy",
        "isAllDay": True,
        "start": {"dateTime": f"{first}T00:00:00.0000000", "timeZone": "UTC"},
        "end": {"dateTime": f"{after_last}T00:00:00.0000000", "timeZone": "UTC"},
    }


def instants(span: tuple[datetime, datetime]) -> tuple[datetime, datetime]:
    return span[0].astimezone(UTC), span[1].astimezone(UTC)


def test_an_all_day_event_blocks_its_local_day_far_from_utc(provider):
    start, end = instants(provider.blocking_span(all_day(provider, "2027-03-16", "2027-03-17"), HONOLULU))
    assert (start, end) == (datetime(2027, 3, 16, 10, tzinfo=UTC), datetime(2027, 3, 17, 10, tzinfo=UTC))


def test_an_all_day_event_on_the_day_the_clock_changes_lasts_that_day(provider):
    spring = instants(provider.blocking_span(all_day(provider, "2027-03-28", "2027-03-29"), PARIS))
    autumn = instants(provider.blocking_span(all_day(provider, "2027-10-31", "2027-11-01"), PARIS))
    assert spring[0] == datetime(2027, 3, 27, 23, tzinfo=UTC)
    assert spring[1] - spring[0] == timedelta(hours=23)
    assert autumn[1] - autumn[0] == timedelta(hours=25)


def test_several_days_run_to_the_midnight_after_the_last(provider):
    start, end = instants(provider.blocking_span(all_day(provider, "2027-07-05", "2027-07-08"), PARIS))
    assert (start, end) == (datetime(2027, 7, 4, 22, tzinfo=UTC), datetime(2027, 7, 7, 22, tzinfo=UTC))
