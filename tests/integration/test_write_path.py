"""The booking write path on moto, in-process, with the handlers' clock injected.

What the tables hold after each step: claims per unit, one occupancy record per hold, expired
items still present (TTL deletion is not relied upon) yet treated as absent.
"""

from datetime import UTC, datetime, timedelta

import pytest
from boto3.dynamodb.conditions import Attr

from creneau import config
from creneau.clock import FixedClock

MONDAY = datetime(2030, 3, 4, tzinfo=UTC)  # far ahead: notice and horizon are measured from the clock
NOW = MONDAY - timedelta(days=2)


@pytest.fixture
def clock(handler_clock):
    """One clock for every handler, moved by the test."""
    shared = FixedClock(NOW)
    handler_clock(shared, "slots", "locks", "appointments")
    return shared


@pytest.fixture
def shop(invoke, tenant):
    """A service of 30 min + 10 after, on a calendar open 09:00-12:00 UTC on weekdays."""
    service = invoke(
        "catalog",
        "POST",
        "/v1/services",
        "/v1/services",
        {"name": "Cut", "duration_minutes": 30, "buffer_after_minutes": 10},
        key=tenant.admin,
    ).json()
    hours = [{"start": "09:00", "end": "12:00"}]
    calendar = invoke(
        "catalog",
        "POST",
        "/v1/calendars",
        "/v1/calendars",
        {
            "name": "Chair 1",
            "timezone": "UTC",
            "service_ids": [service["id"]],
            "weekly_hours": {d: hours for d in ("mon", "tue", "wed", "thu", "fri")},
            "horizon_days": 730,
        },
        key=tenant.admin,
    ).json()
    return {"service": service["id"], "calendar": calendar["id"], "tenant": tenant}


def at(hour: int, minute: int = 0) -> str:
    return MONDAY.replace(hour=hour, minute=minute).strftime("%Y-%m-%dT%H:%M:%SZ")


def bookings_items(prefix: str) -> list[dict]:
    return config.bookings_table().scan(FilterExpression=Attr("pk").begins_with(prefix))["Items"]


def book(invoke, shop, start, **extra):
    body = {"service_id": shop["service"], "start": start, "customer": {"first_name": "Ada"}, **extra}
    return invoke(
        "appointments", "POST", "/v1/appointments", "/v1/appointments", body, key=shop["tenant"].agent
    )


def lock(invoke, shop, start, **extra):
    body = {"service_id": shop["service"], "start": start, **extra}
    return invoke("locks", "POST", "/v1/locks", "/v1/locks", body, key=shop["tenant"].public)


def test_a_booking_claims_each_unit_it_occupies_with_its_buffer(invoke, shop, clock):
    reply = book(invoke, shop, at(9))
    assert reply.status == 201
    claims = bookings_items("CLAIM#")
    # 30 min + 10 min buffer after, in 5-minute units: 09:00 .. 09:35
    assert sorted(c["pk"].rsplit("#", 1)[1].removeprefix("20300304T").removesuffix("Z") for c in claims) == [
        "0900", "0905", "0910", "0915", "0920", "0925", "0930", "0935",
    ]  # fmt: skip
    assert {c["owner"] for c in claims} == {f"APPT#{reply.json()['id']}"}
    assert len(bookings_items("OCC#")) == 1


def test_an_expired_lock_frees_its_time_although_its_items_are_still_there(invoke, shop, clock):
    held = lock(invoke, shop, at(10))
    assert held.status == 201
    assert book(invoke, shop, at(10)).error["code"] == "slot-unavailable"

    clock.at = clock.at + timedelta(seconds=601)  # past the default lock_ttl_seconds (600)
    assert bookings_items("CLAIM#"), "moto never deletes expired items: they must still be here"
    slots = invoke(
        "slots",
        "GET",
        "/v1/slots",
        "/v1/slots",
        key=shop["tenant"].public,
        query={"service_id": shop["service"], "from": "2030-03-04", "to": "2030-03-04"},
    ).json()["slots"]
    assert at(10) in [s["start"] for s in slots]
    taken = book(invoke, shop, at(10))
    assert taken.status == 201
    owners = {c["owner"] for c in bookings_items("CLAIM#")}
    assert owners == {f"APPT#{taken.json()['id']}"}, "the lock's units now belong to the appointment"

    # The expired code no longer converts anything: the time is someone else's.
    late = book(invoke, shop, at(10), lock_code=held.json()["lock_code"])
    assert late.error["code"] == "slot-unavailable"


