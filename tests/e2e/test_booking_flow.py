"""The booking flow over HTTP against the local stack: catalog, slots, booking, listing, lifecycle,
cancel, reschedule, several services, custom fields, customers, limits and idempotency."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from helpers import (
    ZONE_NAME,
    all_items,
    assert_error,
    at,
    build_shop,
    created,
    future_weekday,
    instant,
    local,
    slots,
)

pytestmark = pytest.mark.xdist_group("e2e")


@pytest.fixture
def shop(api, new_tenant):
    """A fresh tenant: services cut (30), colour (45, 10 before / 10 after), quick (20, 5 after);
    calendars Alice and Bob, Monday to Friday 09:00-18:00 Paris, step 15."""
    return build_shop(api, new_tenant)


@pytest.fixture
def day():
    return future_weekday()


def statuses(appointment: dict) -> list[str]:
    return [entry["status"] for entry in appointment["history"]]


# ---- catalog and availability -------------------------------------------------------------------


def test_browse_catalog_then_slots_for_one_calendar_and_for_any(shop, day):
    public, admin = shop.public, shop.admin
    alice, bob = shop.calendars["Alice"]["id"], shop.calendars["Bob"]["id"]
    cut = shop.services["cut"]["id"]
    nails = created(admin.post("/v1/service-categories", json={"name": "Nails", "position": 2}))
    manicure = created(
        admin.post(
            "/v1/services", json={"category_id": nails["id"], "name": "Manicure", "duration_minutes": 40}
        )
    )
    carol = created(
        admin.post(
            "/v1/calendars",
            json={"name": "Carol", "timezone": ZONE_NAME, "service_ids": [manicure["id"]]},
        )
    )
    reply = admin.patch(f"/v1/calendars/{bob}", json={"weekly_hours": _all_week("14:00", "18:00")})
    assert reply.status_code == 200, reply.text

    categories = all_items(public, "/v1/service-categories")
    assert {c["name"] for c in categories} == {"Hair", "Nails"}
    hair_services = all_items(public, "/v1/services", category_id=shop.category["id"])
    assert {s["name"] for s in hair_services} == {"cut", "colour", "quick"}
    assert [s["id"] for s in all_items(public, "/v1/services", category_id=nails["id"])] == [manicure["id"]]
    assert {c["id"] for c in all_items(public, "/v1/calendars", service_id=cut)} == {alice, bob}
    assert [c["id"] for c in all_items(public, "/v1/calendars", service_id=manicure["id"])] == [carol["id"]]

    reply = public.get(
        "/v1/slots", params={"service_id": cut, "calendar_id": alice, "from": str(day), "to": str(day)}
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["timezone"] == ZONE_NAME
    expected = [local(day, "09:00") + timedelta(minutes=15 * k) for k in range(35)]
    own = slots(public, cut, day, alice)
    assert sorted(own) == expected  # 09:00 .. 17:30, every 15 minutes
    assert all(ids == [alice] for ids in own.values())
    first = reply.json()["slots"][0]
    assert instant(first["end"]) - instant(first["start"]) == timedelta(minutes=30)

    anyone = slots(public, cut, day)
    assert sorted(anyone) == expected
    for start, ids in anyone.items():
        wanted = [alice, bob] if start >= local(day, "14:00") else [alice]
        assert ids == sorted(wanted), (start, ids)

    created(shop.book(service_id=cut, calendar_id=alice, start=at(day, "15:00")))
    anyone = slots(public, cut, day)
    for hhmm in ("14:45", "15:00", "15:15"):  # every slot meeting 15:00-15:30 loses Alice
        assert anyone[local(day, hhmm)] == [bob]
        assert local(day, hhmm) not in slots(public, cut, day, alice)
    assert anyone[local(day, "15:30")] == sorted([alice, bob])
    assert anyone[local(day, "14:30")] == sorted([alice, bob])


def _all_week(start: str, end: str) -> dict:
    return {d: [{"start": start, "end": end}] for d in ("mon", "tue", "wed", "thu", "fri")}


def test_public_booking_has_a_manage_token_and_takes_the_slot_and_the_first_slot(api, new_tenant):
    day = future_weekday()
    # Closed until `day`: the first slot is deterministic (day 09:00), whatever the time now.
    closed = [{"start": "2000-01-01T00:00:00Z", "end": at(day, "00:00"), "reason": "not yet open"}]
    shop = build_shop(api, new_tenant, calendars=("Alice",), exceptions=closed)
    cut, alice = shop.services["cut"]["id"], shop.calendars["Alice"]["id"]
    first = shop.public.get("/v1/slots/first", params={"service_id": cut}).json()["slot"]
    assert instant(first["start"]) == local(day, "09:00")
    assert first["calendar_ids"] == [alice]

    customer = {
        "first_name": "Zoé",
        "last_name": "Martin",
        "email": "zoe@example.com",
        "phone": "+33600000000",
    }
    booked = created(
        shop.public.post(
            "/v1/appointments", json={"service_id": cut, "start": first["start"], "customer": customer}
        )
    )
    assert isinstance(booked["manage_token"], str) and len(booked["manage_token"]) >= 16
    assert booked["status"] == "PENDING"
    assert booked["service_ids"] == [cut]
    assert booked["calendar_id"] == alice
    assert booked["start"].endswith("Z") and instant(booked["start"]) == local(day, "09:00")
    assert instant(booked["end"]) == local(day, "09:30")
    assert {k: booked["customer"][k] for k in customer} == customer
    assert booked["customer"]["id"]
    assert booked["total_price"] == {"amount": 3000, "currency": "EUR"}

    by_agent = created(shop.book(service_id=cut, start=at(day, "10:00")))
    assert by_agent["manage_token"] not in ("", None, booked["manage_token"])  # an agent forwards it
    assert by_agent["calendar_id"] == alice

    free = slots(shop.public, cut, day)
    assert local(day, "09:00") not in free and local(day, "10:00") not in free
    assert local(day, "09:45") not in free  # 09:45-10:15 meets the 10:00 booking
    assert local(day, "09:30") in free
    first = shop.public.get("/v1/slots/first", params={"service_id": cut, "calendar_id": alice}).json()[
        "slot"
    ]
    assert instant(first["start"]) == local(day, "09:30")


# ---- listing --------------------------------------------------------------------------------------


def test_list_filters_and_cursor_pagination(shop):
    day1, day2 = future_weekday(), future_weekday(skip=1)
    alice, bob = shop.calendars["Alice"]["id"], shop.calendars["Bob"]["id"]
    cut, colour, quick = (shop.services[n]["id"] for n in ("cut", "colour", "quick"))
    regular = created(
        shop.agent.post("/v1/customers", json={"first_name": "Reg", "email": "reg@example.com"})
    )
    plan = {  # name: (day, time, calendar, service, is the regular customer)
        "a": (day1, "09:00", alice, cut, True),
        "b": (day1, "10:00", bob, colour, False),
        "c": (day1, "11:00", alice, quick, True),
        "d": (day2, "09:00", bob, cut, False),
        "e": (day2, "10:00", alice, colour, True),
    }
    booked = {}
    for name in ("d", "b", "e", "a", "c"):  # not in time order: the list must sort them
        when, hhmm, calendar, service, is_regular = plan[name]
        who = {"customer_id": regular["id"]} if is_regular else {"customer": {"first_name": name}}
        body = {"service_id": service, "calendar_id": calendar, "start": at(when, hhmm), **who}
        booked[name] = created(shop.agent.post("/v1/appointments", json=body))
    assert shop.agent.post(
        f"/v1/appointments/{booked['c']['id']}/status", json={"status": "CONFIRMED"}
    ).is_success

    pages, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        reply = shop.agent.get("/v1/appointments", params=params)
        assert reply.status_code == 200, reply.text
        pages.append(reply.json()["items"])
        cursor = reply.json()["next_cursor"]
        if cursor is None:
            break
    assert [len(p) for p in pages] == [2, 2, 1]
    listed = [a["id"] for page in pages for a in page]
    assert listed == [booked[n]["id"] for n in "abcde"]  # each once, ordered by start
    starts = [instant(a["start"]) for page in pages for a in page]
    assert starts == sorted(starts)

    def names(**filters) -> str:
        ids = [a["id"] for a in all_items(shop.agent, "/v1/appointments", **filters)]
        by_id = {b["id"]: n for n, b in booked.items()}
        return "".join(by_id[i] for i in ids)

    assert names(status="CONFIRMED") == "c"
    assert names(status="PENDING") == "abde"
    assert names(status="CANCELLED") == ""
    assert names(service_id=cut) == "ad"
    assert names(service_id=colour) == "be"
    assert names(calendar_id=alice) == "ace"
    assert names(calendar_id=bob) == "bd"
    assert names(customer_id=regular["id"]) == "ace"
    assert names(customer_id=booked["b"]["customer"]["id"]) == "b"
    assert names(**{"from": str(day1), "to": str(day1)}) == "abc"  # `to` inclusive
    assert names(**{"from": str(day2)}) == "de"
    assert names(to=str(day1)) == "abc"
    assert names(calendar_id=alice, **{"from": str(day2), "to": str(day2)}) == "e"
    assert names(calendar_id=alice, limit=1) == "ace"  # filtering and paging together
    assert names(customer_id=regular["id"], status="PENDING") == "ae"


# ---- reading one ----------------------------------------------------------------------------------


def test_get_by_id_as_agent_and_with_the_manage_token(shop, day):
    cut = shop.services["cut"]["id"]
    mine = created(shop.book(shop.public, service_id=cut, start=at(day, "10:00")))
    other = created(shop.book(shop.public, service_id=cut, start=at(day, "11:00")))
    token = mine.pop("manage_token")

    by_agent = shop.agent.get(f"/v1/appointments/{mine['id']}")
    assert by_agent.status_code == 200, by_agent.text
    assert {k: v for k, v in by_agent.json().items() if k != "manage_token"} == mine
    by_customer = shop.public.get(f"/v1/appointments/{mine['id']}", params={"manage_token": token})
    assert by_customer.status_code == 200, by_customer.text
    assert by_customer.json()["id"] == mine["id"]

    wrong = shop.public.get(f"/v1/appointments/{mine['id']}", params={"manage_token": "mt_" + "x" * 32})
    assert_error(wrong, 404, "appointment-not-found")
    someone_elses = shop.public.get(
        f"/v1/appointments/{mine['id']}", params={"manage_token": other["manage_token"]}
    )
    assert_error(someone_elses, 404, "appointment-not-found")
    assert_error(shop.public.get(f"/v1/appointments/{mine['id']}"), 403, "not-authorized")


# ---- status -------------------------------------------------------------------------------------


def test_status_lifecycle_with_history(shop, day):
    booked = created(shop.book(service_id=shop.services["cut"]["id"], start=at(day, "10:00")))
    assert booked["status"] == "PENDING" and statuses(booked) == ["PENDING"]
    path = f"/v1/appointments/{booked['id']}/status"
    for status in ("CONFIRMED", "IN_PROGRESS", "COMPLETED"):
        reply = shop.agent.post(path, json={"status": status, "reason": f"now {status}"})
        assert reply.status_code == 200, reply.text
        assert reply.json()["status"] == status
    final = shop.agent.get(f"/v1/appointments/{booked['id']}").json()
    assert final["status"] == "COMPLETED"
    assert statuses(final) == ["PENDING", "CONFIRMED", "IN_PROGRESS", "COMPLETED"]
    assert [e["reason"] for e in final["history"][1:]] == [
        "now CONFIRMED",
        "now IN_PROGRESS",
        "now COMPLETED",
    ]
    assert all(e["by"] and e["at"].endswith("Z") for e in final["history"])
    times = [instant(e["at"]) for e in final["history"]]
    assert times == sorted(times)


def test_auto_confirm_starts_confirmed(api, new_tenant, day):
    shop = build_shop(api, new_tenant, settings={"auto_confirm": True})
    booked = created(shop.book(shop.public, service_id=shop.services["cut"]["id"], start=at(day, "10:00")))
    assert booked["status"] == "CONFIRMED"
    assert statuses(booked) == ["CONFIRMED"]


# ---- cancel ---------------------------------------------------------------------------------------


def test_cancel_frees_the_time_at_once(shop, day):
    cut, alice = shop.services["cut"]["id"], shop.calendars["Alice"]["id"]
    booked = created(shop.book(service_id=cut, calendar_id=alice, start=at(day, "10:00")))
    assert local(day, "10:00") not in slots(shop.public, cut, day, alice)
    assert_error(
        shop.book(service_id=cut, calendar_id=alice, start=at(day, "10:00")), 409, "slot-unavailable"
    )

    reply = shop.agent.post(f"/v1/appointments/{booked['id']}/status", json={"status": "CANCELLED"})
    assert reply.status_code == 200, reply.text
    assert reply.json()["status"] == "CANCELLED"
    assert statuses(reply.json()) == ["PENDING", "CANCELLED"]
    assert local(day, "10:00") in slots(shop.public, cut, day, alice)
    again = created(shop.book(service_id=cut, calendar_id=alice, start=at(day, "10:00")))
    assert again["id"] != booked["id"]

    # The customer cancels with the manage token; the time is free again right away.
    own = created(shop.book(shop.public, service_id=cut, calendar_id=alice, start=at(day, "14:00")))
    assert local(day, "14:00") not in slots(shop.public, cut, day, alice)
    reply = shop.public.post(
        f"/v1/appointments/{own['id']}/status",
        params={"manage_token": own["manage_token"]},
        json={"status": "CANCELLED", "reason": "cannot come"},
    )
    assert reply.status_code == 200, reply.text
    assert local(day, "14:00") in slots(shop.public, cut, day, alice)
    created(shop.book(service_id=cut, calendar_id=alice, start=at(day, "14:00")))
    cancelled = [a["id"] for a in all_items(shop.agent, "/v1/appointments", status="CANCELLED")]
    assert sorted(cancelled) == sorted([booked["id"], own["id"]])


# ---- reschedule -----------------------------------------------------------------------------------


def test_reschedule_moves_atomically(shop, day):
    cut, alice = shop.services["cut"]["id"], shop.calendars["Alice"]["id"]
    moving = created(shop.book(shop.public, service_id=cut, calendar_id=alice, start=at(day, "10:00")))
    blocker = created(shop.book(service_id=cut, calendar_id=alice, start=at(day, "14:00")))
    path = f"/v1/appointments/{moving['id']}/reschedule"

    reply = shop.agent.post(path, json={"start": at(day, "11:00")})
    assert reply.status_code == 200, reply.text
    assert instant(reply.json()["start"]) == local(day, "11:00")
    assert instant(reply.json()["end"]) == local(day, "11:30")
    assert reply.json()["id"] == moving["id"] and reply.json()["calendar_id"] == alice
    free = slots(shop.public, cut, day, alice)
    assert local(day, "10:00") in free and local(day, "11:00") not in free
    created(shop.book(service_id=cut, calendar_id=alice, start=at(day, "10:00")))  # the old time is free

    # Onto a taken time: 409, and the appointment keeps its time (and its claims).
    taken = shop.agent.post(path, json={"start": at(day, "14:00")})
    assert_error(taken, 409, "slot-unavailable")
    kept = shop.agent.get(f"/v1/appointments/{moving['id']}").json()
    assert instant(kept["start"]) == local(day, "11:00")
    assert local(day, "11:00") not in slots(shop.public, cut, day, alice)
    assert_error(
        shop.book(service_id=cut, calendar_id=alice, start=at(day, "11:00")), 409, "slot-unavailable"
    )
    blocker_now = shop.agent.get(f"/v1/appointments/{blocker['id']}").json()
    assert instant(blocker_now["start"]) == local(day, "14:00")

    # Onto a time overlapping its own: allowed; the part no longer used is freed.
    reply = shop.public.post(
        path, params={"manage_token": moving["manage_token"]}, json={"start": at(day, "11:15")}
    )
    assert reply.status_code == 200, reply.text
    assert instant(reply.json()["start"]) == local(day, "11:15")
    assert "rescheduled" in reply.json()["history"][-1]["reason"]
    created(shop.book(service_id=cut, calendar_id=alice, start=at(day, "10:45")))  # 10:45-11:15
    assert_error(
        shop.book(service_id=cut, calendar_id=alice, start=at(day, "11:30")), 409, "slot-unavailable"
    )
    open_ones = all_items(shop.agent, "/v1/appointments", calendar_id=alice)
    assert sorted(instant(a["start"]) for a in open_ones) == [
        local(day, h) for h in ("10:00", "10:45", "11:15", "14:00")
    ]


# ---- several services -----------------------------------------------------------------------------


def test_several_services_back_to_back_with_first_before_and_last_after_buffers(api, new_tenant, day):
    shop = build_shop(api, new_tenant, calendars=("Alice",), slot_step_minutes=5)
    cut, colour, quick = (shop.services[n]["id"] for n in ("cut", "colour", "quick"))

    # colour (45, 10 before, 10 after) then quick (20, 5 after): occupied 09:50 .. 11:10.
    both = created(shop.book(service_ids=[colour, quick], start=at(day, "10:00")))
    assert both["service_ids"] == [colour, quick]
    assert instant(both["end"]) == local(day, "11:05")
    assert both["total_price"] == {"amount": 4500 + 2000, "currency": "EUR"}
    assert_error(shop.book(service_id=cut, start=at(day, "11:05")), 409, "slot-unavailable")  # quick's after
    created(shop.book(service_id=cut, start=at(day, "11:10")))  # adjacent: colour's 10 after does not apply
    assert_error(
        shop.book(service_id=cut, start=at(day, "09:25")), 409, "slot-unavailable"
    )  # colour's before
    created(shop.book(service_id=cut, start=at(day, "09:20")))  # ends 09:50, where the buffer starts

    # quick then colour: quick's before (0) and colour's after (10): occupied 14:00 .. 15:15.
    reverse = created(shop.book(service_ids=[quick, colour], start=at(day, "14:00")))
    assert instant(reverse["end"]) == local(day, "15:05")
    created(shop.book(service_id=cut, start=at(day, "13:30")))  # ends 14:00: colour's before does not apply
    assert_error(shop.book(service_id=cut, start=at(day, "15:10")), 409, "slot-unavailable")
    created(shop.book(service_id=cut, start=at(day, "15:15")))
    free = slots(shop.public, cut, day)
    assert local(day, "15:10") not in free and local(day, "15:45") in free


# ---- custom fields --------------------------------------------------------------------------------


def test_custom_fields_are_checked_against_the_service(shop, day):
    fields = [
        {"key": "plate", "label": "Plate", "type": "text", "required": True},
        {"key": "doors", "label": "Doors", "type": "number"},
        {"key": "fuel", "label": "Fuel", "type": "choice", "options": ["petrol", "diesel", "electric"]},
        {"key": "loan_car", "label": "Loan car", "type": "boolean"},
    ]
    repair = created(
        shop.admin.post("/v1/services", json={"name": "Repair", "duration_minutes": 60, "fields": fields})
    )
    reply = shop.admin.patch(
        f"/v1/calendars/{shop.calendars['Alice']['id']}",
        json={"service_ids": [*shop.calendars["Alice"]["service_ids"], repair["id"]]},
    )
    assert reply.status_code == 200, reply.text

    def book(values: dict):
        return shop.book(service_id=repair["id"], start=at(day, "10:00"), fields=values)

    def fields_named(reply) -> set[str]:
        error = assert_error(reply, 422, "validation-error")
        return {d["field"] for d in error["details"]}

    assert fields_named(book({"doors": 4})) == {"fields.plate"}
    assert fields_named(book({"plate": "AB-123-CD", "doors": "four"})) == {"fields.doors"}
    assert fields_named(book({"plate": "AB-123-CD", "fuel": "coal"})) == {"fields.fuel"}
    assert fields_named(book({"plate": "AB-123-CD", "loan_car": "yes"})) == {"fields.loan_car"}
    assert fields_named(book({"plate": 42})) == {"fields.plate"}
    assert fields_named(book({"plate": "AB-123-CD", "colour": "red"})) == {"fields.colour"}
    assert fields_named(book({"doors": "four", "colour": "red"})) == {
        "fields.plate",
        "fields.doors",
        "fields.colour",
    }
    # Fields of a service without definitions are unknown too.
    unknown = shop.book(service_id=shop.services["cut"]["id"], start=at(day, "10:00"), fields={"plate": "x"})
    assert fields_named(unknown) == {"fields.plate"}
    assert all_items(shop.agent, "/v1/appointments") == []  # nothing was booked by the refusals

    values = {"plate": "AB-123-CD", "doors": 5, "fuel": "electric", "loan_car": True}
    booked = created(book(values))
    assert booked["fields"] == values
    assert shop.agent.get(f"/v1/appointments/{booked['id']}").json()["fields"] == values


# ---- customers ------------------------------------------------------------------------------------


def test_existing_customer_by_id(shop, day):
    cut = shop.services["cut"]["id"]
    fiche = {"first_name": "Jean", "last_name": "Dupont", "email": "jean@example.com", "phone": "0102030405"}
    customer = created(shop.agent.post("/v1/customers", json=fiche))
    booked = created(shop.book(service_id=cut, start=at(day, "10:00"), customer_id=customer["id"]))
    assert booked["customer"] == {"id": customer["id"], **fiche}
    listed = all_items(shop.agent, "/v1/appointments", customer_id=customer["id"])
    assert [a["id"] for a in listed] == [booked["id"]]

    missing = shop.book(service_id=cut, start=at(day, "11:00"), customer_id="no-such-customer")
    assert_error(missing, 404, "customer-not-found")
    both = shop.book(service_id=cut, start=at(day, "11:00"), customer_id=customer["id"], customer=fiche)
    assert_error(both, 422, "validation-error")
    assert len(all_items(shop.agent, "/v1/appointments")) == 1


def test_max_open_appointments_per_customer(api, new_tenant, day):
    shop = build_shop(api, new_tenant, settings={"max_open_appointments_per_customer": 2})
    cut = shop.services["cut"]["id"]
    first = created(shop.book(service_id=cut, start=at(day, "09:00"), customer={"first_name": "Max"}))
    customer_id = first["customer"]["id"]  # the customer made by the first booking counts it

    def book(hhmm: str):
        return shop.book(service_id=cut, start=at(day, hhmm), customer_id=customer_id)

    second = created(book("10:00"))
    assert_error(book("11:00"), 409, "too-many-appointments")
    assert local(day, "11:00") in slots(shop.public, cut, day, shop.calendars["Alice"]["id"])  # nothing held
    # Another customer is not limited by Max's appointments.
    created(shop.book(service_id=cut, start=at(day, "11:00"), customer={"first_name": "Other"}))

    reply = shop.agent.post(f"/v1/appointments/{second['id']}/status", json={"status": "CANCELLED"})
    assert reply.status_code == 200, reply.text
    third = created(book("12:00"))
    assert third["customer"]["id"] == customer_id
    assert_error(book("13:00"), 409, "too-many-appointments")
    assert len(all_items(shop.agent, "/v1/appointments", customer_id=customer_id, status="PENDING")) == 2


# ---- idempotency ----------------------------------------------------------------------------------


def test_idempotency_key_replays_the_first_answer(shop, day):
    cut = shop.services["cut"]["id"]
    key = {"Idempotency-Key": uuid.uuid4().hex}
    body = {"service_id": cut, "start": at(day, "10:00"), "customer": {"first_name": "Ida"}}
    first = shop.public.post("/v1/appointments", json=body, headers=key)
    assert first.status_code == 201, first.text
    again = shop.public.post("/v1/appointments", json=body, headers=key)
    assert again.status_code in (200, 201), again.text
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["manage_token"] == first.json()["manage_token"]
    assert [a["id"] for a in all_items(shop.agent, "/v1/appointments")] == [first.json()["id"]]

    other_body = {**body, "start": at(day, "11:00")}
    conflict = shop.public.post("/v1/appointments", json=other_body, headers=key)
    assert_error(conflict, 409, "idempotency-conflict")
    assert [a["id"] for a in all_items(shop.agent, "/v1/appointments")] == [first.json()["id"]]

    # Without the key (or with another one) the same body is a new booking: the replay did not book.
    other_key = {"Idempotency-Key": uuid.uuid4().hex}
    second = created(shop.public.post("/v1/appointments", json=body, headers=other_key))
    assert second["id"] != first.json()["id"]
    assert len(all_items(shop.agent, "/v1/appointments")) == 2
