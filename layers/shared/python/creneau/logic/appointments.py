"""Appointments: book, list, read, change status, reschedule.

Every write that touches calendar time is one transaction: the appointment record, its claims and
occupancy, the customer's open-appointment counter, and a consumed lock. A taken unit fails the
whole booking (409 slot-unavailable); no read decides a race.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from creneau import security
from creneau.clock import iso
from creneau.dal import calendar_time
from creneau.dal.appointment_repository import Appointment
from creneau.dal.calendar_time import HeldSpan, Hold
from creneau.dal.catalog_records import CalendarRecord, ServiceRecord
from creneau.dal.customer_repository import CustomerRecord
from creneau.dal.lock_repository import Lock
from creneau.dal.settings import TenantSettings
from creneau.dal.store import Store
from creneau.dal.transaction import TransactionFailed
from creneau.domain.availability import ServiceShape
from creneau.domain.days import OpenDays
from creneau.domain.fields import field_problems
from creneau.domain.lifecycle import (
    RESCHEDULABLE,
    Status,
    check_transition,
    closes,
    frees_time,
    initial_status,
)
from creneau.domain.scope import CalendarScope
from creneau.errors import (
    AppointmentNotFound,
    Conflict,
    CustomerNotFound,
    Forbidden,
    InvalidStatusTransition,
    SlotUnavailable,
    TooManyAppointments,
    ValidationFailed,
)
from creneau.logic import locks, retry
from creneau.logic import sessions as seating
from creneau.logic.customers import new_customer
from creneau.logic.schedule import (
    Attempt,
    Placement,
    candidate_calendars,
    combined_refusal,
    load_services,
    names_of,
    place,
    refusal,
    require_calendar_choice,
    shape_of,
)
from creneau.models.booking import AppointmentIn, RescheduleIn, SeatsIn, StatusIn
from creneau.security import new_id


@dataclass(frozen=True)
class Actor:
    """Who acts: the principal's `by` label (a key or a user), or the customer through their manage
    token; `calendar_ids` limits an agent to those calendars (None: every one)."""

    label: str
    is_customer: bool = False
    calendar_ids: CalendarScope = None

    def sees(self, appointment: Appointment) -> None:
        """Another calendar's appointment does not exist for a limited agent."""
        if self.calendar_ids is not None and appointment.calendar_id not in self.calendar_ids:
            raise AppointmentNotFound(f"no appointment {appointment.id}")


# ---- create -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Booking:
    """Everything a booking request settles before it looks for a calendar."""

    store: Store
    tenant_id: str
    request: AppointmentIn
    actor: Actor
    auto_confirm: bool
    chosen: list[ServiceRecord]
    shape: ServiceShape
    customer: dict  # the snapshot kept on the appointment
    customer_items: list[dict]  # the transaction items that record the customer and count the booking
    counter: str | None  # the person's open-appointment counter (None: the customer record's own)
    now: datetime


def create(store: Store, tenant_id: str, request: AppointmentIn, actor: Actor, now: datetime) -> dict:
    """Book; the answer is the appointment without its manage token (see `with_manage_token`), so
    that an idempotent replay can store it as is."""
    settings = store.settings.get(tenant_id)
    chosen = load_services(store, tenant_id, request.services)
    require_calendar_choice(settings, request.calendar_id, request.lock_code)
    _check_fields(chosen, request.fields)
    shape = shape_of(chosen)
    seating.check_seats(request.seats, shape.capacity)
    customer, customer_items, counter = _customer_for(store, tenant_id, request, settings)
    booking = _Booking(
        store=store,
        tenant_id=tenant_id,
        request=request,
        actor=actor,
        auto_confirm=settings.auto_confirm,
        chosen=chosen,
        shape=shape,
        customer=customer,
        customer_items=customer_items,
        counter=counter,
        now=now,
    )
    for _attempt in retry.attempts():
        lock = _read_lock(store, tenant_id, request.lock_code)
        calendars = _calendars_for(booking, lock)
        try:
            booked = _book_first_free(booking, calendars, lock)
        except _Contended:
            continue
        except SlotUnavailable:
            if _lock_changed(store, tenant_id, request.lock_code, lock):
                continue  # our own lock appeared or moved meanwhile: decide again with it
            raise
        return booked.public()
    raise SlotUnavailable("this time is being booked by another request right now; try again")


