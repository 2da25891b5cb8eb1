"""Lock storms over HTTP: many clients pre-reserve (and book) overlapping times at once.

docs/architecture.md "No double booking": an appointment and a live lock, or two live locks, never overlap on
one calendar, whatever the concurrency. Each request comes from its own client; all are released together.
"""

from __future__ import annotations

import ssl
import threading
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

pytestmark = pytest.mark.xdist_group("e2e")

ZONE = "Europe/Paris"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DURATION, BEFORE, AFTER = 45, 5, 10  # a 09:00 hold occupies 08:55-09:55
STARTS = [f"{9 + q // 4:02d}:{q % 4 * 15:02d}" for q in range(10)]  # 09:00 .. 11:15, 15 min apart
CALENDARS = ("Desk 1", "Desk 2")
# One TLS context for every storm client (the API is plain HTTP): building one per client costs ~0.1 s.
TLS = ssl.create_default_context()


# ---- this module's own helpers ----------------------------------------------------------------------


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def error_code(reply: httpx.Response) -> str:
    return reply.json()["error"]["code"]


def occupied(start: datetime) -> tuple[datetime, datetime]:
    return start - timedelta(minutes=BEFORE), start + timedelta(minutes=DURATION + AFTER)


def overlaps(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


class Shop:
    """A fresh tenant: one service (45 min, 5 before, 10 after), two desks open 09:00-17:00 on one
    weekday three days ahead (never today's weekday: notice and horizon play no part)."""

    def __init__(self, api, new_tenant) -> None:
        tenant = new_tenant()
        self.admin = api(tenant["admin_key"])
        self.keys = {"admin": tenant["admin_key"]}
        for role in ("agent", "public"):
            reply = self.admin.post("/v1/api-keys", json={"role": role, "name": role})
            assert reply.status_code == 201, reply.text
            self.keys[role] = reply.json()["key"]
        self.agent, self.public = api(self.keys["agent"]), api(self.keys["public"])
        service = self.admin.post(
            "/v1/services",
            json={
                "name": "Storm",
                "duration_minutes": DURATION,
                "buffer_before_minutes": BEFORE,
                "buffer_after_minutes": AFTER,
            },
        )
        assert service.status_code == 201, service.text
        self.service_id = service.json()["id"]
        self.day: date = datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=3)
        hours = {name: [] for name in DAYS}
        hours[DAYS[self.day.weekday()]] = [{"start": "09:00", "end": "17:00"}]
        self.calendar_ids = []
        for name in CALENDARS:
            reply = self.admin.post(
                "/v1/calendars",
                json={
                    "name": name,
                    "service_ids": [self.service_id],
                    "timezone": ZONE,
                    "weekly_hours": hours,
                },
            )
            assert reply.status_code == 201, reply.text
            self.calendar_ids.append(reply.json()["id"])

    def at(self, hhmm: str) -> str:
        hours, minutes = map(int, hhmm.split(":"))
        return datetime(
            self.day.year, self.day.month, self.day.day, hours, minutes, tzinfo=ZoneInfo(ZONE)
        ).isoformat()

    def slots(self, calendar_id: str, lock_code: str | None = None) -> list[datetime]:
        params = {
            "service_id": self.service_id,
            "calendar_id": calendar_id,
            "from": str(self.day),
            "to": str(self.day),
        }
        if lock_code:
            params["lock_code"] = lock_code
        reply = self.public.get("/v1/slots", params=params)
        assert reply.status_code == 200, reply.text
        return [instant(s["start"]) for s in reply.json()["slots"]]

    def appointments(self) -> list[dict]:
        items, cursor = [], None
        while True:
            params = {
                "from": str(self.day),
                "to": str(self.day),
                "limit": 100,
                **({"cursor": cursor} if cursor else {}),
            }
            page = self.agent.get("/v1/appointments", params=params)
            assert page.status_code == 200, page.text
            items += page.json()["items"]
            cursor = page.json()["next_cursor"]
            if not cursor:
                return items


@pytest.fixture
def shop(api, new_tenant) -> Shop:
    return Shop(api, new_tenant)


