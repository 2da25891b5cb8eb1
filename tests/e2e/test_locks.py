"""Locks (pre-reservation) over HTTP against the local stack: hold, hide, move, expire, release, convert.

docs/api.md "Locks" and "Appointments"; docs/architecture.md "No double booking". Each test builds its
own tenant with calendars open on one weekday a few days ahead, so minimum notice and the horizon
never interfere.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

pytestmark = pytest.mark.xdist_group("e2e")

ZONE = "Europe/Paris"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LOCK_FIELDS = {
    *("lock_code", "service_id", "service_ids", "calendar_id", "start", "end", "expires_at"),
    *("seats", "session_id"),  # group services; 1 and null on any other service
}
URLSAFE = re.compile(r"^[A-Za-z0-9_-]+$")
CUSTOMER = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.org", "phone": "+33600000000"}


# ---- small helpers (this module's own) ----------------------------------------------------------------


def error_code(reply: httpx.Response) -> str:
    body = reply.json()
    assert set(body) == {"error"}, body
    return body["error"]["code"]


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def z(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_code() -> str:
    """A caller's own code, like a form's session id."""
    return f"form-{uuid.uuid4().hex}"


def target_day() -> date:
    """Three days ahead in the calendars' zone: never today's weekday, far beyond minimum notice."""
    return datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=3)


@dataclass
class Shop:
    """A fresh tenant: one service, calendars open 09:00-17:00 on `day`'s weekday only, three keys."""

    admin: httpx.Client
    agent: httpx.Client
    public: httpx.Client
    service_id: str
    calendar_ids: list[str]
    day: date
    duration: int
    before: int
    after: int

    def when(self, hhmm: str, day: date | None = None) -> datetime:
        hours, minutes = map(int, hhmm.split(":"))
        local = datetime(*(day or self.day).timetuple()[:3], hours, minutes, tzinfo=ZoneInfo(ZONE))
        return local.astimezone(UTC)

    def at(self, hhmm: str) -> str:
        """The instant as a caller sends it: local wall time with its offset."""
        return self.when(hhmm).astimezone(ZoneInfo(ZONE)).isoformat()

    def span(self, start: datetime, end: datetime | None = None) -> tuple[datetime, datetime]:
        """Occupied span of a hold of this shop's service that starts at `start`."""
        end = end or start + timedelta(minutes=self.duration)
        return start - timedelta(minutes=self.before), end + timedelta(minutes=self.after)

    def slots(self, client: httpx.Client | None = None, **params) -> list[dict]:
        query = {"service_id": self.service_id, "from": self.day.isoformat(), "to": self.day.isoformat()}
        reply = (client or self.public).get("/v1/slots", params={**query, **params})
        assert reply.status_code == 200, reply.text
        return reply.json()["slots"]

    def starts(self, client: httpx.Client | None = None, **params) -> list[str]:
        return [s["start"] for s in self.slots(client, **params)]

    def lock(self, hhmm: str, client: httpx.Client | None = None, **body) -> httpx.Response:
        payload = {"service_id": self.service_id, "start": self.at(hhmm), **body}
        return (client or self.public).post("/v1/locks", json=payload)

    def book(self, hhmm: str, client: httpx.Client | None = None, **body) -> httpx.Response:
        payload = {"service_id": self.service_id, "start": self.at(hhmm), "customer": CUSTOMER, **body}
        return (client or self.public).post("/v1/appointments", json=payload)

    def without_overlaps(self, baseline: list[dict], held: tuple[datetime, datetime]) -> list[str]:
        """The baseline's starts minus those whose occupied span overlaps `held` (one calendar)."""
        kept = []
        for slot in baseline:
            occ_start, occ_end = self.span(instant(slot["start"]), instant(slot["end"]))
            if not (occ_start < held[1] and held[0] < occ_end):
                kept.append(slot["start"])
        return kept