def _calendars_for(booking: _Booking, lock: Lock | None) -> list[CalendarRecord]:
    """A live lock names the calendar; an expired one is ignored, its calendar merely tried first."""
    store, tenant_id, chosen = booking.store, booking.tenant_id, booking.chosen
    calendar_id, allowed = booking.request.calendar_id, booking.actor.calendar_ids
    if lock is not None and lock.is_live(booking.now):
        return candidate_calendars(
            store, tenant_id, names_of(chosen), calendar_id or lock.calendar_id, allowed
        )
    calendars = candidate_calendars(store, tenant_id, names_of(chosen), calendar_id, allowed)
    if lock is not None:
        calendars.sort(key=lambda calendar: calendar.id != lock.calendar_id)
    return calendars


def _read_lock(store: Store, tenant_id: str, lock_code: str | None) -> Lock | None:
    return store.locks.find(tenant_id, lock_code) if lock_code else None


def _lock_changed(store: Store, tenant_id: str, lock_code: str | None, read: Lock | None) -> bool:
    """Whether the lock named by the request is no longer the one read (created, moved, released)."""
    now_read = _read_lock(store, tenant_id, lock_code)
    return bool(lock_code) and locks.revision(now_read) != locks.revision(read)


class _Contended(Exception):
    """A record we read (a lock, an appointment) changed before our transaction: read again."""


def _book_first_free(booking: _Booking, calendars: list[CalendarRecord], lock: Lock | None) -> Appointment:
    store, tenant_id, request, now = booking.store, booking.tenant_id, booking.request, booking.now
    appointment_id = new_id()
    owner = calendar_time.appointment_owner(appointment_id)
    refusals: list[SlotUnavailable] = []
    for calendar in calendars:
        if booking.shape.capacity > 1:
            try:
                return _book_seats(booking, calendar, lock, appointment_id)
            except SlotUnavailable as error:
                refusals.append(error)
                continue
        also_mine = locks.taken_over(lock, calendar.id, now)
        try:
            placement = locks.converted(tenant_id, lock, calendar, request, now, owner) or place(
                store,
                tenant_id,
                calendar,
                booking.shape,
                request.start,
                now,
                owner,
                frozenset(also_mine),
                bypass_notice=request.bypass_notice,
            )
        except SlotUnavailable as error:
            refusals.append(error)
            continue
        appointment = _new_appointment(appointment_id, booking, placement)
        transaction = store.transaction()
        transaction.extend("claims", calendar_time.take_items(placement.hold, now, also_free_for=also_mine))
        transaction.extend("appointment", [store.appointments.create_item(tenant_id, appointment)])
        transaction.extend("customer", booking.customer_items)
        transaction.extend("lock", locks.consumption_items(tenant_id, lock, placement.hold, now, store.locks))
        try:
            transaction.commit()
        except TransactionFailed as failure:
            attempt = Attempt(
                store, tenant_id, calendar, booking.shape, placement.start, now, frozenset(also_mine)
            )
            refused = _refusal(failure, attempt)
            if isinstance(refused, SlotUnavailable):
                refusals.append(refused)
                continue
            raise refused from failure
        return appointment
    raise combined_refusal(refusals)


def _book_seats(
    booking: _Booking, calendar: CalendarRecord, lock: Lock | None, appointment_id: str
) -> Appointment:
    """A group service: seats of the session at the start (opened by this booking if nobody holds
    it), a live lock of this party on that session converted into them."""
    store, tenant_id, request, now = booking.store, booking.tenant_id, booking.request, booking.now
    own = lock if locks.holds_seats(lock, calendar.id, now) else None
    plan = seating.plan_seats(
        store,
        tenant_id,
        calendar,
        booking.chosen[0],
        booking.shape,
        request.start,
        now,
        request.seats,
        booking=appointment_id,
        giving_back=own.lock_code if own else None,
        bypass_notice=request.bypass_notice,
        converting=own is not None and locks.covers(own, request),
    )
    placement = Placement(calendar, plan.session.start, plan.session.end, hold=None)
    appointment = _new_appointment(appointment_id, booking, placement).changed(
        seats=request.seats, session_id=plan.session.id
    )
    transaction = store.transaction()
    transaction.extend("session", plan.items)
    transaction.extend("appointment", [store.appointments.create_item(tenant_id, appointment)])
    transaction.extend("customer", booking.customer_items)
    if own is not None:
        transaction.extend("lock", [store.locks.delete_item(tenant_id, own)])
    try:
        transaction.commit()
    except TransactionFailed as failure:
        if "customer" in failure.refused:
            raise TooManyAppointments(
                "this customer already has the most open appointments the settings allow"
            ) from failure
        raise _Contended() from failure  # seats or the session changed meanwhile: decide again
    return appointment


