"""A booking racing its own lock: a live lock and an appointment never share a unit, and every lock
can be released at once afterwards.

Three races, 100 rounds each, two requests released together per round (a barrier): the creation of a
lock against a booking carrying its code; the move of a lock from another calendar onto the time
against that booking; a reschedule carrying the code against the lock. Afterwards the bookings table
(read through the stack's moto endpoint) and the API agree: no live lock meets an appointment, each
live lock's claims are its own, and DELETE answers 204 or 404 for every code.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import boto3
import httpx
import pytest
from boto3.dynamodb.conditions import Key

from tests.e2e.helpers import instant

pytestmark = pytest.mark.xdist_group("e2e-long")  # its own worker: the suite's time on 2 cores

# Before the fix 26 of 30 rounds broke the promise: 10 rounds keep the race certain to show (the
# chance that all of them miss it is about 2e-9) and the suite within its time on a 2-core machine.
ROUNDS = int(os.environ.get("LOCK_RACE_ROUNDS", "10"))  # the 100: LOCK_RACE_ROUNDS=100
CONCURRENT_ROUNDS = 4  # rounds in flight at once, each on its own time
DURATION = 30
RELEASE_DEADLINE_S = 60.0  # generous (a loaded machine); the bug answered 409, after 13-32 s of retries


class Shop:
    """A fresh tenant: one 30-min service on two calendars (A, B) open around the clock in UTC."""

    def __init__(self, api, new_tenant, stack) -> None:
        tenant = new_tenant()
        self.tenant_id = tenant["tenant_id"]
        self.base_url = stack["api_url"]
        admin = api(tenant["admin_key"])
        self.keys = {}
        for role in ("agent", "public"):
            reply = admin.post("/v1/api-keys", json={"role": role, "name": role})
            assert reply.status_code == 201, reply.text
            self.keys[role] = reply.json()["key"]
        self.agent = api(self.keys["agent"])
        service = admin.post("/v1/services", json={"name": "Race", "duration_minutes": DURATION})
        assert service.status_code == 201, service.text
        self.service_id = service.json()["id"]
        day = [{"start": "00:00", "end": "24:00"}]
        week = {d: day for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
        self.calendar_ids = []
        for name in ("A", "B"):
            body = {
                "name": name,
                "service_ids": [self.service_id],
                "timezone": "UTC",
                "weekly_hours": week,
                "slot_step_minutes": DURATION,
            }
            reply = admin.post("/v1/calendars", json=body)
            assert reply.status_code == 201, reply.text
            self.calendar_ids.append(reply.json()["id"])
        first = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
        self._times = (first + timedelta(minutes=DURATION * i) for i in itertools.count())
        self._lock = threading.Lock()
        self.codes: list[str] = []

    def next_time(self) -> str:
        with self._lock:
            return next(self._times).isoformat()

    def new_code(self) -> str:
        code = f"race-{uuid.uuid4().hex}"
        with self._lock:
            self.codes.append(code)
        return code

    def lock_body(self, calendar: int, start: str, code: str) -> dict:
        return {
            "service_id": self.service_id,
            "calendar_id": self.calendar_ids[calendar],
            "start": start,
            "lock_code": code,
        }

    def booking_body(self, calendar: int, start: str, code: str | None) -> dict:
        body = {
            "service_id": self.service_id,
            "calendar_id": self.calendar_ids[calendar],
            "start": start,
            "customer": {"first_name": "Race", "email": f"{uuid.uuid4().hex[:8]}@example.org"},
        }
        return {**body, "lock_code": code} if code else body


def together(base_url: str, calls: list[tuple[str, str, dict]]) -> list[httpx.Response]:
    """POST each (key, path, body) from its own client and thread, released at once by a barrier."""
    gate = threading.Barrier(len(calls), timeout=120)
    replies: list = [None] * len(calls)

    def send(index: int, key: str, path: str, body: dict) -> None:
        try:
            with httpx.Client(base_url=base_url, headers={"X-Api-Key": key}, timeout=120) as client:
                client.get("/v1/race-warm-up")  # connected before the barrier: the POSTs start together
                gate.wait()
                replies[index] = client.post(path, json=body)
        except BaseException as error:  # reported with the others
            replies[index] = error

    threads = [threading.Thread(target=send, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    failures = [r for r in replies if not isinstance(r, httpx.Response)]
    assert not failures, failures[:3]
    return replies


def post(shop: Shop, key: str, path: str, body: dict) -> dict:
    with httpx.Client(base_url=shop.base_url, headers={"X-Api-Key": key}, timeout=120) as client:
        reply = client.post(path, json=body)
    assert reply.status_code == 201, reply.text
    return reply.json()


# ---- the three races, one round each -----------------------------------------------------------------


def lock_create_vs_booking(shop: Shop) -> tuple[int, int]:
    start, code = shop.next_time(), shop.new_code()
    lock, booking = together(
        shop.base_url,
        [
            (shop.keys["public"], "/v1/locks", shop.lock_body(1, start, code)),
            (shop.keys["agent"], "/v1/appointments", shop.booking_body(1, start, code)),
        ],
    )
    return lock.status_code, booking.status_code


def lock_move_vs_booking(shop: Shop) -> tuple[int, int]:
    start, code = shop.next_time(), shop.new_code()
    post(shop, shop.keys["public"], "/v1/locks", shop.lock_body(0, start, code))  # on A, same time
    lock, booking = together(
        shop.base_url,
        [
            (shop.keys["public"], "/v1/locks", shop.lock_body(1, start, code)),  # A -> B
            (shop.keys["agent"], "/v1/appointments", shop.booking_body(1, start, code)),
        ],
    )
    return lock.status_code, booking.status_code


def reschedule_vs_lock(shop: Shop) -> tuple[int, int]:
    before, start, code = shop.next_time(), shop.next_time(), shop.new_code()
    appointment = post(shop, shop.keys["agent"], "/v1/appointments", shop.booking_body(1, before, None))
    move = {"start": start, "calendar_id": shop.calendar_ids[1], "lock_code": code}
    lock, moved = together(
        shop.base_url,
        [
            (shop.keys["public"], "/v1/locks", shop.lock_body(1, start, code)),
            (shop.keys["agent"], f"/v1/appointments/{appointment['id']}/reschedule", move),
        ],
    )
    return lock.status_code, moved.status_code


RACES = {
    "lock-create-vs-booking": (lock_create_vs_booking, 201),
    "lock-move-vs-booking": (lock_move_vs_booking, 201),
    "reschedule-with-lock-vs-lock": (reschedule_vs_lock, 200),
}


# ---- what must hold afterwards -------------------------------------------------------------------------


def bookings_items(stack: dict, tenant_id: str) -> dict[str, list[dict]]:
    """The tenant's lock and appointment records, and every claim, read straight from moto."""
    env = stack["env"]
    table = boto3.resource(
        "dynamodb",
        endpoint_url=stack["moto_url"],
        region_name=env["AWS_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    ).Table(env["BOOKINGS_TABLE"])
    records = []
    params = {"KeyConditionExpression": Key("pk").eq(f"T#{tenant_id}"), "ConsistentRead": True}
    while True:
        page = table.query(**params)
        records += page["Items"]
        if "LastEvaluatedKey" not in page:
            break
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    claims, scan = [], {}
    while True:
        page = table.scan(**scan, ConsistentRead=True)
        claims += [i for i in page["Items"] if i["pk"].startswith(f"CLAIM#{tenant_id}#")]
        if "LastEvaluatedKey" not in page:
            break
        scan = {"ExclusiveStartKey": page["LastEvaluatedKey"]}
    return {
        "locks": [r for r in records if r["sk"].startswith("LOCK#")],
        "appointments": [r for r in records if r["sk"].startswith("APPT#")],
        "claims": claims,
    }


def span(doc: dict) -> tuple[datetime, datetime]:
    return instant(doc["start"]), instant(doc["end"])


def meets(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


ACTIVE = ("PENDING", "CONFIRMED")


def assert_table_agrees(stack: dict, shop: Shop) -> None:
    items = bookings_items(stack, shop.tenant_id)
    now = time.time()
    live = [json.loads(r["doc"]) for r in items["locks"] if r["expires_at"] > now]
    booked = [json.loads(r["doc"]) for r in items["appointments"]]
    booked = [a for a in booked if a["status"] in ACTIVE]
    owner_of = {c["pk"]: c["owner"] for c in items["claims"]}
    problems = []
    for lock in live:
        met = [
            a["id"] for a in booked if a["calendar_id"] == lock["calendar_id"] and meets(span(lock), span(a))
        ]
        if met:
            problems.append(f"live lock {lock['lock_code']} meets appointment {met}")
        prefix = f"CLAIM#{shop.tenant_id}#{lock['calendar_id']}#"
        owners = {owner_of.get(prefix + unit) for unit in lock["hold"]["units"]}
        if owners != {f"LOCK#{lock['lock_code']}"}:
            problems.append(f"live lock {lock['lock_code']}'s units are owned by {owners}")
    for appointment in booked:
        prefix = f"CLAIM#{shop.tenant_id}#{appointment['calendar_id']}#"
        owners = {owner_of.get(prefix + unit) for unit in appointment["_hold"]["units"]}
        if owners != {f"APPT#{appointment['id']}"}:
            problems.append(f"appointment {appointment['id']}'s units are owned by {owners}")
    assert not problems, f"{len(problems)} problems in the table: {problems[:3]}"


def assert_api_agrees(shop: Shop) -> None:
    appointments, cursor = [], None
    while True:
        params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = shop.agent.get("/v1/appointments", params=params)
        assert page.status_code == 200, page.text
        appointments += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if not cursor:
            break
    active = [a for a in appointments if a["status"] in ACTIVE]
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda code: shop.agent.get(f"/v1/locks/{code}"), shop.codes))
    for reply in got:
        assert reply.status_code in (200, 404), reply.text
        if reply.status_code == 200:
            lock = reply.json()
            for appointment in active:
                if appointment["calendar_id"] == lock["calendar_id"]:
                    assert not meets(span(lock), span(appointment)), ("api", lock, appointment)


def release_all(shop: Shop) -> list[tuple[int, float]]:
    def release(code: str) -> tuple[int, float]:
        began = time.monotonic()
        with httpx.Client(base_url=shop.base_url, headers={"X-Api-Key": shop.keys["public"]}) as client:
            reply = client.delete(f"/v1/locks/{code}", timeout=120)
        return reply.status_code, time.monotonic() - began

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(release, shop.codes))