@pytest.fixture
def shop(new_tenant, api):
    """Factory: shop(calendars=1, duration=45, before=0, after=15, ttl=None) -> Shop."""

    def make(
        calendars: int = 1, duration: int = 45, before: int = 0, after: int = 15, ttl: int | None = None
    ):
        tenant = new_tenant()
        admin = api(tenant["admin_key"])
        keys = {}
        for role in ("agent", "public"):
            reply = admin.post("/v1/api-keys", json={"role": role, "name": f"{role} key"})
            assert reply.status_code == 201, reply.text
            keys[role] = reply.json()["key"]
        if ttl is not None:
            reply = admin.patch("/v1/settings", json={"lock_ttl_seconds": ttl})
            assert reply.status_code == 200, reply.text
        service = admin.post(
            "/v1/services",
            json={
                "name": "Consultation",
                "duration_minutes": duration,
                "buffer_before_minutes": before,
                "buffer_after_minutes": after,
            },
        )
        assert service.status_code == 201, service.text
        day = target_day()
        hours = {name: [] for name in DAYS}
        hours[DAYS[day.weekday()]] = [{"start": "09:00", "end": "17:00"}]
        calendar_ids = []
        for index in range(calendars):
            reply = admin.post(
                "/v1/calendars",
                json={
                    "name": f"Desk {index + 1}",  # candidates are tried by name: Desk 1 first
                    "service_ids": [service.json()["id"]],
                    "timezone": ZONE,
                    "weekly_hours": hours,
                },
            )
            assert reply.status_code == 201, reply.text
            calendar_ids.append(reply.json()["id"])
        return Shop(
            admin=admin,
            agent=api(keys["agent"]),
            public=api(keys["public"]),
            service_id=service.json()["id"],
            calendar_ids=calendar_ids,
            day=day,
            duration=duration,
            before=before,
            after=after,
        )

    return make


def wait_past(expires_at: str) -> None:
    """Sleep until the reported expiry is safely past, with the server's one-second epoch rounding."""
    remaining = instant(expires_at).timestamp() + 1.3 - time.time()
    if remaining > 0:
        time.sleep(remaining)


# ---- creating a lock ---------------------------------------------------------------------------------


def test_lock_answers_201_with_an_unguessable_server_code(shop):
    s = shop()
    first = s.lock("10:00")
    assert first.status_code == 201, first.text
    body = first.json()
    assert set(body) == LOCK_FIELDS
    assert (body["seats"], body["session_id"]) == (1, None)
    assert body["service_id"] == s.service_id
    assert body["calendar_id"] == s.calendar_ids[0]
    assert instant(body["start"]) == s.when("10:00")
    assert instant(body["end"]) == s.when("10:45")
    assert body["start"].endswith("Z") and body["expires_at"].endswith("Z")
    code = body["lock_code"]
    assert URLSAFE.match(code) and 22 <= len(code) <= 128  # 22 urlsafe characters carry >= 128 bits
    second = s.lock("14:00")
    assert second.status_code == 201, second.text
    assert second.json()["lock_code"] != code
    assert s.public.get(f"/v1/locks/{code}").json() == body


def test_a_callers_own_code_is_accepted(shop):
    s = shop()
    codes = {"10:00": "a" * 16, "12:00": "Z9_-" * 32, "14:00": "session_hash-0123456789abcdef"}
    for hhmm, code in codes.items():
        reply = s.lock(hhmm, lock_code=code)
        assert reply.status_code == 201, reply.text
        assert reply.json()["lock_code"] == code
    for hhmm, code in codes.items():
        fetched = s.agent.get(f"/v1/locks/{code}")
        assert fetched.status_code == 200, fetched.text
        assert instant(fetched.json()["start"]) == s.when(hhmm)


MALFORMED = [
    "a" * 15,
    "a" * 129,
    "has space in it 12345",
    "bad/slash/12345678",
    "dot.is.bad.12345678",
    "é" * 16,
]


