"""Pre-reservations: a lock holds a slot for a while (lock_ttl_seconds) under a lock_code.

A lock is its claims (with expires_at), its occupancy record and its lock record, written in one
transaction. Posting the same code again moves it: the old time is freed in that same transaction.
Expiry never waits for TTL deletion: every condition and read treats a reached expires_at as absent.
A lock ends exactly at the expires_at it reports, and lasts at least lock_ttl_seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from creneau.clock import epoch_after, iso
from creneau.dal import calendar_time
from creneau.dal.calendar_time import HeldSpan, Hold
from creneau.dal.catalog_records import CalendarRecord
from creneau.dal.lock_repository import Lock, LockRepository
from creneau.dal.store import Store
from creneau.dal.transaction import TransactionFailed
from creneau.domain.scope import CalendarScope
from creneau.errors import LockNotFound, SlotUnavailable
from creneau.logic import retry, schedule
from creneau.logic import sessions as seating
from creneau.models.booking import LockIn
from creneau.security import new_id, new_lock_code

NOT_FOUND = "no live lock with this code (unknown, expired or used for a booking)"


def holds_seats(lock: Lock | None, calendar_id: str, now: datetime) -> bool:
    """A live lock on seats of a group session on `calendar_id`."""
    return bool(lock and lock.session_id) and lock.is_live(now) and lock.calendar_id == calendar_id


def covers(lock: Lock, request) -> bool:
    """The lock holds what the booking asks: its services, start and at least its seats."""
    same_time = request.services == list(lock.service_ids) and iso(request.start) == iso(lock.start)
    return same_time and request.seats <= lock.seats


def view(lock: Lock) -> dict[str, Any]:
    return {
        "seats": lock.seats,
        "session_id": lock.session_id,
        "lock_code": lock.lock_code,
        "service_id": lock.service_ids[0],
        "service_ids": list(lock.service_ids),
        "calendar_id": lock.calendar_id,
        "start": iso(lock.start),
        "end": iso(lock.end),
        "expires_at": iso(datetime.fromtimestamp(lock.expires_at, UTC)),
    }


def hold(
    store: Store, tenant_id: str, request: LockIn, now: datetime, calendar_ids: CalendarScope = None
) -> dict[str, Any]:
    """Create the lock, or move it when the code already names one; `calendar_ids` limits the
    calendars (an agent limited to some)."""
    code = request.lock_code or new_lock_code()
    settings = store.settings.get(tenant_id)
    ttl = settings.lock_ttl_seconds
    chosen = schedule.load_services(store, tenant_id, request.services)
    schedule.require_calendar_choice(settings, request.calendar_id)
    shape = schedule.shape_of(chosen)
    seating.check_seats(request.seats, shape.capacity)
    wanted = schedule.names_of(chosen)
    for _attempt in retry.attempts():
        previous = store.locks.find(tenant_id, code)
        calendars = schedule.candidate_calendars(store, tenant_id, wanted, request.calendar_id, calendar_ids)
        holding = _Holding(store, tenant_id, code, request, shape, previous, epoch_after(now, ttl), now)
        try:
            return _hold_on_first_free(holding, calendars)
        except _LockChanged:
            continue
    raise SlotUnavailable("this lock is being changed by another request; try again")


class _LockChanged(Exception):
    """The lock record was moved, consumed or expired-and-taken between our read and our write."""


@dataclass(frozen=True)
class _Holding:
    """One attempt at holding: what was asked, and the lock record read for the code (if any)."""

    store: Store
    tenant_id: str
    code: str
    request: LockIn
    shape: Any
    previous: Lock | None
    expires_at: int
    now: datetime

    def lock(self, calendar_id: str, start: datetime, end: datetime, held: HeldSpan, **seats) -> Lock:
        return Lock(
            lock_code=self.code,
            service_ids=tuple(self.request.services),
            calendar_id=calendar_id,
            start=start,
            end=end,
            expires_at=self.expires_at,
            hold=held,
            revision=new_id(),  # what a concurrent move or booking checks it read
            **seats,
        )


def _hold_on_first_free(holding: _Holding, calendars: list[CalendarRecord]) -> dict:
    tenant_id, request, shape, previous, now = (
        holding.tenant_id,
        holding.request,
        holding.shape,
        holding.previous,
        holding.now,
    )
    owner = calendar_time.lock_owner(holding.code)
    refusals: list[SlotUnavailable] = []
    for calendar in calendars:
        if shape.capacity > 1:
            try:
                return _hold_seats(holding, calendar)
            except SlotUnavailable as error:
                refusals.append(error)
                continue
        try:
            placement = schedule.place(
                holding.store,
                tenant_id,
                calendar,
                shape,
                request.start,
                now,
                owner,
                frozenset({owner}),
                holding.expires_at,
                request.bypass_notice,
            )
        except SlotUnavailable as error:
            refusals.append(error)
            continue
        lock = holding.lock(calendar.id, placement.start, placement.end, HeldSpan.of(placement.hold))
        transaction = holding.store.transaction()
        transaction.extend("claims", calendar_time.take_items(placement.hold, now, also_free_for=(owner,)))
        transaction.extend("lock", [holding.store.locks.put_item(tenant_id, lock, previous)])
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
            attempt = schedule.Attempt(
                holding.store, tenant_id, calendar, shape, placement.start, now, mine, request.bypass_notice
            )
            refusals.append(schedule.refusal(attempt))
            continue
        return view(lock)
    raise schedule.combined_refusal(refusals)


def _hold_seats(holding: _Holding, calendar: CalendarRecord) -> dict:
    """A group service: the lock holds seats of the session at the start (opening it if nobody
    holds it); the same code moved from elsewhere gives its former seats or time back at once."""
    tenant_id, request, previous, now = holding.tenant_id, holding.request, holding.previous, holding.now
    here = holds_seats(previous, calendar.id, now) and iso(previous.start) == iso(request.start)
    store = holding.store
    plan = seating.plan_seats(
        store,
        tenant_id,
        calendar,
        store.services.get(tenant_id, request.services[0]),
        holding.shape,
        request.start,
        now,
        request.seats,
        lock=(holding.code, holding.expires_at),
        giving_back=holding.code if here else None,
        bypass_notice=request.bypass_notice,
    )
    session = plan.session
    # the session owns the time; the lock, seats
    no_units = replace(HeldSpan.from_doc(session.hold), units=())
    lock = holding.lock(
        calendar.id, session.start, session.end, no_units, seats=request.seats, session_id=session.id
    )
    transaction = store.transaction()
    transaction.extend("seats", plan.items)
    transaction.extend("lock", [store.locks.put_item(tenant_id, lock, previous)])
    if previous is not None and not here:
        transaction.extend("release", _giving_back(store, tenant_id, previous, now))
    try:
        transaction.commit()
    except TransactionFailed as failure:
        raise _LockChanged from failure  # the lock, its seats or the session changed: decide again
    return view(lock)


def _giving_back(store: Store, tenant_id: str, lock: Lock, now: datetime) -> list[dict[str, Any]]:
    """What a lock moved elsewhere or released frees: its seats of a session, or its own time."""
    if not lock.session_id:
        return calendar_time.release_items(_releasable(tenant_id, lock, now))
    if not lock.is_live(now):
        return []  # expired seats are free already; the next writer of that session reclaims them
    session = store.sessions.find(tenant_id, lock.calendar_id, lock.start)
    return seating.leave_items(session, now, lock=lock.lock_code)


def _releasable(tenant_id: str, lock: Lock, now: datetime) -> Hold:
    """What a lock still holds: an expired lock's claims may already be someone else's, so they
    are left to expire (they count as free); only its occupancy record is removed."""
    held = lock.held_time(tenant_id)
    return held if lock.is_live(now) else replace(held, units=())


def _live_visible(
    locks: LockRepository, tenant_id: str, code: str, now: datetime, calendar_ids: CalendarScope
) -> Lock:
    """The lock under `code` if it is live and on a calendar the caller sees; LockNotFound otherwise."""
    lock = locks.find(tenant_id, code)
    visible = lock is not None and (calendar_ids is None or lock.calendar_id in calendar_ids)
    if not visible or not lock.is_live(now):
        raise LockNotFound(NOT_FOUND)
    return lock


def get(
    store: Store, tenant_id: str, code: str, now: datetime, calendar_ids: CalendarScope = None
) -> dict[str, Any]:
    return view(_live_visible(store.locks, tenant_id, code, now, calendar_ids))


def release(
    store: Store, tenant_id: str, code: str, now: datetime, calendar_ids: CalendarScope = None
) -> None:
    for _attempt in retry.attempts():
        lock = _live_visible(store.locks, tenant_id, code, now, calendar_ids)
        transaction = store.transaction()
        transaction.extend("release", _giving_back(store, tenant_id, lock, now))
        transaction.extend("lock", [store.locks.delete_item(tenant_id, lock)])
        try:
            transaction.commit()
            return
        except TransactionFailed:
            continue
    raise SlotUnavailable("this lock is being changed by another request; try again")


def converted(
    tenant_id: str, lock: Lock | None, calendar: CalendarRecord, request, now: datetime, owner: str
):
    """The placement a live lock already holds for exactly this booking (same calendar, start and
    services in the same order), handed to `owner`: the hold is what was promised, so minimum notice that ran
    out while the form was filled does not refuse it. None when the lock does not cover it."""
    if lock is None or not lock.is_live(now) or lock.calendar_id != calendar.id:
        return None
    if request.services != list(lock.service_ids) or iso(request.start) != iso(lock.start):
        return None
    held = replace(lock.held_time(tenant_id), owner=owner, expires_at=None)
    return schedule.Placement(calendar=calendar, start=lock.start, end=lock.end, hold=held)


def taken_over(lock: Lock | None, calendar_id: str, now: datetime) -> tuple[str, ...]:
    """The lock owner whose claims a booking on `calendar_id` may take over: only the lock it read,
    live and on that calendar, and only together with `consumption_items`, which condition on that
    lock record's revision. Merely sending a code takes nothing: a lock created, moved or released
    after the read fails the booking's transaction instead of being overwritten under a live lock."""
    if lock is None or not lock.is_live(now) or lock.calendar_id != calendar_id:
        return ()
    return (lock.owner,)


def revision(lock: Lock | None) -> str | None:
    return lock.revision if lock else None


def consumption_items(
    tenant_id: str, lock: Lock | None, new: Hold, now: datetime, repository: LockRepository
) -> list[dict[str, Any]]:
    """Items that consume `lock` for a booking that takes `new`: its record, occupancy, and the
    claims the booking does not re-use (those of a live lock are surely still its own). A lock on
    another calendar is not what the booking used: it is left alone."""
    if lock is None or lock.calendar_id != new.calendar_id:
        return []
    return [
        *calendar_time.release_items(_releasable(tenant_id, lock, now), new),
        repository.delete_item(tenant_id, lock),
    ]
