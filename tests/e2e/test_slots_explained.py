"""Issue 9, items 3, 5 and 7 over HTTP: several services back to back, any_calendar on every write, refusals
that say why (and when is free), /v1/slots/explain, bypass_notice for the back office, one-off openings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from helpers import (
    HOURS,
    WEEKDAYS,
    ZONE,
    ZONE_NAME,
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


def _calendar(shop, name: str, **options) -> dict:
    body = {
        "name": name,
        "timezone": ZONE_NAME,
        "service_ids": [s["id"] for s in shop.services.values()],
        "weekly_hours": {day: [HOURS] for day in WEEKDAYS},
        **options,
    }
    shop.calendars[name] = created(shop.admin.post("/v1/calendars", json=body))
    return shop.calendars[name]


def _ids(shop, *names: str) -> str:
    return ",".join(shop.services[name]["id"] for name in names)


def test_two_services_listed_booked_and_locked(api, new_tenant):
    shop = build_shop(api, new_tenant, calendars=("Alice",))
    only_cut = created(
        shop.admin.post(
            "/v1/calendars",
            json={"name": "Cuts only", "timezone": ZONE_NAME, "service_ids": [shop.services["cut"]["id"]]},
        )
    )
    day = future_weekday(3)
    both = _ids(shop, "cut", "colour")
    reply = shop.public.get("/v1/slots", params={"service_ids": both, "from": str(day), "to": str(day)})
    assert reply.status_code == 200, reply.text
    listed = reply.json()["slots"]
    # 30 + 45 minutes back to back (buffers may lie outside the hours): the last start is 16:45.
    assert instant(listed[0]["start"]) == local(day, "09:00")
    assert instant(listed[-1]["start"]) == local(day, "16:45")
    assert all(instant(s["end"]) - instant(s["start"]) == timedelta(minutes=75) for s in listed)
    first = shop.public.get("/v1/slots/first", params={"service_ids": both})
    assert first.status_code == 200 and first.json()["slot"] is not None, first.text

    booked = created(shop.book(shop.public, service_ids=both.split(","), start=listed[0]["start"]))
    assert booked["service_ids"] == both.split(",")
    assert instant(booked["end"]) == local(day, "10:15")
    # Colour's 10-minute buffer after keeps 10:15 out; 10:30 is the next start on the grid.
    after = slots(shop.public, shop.services["cut"]["id"], day)
    assert local(day, "10:15") not in after and local(day, "10:30") in after

    lock = created(
        shop.public.post("/v1/locks", json={"service_ids": both.split(","), "start": at(day, "13:00")})
    )
    assert lock["service_ids"] == both.split(",") and instant(lock["end"]) == local(day, "14:15")
    converted = created(
        shop.book(
            shop.public, service_ids=both.split(","), start=at(day, "13:00"), lock_code=lock["lock_code"]
        )
    )
    assert instant(converted["end"]) == local(day, "14:15")
    assert_error(shop.public.get(f"/v1/locks/{lock['lock_code']}"), 404, "lock-not-found")

    offering = shop.public.get("/v1/calendars", params={"service_ids": both}).json()["items"]
    assert [c["id"] for c in offering] == [shop.calendars["Alice"]["id"]]
    cut_only = shop.public.get("/v1/calendars", params={"service_ids": _ids(shop, "cut")}).json()["items"]
    assert {c["id"] for c in cut_only} == {shop.calendars["Alice"]["id"], only_cut["id"]}
    twice = _ids(shop, "cut", "cut")
    for path in ("/v1/slots", "/v1/slots/first", "/v1/calendars"):
        params = {"service_ids": twice, "from": str(day), "to": str(day)}
        error = assert_error(shop.public.get(path, params=params), 422, "validation-error")
        assert error["details"][0]["field"] == "service_ids", error
    # The calendar that lacks colour is named, and so is colour (no reprs).
    error = assert_error(
        shop.book(
            shop.public, service_ids=both.split(","), start=at(day, "15:00"), calendar_id=only_cut["id"]
        ),
        422,
        "validation-error",
    )
    assert error["message"] == "the calendar Cuts only does not offer colour", error


def test_any_calendar_false_needs_a_calendar_on_locks_and_bookings(api, new_tenant):
    shop = build_shop(api, new_tenant, settings={"any_calendar": False})
    day, cut = future_weekday(3), shop.services["cut"]["id"]
    for reply in (
        shop.public.post("/v1/locks", json={"service_id": cut, "start": at(day, "10:00")}),
        shop.book(shop.public, service_id=cut, start=at(day, "10:00")),
    ):
        error = assert_error(reply, 422, "validation-error")
        assert error["details"][0]["field"] == "calendar_id", error
    alice = shop.calendars["Alice"]["id"]
    lock = created(
        shop.public.post(
            "/v1/locks", json={"service_id": cut, "start": at(day, "10:00"), "calendar_id": alice}
        )
    )
    created(shop.book(shop.public, service_id=cut, start=at(day, "10:00"), lock_code=lock["lock_code"]))
    created(shop.book(shop.public, service_id=cut, start=at(day, "11:00"), calendar_id=alice))


def _refused(reply, calendar_id: str) -> dict:
    error = assert_error(reply, 409, "slot-unavailable")
    assert [d["calendar_id"] for d in error["details"]] == [calendar_id], error
    assert "UTC" not in error["message"] and "'" not in error["message"], error
    return error["details"][0] | {"message": error["message"]}


def test_refusals_say_why_and_when_is_free_and_explain_names_the_holder(api, new_tenant):
    shop = build_shop(api, new_tenant, calendars=("Alice", "Bob"))
    alice, bob = shop.calendars["Alice"]["id"], shop.calendars["Bob"]["id"]
    slow = _calendar(shop, "Slow", min_notice_minutes=10 * 24 * 60)["id"]
    near = _calendar(shop, "Near", horizon_days=1, min_notice_minutes=24 * 60)["id"]
    day, cut = future_weekday(3), shop.services["cut"]["id"]
    booked = created(shop.book(service_id=cut, start=at(day, "10:00"), calendar_id=alice))
    lock = created(
        shop.public.post("/v1/locks", json={"service_id": cut, "start": at(day, "11:00"), "calendar_id": bob})
    )

    taken = _refused(shop.book(service_id=cut, start=at(day, "10:00"), calendar_id=alice), alice)
    assert taken["reason"] == "taken" and instant(taken["next_free"]["start"]) == local(day, "10:30"), taken
    assert taken["next_free"]["calendar_ids"] == [alice]
    weekday = local(day, "10:00").astimezone(ZONE).strftime("%A")
    assert (
        taken["message"].startswith(f"{weekday} {day.day} ") and "at 10:00 (Europe/Paris)" in taken["message"]
    )
    locked = _refused(shop.book(service_id=cut, start=at(day, "11:00"), calendar_id=bob), bob)
    assert locked["reason"] == "locked" and instant(locked["next_free"]["start"]) == local(day, "11:30")
    closed = _refused(shop.book(service_id=cut, start=at(day, "19:00"), calendar_id=alice), alice)
    assert closed["reason"] == "closed" and instant(closed["next_free"]["start"]) > local(day, "19:00")
    assert instant(closed["next_free"]["start"]).astimezone(ZONE).strftime("%H:%M") == "09:00", closed
    off_grid = _refused(shop.book(service_id=cut, start=at(day, "14:07"), calendar_id=alice), alice)
    assert off_grid["reason"] == "off_grid" and instant(off_grid["next_free"]["start"]) == local(day, "14:15")
    notice = _refused(shop.book(service_id=cut, start=at(day, "10:00"), calendar_id=slow), slow)
    assert notice["reason"] == "notice"
    assert instant(notice["next_free"]["start"]) >= datetime.now(UTC) + timedelta(days=10), notice
    horizon = _refused(
        shop.public.post(
            "/v1/locks", json={"service_id": cut, "start": at(day, "10:00"), "calendar_id": near}
        ),
        near,
    )
    assert horizon["reason"] == "horizon" and horizon["next_free"] is None, horizon
    # Without calendar_id: one entry per calendar tried.
    both = assert_error(shop.book(service_id=cut, start=at(day, "19:00")), 409, "slot-unavailable")
    assert {d["calendar_id"] for d in both["details"]} == {alice, bob, slow, near}

    params = {"service_id": cut, "start": at(day, "10:00")}
    assert_error(shop.public.get("/v1/slots/explain", params=params), 403, "not-authorized")
    explained = shop.agent.get("/v1/slots/explain", params=params)
    assert explained.status_code == 200, explained.text
    verdicts = {v["calendar_id"]: v for v in explained.json()["calendars"]}
    assert instant(explained.json()["start"]) == local(day, "10:00")
    assert verdicts[alice] == {
        "calendar_id": alice,
        "bookable": False,
        "reasons": [{"reason": "taken", "appointment_id": booked["id"], "until": None}],
    }
    assert verdicts[bob] == {"calendar_id": bob, "bookable": True, "reasons": []}
    assert [r["reason"] for r in verdicts[slow]["reasons"]] == ["notice"]
    on_bob = shop.agent.get(
        "/v1/slots/explain", params={**params, "start": at(day, "11:15"), "calendar_id": bob}
    )
    (verdict,) = on_bob.json()["calendars"]
    assert verdict["reasons"] == [{"reason": "locked", "appointment_id": None, "until": lock["expires_at"]}]


def test_back_office_bypasses_notice_but_not_hours_and_a_saturday_opening(api, new_tenant):
    shop = build_shop(api, new_tenant, calendars=("Alice",), min_notice_minutes=10 * 24 * 60)
    alice, cut = shop.calendars["Alice"]["id"], shop.services["cut"]["id"]
    day = future_weekday(3)
    assert slots(shop.agent, cut, day) == {}
    query = {"service_id": cut, "from": str(day), "to": str(day), "bypass_notice": "true"}
    assert_error(shop.public.get("/v1/slots", params=query), 403, "not-authorized")
    assert_error(shop.public.get("/v1/slots/first", params=query), 403, "not-authorized")
    listed = shop.agent.get("/v1/slots", params=query)
    assert local(day, "09:00") in {instant(s["start"]) for s in listed.json()["slots"]}, listed.text
    first = shop.agent.get("/v1/slots/first", params=query).json()["slot"]
    assert first is not None and instant(first["start"]) < datetime.now(UTC) + timedelta(days=10)
    lock_body = {"service_id": cut, "start": at(day, "09:00"), "bypass_notice": True}
    assert_error(shop.public.post("/v1/locks", json=lock_body), 403, "not-authorized")
    assert_error(
        shop.book(shop.public, service_id=cut, start=at(day, "09:00"), bypass_notice=True),
        403,
        "not-authorized",
    )
    created(shop.agent.post("/v1/locks", json=lock_body))
    created(shop.book(service_id=cut, start=at(day, "10:00"), bypass_notice=True))
    closed = assert_error(
        shop.book(service_id=cut, start=at(day, "19:00"), bypass_notice=True), 409, "slot-unavailable"
    )
    assert closed["details"][0]["reason"] == "closed"

    saturday = day + timedelta(days=(5 - day.weekday()) % 7)
    morning = {"start": at(saturday, "09:00"), "end": at(saturday, "12:00")}
    patched = shop.admin.patch(
        f"/v1/calendars/{alice}", json={"openings": [morning], "min_notice_minutes": 0}
    )
    assert patched.status_code == 200 and patched.json()["openings"] is not None, patched.text
    starts = sorted(slots(shop.public, cut, saturday))
    assert starts == [local(saturday, "09:00") + timedelta(minutes=15 * k) for k in range(11)]
    created(shop.book(shop.public, service_id=cut, start=at(saturday, "09:30")))
    exception = {"start": at(saturday, "10:00"), "end": at(saturday, "12:00"), "reason": "training"}
    assert shop.admin.patch(f"/v1/calendars/{alice}", json={"exceptions": [exception]}).status_code == 200
    assert max(slots(shop.public, cut, saturday)) == local(saturday, "09:00")
    refused = assert_error(
        shop.book(shop.public, service_id=cut, start=at(saturday, "10:30")), 409, "slot-unavailable"
    )
    assert refused["details"][0]["reason"] == "closed", refused