def test_a_malformed_code_is_422_naming_lock_code(shop):
    s = shop()
    baseline = s.starts()
    for code in MALFORMED:
        reply = s.lock("10:00", lock_code=code)
        assert reply.status_code == 422, (code, reply.text)
        assert error_code(reply) == "validation-error"
        assert "lock_code" in [d["field"] for d in reply.json()["error"]["details"]]
        booking = s.book("10:00", lock_code=code)
        assert booking.status_code == 422, (code, booking.text)
        assert "lock_code" in [d["field"] for d in booking.json()["error"]["details"]]
    assert s.starts() == baseline  # nothing was held or booked


def test_a_lock_is_refused_where_no_slot_is(shop):
    s = shop()
    for hhmm in ("08:00", "16:30", "10:05"):  # before opening, running past closing, off the 15-min grid
        reply = s.lock(hhmm)
        assert reply.status_code == 409, (hhmm, reply.text)
        assert error_code(reply) == "slot-unavailable"
    too_soon = s.public.post(
        "/v1/locks", json={"service_id": s.service_id, "start": z(datetime.now(UTC) + timedelta(minutes=20))}
    )
    assert too_soon.status_code == 409 and error_code(too_soon) == "slot-unavailable"
    unknown = s.lock("10:00", calendar_id="no-such-calendar")
    assert unknown.status_code == 404 and error_code(unknown) == "calendar-not-found"
    missing = s.public.post("/v1/locks", json={"service_id": "no-such-service", "start": s.at("10:00")})
    assert missing.status_code == 404 and error_code(missing) == "service-not-found"


# ---- a held time is hidden from others, free to its holder ------------------------------------------


def test_held_time_is_hidden_from_others_and_converted_by_its_holder(shop):
    s = shop(before=15, after=15)  # occupies 09:45-11:00 for a 10:00 start
    baseline = s.slots()
    assert s.when("10:00") in [instant(x["start"]) for x in baseline]
    locked = s.lock("10:00", client=s.agent)
    assert locked.status_code == 201, locked.text
    code = locked.json()["lock_code"]
    held = s.span(s.when("10:00"))

    expected = s.without_overlaps(baseline, held)
    for client in (s.public, s.agent, s.admin):
        assert s.starts(client) == expected
    hidden = set(x["start"] for x in baseline) - set(expected)
    assert {z(s.when(t)) for t in ("09:30", "10:00", "10:30", "10:45")} <= hidden
    assert z(s.when("11:15")) in expected  # occupies 11:00-12:15: touches, does not overlap
    assert s.starts(s.public, lock_code=code) == [x["start"] for x in baseline]  # free to its holder
    first = s.public.get("/v1/slots/first", params={"service_id": s.service_id}).json()["slot"]
    assert first["start"] == expected[0] == z(s.when("11:15"))  # 09:00 occupies 08:45-10:00: overlaps

    for hhmm in ("10:00", "10:30", "09:30"):
        refused = s.book(hhmm)
        assert refused.status_code == 409, (hhmm, refused.text)
        assert error_code(refused) == "slot-unavailable"
        other_lock = s.lock(hhmm)
        assert other_lock.status_code == 409 and error_code(other_lock) == "slot-unavailable"
    wrong_code = s.book("10:00", lock_code=new_code())  # an unknown code is ignored: still taken
    assert wrong_code.status_code == 409 and error_code(wrong_code) == "slot-unavailable"

    booked = s.book("10:00", client=s.agent, lock_code=code)
    assert booked.status_code == 201, booked.text
    appointment = booked.json()
    assert instant(appointment["start"]) == s.when("10:00")
    assert appointment["calendar_id"] == s.calendar_ids[0]
    gone = s.public.get(f"/v1/locks/{code}")
    assert gone.status_code == 404 and error_code(gone) == "lock-not-found"
    gone_delete = s.public.delete(f"/v1/locks/{code}")
    assert gone_delete.status_code == 404 and error_code(gone_delete) == "lock-not-found"
    # Taken for everyone now, the former holder included, and no second booking from the same code.
    assert s.starts() == expected
    assert s.starts(s.public, lock_code=code) == expected
    again = s.book("10:00", client=s.agent, lock_code=code)
    assert again.status_code == 409 and error_code(again) == "slot-unavailable"
    relock = s.lock("10:00", lock_code=code)
    assert relock.status_code == 409 and error_code(relock) == "slot-unavailable"


