"""Group sessions: a service with `capacity` above 1 holds, at each slot start it is booked, one
session whose seats are taken one party at a time.

The first holder of a session (a booking or a lock) claims its calendar time as any booking does and
opens the session record; later holders only take seats, with the capacity condition on that record
(dal/session_repository.py). Every change is one transaction with the appointment or lock it serves. The last
holder to leave closes the session and frees its time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from creneau.clock import iso
from creneau.dal import calendar_time, session_repository
from creneau.dal.calendar_time import HeldSpan, Hold
from creneau.dal.catalog_records import CalendarRecord, ServiceRecord
from creneau.dal.session_repository import Held, SeatChange, Session
from creneau.dal.store import Store
from creneau.domain.availability import GroupSession, Interval, ServiceShape, compute_slots
from creneau.domain.days import LocalDays
from creneau.domain.scope import CalendarScope
from creneau.domain.wording import local_time
from creneau.errors import CalendarNotFound, SessionNotFound, SlotUnavailable, ValidationFailed
from creneau.logic.schedule import (
    REASON_TEXT,
    Attempt,
    SlotSearch,
    engine_calendar,
    first_free,
    occupied_around,
    place,
    refusal,
    slot_view,
)


def check_seats(seats: int, capacity: int) -> None:
    if seats > capacity:
        field = "seats"
        if capacity == 1:
            raise ValidationFailed.field(field, "this service takes one customer at a time: seats must be 1")
        raise ValidationFailed.field(field, f"at most {capacity} seats: the session holds {capacity} people")


@dataclass(frozen=True)
class SeatPlan:
    """What one holder's transaction writes on one calendar: the items, the placement's times."""

    items: list[dict[str, Any]]
    session: Session
    start: datetime
    end: datetime


def _hold_of(session: Session, expires_at: int | None) -> Hold:
    span = HeldSpan.from_doc(session.hold)
    return span.of_owner(
        session.tenant_id, session.calendar_id, session_repository.owner(session), expires_at
    )


def plan_seats(
    store: Store,
    tenant_id: str,
    calendar: CalendarRecord,
    service: ServiceRecord,
    shape: ServiceShape,
    start: datetime,
    now: datetime,
    seats: int,
    *,
    booking: str | None = None,  # the appointment id taking seats
    lock: tuple[str, int] | None = None,  # (lock code, expires_at) of a lock taking seats
    giving_back: str | None = None,  # a lock code of this holder whose seats here it frees
    bypass_notice: bool = False,
    converting: bool = False,  # a live lock of exactly this booking: what it holds is promised
) -> SeatPlan:
    """The items that give `seats` of the session at `start` on `calendar` to one holder, opening
    the session when nobody holds it; 409 when the time is not free or too few seats are left."""
    found = store.sessions.find(tenant_id, calendar.id, start)
    live = found if found is not None and found.is_live(now) else None
    holder = {"add_bookings": {booking: seats}} if booking else {"add_held": {lock[0]: Held(seats, lock[1])}}
    if live is None:
        return _open(
            store, tenant_id, calendar, service, shape, start, now, seats, booking, lock, bypass_notice
        )
    if live.service_id != service.id:
        raise refusal(Attempt(store, tenant_id, calendar, shape, start, now))
    mine = giving_back if giving_back in live.held else None
    if not converting:
        _check_joinable(store, tenant_id, calendar, shape, live, now, seats, mine, bypass_notice)
    change = SeatChange(read=live, now=now, remove_held=(mine,) if mine else (), **holder)
    items: list[dict[str, Any]] = []
    if booking and live.expires_at is not None:  # held by locks only until now: it stops expiring
        change.expires_at = None
        items += calendar_time.take_items(
            _hold_of(live, None), now, also_free_for=(session_repository.owner(live),)
        )
    elif lock and live.expires_at is not None and lock[1] > live.expires_at:
        change.expires_at = lock[1]  # its time lasts as long as its longest lock
        items += calendar_time.take_items(
            _hold_of(live, lock[1]), now, also_free_for=(session_repository.owner(live),)
        )
    return SeatPlan([change.item(), *items], live, live.start, live.end)


def _open(
    store, tenant_id, calendar, service, shape, start, now, seats, booking, lock, bypass_notice
) -> SeatPlan:
    opening = Session(
        tenant_id=tenant_id,
        calendar_id=calendar.id,
        service_id=service.id,
        start=start,
        end=start,
        capacity=service.capacity,
        taken=seats,
    )
    expires_at = lock[1] if lock else None
    placement = place(
        store,
        tenant_id,
        calendar,
        shape,
        start,
        now,
        session_repository.owner(opening),
        expires_at=expires_at,
        bypass_notice=bypass_notice,
    )
    session = replace(
        opening,
        start=placement.start,
        end=placement.end,
        bookings={booking: seats} if booking else {},
        held={lock[0]: Held(seats, lock[1])} if lock else {},
        hold=placement.hold.to_doc(),
        expires_at=expires_at,
    )
    items = [*calendar_time.take_items(placement.hold, now), session_repository.create_item(session, now)]
    return SeatPlan(items, session, placement.start, placement.end)


def _check_joinable(
    store, tenant_id, calendar, shape, live: Session, now, seats, mine, bypass_notice
) -> None:
    """The session's start must still be a slot (hours, exceptions, notice) with the seats asked."""
    left = live.seats_left(now, mine)
    owner = session_repository.owner(live)
    attempt = Attempt(store, tenant_id, calendar, shape, live.start, now, frozenset({owner}), bypass_notice)
    others = occupied_around(attempt)
    engine = engine_calendar(calendar, [(o.start, o.end) for o in others], bypass_notice)
    engine = replace(engine, sessions=[GroupSession(live.start, Interval(*live.occupied), left)])
    window = Interval(live.start, live.start + timedelta(minutes=1))
    if any(slot.start == live.start for slot in compute_slots([engine], shape, window, now, seats=seats)):
        return
    if left >= seats:
        raise refusal(attempt)
    following = first_free(
        SlotSearch(store, tenant_id, [calendar], shape, now), live.start + timedelta(microseconds=1)
    )
    place_word = "place" if left == 1 else "places"
    message = (
        f"{local_time(live.start, calendar.timezone)} on {calendar.name} has {left} {place_word} "
        f"left, {seats} asked: {REASON_TEXT['full']}"
    )
    detail = {
        "reason": "full",
        "calendar_id": calendar.id,
        "seats_left": left,
        "next_free": slot_view(following),
    }
    raise SlotUnavailable(message, [detail])