def test_a_refused_reschedule_keeps_the_old_time_and_claims(invoke, shop, clock):
    first = book(invoke, shop, at(9)).json()
    book(invoke, shop, at(10))
    before = sorted((c["pk"], c["owner"]) for c in bookings_items("CLAIM#"))
    moved = invoke(
        "appointments",
        "POST",
        "/v1/appointments/{id}/reschedule",
        f"/v1/appointments/{first['id']}/reschedule",
        {"start": at(10, 15)},
        key=shop["tenant"].agent,
    )
    assert moved.error["code"] == "slot-unavailable"
    assert sorted((c["pk"], c["owner"]) for c in bookings_items("CLAIM#")) == before
    again = invoke(
        "appointments",
        "GET",
        "/v1/appointments/{id}",
        f"/v1/appointments/{first['id']}",
        key=shop["tenant"].agent,
    ).json()
    assert again["start"] == at(9)


def test_cancelling_removes_claims_and_occupancy_in_one_step(invoke, shop, clock):
    appointment = book(invoke, shop, at(11)).json()
    cancelled = invoke(
        "appointments",
        "POST",
        "/v1/appointments/{id}/status",
        f"/v1/appointments/{appointment['id']}/status",
        {"status": "CANCELLED", "reason": "sick"},
        key=shop["tenant"].agent,
    ).json()
    assert cancelled["status"] == "CANCELLED"
    assert [h["status"] for h in cancelled["history"]] == ["PENDING", "CANCELLED"]
    assert bookings_items("CLAIM#") == [] and bookings_items("OCC#") == []


def test_moving_a_lock_frees_the_old_units_in_the_same_step(invoke, shop, clock):
    code = "form-session-0123456789"
    assert lock(invoke, shop, at(9), lock_code=code).status == 201
    assert lock(invoke, shop, at(10), lock_code=code).status == 201
    claims = bookings_items("CLAIM#")
    # 10:00 + 40 min occupied: 10:00 .. 10:35; the 09:00 .. 09:35 units are gone
    assert sorted(c["pk"][-5:-1] for c in claims) == [
        "1000",
        "1005",
        "1010",
        "1015",
        "1020",
        "1025",
        "1030",
        "1035",
    ]
    assert {c["owner"] for c in claims} == {f"LOCK#{code}"}
    assert len(bookings_items("OCC#")) == 1
    assert book(invoke, shop, at(9)).status == 201


def test_a_live_lock_converts_even_when_minimum_notice_ran_out_meanwhile(invoke, shop, clock):
    clock.at = MONDAY.replace(hour=8, minute=58)  # 10:00 is 62 min ahead: outside the 60-min notice
    held = lock(invoke, shop, at(10)).json()
    clock.at = MONDAY.replace(hour=9, minute=5)  # the form took 7 minutes: 10:00 is now inside the notice
    assert (
        book(invoke, shop, at(10, 30)).error["code"] == "slot-unavailable"
    )  # a new booking would be refused
    converted = book(invoke, shop, at(10), lock_code=held["lock_code"])
    assert converted.status == 201, converted.text
    assert {c["owner"] for c in bookings_items("CLAIM#")} == {f"APPT#{converted.json()['id']}"}
    assert [o["owner"] for o in bookings_items("OCC#")] == [f"APPT#{converted.json()['id']}"]