# ---- moving a lock ----------------------------------------------------------------------------------


def test_posting_the_same_code_again_moves_the_hold(shop):
    s = shop()
    baseline = s.slots()
    code = new_code()
    first = s.lock("10:00", lock_code=code)
    assert first.status_code == 201, first.text
    moved = s.lock("14:00", lock_code=code)
    assert moved.status_code == 201, moved.text
    assert moved.json()["lock_code"] == code
    assert instant(moved.json()["start"]) == s.when("14:00")
    assert instant(s.public.get(f"/v1/locks/{code}").json()["start"]) == s.when("14:00")

    assert s.starts() == s.without_overlaps(baseline, s.span(s.when("14:00")))
    taken = s.book("14:00")
    assert taken.status_code == 409 and error_code(taken) == "slot-unavailable"
    other = s.book("10:00")  # the old time was freed in the same step: bookable without a code
    assert other.status_code == 201, other.text

    theirs = s.lock("16:00")
    assert theirs.status_code == 201, theirs.text
    onto_theirs = s.lock("16:00", lock_code=code)  # a refused move leaves the hold where it was
    assert onto_theirs.status_code == 409 and error_code(onto_theirs) == "slot-unavailable"
    assert instant(s.public.get(f"/v1/locks/{code}").json()["start"]) == s.when("14:00")
    refreshed = s.lock("14:00", lock_code=code)  # posting the same time again keeps (refreshes) it
    assert refreshed.status_code == 201, refreshed.text
    assert instant(refreshed.json()["expires_at"]) >= instant(moved.json()["expires_at"])
    assert z(s.when("14:00")) not in s.starts()
    mine = s.book("14:00", lock_code=code)
    assert mine.status_code == 201, mine.text
    assert instant(mine.json()["start"]) == s.when("14:00")


def test_moving_onto_an_overlapping_time_frees_the_part_left_behind(shop):
    s = shop(after=0)
    baseline = s.slots()
    code = new_code()
    assert s.lock("10:00", lock_code=code).status_code == 201
    moved = s.lock("10:30", lock_code=code)  # overlaps its own old hold (10:00-10:45)
    assert moved.status_code == 201, moved.text
    assert s.starts() == s.without_overlaps(baseline, s.span(s.when("10:30")))
    assert z(s.when("09:45")) in s.starts()  # 09:45-10:30 now ends where the hold begins
    early = s.book("09:45")
    assert early.status_code == 201, early.text
    late = s.book("10:45")
    assert late.status_code == 409 and error_code(late) == "slot-unavailable"
    assert s.book("10:30", lock_code=code).status_code == 201


# ---- expiry -----------------------------------------------------------------------------------------


def test_expired_lock_frees_the_time_and_its_code_then_loses_to_a_booking(shop):
    s = shop(ttl=1)
    code = new_code()
    locked = s.lock("10:00", lock_code=code)
    assert locked.status_code == 201, locked.text
    assert z(s.when("10:00")) not in s.starts()
    wait_past(locked.json()["expires_at"])

    assert z(s.when("10:00")) in s.starts(s.public)  # back for everyone
    assert z(s.when("10:00")) in s.starts(s.agent)
    gone = s.public.get(f"/v1/locks/{code}")
    assert gone.status_code == 404 and error_code(gone) == "lock-not-found"
    other = s.book("10:15", client=s.agent)  # overlaps the expired hold
    assert other.status_code == 201, other.text
    late = s.book("10:00", lock_code=code)
    assert late.status_code == 409, late.text
    assert error_code(late) == "slot-unavailable"
    relocked = s.lock("14:00", lock_code=code)  # the expired code can hold again, elsewhere
    assert relocked.status_code == 201, relocked.text
    assert z(s.when("14:00")) not in s.starts()


