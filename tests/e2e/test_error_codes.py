"""Every error code of docs/api.md's table, on the routes that can return it, over HTTP."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from helpers import ZONE, assert_error, at, build_shop, created, future_weekday

pytestmark = pytest.mark.xdist_group("e2e")


@pytest.fixture
def shop(api, new_tenant):
    return build_shop(api, new_tenant)


@pytest.fixture
def day():
    return future_weekday()


def fields_of(reply) -> set[str]:
    return {d["field"] for d in assert_error(reply, 422, "validation-error")["details"]}


# ---- not-authorized -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/slots?service_id=x&from=2030-01-01&to=2030-01-01"),
        ("GET", "/v1/slots/first?service_id=x"),
        ("POST", "/v1/appointments"),
        ("GET", "/v1/appointments"),
        ("GET", "/v1/appointments/x"),
        ("POST", "/v1/appointments/x/status"),
        ("POST", "/v1/appointments/x/reschedule"),
        ("POST", "/v1/locks"),
        ("GET", "/v1/locks/abcdefghijklmnopqrst"),
        ("GET", "/v1/customers"),
        ("GET", "/v1/services"),
        ("POST", "/v1/services"),
        ("PATCH", "/v1/settings"),
    ],
)
def test_no_key_or_unknown_key_is_401(api, method, path):
    for key in (None, "ck_never_issued_" + uuid.uuid4().hex):
        reply = api(key).request(method, path, json={})
        assert_error(reply, 401, "not-authorized")


def test_role_too_low_is_403(shop, day):
    cut = shop.services["cut"]["id"]
    booked = created(shop.book(service_id=cut, start=at(day, "10:00")))
    for reply in (
        shop.public.get("/v1/appointments"),
        shop.public.get("/v1/customers"),
        shop.public.post("/v1/customers", json={"first_name": "X"}),
        shop.public.get(f"/v1/appointments/{booked['id']}"),  # no manage_token
        shop.public.post(f"/v1/appointments/{booked['id']}/status", json={"status": "CANCELLED"}),
        shop.public.post(f"/v1/appointments/{booked['id']}/reschedule", json={"start": at(day, "11:00")}),
        shop.agent.post("/v1/services", json={"name": "Sneaky", "duration_minutes": 30}),
        shop.agent.patch("/v1/settings", json={"auto_confirm": True}),
        shop.agent.post("/v1/api-keys", json={"role": "admin", "name": "escalate"}),
        shop.public.post("/v1/service-categories", json={"name": "Sneaky"}),
    ):
        assert_error(reply, 403, "not-authorized")
    # The refused calls changed nothing.
    assert shop.agent.get(f"/v1/appointments/{booked['id']}").json()["status"] == "PENDING"
    assert {s["name"] for s in shop.admin.get("/v1/services").json()["items"]} == set(shop.services)
    assert shop.admin.get("/v1/settings").json()["auto_confirm"] is False


def test_manage_token_only_cancels(shop, day):
    booked = created(shop.book(shop.public, service_id=shop.services["cut"]["id"], start=at(day, "10:00")))
    reply = shop.public.post(
        f"/v1/appointments/{booked['id']}/status",
        params={"manage_token": booked["manage_token"]},
        json={"status": "CONFIRMED"},
    )
    assert_error(reply, 403, "not-authorized")
    assert shop.agent.get(f"/v1/appointments/{booked['id']}").json()["status"] == "PENDING"


# ---- not-found (route) ----------------------------------------------------------------------------


def test_unknown_route_is_404_not_found(shop):
    for method, path in (
        ("GET", "/v1/nothing-here"),
        ("GET", "/v2/appointments"),
        ("GET", "/v1/appointments/abc/unknown"),
        ("DELETE", "/v1/appointments/abc"),
    ):
        assert_error(shop.admin.request(method, path), 404, "not-found")


# ---- validation-error -----------------------------------------------------------------------------


def test_malformed_body_is_422(shop, day):
    cut = shop.services["cut"]["id"]
    broken = shop.agent.post(
        "/v1/appointments", content=b'{"service_id": ', headers={"content-type": "application/json"}
    )
    assert fields_of(broken) == {"body"}
    assert "start" in fields_of(shop.agent.post("/v1/appointments", json={"service_id": cut, "customer": {}}))
    bad = {
        "service_id": cut,
        "start": "tomorrow at ten",
        "comments": 12,
        "customer": {"first_name": "Ada", "email": "not-an-email"},
        "surprise": True,
    }
    assert fields_of(shop.agent.post("/v1/appointments", json=bad)) == {
        "start",
        "comments",
        "customer.email",
        "surprise",
    }
    no_offset = {"service_id": cut, "start": "2030-01-07T10:00:00", "customer": {"first_name": "Ada"}}
    assert fields_of(shop.agent.post("/v1/appointments", json=no_offset)) == {"start"}
    neither = {"start": at(day, "10:00"), "customer": {}}
    assert_error(shop.agent.post("/v1/appointments", json=neither), 422, "validation-error")
    reply = shop.agent.post("/v1/appointments/x/status", json={"status": "DONE"})
    assert fields_of(reply) == {"status"}
    assert fields_of(shop.agent.post("/v1/appointments/x/reschedule", json={"start": "soon"})) == {"start"}
    assert fields_of(
        shop.public.post(
            "/v1/locks", json={"service_id": cut, "start": at(day, "10:00"), "lock_code": "short"}
        )
    ) == {"lock_code"}
    assert shop.agent.get("/v1/appointments").json()["items"] == []


def test_bad_query_is_422_naming_each_parameter(shop, day):
    cut = shop.services["cut"]["id"]
    reply = shop.public.get("/v1/slots", params={"service_id": cut, "from": "soon", "to": "2030-13-40"})
    assert fields_of(reply) == {"from", "to"}
    assert fields_of(shop.public.get("/v1/slots", params={"from": str(day), "to": str(day)})) == {
        "service_id"
    }
    start = datetime(2030, 1, 1).date()
    at_most = shop.public.get(
        "/v1/slots", params={"service_id": cut, "from": str(start), "to": str(start + timedelta(days=91))}
    )
    assert at_most.status_code == 200, at_most.text  # 92 days, `to` inclusive
    too_long = shop.public.get(
        "/v1/slots", params={"service_id": cut, "from": str(start), "to": str(start + timedelta(days=92))}
    )
    assert fields_of(too_long) == {"to"}
    backwards = shop.public.get(
        "/v1/slots", params={"service_id": cut, "from": str(day), "to": str(day - timedelta(days=1))}
    )
    assert fields_of(backwards) == {"to"}
    backwards = shop.agent.get(
        "/v1/appointments", params={"from": str(day), "to": str(day - timedelta(days=1))}
    )
    assert fields_of(backwards) == {"to"}
    zone = shop.public.get(
        "/v1/slots", params={"service_id": cut, "from": str(day), "to": str(day), "timezone": "Mars/Olympus"}
    )
    assert fields_of(zone) == {"timezone"}
    listing = shop.agent.get(
        "/v1/appointments", params={"from": "x", "to": "2030-02-30", "limit": 0, "status": "DONE"}
    )
    assert fields_of(listing) == {"from", "to", "limit", "status"}
    assert fields_of(shop.agent.get("/v1/appointments", params={"limit": 101})) == {"limit"}
    assert fields_of(shop.agent.get("/v1/appointments", params={"cursor": "not-a-cursor"})) == {"cursor"}


# ---- *-not-found ----------------------------------------------------------------------------------


def test_unknown_ids_are_404_with_the_matching_code(shop, day):
    cut, alice = shop.services["cut"]["id"], shop.calendars["Alice"]["id"]
    when = at(day, "10:00")
    one_day = {"from": str(day), "to": str(day)}
    cases = [
        (shop.public.get("/v1/services/nope"), "service-not-found"),
        (shop.public.get("/v1/slots", params={"service_id": "nope", **one_day}), "service-not-found"),
        (shop.public.get("/v1/slots/first", params={"service_id": "nope"}), "service-not-found"),
        (shop.public.post("/v1/locks", json={"service_id": "nope", "start": when}), "service-not-found"),
        (shop.book(service_id="nope", start=when), "service-not-found"),
        (shop.book(service_ids=[cut, "nope"], start=when), "service-not-found"),
        (shop.public.get("/v1/calendars/nope"), "calendar-not-found"),
        (
            shop.public.get("/v1/slots", params={"service_id": cut, "calendar_id": "nope", **one_day}),
            "calendar-not-found",
        ),
        (
            shop.public.get("/v1/slots/first", params={"service_id": cut, "calendar_id": "nope"}),
            "calendar-not-found",
        ),
        (
            shop.public.post("/v1/locks", json={"service_id": cut, "calendar_id": "nope", "start": when}),
            "calendar-not-found",
        ),
        (shop.book(service_id=cut, calendar_id="nope", start=when), "calendar-not-found"),
        (shop.agent.get("/v1/customers/nope"), "customer-not-found"),
        (shop.agent.patch("/v1/customers/nope", json={"first_name": "X"}), "customer-not-found"),
        (shop.book(service_id=cut, start=when, customer_id="nope"), "customer-not-found"),
        (shop.agent.get("/v1/appointments/nope"), "appointment-not-found"),
        (
            shop.agent.post("/v1/appointments/nope/status", json={"status": "CANCELLED"}),
            "appointment-not-found",
        ),
        (shop.agent.post("/v1/appointments/nope/reschedule", json={"start": when}), "appointment-not-found"),
        (shop.public.get("/v1/appointments/nope", params={"manage_token": "mt_x"}), "appointment-not-found"),
        (shop.public.get("/v1/locks/NoSuchLockCode_0123456789"), "lock-not-found"),
        (shop.public.delete("/v1/locks/NoSuchLockCode_0123456789"), "lock-not-found"),
        (shop.public.get("/v1/service-categories/nope"), "category-not-found"),
        (shop.admin.patch("/v1/service-categories/nope", json={"name": "X"}), "category-not-found"),
        (shop.admin.delete("/v1/service-categories/nope"), "category-not-found"),
    ]
    for reply, code in cases:
        assert_error(reply, 404, code)
    assert shop.agent.get("/v1/appointments").json()["items"] == []
    assert created(shop.book(service_id=cut, calendar_id=alice, start=when))  # nothing held by the refusals


def test_used_or_released_lock_is_lock_not_found(shop, day):
    cut = shop.services["cut"]["id"]
    lock = created(shop.public.post("/v1/locks", json={"service_id": cut, "start": at(day, "10:00")}))
    assert shop.public.get(f"/v1/locks/{lock['lock_code']}").status_code == 200
    created(shop.book(shop.public, service_id=cut, start=at(day, "10:00"), lock_code=lock["lock_code"]))
    assert_error(shop.public.get(f"/v1/locks/{lock['lock_code']}"), 404, "lock-not-found")
    assert_error(shop.public.delete(f"/v1/locks/{lock['lock_code']}"), 404, "lock-not-found")
    other = created(shop.public.post("/v1/locks", json={"service_id": cut, "start": at(day, "11:00")}))
    assert shop.public.delete(f"/v1/locks/{other['lock_code']}").status_code == 204
    assert_error(shop.public.delete(f"/v1/locks/{other['lock_code']}"), 404, "lock-not-found")


# ---- slot-unavailable -----------------------------------------------------------------------------


def test_slot_unavailable_taken_locked_closed_off_grid(shop, day):
    cut, alice = shop.services["cut"]["id"], shop.calendars["Alice"]["id"]

    def book(hhmm: str, on=None, **extra):
        return shop.book(service_id=cut, calendar_id=alice, start=at(on or day, hhmm), **extra)

    created(book("10:00"))
    assert_error(book("10:00"), 409, "slot-unavailable")  # taken
    assert_error(book("09:45"), 409, "slot-unavailable")  # overlaps the taken one
    lock = created(
        shop.public.post(
            "/v1/locks", json={"service_id": cut, "calendar_id": alice, "start": at(day, "11:00")}
        )
    )
    assert_error(book("11:00"), 409, "slot-unavailable")  # locked by someone else
    unknown_lock = "Unknown_lock_code_0123456789"
    assert_error(book("11:00", lock_code=unknown_lock), 409, "slot-unavailable")  # unknown lock: ignored
    created(book("11:00", lock_code=lock["lock_code"]))  # the holder converts it
    assert_error(book("19:00"), 409, "slot-unavailable")  # after closing time
    assert_error(book("17:45"), 409, "slot-unavailable")  # would end after closing time
    assert_error(book("08:30"), 409, "slot-unavailable")  # before opening
    saturday = day + timedelta(days=(5 - day.weekday()) % 7)
    assert_error(book("10:00", on=saturday), 409, "slot-unavailable")  # closed all day
    assert_error(book("14:05"), 409, "slot-unavailable")  # not on the 15-minute grid
    assert_error(book("14:07"), 409, "slot-unavailable")
    assert_error(
        shop.book(service_id=cut, calendar_id=alice, start=at(day, "14:00").replace("00+", "00.5+")),
        409,
        "slot-unavailable",
    )
    created(book("14:00"))  # the grid time itself is fine
    reschedule = shop.agent.post(
        f"/v1/appointments/{created(book('15:00'))['id']}/reschedule", json={"start": at(day, "15:05")}
    )
    assert_error(reschedule, 409, "slot-unavailable")
    lock_off_grid = shop.public.post("/v1/locks", json={"service_id": cut, "start": at(day, "16:05")})
    assert_error(lock_off_grid, 409, "slot-unavailable")


def test_slot_unavailable_outside_notice_and_horizon(api, new_tenant):
    everyday = {
        d: [{"start": "00:00", "end": "24:00"}] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    }
    # A 15-minute service fits every quarter hour of a calendar open all day long, whatever the time now.
    shop = build_shop(
        api, new_tenant, {"tiny": (15, 0, 0)}, ("Always",), weekly_hours=everyday, horizon_days=10
    )
    tiny = shop.services["tiny"]["id"]
    now = datetime.now(UTC)
    quarter = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)

    def book(start: datetime):
        return shop.book(service_id=tiny, start=start.astimezone(ZONE).isoformat())

    assert_error(book(quarter + timedelta(minutes=30)), 409, "slot-unavailable")  # notice is 60 minutes
    assert_error(book(quarter - timedelta(hours=2)), 409, "slot-unavailable")  # in the past
    created(book(quarter + timedelta(hours=3)))
    assert_error(book(quarter + timedelta(days=11)), 409, "slot-unavailable")  # beyond the 10-day horizon
    created(book(quarter + timedelta(days=9)))
    lock = shop.public.post(
        "/v1/locks", json={"service_id": tiny, "start": (quarter + timedelta(minutes=30)).isoformat()}
    )
    assert_error(lock, 409, "slot-unavailable")


# ---- invalid-status-transition --------------------------------------------------------------------


def test_invalid_status_transitions(shop, day):
    cut = shop.services["cut"]["id"]

    def status(appointment: dict, value: str):
        return shop.agent.post(f"/v1/appointments/{appointment['id']}/status", json={"status": value})

    pending = created(shop.book(service_id=cut, start=at(day, "09:00")))
    for target in ("COMPLETED", "IN_PROGRESS", "PENDING"):
        assert_error(status(pending, target), 409, "invalid-status-transition")
    done = created(shop.book(service_id=cut, start=at(day, "10:00")))
    for target in ("CONFIRMED", "IN_PROGRESS", "COMPLETED"):
        assert status(done, target).status_code == 200
    for target in ("CONFIRMED", "CANCELLED", "IN_PROGRESS", "PENDING"):
        assert_error(status(done, target), 409, "invalid-status-transition")
    cancelled = created(shop.book(service_id=cut, start=at(day, "11:00")))
    assert status(cancelled, "CANCELLED").status_code == 200
    assert_error(status(cancelled, "CONFIRMED"), 409, "invalid-status-transition")
    assert_error(status(cancelled, "CANCELLED"), 409, "invalid-status-transition")
    moved = shop.agent.post(f"/v1/appointments/{done['id']}/reschedule", json={"start": at(day, "14:00")})
    assert_error(moved, 409, "invalid-status-transition")

    assert shop.agent.get(f"/v1/appointments/{pending['id']}").json()["status"] == "PENDING"
    final = shop.agent.get(f"/v1/appointments/{done['id']}").json()
    assert final["status"] == "COMPLETED" and len(final["history"]) == 4


# ---- too-many-appointments, idempotency-conflict --------------------------------------------------


def test_too_many_appointments(api, new_tenant, day):
    shop = build_shop(api, new_tenant, settings={"max_open_appointments_per_customer": 1})
    cut = shop.services["cut"]["id"]
    customer = created(shop.agent.post("/v1/customers", json={"first_name": "Once"}))
    created(shop.book(service_id=cut, start=at(day, "10:00"), customer_id=customer["id"]))
    refused = shop.book(service_id=cut, start=at(day, "11:00"), customer_id=customer["id"])
    assert_error(refused, 409, "too-many-appointments")
    assert len(shop.agent.get("/v1/appointments").json()["items"]) == 1


def test_idempotency_conflict(shop, day):
    cut = shop.services["cut"]["id"]
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    created(
        shop.agent.post(
            "/v1/appointments",
            headers=headers,
            json={"service_id": cut, "start": at(day, "10:00"), "customer": {"first_name": "A"}},
        )
    )
    different = {"service_id": cut, "start": at(day, "10:00"), "customer": {"first_name": "B"}}
    assert_error(
        shop.agent.post("/v1/appointments", headers=headers, json=different), 409, "idempotency-conflict"
    )
    assert len(shop.agent.get("/v1/appointments").json()["items"]) == 1


# ---- another tenant's ids -------------------------------------------------------------------------


def test_another_tenants_ids_are_not_found(api, new_tenant, day):
    owner, intruder = build_shop(api, new_tenant), build_shop(api, new_tenant)
    cut, alice = owner.services["cut"]["id"], owner.calendars["Alice"]["id"]
    own_cut = intruder.services["cut"]["id"]
    booked = created(owner.book(owner.public, service_id=cut, calendar_id=alice, start=at(day, "10:00")))
    customer_id = booked["customer"]["id"]
    lock = created(owner.public.post("/v1/locks", json={"service_id": cut, "start": at(day, "11:00")}))
    code, token = lock["lock_code"], booked["manage_token"]
    when = at(day, "14:00")
    one_day = {"from": str(day), "to": str(day)}
    cases = [
        (intruder.agent.get(f"/v1/appointments/{booked['id']}"), "appointment-not-found"),
        (
            intruder.public.get(f"/v1/appointments/{booked['id']}", params={"manage_token": token}),
            "appointment-not-found",
        ),
        (
            intruder.agent.post(f"/v1/appointments/{booked['id']}/status", json={"status": "CANCELLED"}),
            "appointment-not-found",
        ),
        (
            intruder.public.post(
                f"/v1/appointments/{booked['id']}/status",
                params={"manage_token": token},
                json={"status": "CANCELLED"},
            ),
            "appointment-not-found",
        ),
        (
            intruder.agent.post(f"/v1/appointments/{booked['id']}/reschedule", json={"start": when}),
            "appointment-not-found",
        ),
        (intruder.public.get(f"/v1/services/{cut}"), "service-not-found"),
        (intruder.admin.patch(f"/v1/services/{cut}", json={"name": "Mine"}), "service-not-found"),
        (intruder.public.get("/v1/slots", params={"service_id": cut, **one_day}), "service-not-found"),
        (intruder.book(service_id=cut, start=when), "service-not-found"),
        (intruder.public.post("/v1/locks", json={"service_id": cut, "start": when}), "service-not-found"),
        (intruder.public.get(f"/v1/calendars/{alice}"), "calendar-not-found"),
        (
            intruder.public.get("/v1/slots", params={"service_id": own_cut, "calendar_id": alice, **one_day}),
            "calendar-not-found",
        ),
        (intruder.book(service_id=own_cut, calendar_id=alice, start=when), "calendar-not-found"),
        (intruder.agent.get(f"/v1/customers/{customer_id}"), "customer-not-found"),
        (
            intruder.agent.patch(f"/v1/customers/{customer_id}", json={"first_name": "X"}),
            "customer-not-found",
        ),
        (intruder.book(service_id=own_cut, start=when, customer_id=customer_id), "customer-not-found"),
        (intruder.public.get(f"/v1/locks/{code}"), "lock-not-found"),
        (intruder.public.delete(f"/v1/locks/{code}"), "lock-not-found"),
        (intruder.public.get(f"/v1/service-categories/{owner.category['id']}"), "category-not-found"),
    ]
    for reply, expected in cases:
        assert_error(reply, 404, expected)
    # The owner's objects are untouched, and the intruder sees none of them in its lists.
    assert owner.agent.get(f"/v1/appointments/{booked['id']}").json()["status"] == "PENDING"
    assert owner.public.get(f"/v1/locks/{code}").status_code == 200
    assert owner.agent.get(f"/v1/customers/{customer_id}").json()["first_name"] == "Ada"
    assert intruder.agent.get("/v1/appointments").json()["items"] == []
    assert intruder.agent.get("/v1/customers").json()["items"] == []