def leave_items(
    session: Session | None, now: datetime, *, booking: str | None = None, lock: str | None = None
) -> list[dict[str, Any]]:
    """Give back one holder's seats (an appointment cancelled, a lock released or moved away); the
    last holder closes the session and frees its time in the same transaction."""
    if (
        session is None
        or (booking and booking not in session.bookings)
        or (lock and lock not in session.held)
    ):
        return []  # nothing of it is held there (an expired session was replaced meanwhile)
    bookings = {a: n for a, n in session.bookings.items() if a != booking}
    others = {c: h for c, h in session.live_holds(now).items() if c != lock}
    leaving = {"remove_bookings": (booking,)} if booking else {"remove_held": (lock,)}
    if bookings:
        return [SeatChange(read=session, now=now, **leaving).item()]
    if others:  # locks only from now on: the session and its time expire with the last of them
        expires_at = max(h.expires_at for h in others.values())
        change = SeatChange(read=session, now=now, expires_at=expires_at, exact=True, **leaving)
        hold = _hold_of(session, expires_at)
        return [
            change.item(),
            *calendar_time.take_items(hold, now, also_free_for=(session_repository.owner(session),)),
        ]
    return [session_repository.delete_item(session), *calendar_time.release_items(_hold_of(session, None))]


def seats_change_items(session: Session, now: datetime, booking: str, seats: int) -> list[dict[str, Any]]:
    """A party grows or shrinks within its session (growing is refused past the capacity)."""
    return [
        SeatChange(read=session, now=now, remove_bookings=(booking,), add_bookings={booking: seats}).item()
    ]


# ---- reading ------------------------------------------------------------------------------------


def session_view(session: Session, now: datetime, attendees: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": session.id,
        "calendar_id": session.calendar_id,
        "service_id": session.service_id,
        "start": iso(session.start),
        "end": iso(session.end),
        "capacity": session.capacity,
        "seats_taken": session.seats_taken(now),
        "seats_left": session.seats_left(now),
        "seats_held_by_locks": sum(h.seats for h in session.live_holds(now).values()),
        "attendees": attendees,
    }


def list_sessions(
    store: Store,
    tenant_id: str,
    calendar_id: str,
    days: LocalDays,
    now: datetime,
    allowed: CalendarScope = None,
) -> dict[str, Any]:
    """A calendar's live group sessions starting on those local days (in its zone), with their attendees."""
    calendar = _calendar(store, tenant_id, calendar_id, allowed)
    window = days.window(ZoneInfo(calendar.timezone))
    found = store.sessions.in_range(tenant_id, calendar_id, window.start, window.end)
    return {"items": [_with_attendees(store, s, now) for s in found if s.is_live(now)], "next_cursor": None}


def get_session(
    store: Store, tenant_id: str, session_id: str, now: datetime, allowed: CalendarScope = None
) -> dict:
    parsed = session_repository.parse_session_id(session_id)
    if parsed is None:
        raise SessionNotFound(f"no session {session_id}")
    calendar_id, start = parsed
    try:
        _calendar(store, tenant_id, calendar_id, allowed)
    except CalendarNotFound as missing:
        raise SessionNotFound(f"no session {session_id}") from missing
    found = store.sessions.find(tenant_id, calendar_id, start)
    if found is None or not found.is_live(now):
        raise SessionNotFound(f"no session {session_id} (nobody holds a place in it)")
    return _with_attendees(store, found, now)


def _calendar(store: Store, tenant_id: str, calendar_id: str, allowed: CalendarScope) -> CalendarRecord:
    if allowed is not None and calendar_id not in allowed:
        raise CalendarNotFound(f"no calendar {calendar_id}")
    return store.calendars.get(tenant_id, calendar_id)


def _with_attendees(store: Store, session: Session, now: datetime) -> dict[str, Any]:
    attendees = []
    for appointment_id, seats in sorted(session.bookings.items()):
        appointment = store.appointments.get(session.tenant_id, appointment_id)
        attendees.append(
            {
                "appointment_id": appointment_id,
                "seats": seats,
                "status": appointment.status,
                "customer": appointment.customer,
            }
        )
    return session_view(session, now, attendees)