def test_expired_lock_can_be_taken_over_by_another_lock(shop):
    s = shop(ttl=2)
    mine, theirs = new_code(), new_code()
    locked = s.lock("10:00", lock_code=mine)
    assert locked.status_code == 201, locked.text
    assert s.lock("10:00", lock_code=theirs).status_code == 409
    wait_past(locked.json()["expires_at"])

    taken = s.lock("10:00", lock_code=theirs)
    assert taken.status_code == 201, taken.text
    late = s.book("10:00", lock_code=mine)
    assert late.status_code == 409 and error_code(late) == "slot-unavailable"
    assert s.public.get(f"/v1/locks/{theirs}").status_code == 200  # the failed attempt took nothing
    assert s.book("10:00", lock_code=theirs).status_code == 201


def test_expired_code_still_books_a_time_that_is_still_free(shop):
    s = shop(ttl=1)
    code = new_code()
    locked = s.lock("10:00", lock_code=code)
    assert locked.status_code == 201, locked.text
    wait_past(locked.json()["expires_at"])
    assert s.public.get(f"/v1/locks/{code}").status_code == 404

    booked = s.book("10:00", lock_code=code)
    assert booked.status_code == 201, booked.text
    assert instant(booked.json()["start"]) == s.when("10:00")
    assert z(s.when("10:00")) not in s.starts()
    assert z(s.when("10:00")) not in s.starts(s.public, lock_code=code)
    other = s.book("10:00", client=s.agent)
    assert other.status_code == 409 and error_code(other) == "slot-unavailable"


def test_expired_code_is_ignored_when_its_calendar_was_taken_but_another_is_free(shop):
    """An expired code is ignored (docs/api.md): the time must then be free, here on the other calendar."""
    s = shop(calendars=2, ttl=1)
    code = new_code()
    locked = s.lock("10:00", lock_code=code, calendar_id=s.calendar_ids[0])
    assert locked.status_code == 201, locked.text
    wait_past(locked.json()["expires_at"])
    other = s.book("10:00", client=s.agent, calendar_id=s.calendar_ids[0])
    assert other.status_code == 201, other.text
    ten = [x["calendar_ids"] for x in s.slots() if instant(x["start"]) == s.when("10:00")]
    assert ten == [[s.calendar_ids[1]]]  # 10:00 still free on Desk 2

    plain = s.book("10:00", client=s.agent)  # what an ignored code must behave like: Desk 2
    assert plain.status_code == 201 and plain.json()["calendar_id"] == s.calendar_ids[1]
    assert s.admin.post(
        f"/v1/appointments/{plain.json()['id']}/status", json={"status": "CANCELLED"}
    ).is_success

    with_expired_code = s.book("10:00", lock_code=code)
    assert with_expired_code.status_code == 201, with_expired_code.text
    assert with_expired_code.json()["calendar_id"] == s.calendar_ids[1]


def test_a_lock_is_over_once_its_reported_expires_at_has_passed(shop):
    """expires_at is the contract: once it is past, GET says 404 and the time is free for others."""
    s = shop(ttl=1)
    locked = s.lock("10:00")
    assert locked.status_code == 201, locked.text
    expires_at = instant(locked.json()["expires_at"])
    remaining = expires_at.timestamp() + 0.3 - time.time()
    if remaining > 0:
        time.sleep(remaining)
    code = locked.json()["lock_code"]
    reply = s.public.get(f"/v1/locks/{code}")
    assert reply.status_code == 404, f"still live {time.time() - expires_at.timestamp():.2f} s after expiry"
    assert z(s.when("10:00")) in s.starts()


# ---- releasing ------------------------------------------------------------------------------------


