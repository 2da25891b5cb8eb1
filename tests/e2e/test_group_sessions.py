"""Group sessions over HTTP: a service with a capacity is booked seat by seat, by real concurrent
clients against the local stack, and never sells more places than it has."""

from __future__ import annotations

import random
import time

import pytest
from helpers import assert_error, build_shop, created, future_weekday, local
from test_booking_storm import Call, check_replies, storm

pytestmark = pytest.mark.xdist_group("e2e")

WORKSHOP = {"workshop": (60, 0, 15), "cut": (30, 0, 0)}


def group_shop(api, new_tenant, capacity: int, **settings):
    shop = build_shop(api, new_tenant, services=WORKSHOP, calendars=("Salle",), settings=settings or None)
    service = shop.services["workshop"]
    reply = shop.admin.patch(f"/v1/services/{service['id']}", json={"capacity": capacity})
    assert reply.status_code == 200 and reply.json()["capacity"] == capacity, reply.text
    shop.services["workshop"] = reply.json()
    return shop


def start_at(hhmm: str = "10:00", days_ahead: int = 4) -> str:
    return local(future_weekday(days_ahead), hhmm).strftime("%Y-%m-%dT%H:%M:%SZ")


def group_slot(shop, start: str, seats: int = 1, lock_code: str | None = None) -> dict | None:
    day = start[:10]
    params = {"service_id": shop.services["workshop"]["id"], "from": day, "to": day, "seats": seats}
    if lock_code:
        params["lock_code"] = lock_code
    reply = shop.public.get("/v1/slots", params=params)
    assert reply.status_code == 200, reply.text
    return next((slot for slot in reply.json()["slots"] if slot["start"] == start), None)


def person(index: int) -> dict:
    return {"first_name": f"Guest{index}", "last_name": "Party", "email": f"guest{index}@example.com"}


def book(shop, start: str, seats: int, index: int = 0, **extra):
    body = {
        "service_id": shop.services["workshop"]["id"],
        "calendar_id": shop.calendars["Salle"]["id"],
        "start": start,
        "seats": seats,
        "customer": person(index),
        **extra,
    }
    return shop.agent.post("/v1/appointments", json=body)


def session_of(shop, appointment: dict) -> dict:
    reply = shop.agent.get(f"/v1/sessions/{appointment['session_id']}")
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_200_concurrent_parties_never_overbook_a_session_of_ten(api, new_tenant, stack):
    shop = group_shop(api, new_tenant, capacity=10)
    start = start_at()
    rng = random.Random(14)
    asked = [rng.randint(1, 3) for _ in range(200)]
    calls = [
        Call(
            shop.keys["agent"],
            "POST",
            "/v1/appointments",
            {
                "service_id": shop.services["workshop"]["id"],
                "calendar_id": shop.calendars["Salle"]["id"],
                "start": start,
                "seats": seats,
                "customer": person(i),
            },
        )
        for i, seats in enumerate(asked)
    ]
    replies = storm(stack["api_url"], calls)
    check_replies(replies, ok=201)
    booked = [r.json() for r in replies if r.status_code == 201]
    sold = sum(a["seats"] for a in booked)
    assert 0 < sold <= 10
    session = session_of(shop, booked[0])
    assert {a["session_id"] for a in booked} == {session["id"]}
    assert session["seats_taken"] == sold and session["seats_left"] == 10 - sold
    assert sorted(a["appointment_id"] for a in session["attendees"]) == sorted(a["id"] for a in booked)
    # A refusal means the party did not fit: it asked more than the places left, even at the end.
    for reply, seats in zip(replies, asked, strict=True):
        if reply.status_code == 409:
            assert seats > session["seats_left"], reply.text
    # The slot shows what is left, and disappears for a party that no longer fits.
    left = session["seats_left"]
    if left:
        assert group_slot(shop, start, seats=left)["seats_left"] == left
    assert group_slot(shop, start, seats=left + 1) is None


def test_cancel_frees_seats_at_once_and_the_last_cancellation_frees_the_time(api, new_tenant):
    shop = group_shop(api, new_tenant, capacity=3)
    start = start_at("11:00")
    assert group_slot(shop, start)["seats_left"] == 3
    party = created(book(shop, start, seats=3, index=1))
    assert party["seats"] == 3 and party["session_id"]
    refused = assert_error(book(shop, start, seats=1, index=2), 409, "slot-unavailable")
    assert refused["details"][0]["reason"] == "full" and refused["details"][0]["seats_left"] == 0
    assert group_slot(shop, start) is None  # a full session disappears

    # The session holds the calendar's time: another service cannot overlap it.
    cut = {"service_id": shop.services["cut"]["id"], "calendar_id": shop.calendars["Salle"]["id"]}
    overlapping = {**cut, "start": start_at("11:30"), "customer": person(3)}
    assert_error(shop.agent.post("/v1/appointments", json=overlapping), 409, "slot-unavailable")

    cancel = {"status": "CANCELLED", "reason": "ill"}
    assert shop.agent.post(f"/v1/appointments/{party['id']}/status", json=cancel).status_code == 200
    assert group_slot(shop, start)["seats_left"] == 3  # freed at once
    second = created(book(shop, start, seats=2, index=4))
    third = created(book(shop, start, seats=1, index=5))
    assert session_of(shop, third)["seats_left"] == 0
    for appointment in (second, third):
        assert shop.agent.post(f"/v1/appointments/{appointment['id']}/status", json=cancel).status_code == 200
    # The last cancellation closes the session: its time is free for any service again.
    assert_error(shop.agent.get(f"/v1/sessions/{third['session_id']}"), 404, "session-not-found")
    assert shop.agent.post("/v1/appointments", json=overlapping).status_code == 201


