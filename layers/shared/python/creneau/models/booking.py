"""Shapes of slots, locks and appointments (docs/api.md, "Availability", "Locks", "Appointments")."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, StrictBool, field_validator, model_validator

from creneau.models.common import Id, Instant, JsonObject, Model, Money, Page, Strict
from creneau.models.customers import Absent, CustomerFields

LOCK_CODE_PATTERN = r"^[A-Za-z0-9_-]{16,128}$"
StatusName = Literal["PENDING", "CONFIRMED", "IN_PROGRESS", "COMPLETED", "CANCELLED"]


class SlotOut(Model):
    start: Instant
    end: Instant
    calendar_ids: list[str]
    seats_left: int | None = Field(None, description="group services only: the places this slot has left")


class SlotsOut(Model):
    timezone: str
    slots: list[SlotOut]


class FirstSlotOut(Model):
    slot: SlotOut | None


class ReasonOut(Model):
    reason: Literal["taken", "locked", "closed", "off_grid", "notice", "horizon", "busy_external", "full"]
    appointment_id: str | None = Field(None, description="taken: the appointment that occupies the time")
    until: Instant | None = Field(None, description="locked: when the lock expires")


class CalendarVerdict(Model):
    calendar_id: str
    bookable: bool
    reasons: list[ReasonOut]


class ExplainOut(Model):
    start: Instant
    calendars: list[CalendarVerdict]


def _each_once(service_ids: list[str] | None) -> list[str] | None:
    if service_ids is not None and len(set(service_ids)) != len(service_ids):
        raise ValueError("lists a service twice: each service is booked once")
    return service_ids


class LockIn(Strict):
    service_id: Id | None = None
    service_ids: list[Id] | None = Field(None, min_length=1, max_length=10)
    start: Instant
    calendar_id: Id | None = None
    lock_code: str | None = Field(None, pattern=LOCK_CODE_PATTERN)
    bypass_notice: StrictBool = Field(False, description="agents and admins: no minimum notice")
    seats: int = Field(1, ge=1, le=500, description="group services: places taken (a party of several)")

    @model_validator(mode="after")
    def _one_choice(self) -> LockIn:
        if (self.service_id is None) == (self.service_ids is None):
            raise ValueError("give exactly one of service_id or service_ids")
        return self

    @field_validator("service_ids")
    @classmethod
    def _services_once(cls, service_ids: list[str] | None) -> list[str] | None:
        return _each_once(service_ids)

    @property
    def services(self) -> list[str]:
        return self.service_ids if self.service_ids is not None else [self.service_id]


class LockOut(Model):
    lock_code: str
    service_id: str = Field(description="the first of service_ids")
    service_ids: list[str]
    calendar_id: str
    start: Instant
    end: Instant
    expires_at: Instant
    seats: int = 1
    session_id: str | None = Field(None, description="group services: the session whose seats it holds")


class AppointmentIn(LockIn):  # what a lock asks for, and who the booking is for
    customer_id: Id | None = None
    customer: CustomerFields | None = None
    comments: str = Field("", max_length=5000)
    fields: JsonObject = {}

    @model_validator(mode="after")
    def _one_customer(self) -> AppointmentIn:
        if (self.customer_id is None) == (self.customer is None):
            raise ValueError("give exactly one of customer_id or customer")
        return self


class StatusIn(Strict):
    status: StatusName
    reason: str = Field("", max_length=1000)


class SeatsIn(Strict):
    seats: int = Field(ge=1, le=500)


class RescheduleIn(Strict):
    start: Instant
    calendar_id: Id | None = None
    lock_code: str | None = Field(None, pattern=LOCK_CODE_PATTERN)


class AppointmentCustomer(Model):
    id: str
    first_name: str = ""
    last_name: str = ""
    email: Absent[str] = None
    phone: Absent[str] = None


class HistoryEntry(Model):
    at: Instant
    status: StatusName
    by: str
    reason: str = ""


class Appointment(Model):
    id: str
    status: StatusName
    service_ids: list[str]
    calendar_id: str
    start: Instant
    end: Instant
    customer: AppointmentCustomer
    comments: str
    fields: dict[str, Any]
    total_price: Money | None
    created_at: Instant
    updated_at: Instant
    history: list[HistoryEntry]
    manage_token: str | None = Field(
        None, description="only in the answer to a booking (whoever booked: an agent forwards it)"
    )
    seats: int = 1
    session_id: str | None = Field(None, description="group services: the session it has seats in")


class AppointmentPage(Page):
    items: list[Appointment]


class Attendee(Model):
    appointment_id: str
    seats: int
    status: StatusName
    customer: AppointmentCustomer


class GroupSessionOut(Model):
    id: str
    calendar_id: str
    service_id: str
    start: Instant
    end: Instant
    capacity: int
    seats_taken: int = Field(description="places of appointments and of live locks")
    seats_left: int
    seats_held_by_locks: int = Field(description="places held by live locks while their forms are filled")
    attendees: list[Attendee]


class GroupSessionPage(Page):
    items: list[GroupSessionOut]
