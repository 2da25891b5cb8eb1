"""Catalog shapes: settings, categories, services, calendars, API keys (docs/api.md, "Catalog")."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StrictBool, StringConstraints, field_validator, model_validator

from creneau.domain.week import DAYS
from creneau.models.common import Email, Id, Instant, Model, Money, Page, Patch, Strict, TimeZoneName

Role = Literal["public", "agent", "admin"]
# Bounds that keep every catalog record far under DynamoDB's 400 KB item limit (and pages readable).
MAX_ORIGINS, MAX_FIELDS, MAX_OPTIONS = 50, 50, 20
MAX_EXCEPTIONS, MAX_SERVICES_PER_CALENDAR, MAX_RANGES_PER_DAY = 500, 200, 48
MAX_OPENINGS = 500
# What a browser sends as Origin: scheme, host, optional port; no path. http only for local development.
_ORIGIN = re.compile(
    r"^https://[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?(?::\d{1,5})?$|^http://(?:localhost|127\.0\.0\.1)(?::\d{1,5})?$"
)


def _origin(value: str) -> str:
    value = value.strip().lower()
    if not _ORIGIN.match(value):
        raise ValueError(
            "must be an origin such as https://shop.example.com or https://shop.example.com:8443 "
            "(no path or trailing slash; http only for localhost or 127.0.0.1)"
        )
    return value


Origin = Annotated[str, StringConstraints(min_length=1, max_length=255), AfterValidator(_origin)]
Option = Annotated[str, StringConstraints(max_length=100)]
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


ReminderMinutes = Annotated[
    list[Annotated[int, Field(ge=5, le=10080)]],
    Field(max_length=5, description="minutes before the start at which a reminder goes out (each 5..10080)"),
]
ManageUrlTemplate = Annotated[
    str,
    Field(
        max_length=2000,
        pattern=r"^https?://",
        description="the customer's manage link; {appointment_id} and {manage_token} are filled in",
    ),
]


def minutes_of(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


# ---- settings ---------------------------------------------------------------------------------


class SettingsPatch(Patch):
    name: str | None = Field(None, max_length=200)
    timezone: TimeZoneName | None = None
    locale: str | None = Field(None, pattern=r"^[a-z]{2}(-[A-Z]{2})?$")
    calendar_choice: Literal["service_first", "calendar_first"] | None = None
    any_calendar: StrictBool | None = None
    auto_confirm: StrictBool | None = None
    lock_ttl_seconds: int | None = Field(None, ge=1, le=86400)
    max_open_appointments_per_customer: int | None = Field(None, ge=1, le=1000)
    require_email: StrictBool | None = None
    allowed_origins: list[Origin] | None = Field(None, max_length=MAX_ORIGINS)
    email_from: Email | None = None
    manage_url_template: ManageUrlTemplate | None = None
    reminder_minutes_before: ReminderMinutes | None = None


class Settings(Model):
    name: str = ""
    timezone: TimeZoneName = "Europe/Paris"
    locale: str = "fr"
    calendar_choice: Literal["service_first", "calendar_first"] = "service_first"
    any_calendar: bool = True
    auto_confirm: bool = False
    lock_ttl_seconds: int = Field(600, ge=1, le=86400)
    max_open_appointments_per_customer: int | None = None
    require_email: bool = False
    allowed_origins: list[Origin] = Field([], max_length=MAX_ORIGINS)
    email_from: Email | None = Field(
        None, description="From of the emails and ORGANIZER of their .ics (a verified SES identity)"
    )
    manage_url_template: ManageUrlTemplate | None = None
    reminder_minutes_before: ReminderMinutes = [1440]


# ---- categories -------------------------------------------------------------------------------


class CategoryIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    position: int = Field(0, ge=0)


class CategoryPatch(Patch):
    name: str | None = Field(None, min_length=1, max_length=200)
    position: int | None = Field(None, ge=0)


class Category(CategoryIn):
    id: Id


# ---- services ---------------------------------------------------------------------------------


class FieldDefinition(Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    label: str = Field(min_length=1, max_length=200)
    type: Literal["text", "number", "choice", "boolean"] = "text"
    required: StrictBool = False
    options: list[Option] = Field([], max_length=MAX_OPTIONS)
    min: float | None = Field(None, description="number fields: the smallest value allowed")
    max: float | None = Field(None, description="number fields: the largest value allowed")

    @model_validator(mode="after")
    def _choices_need_options(self) -> FieldDefinition:
        if self.type == "choice" and not self.options:
            raise ValueError("a choice field needs options")
        if (self.min is not None or self.max is not None) and self.type != "number":
            raise ValueError("min and max apply to number fields only")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min must not be above max")
        return self


class ServiceFields(Strict):
    category_id: Id | None = None
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    duration_minutes: int = Field(gt=0, le=24 * 60, multiple_of=5)
    buffer_before_minutes: int = Field(0, ge=0, le=24 * 60, multiple_of=5)
    buffer_after_minutes: int = Field(0, ge=0, le=24 * 60, multiple_of=5)
    price: Money | None = None
    fields: list[FieldDefinition] = Field([], max_length=MAX_FIELDS)
    active: StrictBool = True
    capacity: int = Field(
        1, ge=1, le=500, description="customers one slot holds; above 1, a group session booked by seats"
    )

    @field_validator("fields")
    @classmethod
    def _unique_keys(cls, fields: list[FieldDefinition]) -> list[FieldDefinition]:
        keys = [f.key for f in fields]
        if len(keys) != len(set(keys)):
            raise ValueError("field keys must be unique")
        return fields


class ServicePatch(Patch):
    category_id: Id | None = None
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    duration_minutes: int | None = Field(None, gt=0, le=24 * 60, multiple_of=5)
    buffer_before_minutes: int | None = Field(None, ge=0, le=24 * 60, multiple_of=5)
    buffer_after_minutes: int | None = Field(None, ge=0, le=24 * 60, multiple_of=5)
    price: Money | None = None
    fields: list[FieldDefinition] | None = Field(None, max_length=MAX_FIELDS)
    active: StrictBool | None = None
    capacity: int | None = Field(None, ge=1, le=500, description="sessions already open keep theirs")


class Service(ServiceFields):
    id: Id


# ---- calendars --------------------------------------------------------------------------------


class HoursRange(Strict):
    start: str = Field(max_length=5, description="HH:MM, local wall clock")
    end: str = Field(max_length=5, description="HH:MM, local wall clock; 24:00 is midnight")

    @model_validator(mode="after")
    def _well_formed(self) -> HoursRange:
        for value in (self.start, self.end):
            if not _HHMM.match(value):
                raise ValueError(f"{value} is not a HH:MM time")
        if minutes_of(self.start) >= minutes_of(self.end):
            raise ValueError(f"start {self.start} must be before end {self.end}")
        return self


class ClosedPeriod(Strict):
    start: Instant
    end: Instant
    reason: str = Field("", max_length=500)

    @model_validator(mode="after")
    def _ordered(self) -> ClosedPeriod:
        if self.start >= self.end:
            raise ValueError("start must be before end")
        return self


class OpeningPeriod(Strict):
    """A one-off extra opening time (a Saturday morning), added to the weekly hours."""

    start: Instant
    end: Instant

    @model_validator(mode="after")
    def _ordered(self) -> OpeningPeriod:
        if self.start >= self.end:
            raise ValueError("start must be before end")
        return self


DayHours = Annotated[list[HoursRange], Field(max_length=MAX_RANGES_PER_DAY)]


def _empty_week() -> dict[str, list[HoursRange]]:
    return {day: [] for day in DAYS}


class CalendarFields(Strict):
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["person", "resource"] = "person"
    timezone: TimeZoneName | None = None
    service_ids: list[Id] = Field([], max_length=MAX_SERVICES_PER_CALENDAR)
    weekly_hours: dict[str, DayHours] = Field(default_factory=_empty_week)
    exceptions: list[ClosedPeriod] = Field([], max_length=MAX_EXCEPTIONS)
    openings: list[OpeningPeriod] = Field([], max_length=MAX_OPENINGS, description="exceptions win over them")
    slot_step_minutes: int = Field(15, gt=0, le=24 * 60)
    unit_minutes: Literal[5, 10, 15, 30, 60] = 5
    min_notice_minutes: int = Field(60, ge=0, le=365 * 24 * 60)
    horizon_days: int = Field(60, ge=1, le=730)
    notify_email: Email | None = Field(None, description="the agent's address for this calendar's emails")
    active: StrictBool = True

    @field_validator("weekly_hours")
    @classmethod
    def _week(cls, week: dict[str, list[HoursRange]]) -> dict[str, list[HoursRange]]:
        unknown = sorted(set(week) - set(DAYS))
        if unknown:
            raise ValueError(f"unknown day(s) {', '.join(unknown)}; days are {', '.join(DAYS)}")
        for day, ranges in week.items():
            ordered = sorted(ranges, key=lambda r: minutes_of(r.start))
            for before, after in zip(ordered, ordered[1:], strict=False):
                if minutes_of(after.start) < minutes_of(before.end):
                    raise ValueError(f"{day}: {before.start}-{before.end} overlaps {after.start}-{after.end}")
            week[day] = ordered
        return {day: week.get(day, []) for day in DAYS}


class CalendarPatch(Patch):
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: Literal["person", "resource"] | None = None
    timezone: TimeZoneName | None = None
    service_ids: list[Id] | None = Field(None, max_length=MAX_SERVICES_PER_CALENDAR)
    weekly_hours: dict[str, DayHours] | None = None
    exceptions: list[ClosedPeriod] | None = Field(None, max_length=MAX_EXCEPTIONS)
    openings: list[OpeningPeriod] | None = Field(None, max_length=MAX_OPENINGS)
    slot_step_minutes: int | None = Field(None, gt=0, le=24 * 60)
    unit_minutes: Literal[5, 10, 15, 30, 60] | None = None
    min_notice_minutes: int | None = Field(None, ge=0, le=365 * 24 * 60)
    horizon_days: int | None = Field(None, ge=1, le=730)
    notify_email: Email | None = None
    active: StrictBool | None = None


class Calendar(CalendarFields):
    id: Id
    timezone: TimeZoneName


class UpdatedCalendar(Calendar):
    conflicts: list[Id] = Field(
        [], description="open appointments that an exception added by this change now covers"
    )


# ---- API keys ---------------------------------------------------------------------------------


class ApiKeyIn(Strict):
    role: Role
    name: str = Field(min_length=1, max_length=200)


class ApiKey(Model):
    id: Id
    role: Role
    name: str


class NewApiKey(ApiKey):
    key: str = Field(description="shown once; only its hash is stored")


class CategoryPage(Page):
    items: list[Category]


class ServicePage(Page):
    items: list[Service]


class CalendarPage(Page):
    items: list[Calendar]


class ApiKeyPage(Page):
    items: list[ApiKey]