def test_a_lock_of_three_seats_hides_them_from_others_and_converts_on_booking(api, new_tenant):
    shop = group_shop(api, new_tenant, capacity=5)
    start = start_at("14:00")
    lock_body = {
        "service_id": shop.services["workshop"]["id"],
        "calendar_id": shop.calendars["Salle"]["id"],
        "start": start,
        "seats": 3,
    }
    lock = created(shop.public.post("/v1/locks", json=lock_body))
    assert lock["seats"] == 3 and lock["session_id"]
    assert group_slot(shop, start)["seats_left"] == 2  # three are held while the form is filled
    assert group_slot(shop, start, lock_code=lock["lock_code"])["seats_left"] == 5  # its holder sees them
    assert group_slot(shop, start, seats=3) is None
    assert_error(book(shop, start, seats=3, index=1), 409, "slot-unavailable")
    created(book(shop, start, seats=2, index=2))
    assert group_slot(shop, start) is None  # full: 2 sold, 3 held

    converted = created(book(shop, start, seats=3, index=3, lock_code=lock["lock_code"]))
    session = session_of(shop, converted)
    assert session["seats_taken"] == 5 and session["seats_held_by_locks"] == 0
    assert sorted(a["seats"] for a in session["attendees"]) == [2, 3]
    assert_error(shop.public.get(f"/v1/locks/{lock['lock_code']}"), 404, "lock-not-found")


def test_an_expired_lock_gives_its_seats_back_without_any_write(api, new_tenant):
    shop = group_shop(api, new_tenant, capacity=4, lock_ttl_seconds=2)
    start = start_at("15:00")
    body = {"service_id": shop.services["workshop"]["id"], "start": start, "seats": 4}
    created(shop.public.post("/v1/locks", json={**body, "calendar_id": shop.calendars["Salle"]["id"]}))
    assert group_slot(shop, start) is None
    deadline = time.monotonic() + 90
    while group_slot(shop, start) is None:  # the lock's seats come back when it expires
        assert time.monotonic() < deadline, "the expired lock's seats never came back"
        time.sleep(0.5)
    assert group_slot(shop, start)["seats_left"] == 4
    party = created(book(shop, start, seats=4, index=1))  # its update reclaims the expired hold
    session = session_of(shop, party)
    assert session["seats_taken"] == 4 and session["seats_held_by_locks"] == 0


def test_sessions_list_their_attendees_and_parties_change_size(api, new_tenant):
    shop = group_shop(api, new_tenant, capacity=6)
    start = start_at("16:00")
    first = created(book(shop, start, seats=2, index=1))
    second = created(book(shop, start, seats=3, index=2))
    day = start[:10]
    listed = shop.agent.get(
        "/v1/sessions", params={"calendar_id": shop.calendars["Salle"]["id"], "from": day, "to": day}
    )
    assert listed.status_code == 200, listed.text
    (session,) = listed.json()["items"]
    assert session["start"] == start and session["capacity"] == 6 and session["seats_left"] == 1
    names = sorted(a["customer"]["first_name"] for a in session["attendees"])
    assert names == ["Guest1", "Guest2"]

    grow = shop.agent.post(f"/v1/appointments/{first['id']}/seats", json={"seats": 4})
    assert_error(grow, 409, "slot-unavailable")  # 2 more do not fit in the 1 left
    shrunk = shop.agent.post(f"/v1/appointments/{second['id']}/seats", json={"seats": 1})
    assert shrunk.status_code == 200 and shrunk.json()["seats"] == 1, shrunk.text
    assert session_of(shop, first)["seats_left"] == 3
    assert shop.agent.post(f"/v1/appointments/{first['id']}/seats", json={"seats": 5}).status_code == 200
    assert session_of(shop, first)["seats_left"] == 0
    moved = shop.agent.post(f"/v1/appointments/{first['id']}/reschedule", json={"start": start_at("17:00")})
    assert_error(moved, 422, "validation-error")


def test_seats_are_checked_against_the_service(api, new_tenant):
    shop = group_shop(api, new_tenant, capacity=4)
    start = start_at("09:00")
    too_many = assert_error(book(shop, start, seats=5), 422, "validation-error")
    assert "at most 4 seats" in too_many["message"] + str(too_many["details"])
    cut = {
        "service_id": shop.services["cut"]["id"],
        "start": start,
        "seats": 2,
        "customer": person(1),
    }
    assert_error(shop.agent.post("/v1/appointments", json=cut), 422, "validation-error")
    both = {
        "service_ids": [shop.services["workshop"]["id"], shop.services["cut"]["id"]],
        "start": start,
        "customer": person(2),
    }
    assert_error(shop.agent.post("/v1/appointments", json=both), 422, "validation-error")
    big = shop.admin.patch(f"/v1/services/{shop.services['cut']['id']}", json={"capacity": 501})
    assert_error(big, 422, "validation-error")


def test_an_exception_over_a_session_names_its_parties(api, new_tenant):
    """Seats of a session hold no units of their own: the session's time is what an exception covers."""
    shop = group_shop(api, new_tenant, capacity=4)
    start = start_at("14:00")
    first, second = created(book(shop, start, seats=1, index=1)), created(book(shop, start, seats=2, index=2))
    salle = shop.calendars["Salle"]["id"]
    closing = {"start": first["start"], "end": first["end"], "reason": "flood"}
    reply = shop.admin.patch(f"/v1/calendars/{salle}", json={"exceptions": [closing]})
    assert reply.status_code == 200, reply.text
    assert sorted(reply.json()["conflicts"]) == sorted([first["id"], second["id"]])
