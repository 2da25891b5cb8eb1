"""Calendar sync end to end: the local stack pointed at HTTPS fakes of Google and Microsoft.

Runs are driven through POST /v1/calendars/{id}/sync (no waiting for timers).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
from helpers import at, build_shop, created, future_weekday, instant, local, slots
from sync_fixtures import state_of, sync_stack  # noqa: F401  (the fixture)

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
