"""Pre-reservations: a lock holds a slot for a while (lock_ttl_seconds) under a lock_code.

A lock is its claims (with expires_at), its occupancy record and its lock record, written in one
transaction. Posting the same code again moves it: the old time is freed in that same transaction.
Expiry never waits for TTL deletion: every condition and read treats a reached expires_at as absent.
A lock ends exactly at the expires_at it reports, and lasts at least lock_ttl_seconds.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from creneau.clock import epoch, epoch_after, iso
from creneau.dal import calendar_time, locks
from creneau.dal import sessions as session_records
from creneau.dal.calendar_time import Hold
from creneau.dal.catalog import services
from creneau.dal.transaction import Transaction, TransactionFailed
from creneau.errors import LockNotFound, SlotUnavailable
from creneau.logic import retry, tenants
from creneau.logic import sessions as seating
from creneau.logic.schedule import (
    Placement,
    candidate_calendars,
    combined_refusal,
    hold_from_doc,
    load_services,
    place,
    refusal,
    require_calendar_choice,
    shape_of,
)
from creneau.models.booking import LockIn
from creneau.security import new_id, new_lock_code


def is_live(lock: dict[str, Any], now: datetime) -> bool:
    return lock["expires_at"] > epoch(now)


def hold_of(tenant_id: str, lock: dict[str, Any]) -> Hold:
    return hold_from_doc(
        tenant_id,
        lock["calendar_id"],
        calendar_time.lock_owner(lock["lock_code"]),
        lock["hold"],
        lock["expires_at"],
    )


def services_of(lock: dict[str, Any]) -> list[str]:
    """The services a lock holds time for, in order (locks from before several services: one)."""
    return lock.get("service_ids") or [lock["service_id"]]


def holds_seats(lock: dict | None, calendar_id: str, now: datetime) -> bool:
    """A live lock on seats of a group session on `calendar_id`."""
    return bool(lock and lock.get("session_id")) and is_live(lock, now) and lock["calendar_id"] == calendar_id


def covers(lock: dict[str, Any], request) -> bool:
    """The lock holds what the booking asks: its services, start and at least its seats."""
    same_time = request.services == services_of(lock) and iso(request.start) == lock["start"]
    return same_time and request.seats <= lock.get("seats", 1)


def view(lock: dict[str, Any]) -> dict[str, Any]:
    return {
        "seats": lock.get("seats", 1),
        "session_id": lock.get("session_id"),
        "lock_code": lock["lock_code"],
        "service_id": lock["service_id"],
        "service_ids": services_of(lock),
        "calendar_id": lock["calendar_id"],
        "start": lock["start"],
        "end": lock["end"],
        "expires_at": iso(datetime.fromtimestamp(lock["expires_at"], UTC)),
    }


def hold(
    tenant_id: str, request: LockIn, now: datetime, calendar_ids: frozenset[str] | None = None
) -> dict[str, Any]:
    """Create the lock, or move it when the code already names one; `calendar_ids` limits the
    calendars (an agent limited to some)."""
    code = request.lock_code or new_lock_code()
    settings = tenants.get_settings(tenant_id)
    ttl = settings["lock_ttl_seconds"]
    chosen = load_services(tenant_id, request.services)
    require_calendar_choice(settings, request.calendar_id)
    shape = shape_of(chosen)
    seating.check_seats(request.seats, shape.capacity)
    for _attempt in retry.attempts():
        previous = locks.find(tenant_id, code)
        calendars = candidate_calendars(tenant_id, chosen, request.calendar_id, calendar_ids)
        try:
            return _hold_on_first_free(
                tenant_id, code, request, shape, calendars, previous, epoch_after(now, ttl), now
            )
        except _LockChanged:
            continue
    raise SlotUnavailable("this lock is being changed by another request; try again")


class _LockChanged(Exception):
    """The lock record was moved, consumed or expired-and-taken between our read and our write."""


def _hold_on_first_free(tenant_id, code, request, shape, calendars, previous, expires_at, now) -> dict:
    owner = calendar_time.lock_owner(code)
    refusals: list[SlotUnavailable] = []
    for calendar in calendars:
        if shape.capacity > 1:
            try:
                return _hold_seats(tenant_id, code, request, shape, calendar, previous, expires_at, now)
            except SlotUnavailable as error:
                refusals.append(error)
                continue
        try:
            placement = place(
                tenant_id,
                calendar,
                shape,
                request.start,
                now,
                owner,
                frozenset({owner}),
                expires_at,
                request.bypass_notice,
            )
        except SlotUnavailable as error:
            refusals.append(error)
            continue
        doc = {
            "lock_code": code,
            "service_id": request.services[0],
            "service_ids": request.services,
            "calendar_id": calendar["id"],
            "start": iso(placement.start),
            "end": iso(placement.end),
            "expires_at": expires_at,
            "hold": placement.hold.to_doc(),
            "revision": new_id(),  # what a concurrent move or booking checks it read
        }
        transaction = Transaction()
        transaction.extend("claims", calendar_time.take_items(placement.hold, now, also_free_for=(owner,)))
        transaction.extend("lock", [locks.put_item(tenant_id, doc, previous)])
        if previous is not None:
            transaction.extend(
                "release", calendar_time.release_items(_releasable(tenant_id, previous, now), placement.hold)
            )
        try:
            transaction.commit()
        except TransactionFailed as failure:
            if failure.refused & {"lock", "release"}:
                raise _LockChanged from failure
            mine = frozenset({owner})
            refusals.append(
                refusal(tenant_id, calendar, shape, placement.start, now, mine, request.bypass_notice)
            )
            continue
        return view(doc)
    raise combined_refusal(refusals)


def _hold_seats(tenant_id, code, request, shape, calendar, previous, expires_at, now) -> dict:
    """A group service: the lock holds seats of the session at the start (opening it if nobody
    holds it); the same code moved from elsewhere gives its former seats or time back at once."""
    start = iso(request.start)
    here = holds_seats(previous, calendar["id"], now) and previous["start"] == start
    plan = seating.plan_seats(
        tenant_id,
        calendar,
        services.get(tenant_id, request.services[0]),
        shape,
        request.start,
        now,
        request.seats,
        lock=(code, expires_at),
        giving_back=code if here else None,
        bypass_notice=request.bypass_notice,
    )
    session = plan.session
    doc = {
        "lock_code": code,
        "service_id": request.services[0],
        "service_ids": request.services,
        "calendar_id": calendar["id"],
        "start": iso(session.start),
        "end": iso(session.end),
        "expires_at": expires_at,
        "hold": {**session.hold, "units": []},  # the session owns the time; the lock, seats
        "revision": new_id(),
        "seats": request.seats,
        "session_id": session.id,
    }
    transaction = Transaction()
    transaction.extend("seats", plan.items)
    transaction.extend("lock", [locks.put_item(tenant_id, doc, previous)])
    if previous is not None and not here:
        transaction.extend("release", _giving_back(tenant_id, previous, now))
    try:
        transaction.commit()
    except TransactionFailed as failure:
        raise _LockChanged from failure  # the lock, its seats or the session changed: decide again
    return view(doc)


def _giving_back(tenant_id: str, lock: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    """What a lock moved elsewhere or released frees: its seats of a session, or its own time."""
    if not lock.get("session_id"):
        return calendar_time.release_items(_releasable(tenant_id, lock, now))
    if not is_live(lock, now):
        return []  # expired seats are free already; the next writer of that session reclaims them
    session = session_records.find(tenant_id, lock["calendar_id"], datetime.fromisoformat(lock["start"]))
    return seating.leave_items(session, now, lock=lock["lock_code"])


def _releasable(tenant_id: str, lock: dict[str, Any], now: datetime) -> Hold:
    """What a lock still holds: an expired lock's claims may already be someone else's, so they
    are left to expire (they count as free); only its occupancy record is removed."""
    held = hold_of(tenant_id, lock)
    return held if is_live(lock, now) else replace(held, units=())


def _visible(lock: dict | None, calendar_ids: frozenset[str] | None) -> bool:
    return lock is not None and (calendar_ids is None or lock["calendar_id"] in calendar_ids)


def get(
    tenant_id: str, code: str, now: datetime, calendar_ids: frozenset[str] | None = None
) -> dict[str, Any]:
    lock = locks.find(tenant_id, code)
    if not _visible(lock, calendar_ids) or not is_live(lock, now):
        raise LockNotFound("no live lock with this code (unknown, expired or used for a booking)")
    return view(lock)


def release(tenant_id: str, code: str, now: datetime, calendar_ids: frozenset[str] | None = None) -> None:
    for _attempt in retry.attempts():
        lock = locks.find(tenant_id, code)
        if not _visible(lock, calendar_ids) or not is_live(lock, now):
            raise LockNotFound("no live lock with this code (unknown, expired or used for a booking)")
        transaction = Transaction()
        transaction.extend("release", _giving_back(tenant_id, lock, now))
        transaction.extend("lock", [locks.delete_item(tenant_id, lock)])
        try:
            transaction.commit()
            return
        except TransactionFailed:
            continue
    raise SlotUnavailable("this lock is being changed by another request; try again")


def converted(tenant_id: str, lock: dict | None, calendar: dict, request, now: datetime, owner: str):
    """The placement a live lock already holds for exactly this booking (same calendar, start and
    services in the same order), handed to `owner`: the hold is what was promised, so minimum notice that ran
    out while the form was filled does not refuse it. None when the lock does not cover it."""
    if lock is None or not is_live(lock, now) or lock["calendar_id"] != calendar["id"]:
        return None
    if request.services != services_of(lock) or iso(request.start) != lock["start"]:
        return None
    held = hold_of(tenant_id, lock)
    start, end = datetime.fromisoformat(lock["start"]), datetime.fromisoformat(lock["end"])
    return Placement(
        calendar=calendar, start=start, end=end, hold=replace(held, owner=owner, expires_at=None)
    )


def taken_over(lock: dict | None, calendar_id: str, now: datetime) -> tuple[str, ...]:
    """The lock owner whose claims a booking on `calendar_id` may take over: only the lock it read,
    live and on that calendar, and only together with `consumption_items`, which condition on that
    lock record's revision. Merely sending a code takes nothing: a lock created, moved or released
    after the read fails the booking's transaction instead of being overwritten under a live lock."""
    if lock is None or not is_live(lock, now) or lock["calendar_id"] != calendar_id:
        return ()
    return (calendar_time.lock_owner(lock["lock_code"]),)


def revision(lock: dict | None) -> str | None:
    return lock["revision"] if lock else None


def consumption_items(tenant_id: str, lock: dict | None, new: Hold, now: datetime) -> list[dict[str, Any]]:
    """Items that consume `lock` for a booking that takes `new`: its record, occupancy, and the
    claims the booking does not re-use (those of a live lock are surely still its own). A lock on
    another calendar is not what the booking used: it is left alone."""
    if lock is None or lock["calendar_id"] != new.calendar_id:
        return []
    return [
        *calendar_time.release_items(_releasable(tenant_id, lock, now), new),
        locks.delete_item(tenant_id, lock),
    ]
