"""Nothing left dangling: a calendar or service that upcoming open appointments rely on is not deleted
by accident, and closing a calendar over booked time names the appointments that need an agent."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import assert_error, at, build_shop, created, future_weekday

pytestmark = pytest.mark.xdist_group("e2e")


@pytest.fixture
def booked(api, new_tenant):
    """A shop with one upcoming appointment on Alice for "cut", and one cancelled on Bob."""
    shop = build_shop(api, new_tenant)
    day = future_weekday()
    cut = shop.services["cut"]["id"]
    alice, bob = shop.calendars["Alice"]["id"], shop.calendars["Bob"]["id"]
    kept = created(shop.book(service_id=cut, calendar_id=alice, start=at(day, "10:00")))
    gone = created(shop.book(service_id=cut, calendar_id=bob, start=at(day, "11:00")))
    reply = shop.agent.post(f"/v1/appointments/{gone['id']}/status", json={"status": "CANCELLED"})
    assert reply.status_code == 200, reply.text
    return shop, day, kept


def test_deleting_a_booked_service_is_refused_with_the_count(booked):
    shop, _day, _kept = booked
    service = shop.services["cut"]
    error = assert_error(shop.admin.delete(f"/v1/services/{service['id']}"), 409, "has-appointments")
    assert error["details"] == [{"count": 1}]
    assert "force=true" in error["message"] and "service cut still has" in error["message"]
    assert shop.admin.get(f"/v1/services/{service['id']}").status_code == 200


def test_forced_delete_keeps_the_appointment_readable(booked):
    shop, _day, kept = booked
    service_id, calendar_id = shop.services["cut"]["id"], shop.calendars["Alice"]["id"]
    assert shop.admin.delete(f"/v1/services/{service_id}", params={"force": "true"}).status_code == 204
    assert shop.admin.delete(f"/v1/calendars/{calendar_id}", params={"force": "true"}).status_code == 204
    reply = shop.agent.get(f"/v1/appointments/{kept['id']}")
    assert reply.status_code == 200, reply.text
    assert reply.json()["service_ids"] == [service_id] and reply.json()["calendar_id"] == calendar_id


def test_deleting_a_booked_calendar_is_refused_but_a_free_one_goes(booked):
    shop, _day, _kept = booked
    alice, bob = shop.calendars["Alice"]["id"], shop.calendars["Bob"]["id"]
    error = assert_error(shop.admin.delete(f"/v1/calendars/{alice}"), 409, "has-appointments")
    assert error["details"] == [{"count": 1}]
    # Bob's only appointment is cancelled: nothing relies on him any more.
    assert shop.admin.delete(f"/v1/calendars/{bob}").status_code == 204


def test_a_deactivated_calendar_is_the_way_to_stop_bookings(booked):
    shop, _day, _kept = booked
    alice = shop.calendars["Alice"]["id"]
    reply = shop.admin.patch(f"/v1/calendars/{alice}", json={"active": False})
    assert reply.status_code == 200 and reply.json()["conflicts"] == []


def test_an_exception_over_booked_time_names_the_appointments(booked):
    shop, day, kept = booked
    alice = shop.calendars["Alice"]["id"]
    closing = {"start": at(day, "09:45"), "end": at(day, "10:15"), "reason": "strike"}
    reply = shop.admin.patch(f"/v1/calendars/{alice}", json={"exceptions": [closing]})
    assert reply.status_code == 200, reply.text
    assert reply.json()["conflicts"] == [kept["id"]]
    # The same exception again is not new: no conflict is reported twice.
    again = shop.admin.patch(f"/v1/calendars/{alice}", json={"exceptions": [closing], "name": "Alice B."})
    assert again.status_code == 200 and again.json()["conflicts"] == []
    # An exception elsewhere in the day covers nothing booked.
    later = {"start": at(day, "15:00"), "end": at(day, "16:00"), "reason": "meeting"}
    reply = shop.admin.patch(f"/v1/calendars/{alice}", json={"exceptions": [closing, later]})
    assert reply.status_code == 200 and reply.json()["conflicts"] == []