@pytest.mark.parametrize("race", list(RACES))
def test_a_live_lock_and_an_appointment_never_share_a_unit(api, new_tenant, stack, race):
    shop = Shop(api, new_tenant, stack)
    run_round, ok = RACES[race]
    began = time.monotonic()
    with ThreadPoolExecutor(CONCURRENT_ROUNDS) as pool:
        outcomes = list(pool.map(lambda _i: run_round(shop), range(ROUNDS)))
    took = time.monotonic() - began
    tally = Counter(outcomes)
    print(f"\n{race}: {ROUNDS} rounds in {took:.1f} s, (lock, booking) statuses: {dict(tally)}")

    unexpected = [o for o in outcomes if not set(o) <= {ok, 201, 409}]
    assert not unexpected, unexpected[:3]
    both = tally.get((201, ok), 0)
    assert_table_agrees(stack, shop)
    assert_api_agrees(shop)
    released = release_all(shop)
    assert {status for status, _ in released} <= {204, 404}, Counter(s for s, _ in released)
    slowest = max(seconds for _, seconds in released)
    assert slowest < RELEASE_DEADLINE_S, f"a DELETE took {slowest:.1f} s"
    print(f"{race}: both answered success in {both} rounds; slowest DELETE {slowest:.2f} s")
    # Nothing stays held: every lock is gone and no live lock record is left in the table.
    items = bookings_items(stack, shop.tenant_id)
    assert not [r for r in items["locks"] if r["expires_at"] > time.time()]
