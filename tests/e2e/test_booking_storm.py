"""Concurrency over HTTP: storms of bookings and reschedules from many clients at once must never leave
two appointments overlapping on one calendar (occupied spans, buffers included), and every refusal is a
clean 409 slot-unavailable."""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import pytest
from helpers import all_items, at, build_shop, created, error_code, future_weekday, instant, local, slots

pytestmark = pytest.mark.xdist_group("e2e")

THREADS = 40
# name -> (duration, buffer before, buffer after): occupied intervals overlap in many ways.
SERVICES = {"quick": (20, 0, 5), "colour": (45, 10, 10), "cut": (30, 0, 0)}
CALENDARS = ("Alice", "Bob", "Carol")
STARTS = [f"{10 + q // 4:02d}:{q % 4 * 15:02d}" for q in range(20)]  # 10:00 .. 14:45, 20 start times


@dataclass
class Call:
    key: str
    method: str
    path: str
    body: dict


def connected(base_url: str, key: str) -> httpx.Client:
    """A client whose keep-alive connection is already open: the local gateway's listen backlog is
    small (socketserver's default of 5), so a burst of new connections to a busy gateway gets some
    reset before any request is read. Opening them beforehand with a request the gateway answers by
    itself (no such route: no function runs) keeps the storm about bookings, not about TCP."""
    client = httpx.Client(base_url=base_url, headers={"X-Api-Key": key}, timeout=120)
    for attempt in range(50):
        try:
            client.get("/v1/__open_connection__")
            return client
        except httpx.TransportError:
            time.sleep(0.02 * attempt)
    client.close()
    raise AssertionError("could not connect to the local gateway")


def storm(base_url: str, calls: list[Call]) -> list[httpx.Response]:
    """Send every call from its own client, THREADS at a time; the first THREADS start together."""
    gate = threading.Barrier(min(THREADS, len(calls)) + 1, timeout=120)

    def send(index: int, call: Call) -> httpx.Response:
        client = connected(base_url, call.key)
        try:
            if index < THREADS:
                gate.wait()
            return client.request(call.method, call.path, json=call.body)
        finally:
            client.close()

    with ThreadPoolExecutor(THREADS) as pool:
        futures = [pool.submit(send, i, call) for i, call in enumerate(calls)]
        gate.wait()
        return [future.result() for future in futures]


def check_replies(replies: list[httpx.Response], ok: int) -> None:
    """No 5xx; each reply is `ok` or 409 slot-unavailable."""
    assert not [r for r in replies if r.status_code >= 500], [r.text for r in replies if r.status_code >= 500]
    for reply in replies:
        if reply.status_code != ok:
            assert reply.status_code == 409, reply.text
            assert error_code(reply) == "slot-unavailable", reply.text


def occupied(appointment: dict, shapes: dict[str, tuple[int, int, int]]) -> tuple[datetime, datetime]:
    """[start - first service's buffer before, end + last service's buffer after)."""
    first, last = shapes[appointment["service_ids"][0]], shapes[appointment["service_ids"][-1]]
    return (
        instant(appointment["start"]) - timedelta(minutes=first[1]),
        instant(appointment["end"]) + timedelta(minutes=last[2]),
    )


def assert_no_overlap(appointments: list[dict], shapes: dict) -> dict[str, list[tuple]]:
    """No two open appointments of one calendar overlap; returns calendar -> sorted occupied spans."""
    spans: dict[str, list[tuple]] = defaultdict(list)
    for appointment in appointments:
        assert instant(appointment["end"]) - instant(appointment["start"]) == timedelta(
            minutes=sum(shapes[s][0] for s in appointment["service_ids"])
        )
        if appointment["status"] != "CANCELLED":
            spans[appointment["calendar_id"]].append((*occupied(appointment, shapes), appointment["id"]))
    for calendar_id, taken in spans.items():
        taken.sort()
        for before, after in zip(taken, taken[1:], strict=False):
            assert before[1] <= after[0], f"double booking on {calendar_id}: {before} and {after}"
    return spans


def assert_slots_match(shop, day, spans: dict[str, list[tuple]]) -> None:
    """The read side agrees with the bookings: on each calendar, a `cut` slot (30 min, no buffer) is
    offered exactly when it meets no occupied span."""
    cut = shop.services["cut"]["id"]
    grid = [local(day, "09:00") + timedelta(minutes=15 * k) for k in range(35)]
    for calendar in shop.calendars.values():
        taken = spans.get(calendar["id"], [])
        expected = [s for s in grid if not any(a < s + timedelta(minutes=30) and s < b for a, b, _ in taken)]
        assert sorted(slots(shop.public, cut, day, calendar["id"])) == expected, calendar["name"]


