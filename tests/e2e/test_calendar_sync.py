"""Calendar sync end to end: the local stack pointed at HTTPS fakes of Google and Microsoft.

Runs are driven through POST /v1/calendars/{id}/sync (no waiting for timers).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from helpers import at, build_shop, created, future_weekday, instant, local, slots
from sync_fixtures import (
    state_of,
    sync_stack_fixture,  # noqa: F401  (the `sync_stack` fixture)
)

from tests.fakes.server import Fault

pytestmark = pytest.mark.xdist_group("calendar-sync")

OPTIONS = {
    "title_template": "%service_name% with %customer_full_name%",
    "description_template": "Phone %customer_phone%, %price%, at %appointment_start% (%calendar_name%) "
    "%field:unknown% %nope%",
    "add_attendees": True,
    "send_invitations": True,
    "online_meeting": True,
    "include_pending": True,
    "block_busy_times": True,
}


def shop_for(sync_stack, settings=None):
    return build_shop(
        lambda key=None, **_: sync_stack.client(key),
        lambda name=None: sync_stack.new_tenant(name),
        calendars=("Alice",),
        settings=settings,
    )


def ok(reply) -> dict:
    assert reply.status_code == 200, (reply.status_code, reply.text)
    return reply.json()


def connect(sync_stack, shop, provider: str, options: dict | None = None) -> dict:
    calendar = shop.calendars["Alice"]["id"]
    body = {"provider": provider, "options": options or OPTIONS}
    new = created(shop.admin.post(f"/v1/calendars/{calendar}/connections", json=body))
    assert new["status"] == "pending" and new["authorization_url"]
    page = sync_stack.consent(new["authorization_url"])
    assert page.status_code == 200, page.text
    assert "connected" in page.text.lower()
    listed = shop.admin.get(f"/v1/calendars/{calendar}/connections").json()["items"]
    assert [c["status"] for c in listed] == ["connected"], listed
    return listed[0]


def sync(shop, calendar: str | None = None) -> dict:
    calendar = calendar or shop.calendars["Alice"]["id"]
    reply = shop.admin.post(f"/v1/calendars/{calendar}/sync")
    assert reply.status_code == 200, reply.text
    return reply.json()


def book(shop, day, hhmm="10:00", service="cut", **extra):
    body = {
        "service_id": shop.services[service]["id"],
        "calendar_id": shop.calendars["Alice"]["id"],
        "start": at(day, hhmm),
        "customer": {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada@example.com",
            "phone": "+331",
        },
        **extra,
    }
    return created(shop.agent.post("/v1/appointments", json=body))


def test_google_push_create_reschedule_cancel(sync_stack):
    google = sync_stack.google
    shop = shop_for(sync_stack)
    connection = connect(sync_stack, shop, "google")
    assert connection["account"] == google.account
    day = future_weekday(3)
    appointment = book(shop, day)
    report = sync(shop)
    assert report["pushed"] == 1 and report["pending"] == 0, str(report)
    (event,) = [
        e
        for e in google.ours()
        if e["extendedProperties"]["private"]["creneau_appointment_id"] == appointment["id"]
    ]
    assert event["summary"] == "cut with Ada Lovelace"
    assert event["description"].startswith(f"Phone +331, 30,00 €, at {day.isoformat()} 10:00 (Alice)")
    assert "%field:unknown% %nope%" in event["description"]  # unknown placeholders left as written
    assert event["attendees"] == [{"email": "ada@example.com", "displayName": "Ada Lovelace"}]
    assert event["status"] == "tentative"  # PENDING with include_pending
    assert event["hangoutLink"].startswith("https://meet.google.com/")
    assert event["_send_updates"] == "all"  # send_invitations
    assert event["guestsCanSeeOtherGuests"] is False
    assert instant(event["start"]["dateTime"]) == local(day, "10:00")
    assert google.invalid_bodies == []

    moved = shop.agent.post(
        f"/v1/appointments/{appointment['id']}/reschedule", json={"start": at(day, "14:00")}
    )
    assert moved.status_code == 200, moved.text
    report = sync(shop)
    assert report["updated"] == 1 and report["pushed"] == 0, report
    (event,) = [e for e in google.ours() if e["id"] == event["id"]]
    assert instant(event["start"]["dateTime"]) == local(day, "14:00")

    cancelled = shop.agent.post(f"/v1/appointments/{appointment['id']}/status", json={"status": "CANCELLED"})
    assert cancelled.status_code == 200, cancelled.text
    report = sync(shop)
    assert report["deleted"] == 1, report
    assert [e for e in google.ours() if e["id"] == event["id"]] == []
    assert sync(shop)["deleted"] == 0  # nothing twice


def test_outlook_push_with_teams_attendees_and_cancel_notice(sync_stack):
    microsoft = sync_stack.microsoft
    shop = shop_for(sync_stack)
    connection = connect(sync_stack, shop, "outlook", {**OPTIONS, "guests_can_see_other_guests": False})
    assert connection["account"] == microsoft.account
    day = future_weekday(4)
    appointment = book(shop, day, "11:00", service="colour")
    assert sync(shop)["pushed"] == 1
    (event,) = microsoft.ours()
    assert event["subject"] == "colour with Ada Lovelace"
    assert event["attendees"] == [
        {"emailAddress": {"address": "ada@example.com", "name": "Ada Lovelace"}, "type": "required"}
    ]
    assert event["hideAttendees"] is True
    assert event["isOnlineMeeting"] is True and event["onlineMeetingProvider"] == "teamsForBusiness"
    assert event["onlineMeeting"]["joinUrl"].startswith("https://teams.microsoft.com/")
    assert event["showAs"] == "tentative"
    assert event["start"]["dateTime"].startswith(local(day, "11:00").astimezone().strftime("%Y-%m-%d"))

    reply = shop.agent.post(f"/v1/appointments/{appointment['id']}/status", json={"status": "CONFIRMED"})
    assert reply.status_code == 200
    moved = shop.agent.post(
        f"/v1/appointments/{appointment['id']}/reschedule", json={"start": at(day, "15:00")}
    )
    assert moved.status_code == 200, moved.text
    assert sync(shop)["updated"] == 1
    (again,) = microsoft.ours()
    assert again["id"] == event["id"] and again["showAs"] == "busy"
    assert instant(again["start"]["dateTime"].split(".")[0] + "Z") == local(day, "15:00")

    shop.agent.post(f"/v1/appointments/{appointment['id']}/status", json={"status": "CANCELLED"})
    assert sync(shop)["deleted"] == 1
    assert microsoft.ours() == [] and microsoft.cancelled == [event["id"]]  # cancelled: attendees told


def test_options_pending_hidden_buffers_and_no_invitations(sync_stack):
    microsoft = sync_stack.microsoft
    shop = shop_for(sync_stack)
    options = {
        "include_pending": False,
        "include_buffers": True,
        "add_attendees": True,
        "send_invitations": False,
        "title_template": "%service_name%",
    }
    connect(sync_stack, shop, "outlook", options)
    day = future_weekday(5)
    appointment = book(shop, day, "10:00", service="colour")  # 45 min, 10 before and after
    assert sync(shop)["pushed"] == 0  # PENDING, not included
    assert microsoft.ours() == []
    shop.agent.post(f"/v1/appointments/{appointment['id']}/status", json={"status": "CONFIRMED"})
    assert sync(shop)["pushed"] == 1
    (event,) = microsoft.ours()
    assert event["attendees"] == []  # Graph would mail them: named in the description instead
    assert "Ada Lovelace <ada@example.com>" in event["body"]["content"]
    start = instant(event["start"]["dateTime"].split(".")[0] + "Z")
    end = instant(event["end"]["dateTime"].split(".")[0] + "Z")
    assert (start, end) == (local(day, "09:50"), local(day, "10:55"))  # the buffers included
    patched = shop.admin.patch(
        f"/v1/calendars/{shop.calendars['Alice']['id']}/connections/{microsoft_connection(shop)['id']}",
        json={"options": {"include_buffers": False}},
    )
    assert patched.status_code == 200 and patched.json()["options"]["include_buffers"] is False
    assert patched.json()["options"]["title_template"] == "%service_name%"  # merged, not replaced
    assert sync(shop)["updated"] == 1
    (event,) = microsoft.ours()
    assert instant(event["start"]["dateTime"].split(".")[0] + "Z") == local(day, "10:00")


def microsoft_connection(shop) -> dict:
    return shop.admin.get(f"/v1/calendars/{shop.calendars['Alice']['id']}/connections").json()["items"][0]


def free_starts(shop, day) -> set[datetime]:
    return set(slots(shop.public, shop.services["cut"]["id"], day, shop.calendars["Alice"]["id"]))


def test_google_busy_times_block_move_free_and_resync(sync_stack):
    google = sync_stack.google
    shop = shop_for(sync_stack)
    connect(sync_stack, shop, "google")
    day, other, third = future_weekday(6), future_weekday(6, skip=1), future_weekday(6, skip=2)
    assert local(day, "10:00") in free_starts(shop, day)
    busy = google.add_event(local(day, "10:00"), local(day, "11:00"))
    google.add_event(local(day, "12:00"), local(day, "13:00"), transparency="transparent")
    google.add_event(
        local(day, "16:00"),
        local(day, "17:00"),
        attendees=[{"email": google.account, "self": True, "responseStatus": "declined"}],
    )
    google.add_event(local(day, "14:00"), local(day, "14:30"), eventType="workingLocation")
    google.add_event(local(other, "00:00"), local(other + timedelta(days=1), "00:00"), all_day=True)
    google.add_event(local(day, "08:00"), local(day, "08:30"), recurrence=["RRULE:FREQ=DAILY;COUNT=3"])
    report = sync(shop)
    assert report["busy_blocks"] >= 3, report
    free = free_starts(shop, day)
    assert not {local(day, "10:00"), local(day, "10:30"), local(day, "09:45")} & free  # busy, buffer-free cut
    assert {local(day, "12:00"), local(day, "16:00"), local(day, "14:00")} <= free  # free, declined, location
    assert free_starts(shop, other) == set()  # all day
    assert local(day, "09:00") in free

    google.move_event(busy, local(day, "15:00"), local(day, "16:00"))
    sync(shop)
    free = free_starts(shop, day)
    assert local(day, "10:00") in free and local(day, "15:00") not in free

    google.invalidate_sync_tokens()  # 410 at the next incremental pull: a full one instead
    google.delete_event(busy)
    sync(shop)
    assert local(day, "15:00") in free_starts(shop, day)
    assert free_starts(shop, third) != set()

    # Our own events never block: a booking pushed then cancelled frees its time at once.
    appointment = book(shop, day, "11:00")
    sync(shop)
    shop.agent.post(f"/v1/appointments/{appointment['id']}/status", json={"status": "CANCELLED"})
    sync(shop)
    assert local(day, "11:00") in free_starts(shop, day)


def test_outlook_busy_times_paging_and_show_as(sync_stack):
    microsoft = sync_stack.microsoft
    shop = shop_for(sync_stack)
    connect(sync_stack, shop, "outlook", {"block_busy_times": True})
    day = future_weekday(8)
    moved = microsoft.add_event(local(day, "10:00"), local(day, "11:00"), "busy")
    microsoft.add_event(local(day, "12:00"), local(day, "13:00"), "free")
    microsoft.add_event(local(day, "13:00"), local(day, "14:00"), "workingElsewhere")
    microsoft.add_event(local(day, "15:00"), local(day, "16:00"), "oof")
    microsoft.add_event(
        local(day, "16:00"), local(day, "17:00"), "busy", responseStatus={"response": "declined"}
    )
    off = future_weekday(8, skip=1)
    microsoft.add_event(local(off, "00:00"), local(off + timedelta(days=1), "00:00"), all_day=True)
    later = future_weekday(15)
    for n in range(130):  # past one page of calendarView
        microsoft.add_event(
            local(later, "09:00") + timedelta(minutes=n), local(later, "09:01") + timedelta(minutes=n)
        )
    sync(shop)
    free = free_starts(shop, day)
    assert local(day, "10:00") not in free and local(day, "15:00") not in free
    assert {local(day, "12:00"), local(day, "13:00"), local(day, "16:00")} <= free
    assert free_starts(shop, off) == set()  # all day in the shop's zone, though Graph labels it UTC
    assert not {s for s in free_starts(shop, later) if s < local(later, "11:10")}  # every page was read
    microsoft.move_event(moved, local(day, "11:00"), local(day, "12:00"))
    sync(shop)
    free = free_starts(shop, day)
    assert local(day, "10:00") in free and local(day, "11:00") not in free


def test_oauth_state_reused_forged_or_refused(sync_stack):
    google = sync_stack.google
    shop = shop_for(sync_stack)
    calendar = shop.calendars["Alice"]["id"]
    new = created(shop.admin.post(f"/v1/calendars/{calendar}/connections", json={"provider": "google"}))
    callback = sync_stack.callback_of(new["authorization_url"])
    state = state_of(callback)
    forged = callback.replace(state, state[:-4] + ("AAAA" if not state.endswith("AAAA") else "BBBB"))
    before = google.token_requests
    reply = httpx_get(forged)
    assert reply.status_code == 400 and "text/html" in reply.headers["content-type"]
    wrong_provider = callback.replace("/v1/oauth/google/", "/v1/oauth/outlook/")
    assert httpx_get(wrong_provider).status_code == 400
    assert google.token_requests == before  # the code was never exchanged
    # The state was consumed by the wrong-provider attempt: the real callback is refused too.
    assert httpx_get(callback).status_code == 400
    status = shop.admin.get(f"/v1/calendars/{calendar}/connections").json()["items"][0]["status"]
    assert status == "pending"

    again = ok(shop.admin.post(f"/v1/calendars/{calendar}/connections/{new['id']}/reconnect"))
    callback = sync_stack.callback_of(again["authorization_url"])
    assert httpx_get(callback).status_code == 200
    reused = httpx_get(callback)
    assert reused.status_code == 400 and "already used" in reused.text

    google.deny_consent = True
    try:
        third = shop.admin.post(f"/v1/calendars/{calendar}/connections/{new['id']}/reconnect").json()
        refused = httpx_get(sync_stack.callback_of(third["authorization_url"]))
        assert refused.status_code == 400 and "refused" in refused.text
    finally:
        google.deny_consent = False
    assert shop.admin.get(f"/v1/calendars/{calendar}/connections").json()["items"][0]["status"] == "connected"


def httpx_get(url: str):
    import httpx

    return httpx.get(url, timeout=60)


def test_connection_rules(sync_stack):
    google = sync_stack.google
    shop = shop_for(sync_stack)
    calendar = shop.calendars["Alice"]["id"]
    reply = shop.admin.post(f"/v1/calendars/{calendar}/sync")
    assert reply.status_code == 409 and reply.json()["error"]["code"] == "connection-not-ready"
    connection = connect(sync_stack, shop, "google")
    second = shop.admin.post(f"/v1/calendars/{calendar}/connections", json={"provider": "outlook"})
    assert second.status_code == 409 and second.json()["error"]["code"] == "connection-exists"
    assert shop.agent.get(f"/v1/calendars/{calendar}/connections").status_code == 403
    missing = shop.admin.get(f"/v1/calendars/{calendar}/connections/nope")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "connection-not-found"
    assert "tokens" not in str(shop.admin.get(f"/v1/calendars/{calendar}/connections").json())

    day = future_weekday(9)
    google.add_event(local(day, "10:00"), local(day, "11:00"))
    appointment = book(shop, day, "14:00")
    sync(shop)
    assert local(day, "10:00") not in free_starts(shop, day)
    deleted = shop.admin.delete(f"/v1/calendars/{calendar}/connections/{connection['id']}")
    assert deleted.status_code == 204
    assert local(day, "10:00") in free_starts(shop, day)  # its busy blocks are gone
    assert [
        e
        for e in google.ours()
        if e["extendedProperties"]["private"]["creneau_appointment_id"] == appointment["id"]
    ]
    assert shop.admin.get(f"/v1/calendars/{calendar}/connections").json()["items"] == []
    assert shop.agent.get(f"/v1/appointments/{appointment['id']}").json()["status"] == "PENDING"


@pytest.mark.parametrize("provider", ["google", "outlook"])
def test_revoked_grant_needs_reconnect_without_retry_storm(sync_stack, provider):
    fake = sync_stack.google if provider == "google" else sync_stack.microsoft
    shop = shop_for(sync_stack)
    calendar = shop.calendars["Alice"]["id"]
    connection = connect(sync_stack, shop, provider)
    fake.revoke_all()
    day = future_weekday(10)
    appointment = book(shop, day, "09:30")
    before = fake.token_requests
    report = sync(shop)
    assert [e["code"] for e in report["errors"]] == ["invalid_grant"], report
    assert fake.token_requests - before <= 2  # one refresh (msal may try its cached grant once more)
    listed = shop.admin.get(f"/v1/calendars/{calendar}/connections").json()["items"][0]
    assert listed["status"] == "needs_reconnect" and listed["last_error"]["code"] == "invalid_grant"
    after_first = fake.token_requests
    again = shop.admin.post(f"/v1/calendars/{calendar}/sync")
    assert again.status_code == 409 and again.json()["error"]["code"] == "connection-not-ready"
    assert fake.token_requests == after_first  # no more tries for a revoked grant
    # The appointment is untouched; a reconnect pushes it, once.
    assert shop.agent.get(f"/v1/appointments/{appointment['id']}").json()["status"] == "PENDING"
    new = ok(shop.admin.post(f"/v1/calendars/{calendar}/connections/{connection['id']}/reconnect"))
    assert sync_stack.consent(new["authorization_url"]).status_code == 200
    assert sync(shop)["pushed"] == 1
    assert sync(shop)["pushed"] == 0


def chaos(every: int = 25):
    """429 bursts (Retry-After 1) and 5xx, some after the write went through (the answer is lost)."""
    count = {"n": 0}

    def plan(request):
        if request.path.endswith("/token") or "oauth2" in request.path or "well-known" in request.path:
            return None
        count["n"] += 1
        n = count["n"]
        if n % 13 == 0:
            return Fault(503, {"error": {"code": 503, "message": "Backend Error"}}, after_commit=True)
        if n % every == 0:
            return Fault(429, {"error": {"code": 429, "message": "Rate Limit Exceeded"}}, retry_after=1)
        if n % every == 1 and n > every:  # a burst: the next request is throttled too
            return Fault(429, {"error": {"code": 429, "message": "Rate Limit Exceeded"}}, retry_after=1)
        if n % 17 == 0:
            return Fault(500, {"error": {"code": 500, "message": "Internal error"}})
        return None

    return plan


@pytest.mark.parametrize("provider", ["google", "outlook"])
def test_fifty_bookings_through_throttling_and_errors_make_fifty_events(sync_stack, provider):
    fake = sync_stack.google if provider == "google" else sync_stack.microsoft
    shop = shop_for(sync_stack)
    connect(sync_stack, shop, provider, {**OPTIONS, "online_meeting": False})
    started = time.monotonic()

    def one(n: int) -> str:
        day = future_weekday(12, skip=n // 16)
        return book(shop, day, f"{9 + (n % 16) // 2:02d}:{30 * (n % 2):02d}")["id"]

    with ThreadPoolExecutor(4) as pool:
        booked = list(pool.map(one, range(50)))
    print(f"booked in {time.monotonic() - started:.1f}s")
    fake.fault_plan = chaos()
    try:
        deadline, runs = time.monotonic() + 240, 0
        while True:
            started = time.monotonic()
            report, runs = sync(shop), runs + 1
            print(f"run {runs}: {time.monotonic() - started:.1f}s {report}")
            mine = [e for e in fake.ours() if appointment_of(e, provider) in booked]
            if len(mine) >= 50 and report["pending"] == 0 and not report["errors"]:
                break
            assert time.monotonic() < deadline, report
    finally:
        fake.fault_plan = None
    ids = [appointment_of(e, provider) for e in fake.ours() if appointment_of(e, provider) in booked]
    assert sorted(ids) == sorted(booked)  # exactly one event per booking
    print(f"{provider}: {runs} sync runs, {fake.count()} requests to the fake")
    assert sync(shop)["pushed"] == 0


def appointment_of(event: dict, provider: str) -> str:
    if provider == "google":
        return event["extendedProperties"]["private"]["creneau_appointment_id"]
    return event["singleValueExtendedProperties"][0]["value"]