def test_delete_frees_the_time_at_once(shop):
    s = shop()
    baseline = s.starts()
    locked = s.lock("10:00")
    assert locked.status_code == 201, locked.text
    code = locked.json()["lock_code"]
    assert s.starts() != baseline

    deleted = s.public.delete(f"/v1/locks/{code}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert s.starts() == baseline
    again = s.public.delete(f"/v1/locks/{code}")
    assert again.status_code == 404 and error_code(again) == "lock-not-found"
    gone = s.public.get(f"/v1/locks/{code}")
    assert gone.status_code == 404 and error_code(gone) == "lock-not-found"
    other = s.book("10:00", client=s.agent)
    assert other.status_code == 201, other.text
    unknown = s.public.delete(f"/v1/locks/{new_code()}")
    assert unknown.status_code == 404 and error_code(unknown) == "lock-not-found"


# ---- tenants ------------------------------------------------------------------------------------------


def test_a_code_means_nothing_in_another_tenant(shop):
    a, b = shop(), shop()
    code = new_code()
    locked = a.lock("10:00", lock_code=code)
    assert locked.status_code == 201, locked.text

    for client in (b.public, b.agent, b.admin):
        got = client.get(f"/v1/locks/{code}")
        assert got.status_code == 404 and error_code(got) == "lock-not-found"
        deleted = client.delete(f"/v1/locks/{code}")
        assert deleted.status_code == 404 and error_code(deleted) == "lock-not-found"
    foreign_service = b.public.post("/v1/locks", json={"service_id": a.service_id, "start": a.at("10:00")})
    assert foreign_service.status_code == 404 and error_code(foreign_service) == "service-not-found"

    in_b = b.book("10:00", lock_code=code)  # same wall time in B: B's own free time, nothing of A's
    assert in_b.status_code == 201, in_b.text
    assert in_b.json()["calendar_id"] == b.calendar_ids[0]
    still = a.public.get(f"/v1/locks/{code}")
    assert still.status_code == 200 and still.json() == locked.json()
    assert z(a.when("10:00")) not in a.starts()
    intruder = a.book("10:00")
    assert intruder.status_code == 409 and error_code(intruder) == "slot-unavailable"
    # Codes are per tenant: B may hold its own lock under the same code without moving A's.
    own = b.lock("14:00", lock_code=code)
    assert own.status_code == 201, own.text
    assert a.public.get(f"/v1/locks/{code}").json() == locked.json()
    assert a.book("10:00", lock_code=code).status_code == 201


# ---- choosing a calendar ------------------------------------------------------------------------------


def test_without_calendar_id_each_lock_gets_a_calendar_that_can_take_it(shop):
    s = shop(calendars=2)
    first = s.lock("10:00")
    second = s.lock("10:00")
    assert (first.status_code, second.status_code) == (201, 201), (first.text, second.text)
    assert {first.json()["calendar_id"], second.json()["calendar_id"]} == set(s.calendar_ids)
    third = s.lock("10:00")
    assert third.status_code == 409 and error_code(third) == "slot-unavailable"
    overlapping = s.lock("10:30")
    assert overlapping.status_code == 409 and error_code(overlapping) == "slot-unavailable"
    assert z(s.when("10:00")) not in s.starts()
    code = first.json()["lock_code"]
    mine = [x for x in s.slots(lock_code=code) if instant(x["start"]) == s.when("10:00")]
    assert [x["calendar_ids"] for x in mine] == [[first.json()["calendar_id"]]]
    refused = s.book("10:00")
    assert refused.status_code == 409 and error_code(refused) == "slot-unavailable"
    booked = s.book("10:00", lock_code=code)
    assert booked.status_code == 201, booked.text
    assert booked.json()["calendar_id"] == first.json()["calendar_id"]
    assert s.public.get(f"/v1/locks/{second.json()['lock_code']}").status_code == 200


# ---- rescheduling onto a held time ---------------------------------------------------------------------


def test_reschedule_with_a_lock_code_moves_onto_the_held_time(shop):
    s = shop()
    booked = s.book("10:00", client=s.agent)
    assert booked.status_code == 201, booked.text
    appointment_id = booked.json()["id"]
    code = new_code()
    assert s.lock("14:00", lock_code=code).status_code == 201

    blocked = s.agent.post(f"/v1/appointments/{appointment_id}/reschedule", json={"start": s.at("14:00")})
    assert blocked.status_code == 409 and error_code(blocked) == "slot-unavailable"
    moved = s.agent.post(
        f"/v1/appointments/{appointment_id}/reschedule", json={"start": s.at("14:00"), "lock_code": code}
    )
    assert moved.status_code == 200, moved.text
    assert instant(moved.json()["start"]) == s.when("14:00")
    assert instant(s.agent.get(f"/v1/appointments/{appointment_id}").json()["start"]) == s.when("14:00")
    gone = s.public.get(f"/v1/locks/{code}")
    assert gone.status_code == 404 and error_code(gone) == "lock-not-found"

    starts = s.starts(s.public, lock_code=code)
    assert z(s.when("14:00")) not in starts  # taken for everyone, the lock's former holder included
    assert z(s.when("10:00")) in starts  # the old time was freed
    assert s.book("10:00").status_code == 201
    late = s.book("14:00", lock_code=code)
    assert late.status_code == 409 and error_code(late) == "slot-unavailable"


def test_reschedule_with_a_lock_on_another_calendar_moves_there(shop):
    s = shop(calendars=2)
    booked = s.book("10:00", client=s.agent, calendar_id=s.calendar_ids[0])
    assert booked.status_code == 201, booked.text
    code = new_code()
    locked = s.lock("10:00", lock_code=code, calendar_id=s.calendar_ids[1])
    assert locked.status_code == 201, locked.text
    assert z(s.when("10:00")) not in s.starts()

    moved = s.agent.post(
        f"/v1/appointments/{booked.json()['id']}/reschedule", json={"start": s.at("10:00"), "lock_code": code}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["calendar_id"] == s.calendar_ids[1]
    assert s.public.get(f"/v1/locks/{code}").status_code == 404
    free = [x for x in s.slots() if instant(x["start"]) == s.when("10:00")]
    assert [x["calendar_ids"] for x in free] == [[s.calendar_ids[0]]]


# ---- the back-office flows (seed document: booking from the calendar view) -----------------------------


def test_touch_screen_add_booking_opens_the_first_free_slot_and_books_it(shop):
    s = shop(calendars=2)
    first = s.agent.get("/v1/slots/first", params={"service_id": s.service_id})
    assert first.status_code == 200, first.text
    slot = first.json()["slot"]
    assert instant(slot["start"]) == s.when("09:00")

    session = new_code()  # the form's session id
    locked = s.agent.post(
        "/v1/locks", json={"service_id": s.service_id, "start": slot["start"], "lock_code": session}
    )
    assert locked.status_code == 201, locked.text
    assert locked.json()["calendar_id"] in slot["calendar_ids"]
    # A second agent pressing "Add booking" meanwhile is offered the other desk, then a later time.
    second = s.agent.get("/v1/slots/first", params={"service_id": s.service_id}).json()["slot"]
    assert second["start"] == slot["start"]
    assert second["calendar_ids"] == [c for c in s.calendar_ids if c != locked.json()["calendar_id"]]
    assert s.lock("09:00").status_code == 201
    later = s.agent.get("/v1/slots/first", params={"service_id": s.service_id}).json()["slot"]
    assert instant(later["start"]) > s.when("09:00")
    mine = s.agent.get("/v1/slots/first", params={"service_id": s.service_id, "lock_code": session})
    assert mine.json()["slot"]["start"] == slot["start"]

    form = {
        "service_id": s.service_id,
        "start": slot["start"],
        "lock_code": session,
        "customer": CUSTOMER,
        "comments": "booked at the desk",
    }
    booked = s.agent.post("/v1/appointments", json=form)
    assert booked.status_code == 201, booked.text
    appointment = booked.json()
    assert appointment["start"] == slot["start"] and appointment["end"] == slot["end"]
    assert appointment["calendar_id"] == locked.json()["calendar_id"]
    assert appointment["service_ids"] == [s.service_id]
    assert {k: appointment["customer"][k] for k in CUSTOMER} == CUSTOMER
    assert appointment["comments"] == "booked at the desk"
    assert s.agent.get(f"/v1/locks/{session}").status_code == 404
    listed = s.agent.get("/v1/appointments", params={"from": s.day.isoformat(), "to": s.day.isoformat()})
    assert [a["id"] for a in listed.json()["items"]] == [appointment["id"]]


def test_agent_clicks_a_slot_in_a_day_view_and_books_it_while_the_widget_cannot(shop):
    s = shop(calendars=2)
    chosen = s.calendar_ids[1]
    day = s.day.isoformat()
    view = s.agent.get(
        "/v1/slots", params={"service_id": s.service_id, "calendar_id": chosen, "from": day, "to": day}
    )
    assert view.status_code == 200, view.text
    clicked = view.json()["slots"][4]
    assert clicked["calendar_ids"] == [chosen]

    session = new_code()
    locked = s.agent.post(
        "/v1/locks",
        json={
            "service_id": s.service_id,
            "start": clicked["start"],
            "calendar_id": chosen,
            "lock_code": session,
        },
    )
    assert locked.status_code == 201, locked.text
    assert locked.json()["calendar_id"] == chosen
    assert locked.json()["start"] == clicked["start"]

    # Meanwhile, a public widget on that calendar neither sees the time nor can book it.
    widget = {"service_id": s.service_id, "calendar_id": chosen, "from": day, "to": day}
    seen = s.public.get("/v1/slots", params=widget).json()["slots"]
    assert clicked["start"] not in [x["start"] for x in seen]
    refused = s.public.post(
        "/v1/appointments",
        json={
            "service_id": s.service_id,
            "calendar_id": chosen,
            "start": clicked["start"],
            "customer": CUSTOMER,
        },
    )
    assert refused.status_code == 409 and error_code(refused) == "slot-unavailable"
    anywhere = [x for x in s.slots() if x["start"] == clicked["start"]]
    assert [x["calendar_ids"] for x in anywhere] == [[s.calendar_ids[0]]]  # only the other desk is left
    holder = s.agent.get("/v1/slots", params={**widget, "lock_code": session}).json()["slots"]
    assert clicked["start"] in [x["start"] for x in holder]

    booked = s.agent.post(
        "/v1/appointments",
        json={
            "service_id": s.service_id,
            "calendar_id": chosen,
            "start": clicked["start"],
            "lock_code": session,
            "customer": CUSTOMER,
        },
    )
    assert booked.status_code == 201, booked.text
    assert booked.json()["calendar_id"] == chosen and booked.json()["start"] == clicked["start"]
    assert s.agent.get(f"/v1/locks/{session}").status_code == 404
    after = s.public.get("/v1/slots", params=widget).json()["slots"]
    assert clicked["start"] not in [x["start"] for x in after]


# ---- settings --------------------------------------------------------------------------------------


def test_lock_ttl_seconds_is_validated_and_defaults_to_600(shop):
    s = shop()
    assert s.admin.get("/v1/settings").json()["lock_ttl_seconds"] == 600
    before = time.time()
    locked = s.lock("10:00")
    after = time.time()
    assert locked.status_code == 201, locked.text
    expires = instant(locked.json()["expires_at"]).timestamp()
    assert before + 600 - 2 <= expires <= after + 600 + 1

    for bad in (0, -1, 86401):
        reply = s.admin.patch("/v1/settings", json={"lock_ttl_seconds": bad})
        assert reply.status_code == 422, (bad, reply.text)
        assert error_code(reply) == "validation-error"
        assert "lock_ttl_seconds" in [d["field"] for d in reply.json()["error"]["details"]]
    assert s.admin.get("/v1/settings").json()["lock_ttl_seconds"] == 600

    assert s.admin.patch("/v1/settings", json={"lock_ttl_seconds": 86400}).status_code == 200
    longest = s.lock("14:00")
    assert longest.status_code == 201, longest.text
    assert abs(instant(longest.json()["expires_at"]).timestamp() - (time.time() + 86400)) <= 3
    assert s.admin.patch("/v1/settings", json={"lock_ttl_seconds": 1}).status_code == 200
    assert s.admin.get("/v1/settings").json()["lock_ttl_seconds"] == 1