@pytest.fixture
def shop(api, new_tenant):
    return build_shop(api, new_tenant, SERVICES, CALENDARS)


def shapes_of(shop) -> dict[str, tuple[int, int, int]]:
    return {shop.services[name]["id"]: shape for name, shape in SERVICES.items()}


def test_booking_storm_never_double_books(shop, stack):
    day, rng = future_weekday(), random.Random(20240611)
    names = {c["id"]: n for n, c in shop.calendars.items()}
    calls = []
    for i in range(200):
        calendar = rng.choice([*shop.calendars.values(), None])  # None: any calendar
        body = {
            "service_id": shop.services[rng.choice(list(SERVICES))]["id"],
            "start": at(day, rng.choice(STARTS)),
            "customer": {"first_name": f"Storm {i}", "email": f"storm{i}@example.com"},
            **({"calendar_id": calendar["id"]} if calendar else {}),
        }
        calls.append(Call(shop.keys[rng.choice(["public", "agent"])], "POST", "/v1/appointments", body))

    replies = storm(stack["api_url"], calls)

    check_replies(replies, 201)
    won = {r.json()["id"]: r.json() for r in replies if r.status_code == 201}
    appointments = all_items(shop.agent, "/v1/appointments", limit=100)
    assert {a["id"] for a in appointments} == set(won)  # each success is real, and nothing else is
    spans = assert_no_overlap(appointments, shapes_of(shop))
    assert set(names) == set(spans), "every calendar took at least one booking"
    for call, reply in zip(calls, replies, strict=True):
        if reply.status_code == 201:
            assert instant(reply.json()["start"]) == instant(call.body["start"])
            assert call.body.get("calendar_id", reply.json()["calendar_id"]) == reply.json()["calendar_id"]
    # A refused booking leaves nothing behind: not its customer, not its time.
    assert len(all_items(shop.agent, "/v1/customers", limit=100)) == len(won)
    assert_slots_match(shop, day, spans)


def test_reschedule_storm_moves_atomically(shop, stack):
    day, other_day, third_day = future_weekday(), future_weekday(skip=1), future_weekday(skip=2)
    rng = random.Random(77)
    shapes, names, calendar_ids = shapes_of(shop), list(SERVICES), [c["id"] for c in shop.calendars.values()]
    originals = [  # per calendar and day: 09:00, 10:15 ... 14:00, services in turn: nothing overlaps
        Call(
            shop.keys["agent"],
            "POST",
            "/v1/appointments",
            {
                "service_id": shop.services[names[k % 3]]["id"],
                "calendar_id": calendar_id,
                "start": at(when, f"{9 + 75 * k // 60:02d}:{75 * k % 60:02d}"),
                "customer": {"first_name": f"Original {k}"},
            },
        )
        for when in (day, other_day)
        for calendar_id in calendar_ids
        for k in range(5)
    ]
    booked = storm(stack["api_url"], originals)
    assert [r.status_code for r in booked] == [201] * len(originals), [r.text for r in booked]
    ids = {r.json()["id"] for r in booked}
    outcomes, probed_in_all = [], 0

    # Round 1 moves everyone onto `day`, among its own appointments and into the times that others
    # free meanwhile; round 2 onto the empty `third_day`, so some moves surely happen.
    for onto in (day, third_day):
        before = {a["id"]: a for a in all_items(shop.agent, "/v1/appointments", limit=100) if a["id"] in ids}
        targets = {}  # one mover per appointment, all onto overlapping times of one day
        for appointment_id in sorted(ids):
            targets[appointment_id] = {"start": at(onto, rng.choice(STARTS))}
            if rng.random() < 0.3:
                targets[appointment_id]["calendar_id"] = rng.choice(calendar_ids)
        calls = [
            Call(shop.keys["agent"], "POST", f"/v1/appointments/{i}/reschedule", body)
            for i, body in targets.items()
        ]
        replies = dict(zip(targets, storm(stack["api_url"], calls), strict=True))

        check_replies(list(replies.values()), 200)
        listed = all_items(shop.agent, "/v1/appointments", limit=100)
        after = {a["id"]: a for a in listed if a["id"] in ids}
        assert set(after) == ids
        moved = [i for i, reply in replies.items() if reply.status_code == 200]
        outcomes += [reply.status_code for reply in replies.values()]
        for appointment_id, reply in replies.items():
            now, old, body = after[appointment_id], before[appointment_id], targets[appointment_id]
            assert now["status"] == "PENDING"
            if reply.status_code == 200:  # at its new time
                assert instant(now["start"]) == instant(body["start"])
                assert now["calendar_id"] == body.get("calendar_id", old["calendar_id"])
                assert reply.json()["start"] == now["start"]
            else:  # at its old time, untouched
                assert [now[k] for k in ("start", "end", "calendar_id")] == [
                    old[k] for k in ("start", "end", "calendar_id")
                ]
        spans = assert_no_overlap(listed, shapes)
        for when in (day, other_day, third_day):
            assert_slots_match(shop, when, spans)

        # The old times of the moved ones are free on the write side too: book those that meet no
        # current appointment (nor each other) all at once; every one must succeed. They stay booked:
        # more to collide with in the next round.
        probes, held = [], {c: [span[:2] for span in s] for c, s in spans.items()}
        for appointment_id in moved:
            old = before[appointment_id]
            low, high = occupied(old, shapes)
            taken = held.setdefault(old["calendar_id"], [])
            if not any(a < high and low < b for a, b in taken):
                taken.append((low, high))
                body = {k: old[k] for k in ("service_ids", "calendar_id", "start")}
                probes.append(
                    Call(
                        shop.keys["agent"],
                        "POST",
                        "/v1/appointments",
                        {**body, "customer": {"first_name": "Probe"}},
                    )
                )
        probed = storm(stack["api_url"], probes) if probes else []
        assert [r.status_code for r in probed] == [201] * len(probes), [r.text for r in probed]
        probed_in_all += len(probes)
    assert 200 in outcomes and 409 in outcomes  # the storms both moved and refused
    assert probed_in_all  # round 2's moves left their old times free: some probes were booked