def _refusal(failure: TransactionFailed, attempt: Attempt) -> Exception:
    """What a refused transaction of `attempt` means: the customer's limit, a record changed since
    it was read (decide again), or the time taken (409 with the reason, read again)."""
    if "customer" in failure.refused:
        return TooManyAppointments("this customer already has the most open appointments the settings allow")
    if failure.refused & {"lock", "appointment"} or (failure.contended and not failure.refused):
        return _Contended()
    return refusal(attempt)


def _check_fields(chosen: list[ServiceRecord], values: dict[str, Any]) -> None:
    definitions = [definition for service in chosen for definition in service.fields]
    problems = field_problems(definitions, values)
    if problems:
        raise ValidationFailed("some booking fields are not valid", problems)


def _customer_for(
    store: Store, tenant_id: str, request: AppointmentIn, settings: TenantSettings
) -> tuple[dict, list[dict], str | None]:
    """The customer snapshot for the appointment, the transaction items that count the booking
    (the limit holds per person, across their records), and the counter they count on."""
    limit = settings.max_open_appointments_per_customer
    if request.customer_id is not None:
        record = store.customers.find(tenant_id, request.customer_id)
        if record is None:
            raise CustomerNotFound(f"no customer {request.customer_id}")
        counter = record.counter
        items = [store.customers.open_count_item(tenant_id, record.id, +1, limit, counter)]
        return _snapshot(record), items, counter
    if settings.require_email and not request.customer.email:
        raise ValidationFailed.field("customer.email", "an email address is required to book")
    record = new_customer(request.customer)
    items = [store.customers.new_customer_item(tenant_id, record)]
    counter = record.counter
    if counter:
        items.append(store.customers.open_count_item(tenant_id, record.id, +1, limit, counter))
    return _snapshot(record), items, counter


def _snapshot(customer: CustomerRecord) -> dict:
    public = customer.public()
    return {k: public[k] for k in ("id", "first_name", "last_name", "email", "phone")}


def _total_price(chosen: list[ServiceRecord]) -> dict | None:
    prices = [s.price for s in chosen if s.price]
    if not prices:
        return None
    currencies = {p["currency"] for p in prices}
    if len(currencies) > 1:
        raise ValidationFailed.field(
            "service_ids", f"services priced in several currencies: {', '.join(sorted(currencies))}"
        )
    return {"amount": sum(p["amount"] for p in prices), "currency": prices[0]["currency"]}


def _new_appointment(appointment_id: str, booking: _Booking, placement) -> Appointment:
    status = initial_status(booking.auto_confirm)
    now = iso(booking.now)
    return Appointment(
        id=appointment_id,
        status=status.value,
        service_ids=[s.id for s in booking.chosen],
        calendar_id=placement.calendar.id,
        start=iso(placement.start),
        end=iso(placement.end),
        customer=booking.customer,
        comments=booking.request.comments,
        fields=booking.request.fields,
        total_price=_total_price(booking.chosen),
        created_at=now,
        updated_at=now,
        history=[{"at": now, "status": status.value, "by": booking.actor.label, "reason": ""}],
        hold=HeldSpan.of(placement.hold) if placement.hold else None,
        shape=booking.shape,
        counter=booking.counter,
    )


# ---- read -------------------------------------------------------------------------------------


def get(
    store: Store,
    tenant_id: str,
    appointment_id: str,
    manage_token: str | None = None,
    actor: Actor | None = None,
) -> dict:
    appointment = store.appointments.get(tenant_id, appointment_id)
    if manage_token is not None:
        check_manage_token(tenant_id, appointment.id, manage_token)
    if actor is not None:
        actor.sees(appointment)
    return appointment.public()


def with_manage_token(tenant_id: str, answer: dict) -> dict:
    """A booking's answer: the appointment and its manage token, derived (never stored)."""
    return {**answer, "manage_token": security.manage_token(tenant_id, answer["id"])}