def storm(base_url: str, calls: list[tuple[str, str, dict]]) -> list[httpx.Response]:
    """POST each (key, path, body) from its own client and thread; all are released at once.

    Each client first opens its connection (an unrouted path: the gateway answers 404 without running
    a handler), so the POSTs themselves start together rather than queueing on connect."""
    gate = threading.Barrier(len(calls), timeout=60)
    replies: list[httpx.Response | BaseException | None] = [None] * len(calls)

    def send(index: int, key: str, path: str, body: dict) -> None:
        try:
            with httpx.Client(
                base_url=base_url, headers={"X-Api-Key": key}, timeout=120, verify=TLS
            ) as client:
                client.get("/v1/storm-warm-up")
                gate.wait()
                replies[index] = client.post(path, json=body)
        except BaseException as error:  # reported below, with the others
            replies[index] = error

    threads = [threading.Thread(target=send, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    failures = [r for r in replies if not isinstance(r, httpx.Response)]
    assert not failures, failures[:3]
    return replies  # type: ignore[return-value]


def check_refusals(replies: list[httpx.Response], ok: int) -> None:
    server_errors = [(r.status_code, r.text) for r in replies if r.status_code >= 500]
    assert not server_errors, server_errors[:3]
    others = [(r.status_code, r.text) for r in replies if r.status_code not in (ok, 409)]
    assert not others, others[:3]
    wrong = [r.text for r in replies if r.status_code == 409 and error_code(r) != "slot-unavailable"]
    assert not wrong, wrong[:3]


def assert_disjoint(holds: dict[str, list[tuple[datetime, datetime, str]]]) -> None:
    for calendar_id, spans in holds.items():
        spans.sort()
        for before, after in zip(spans, spans[1:], strict=False):
            assert before[1] <= after[0], f"overlap on {calendar_id}: {before} and {after}"


def assert_refusals_justified(shop: Shop, calls, replies, ok: int, holds) -> None:
    """Holds only grew during the storm: a refused time must meet a final hold on every desk it asked for."""
    for (_key, _path, body), reply in zip(calls, replies, strict=True):
        if reply.status_code == ok:
            continue
        wanted = occupied(instant(body["start"]))
        desks = [body["calendar_id"]] if "calendar_id" in body else shop.calendar_ids
        for desk in desks:
            assert any(overlaps(wanted, span[:2]) for span in holds.get(desk, [])), (body, reply.text)


def assert_slots_agree(shop: Shop, baseline: dict[str, list[datetime]], holds) -> None:
    """The read side hides exactly the times that meet a hold, desk by desk."""
    for desk in shop.calendar_ids:
        expected = [
            s for s in baseline[desk] if not any(overlaps(occupied(s), h[:2]) for h in holds.get(desk, []))
        ]
        assert shop.slots(desk) == expected


def lock_calls(shop: Shop, count: int, offset: int = 0) -> list[tuple[str, str, dict]]:
    calls = []
    for i in range(offset, offset + count):
        body = {"service_id": shop.service_id, "start": shop.at(STARTS[i % len(STARTS)])}
        if i % 3 < 2:  # a third let the server choose the desk
            body["calendar_id"] = shop.calendar_ids[i % 3]
        calls.append((shop.keys["public" if i % 2 else "agent"], "/v1/locks", body))
    return calls


def live_locks(shop: Shop, calls, replies) -> dict[str, list[tuple[datetime, datetime, str]]]:
    """Each 201 is a live lock (GET says so), at the time and on a desk it asked for."""
    holds: dict[str, list] = defaultdict(list)
    for (_key, _path, body), reply in zip(calls, replies, strict=True):
        if reply.status_code != 201 or "lock_code" not in reply.json():
            continue
        lock = reply.json()
        got = shop.public.get(f"/v1/locks/{lock['lock_code']}")
        assert got.status_code == 200, got.text
        assert got.json() == lock
        assert instant(lock["start"]) == instant(body["start"])
        assert lock["calendar_id"] == body.get("calendar_id", lock["calendar_id"])
        assert lock["calendar_id"] in shop.calendar_ids
        holds[lock["calendar_id"]].append((*occupied(instant(lock["start"])), f"lock {lock['lock_code']}"))
    return holds


# ---- storms -------------------------------------------------------------------------------------------


def test_a_hundred_concurrent_locks_never_overlap_on_a_calendar(shop, stack):
    baseline = {desk: shop.slots(desk) for desk in shop.calendar_ids}
    calls = lock_calls(shop, 100)

    replies = storm(stack["api_url"], calls)

    check_refusals(replies, 201)
    codes = [r.json()["lock_code"] for r in replies if r.status_code == 201]
    assert len(codes) == len(set(codes)) >= 2
    holds = live_locks(shop, calls, replies)
    assert set(holds) == set(shop.calendar_ids), "each desk took at least one lock"
    assert_disjoint(holds)
    assert_refusals_justified(shop, calls, replies, 201, holds)
    assert_slots_agree(shop, baseline, holds)
    assert shop.appointments() == []


def test_locks_and_direct_bookings_at_once_never_overlap(shop, stack):
    baseline = {desk: shop.slots(desk) for desk in shop.calendar_ids}
    calls = []
    for i, (key, _path, body) in enumerate(lock_calls(shop, 100)):
        if i % 2:  # every other caller books directly, without a lock
            customer = {"first_name": f"Storm {i}", "email": f"storm{i}@example.org"}
            calls.append((key, "/v1/appointments", {**body, "customer": customer}))
        else:
            calls.append((key, "/v1/locks", body))

    replies = storm(stack["api_url"], calls)

    check_refusals(replies, 201)
    holds = live_locks(shop, calls, replies)
    won = {r.json()["id"]: r.json() for r in replies if r.status_code == 201 and "id" in r.json()}
    appointments = shop.appointments()
    assert {a["id"] for a in appointments} == set(won)
    for (_key, path, body), reply in zip(calls, replies, strict=True):
        if path == "/v1/appointments" and reply.status_code == 201:
            assert instant(reply.json()["start"]) == instant(body["start"])
            assert reply.json()["calendar_id"] == body.get("calendar_id", reply.json()["calendar_id"])
    for appointment in appointments:
        span = occupied(instant(appointment["start"]))
        holds[appointment["calendar_id"]].append((*span, f"appointment {appointment['id']}"))
    # Which kind wins each time is a race: only that someone won, and that nobody overlaps, is owed.
    assert sum(len(spans) for spans in holds.values()) >= 1, "somebody won"
    assert_disjoint(holds)
    assert_refusals_justified(shop, calls, replies, 201, holds)
    assert_slots_agree(shop, baseline, holds)


def test_one_code_moved_from_many_clients_at_once_holds_one_time(shop, stack):
    """Posting a code again moves its hold, the old time freed in the same step: however many clients
    move one code at once, it ends up holding exactly one time, and every other time is free again."""
    code = f"form-{uuid.uuid4().hex}"
    targets = [(f"{hour:02d}:00", shop.calendar_ids[hour % 2]) for hour in range(9, 17)]  # 8, disjoint
    calls = [
        (
            shop.keys["public"],
            "/v1/locks",
            {"service_id": shop.service_id, "start": shop.at(hhmm), "calendar_id": desk, "lock_code": code},
        )
        for hhmm, desk in targets
    ]

    replies = storm(stack["api_url"], calls)

    check_refusals(replies, 201)
    moved_to = {
        (instant(r.json()["start"]), r.json()["calendar_id"]) for r in replies if r.status_code == 201
    }
    assert moved_to
    final = shop.public.get(f"/v1/locks/{code}")
    assert final.status_code == 200, final.text
    held = (instant(final.json()["start"]), final.json()["calendar_id"])
    assert held in moved_to
    for desk in shop.calendar_ids:
        shown = shop.slots(desk)
        still_held = [
            hhmm
            for hhmm, d in targets
            if d == desk and (instant(shop.at(hhmm)), d) != held and instant(shop.at(hhmm)) not in shown
        ]
        assert not still_held, f"{len(still_held)} times left held on a desk by one moved code: {still_held}"
    # The write side agrees: every other target is bookable without a code, all at once.
    bookings = [
        (shop.keys["public"], "/v1/appointments", {**body, "customer": {"first_name": f"After {i}"}})
        for i, (_key, _path, body) in enumerate(calls)
        if (instant(body["start"]), body["calendar_id"]) != held
    ]
    for _key, _path, body in bookings:
        del body["lock_code"]
    booked = storm(stack["api_url"], bookings)
    assert [r.status_code for r in booked] == [201] * len(bookings), [
        r.text for r in booked if r.status_code != 201
    ][:3]
    assert shop.public.get(f"/v1/locks/{code}").json() == final.json()