def test_cancel_then_rebook_the_same_time_exactly_one_wins(shop, stack):
    day, cut = future_weekday(skip=2), shop.services["cut"]["id"]
    calls, cancelled = [], []
    for calendar in shop.calendars.values():  # on each calendar: book, cancel, then 20 race for the time
        body = {"service_id": cut, "calendar_id": calendar["id"], "start": at(day, "10:00")}
        first = created(shop.book(**body))
        cancel = shop.agent.post(f"/v1/appointments/{first['id']}/status", json={"status": "CANCELLED"})
        assert cancel.status_code == 200, cancel.text
        cancelled.append(first["id"])
        calls += [
            Call(shop.keys[role], "POST", "/v1/appointments", {**body, "customer": {"first_name": f"R{i}"}})
            for i, role in enumerate(["public", "agent"] * 10)
        ]
    replies = storm(stack["api_url"], calls)

    check_replies(replies, 201)
    winners = defaultdict(list)
    for call, reply in zip(calls, replies, strict=True):
        if reply.status_code == 201:
            winners[call.body["calendar_id"]].append(reply.json()["id"])
    assert {c: len(w) for c, w in winners.items()} == {c["id"]: 1 for c in shop.calendars.values()}
    appointments = all_items(shop.agent, "/v1/appointments", limit=100)
    assert sorted(a["id"] for a in appointments if a["status"] == "CANCELLED") == sorted(cancelled)
    assert sorted(a["id"] for a in appointments if a["status"] != "CANCELLED") == sorted(
        i for w in winners.values() for i in w
    )
    assert_no_overlap(appointments, shapes_of(shop))


# The error codes (docs/api.md) that a reschedule may answer with 409.
DOCUMENTED_409 = {
    "slot-unavailable",
    "invalid-status-transition",
    "too-many-appointments",
    "idempotency-conflict",
}


def test_concurrent_reschedules_of_one_appointment(shop, stack):
    """Many clients move the same appointment at once, each to its own free time: each move either
    happens or is refused with a documented code, and the appointment ends at one of the moved-to
    times with every other time free."""
    day, cut, alice = future_weekday(skip=3), shop.services["cut"]["id"], shop.calendars["Alice"]["id"]
    moving = created(shop.book(service_id=cut, calendar_id=alice, start=at(day, "09:00")))
    targets = [at(day, f"{10 + k // 2:02d}:{k % 2 * 30:02d}") for k in range(12)]  # 10:00 .. 15:30
    calls = [
        Call(shop.keys["agent"], "POST", f"/v1/appointments/{moving['id']}/reschedule", {"start": target})
        for target in targets
    ]
    replies = storm(stack["api_url"], calls)

    assert not [r.text for r in replies if r.status_code >= 500]
    final = shop.agent.get(f"/v1/appointments/{moving['id']}").json()
    moved_to = {instant(r.json()["start"]) for r in replies if r.status_code == 200}
    assert instant(final["start"]) in moved_to
    spans = assert_no_overlap(all_items(shop.agent, "/v1/appointments"), shapes_of(shop))
    assert_slots_match(shop, day, spans)  # only the final time is taken: no move left claims behind
    created(shop.book(service_id=cut, calendar_id=alice, start=at(day, "09:00")))  # the first time is free
    refused = {(r.status_code, error_code(r)) for r in replies if r.status_code != 200}
    assert all(status == 409 and code in DOCUMENTED_409 for status, code in refused), refused