def check_manage_token(tenant_id: str, appointment_id: str, token: str) -> None:
    if not security.is_manage_token(token, tenant_id, appointment_id):
        # Same answer as a missing appointment: a wrong token must not confirm that the id exists.
        raise AppointmentNotFound(f"no appointment {appointment_id} for this manage token")


@dataclass(frozen=True)
class AppointmentFilter:
    """What a listing keeps: each field given narrows it. `days` are the tenant's local days of the
    start; `within` is the caller's calendar scope."""

    status: str | None = None
    service_id: str | None = None
    calendar_id: str | None = None
    customer_id: str | None = None
    days: OpenDays = OpenDays()
    within: CalendarScope = None

    def keeps(self, found: Appointment) -> bool:
        return (
            (self.status is None or found.status == self.status)
            and (self.service_id is None or self.service_id in found.service_ids)
            and (self.calendar_id is None or found.calendar_id == self.calendar_id)
            and (self.customer_id is None or found.customer["id"] == self.customer_id)
            and (self.within is None or found.calendar_id in self.within)
        )


def list_page(
    store: Store, tenant_id: str, wanted: AppointmentFilter, limit: int, cursor: str | None
) -> dict:
    zone = ZoneInfo(store.settings.get(tenant_id).timezone)
    start_from, start_before = (iso(at) if at else None for at in wanted.days.bounds(zone))
    page, next_cursor = store.appointments.list_page(
        tenant_id, start_from, start_before, wanted.keeps, limit, cursor
    )
    return {"items": [found.public() for found in page], "next_cursor": next_cursor}


# ---- status -----------------------------------------------------------------------------------


def change_status(
    store: Store, tenant_id: str, appointment_id: str, request: StatusIn, actor: Actor, now: datetime
) -> dict:
    target = Status(request.status)
    if actor.is_customer and target is not Status.CANCELLED:
        raise Forbidden("with a manage token, an appointment can only be cancelled")
    for _attempt in retry.attempts():
        appointment = store.appointments.get(tenant_id, appointment_id)
        actor.sees(appointment)
        current = Status(appointment.status)
        check_transition(current, target)
        updated = _noted(appointment, actor, request.reason, now, status=target)
        transaction = store.transaction()
        transaction.extend("appointment", [store.appointments.replace_item(tenant_id, updated)])
        if frees_time(target) and appointment.session_id:
            transaction.extend("release", _leave_session(store, tenant_id, appointment, now))
        elif frees_time(target):
            transaction.extend("release", calendar_time.release_items(_held_time(tenant_id, appointment)))
        if closes(current, target):
            counted = store.customers.open_count_item(
                tenant_id, appointment.customer["id"], -1, None, appointment.counter
            )
            transaction.extend("customer", [counted])
        try:
            transaction.commit()
        except TransactionFailed:
            continue  # changed meanwhile: read again, the transition may no longer be allowed
        return updated.public()
    raise Conflict("the appointment is being changed by another request; try again")


def _leave_session(store: Store, tenant_id: str, appointment: Appointment, now: datetime) -> list[dict]:
    start = datetime.fromisoformat(appointment.start)
    session = store.sessions.find(tenant_id, appointment.calendar_id, start)
    return seating.leave_items(session, now, booking=appointment.id)


def change_seats(
    store: Store, tenant_id: str, appointment_id: str, request: SeatsIn, actor: Actor, now: datetime
) -> dict:
    """A party of a group session grows or shrinks, in one transaction with its session's seats."""
    for _attempt in retry.attempts():
        appointment = store.appointments.get(tenant_id, appointment_id)
        actor.sees(appointment)
        if not appointment.session_id:
            raise ValidationFailed.field(
                "seats", "only an appointment of a group session has seats to change"
            )
        if Status(appointment.status) not in RESCHEDULABLE:
            raise InvalidStatusTransition(f"a {appointment.status} appointment's seats cannot change")
        if request.seats == appointment.seats:
            return appointment.public()
        start = datetime.fromisoformat(appointment.start)
        session = store.sessions.find(tenant_id, appointment.calendar_id, start)
        if session is None or appointment.id not in session.bookings:
            raise Conflict("the session of this appointment is being changed; try again")
        seating.check_seats(request.seats, session.capacity)
        grows = request.seats - appointment.seats
        if grows > session.seats_left(now):
            raise SlotUnavailable(
                f"the session has {session.seats_left(now)} places left: {grows} more cannot be added",
                [
                    {
                        "reason": "full",
                        "calendar_id": appointment.calendar_id,
                        "seats_left": session.seats_left(now),
                    }
                ],
            )
        reason = f"seats {appointment.seats} -> {request.seats}"
        updated = _noted(appointment, actor, reason, now).changed(seats=request.seats)
        transaction = store.transaction()
        transaction.extend("session", seating.seats_change_items(session, now, appointment.id, request.seats))
        transaction.extend("appointment", [store.appointments.replace_item(tenant_id, updated)])
        try:
            transaction.commit()
        except TransactionFailed:
            continue  # seats sold or the appointment changed meanwhile: judge again
        return updated.public()
    raise Conflict("the appointment is being changed by another request; try again")


def _noted(
    appointment: Appointment, actor: Actor, reason: str, now: datetime, status: Status | None = None
) -> Appointment:
    """The appointment with one more history entry (and its new status, if any)."""
    status_value = status.value if status else appointment.status
    entry = {"at": iso(now), "status": status_value, "by": actor.label, "reason": reason}
    history = [*appointment.history, entry]
    return appointment.changed(status=status_value, updated_at=iso(now), history=history)


def _held_time(tenant_id: str, appointment: Appointment) -> Hold:
    return appointment.hold.of_owner(tenant_id, appointment.calendar_id, appointment.owner)


# ---- reschedule -------------------------------------------------------------------------------


def reschedule(
    store: Store,
    tenant_id: str,
    appointment_id: str,
    request: RescheduleIn,
    actor: Actor,
    now: datetime,
) -> dict:
    """Move an appointment in one transaction: the old time is freed only if the new one is taken."""
    for _attempt in retry.attempts():
        appointment = store.appointments.get(tenant_id, appointment_id)
        actor.sees(appointment)
        if Status(appointment.status) not in RESCHEDULABLE:
            raise InvalidStatusTransition(f"a {appointment.status} appointment cannot be rescheduled")
        if appointment.session_id:
            raise ValidationFailed.field(
                "start", "a seat in a group session is not moved: cancel it and book the other session"
            )
        lock = _read_lock(store, tenant_id, request.lock_code)
        live = lock if lock and lock.is_live(now) else None
        calendar_id = request.calendar_id or (live.calendar_id if live else appointment.calendar_id)
        by_id = {sid: sid for sid in appointment.service_ids}  # not read again: a refusal names ids
        calendars = candidate_calendars(store, tenant_id, by_id, calendar_id, actor.calendar_ids)
        if not calendars:
            raise SlotUnavailable("that calendar is not active")
        try:
            return _move(store, tenant_id, appointment, request, actor, calendars[0], lock, now).public()
        except _Contended:
            continue
        except SlotUnavailable:
            if _lock_changed(store, tenant_id, request.lock_code, lock):
                continue  # the lock appeared or moved meanwhile: decide again with it
            raise
    raise Conflict("the appointment is being changed by another request; try again")


def _move(store, tenant_id, appointment: Appointment, request, actor, calendar, lock, now) -> Appointment:
    owner = appointment.owner
    mine = (owner, *locks.taken_over(lock, calendar.id, now))
    shape = appointment.shape
    placement = place(store, tenant_id, calendar, shape, request.start, now, owner, frozenset(mine))
    moved = _noted(appointment, actor, f"rescheduled from {appointment.start}", now).changed(
        calendar_id=calendar.id,
        start=iso(placement.start),
        end=iso(placement.end),
        hold=HeldSpan.of(placement.hold),
    )
    transaction = store.transaction()
    transaction.extend("claims", calendar_time.take_items(placement.hold, now, also_free_for=mine))
    release = calendar_time.release_items(_held_time(tenant_id, appointment), placement.hold)
    transaction.extend("release", release)
    transaction.extend("appointment", [store.appointments.replace_item(tenant_id, moved)])
    transaction.extend("lock", locks.consumption_items(tenant_id, lock, placement.hold, now, store.locks))
    try:
        transaction.commit()
    except TransactionFailed as failure:
        if failure.refused & {"release"}:
            raise _Contended() from failure
        attempt = Attempt(store, tenant_id, calendar, shape, placement.start, now, frozenset(mine))
        raise _refusal(failure, attempt) from failure
    return moved
