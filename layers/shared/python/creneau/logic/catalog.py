"""Catalog use cases: categories, services and calendars, with the rules that bind them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from pydantic import BaseModel

from creneau.clock import iso
from creneau.dal.appointment_repository import Appointment
from creneau.dal.catalog_records import CalendarRecord, CategoryRecord, ServiceRecord
from creneau.dal.records import TypedRecords, VersionedRecord
from creneau.dal.store import Store
from creneau.domain.catalog_rules import service_problems, step_problems
from creneau.domain.lifecycle import OPEN, Status
from creneau.domain.units import MAX_UNITS_PER_BOOKING
from creneau.errors import HasAppointments, ValidationFailed
from creneau.models.catalog import (
    Calendar,
    CalendarFields,
    CalendarPatch,
    Category,
    CategoryIn,
    CategoryPatch,
    Service,
    ServiceFields,
    ServicePatch,
)
from creneau.security import new_id

Record = TypeVar("Record", bound=VersionedRecord)


def _new(model: type[BaseModel], data: dict) -> dict:
    return model.model_validate({**data, "id": new_id()}).model_dump(mode="json")


def merged_with(
    records: TypedRecords[Record], model: type[BaseModel], tenant_id: str, record_id: str, changes: dict
) -> tuple[Record, Record]:
    """(the record as read; the record to write back over it: its public fields with `changes`
    applied and validated, its version and internal fields as read)."""
    current = records.get(tenant_id, record_id)
    merged = model.model_validate({**current.public(), **changes}).model_dump(mode="json")
    return current, current.changed(**merged)


def _page(records: TypedRecords, tenant_id: str, limit: int, cursor: str | None, keep=None) -> dict:
    page, next_cursor = records.list_page(tenant_id, limit, cursor, keep)
    return {"items": [record.public() for record in page], "next_cursor": next_cursor}


# ---- categories -------------------------------------------------------------------------------


def list_categories(store: Store, tenant_id: str, limit: int, cursor: str | None) -> dict:
    page, next_cursor = store.categories.list_page(tenant_id, limit, cursor)
    ordered = sorted(page, key=lambda c: (c.position, c.name))
    return {"items": [c.public() for c in ordered], "next_cursor": next_cursor}


def create_category(store: Store, tenant_id: str, data: CategoryIn) -> dict:
    category = CategoryRecord.from_doc(_new(Category, data.model_dump()))
    store.categories.create(tenant_id, category)
    return category.public()


def get_category(store: Store, tenant_id: str, category_id: str) -> dict:
    return store.categories.get(tenant_id, category_id).public()


def update_category(store: Store, tenant_id: str, category_id: str, patch: CategoryPatch) -> dict:
    _current, updated = merged_with(store.categories, Category, tenant_id, category_id, patch.changes())
    store.categories.replace(tenant_id, updated)
    return updated.public()


def delete_category(store: Store, tenant_id: str, category_id: str) -> None:
    """Delete, then leave its services uncategorised (no dangling ids remain)."""
    store.categories.delete(tenant_id, category_id)
    for service in store.services.list_all(tenant_id):
        if service.category_id == category_id:
            store.services.replace(tenant_id, service.changed(category_id=None))


# ---- services ---------------------------------------------------------------------------------


def list_services(
    store: Store, tenant_id: str, category_id: str | None, only_active: bool, limit: int, cursor: str | None
):
    def keep(service: ServiceRecord) -> bool:
        return (category_id is None or service.category_id == category_id) and (
            service.active or not only_active
        )

    return _page(store.services, tenant_id, limit, cursor, keep)


def _shown(records: TypedRecords, tenant_id: str, record_id: str, only_active: bool) -> dict:
    """A service or calendar as the API shows it; an inactive one does not exist for the public."""
    record = records.get(tenant_id, record_id)
    if only_active and not record.active:
        raise records.not_found(record_id)
    return record.public()


def get_service(store: Store, tenant_id: str, service_id: str, only_active: bool = False) -> dict:
    return _shown(store.services, tenant_id, service_id, only_active)


def create_service(store: Store, tenant_id: str, data: ServiceFields) -> dict:
    service = ServiceRecord.from_doc(_new(Service, data.model_dump(mode="json")))
    _check_category(store, tenant_id, service.category_id)
    store.services.create(tenant_id, service)
    return service.public()


def update_service(store: Store, tenant_id: str, service_id: str, patch: ServicePatch) -> dict:
    changes = patch.changes()
    _current, updated = merged_with(store.services, Service, tenant_id, service_id, changes)
    if "category_id" in changes:
        _check_category(store, tenant_id, updated.category_id)
    shown = updated.public()
    problems = [
        problem
        for calendar in store.calendars.list_all(tenant_id)
        if service_id in calendar.service_ids
        for problem in service_problems(shown, calendar.public())
    ]
    if problems:
        raise ValidationFailed("the service no longer fits a calendar offering it", problems)
    store.services.replace(tenant_id, updated)
    return shown


def delete_service(store: Store, tenant_id: str, service_id: str, force: bool, now: datetime) -> None:
    """Delete, then take the service off the calendars offering it (no dangling ids remain).
    Refused while future open appointments use it, unless forced (they stay readable)."""
    service = store.services.get(tenant_id, service_id)
    if not force:
        _refuse_if_booked(
            store, tenant_id, now, lambda found: service_id in found.service_ids, f"service {service.name}"
        )
    store.services.delete(tenant_id, service_id)
    for calendar in store.calendars.list_all(tenant_id):
        if service_id in calendar.service_ids:
            remaining = [sid for sid in calendar.service_ids if sid != service_id]
            store.calendars.replace(tenant_id, calendar.changed(service_ids=remaining))


def _check_category(store: Store, tenant_id: str, category_id: str | None) -> None:
    if category_id and store.categories.find(tenant_id, category_id) is None:
        raise ValidationFailed.field("category_id", f"no service category {category_id}")


# ---- calendars --------------------------------------------------------------------------------


def list_calendars(
    store: Store, tenant_id: str, service_ids: list[str], only_active: bool, limit: int, cursor: str | None
):
    """Calendars offering every one of `service_ids` (all calendars when it is empty)."""

    def keep(calendar: CalendarRecord) -> bool:
        return set(service_ids) <= set(calendar.service_ids) and (calendar.active or not only_active)

    return _page(store.calendars, tenant_id, limit, cursor, keep)


def get_calendar(store: Store, tenant_id: str, calendar_id: str, only_active: bool = False) -> dict:
    return _shown(store.calendars, tenant_id, calendar_id, only_active)


def create_calendar(store: Store, tenant_id: str, data: CalendarFields) -> dict:
    fields = data.model_dump(mode="json")
    fields["timezone"] = fields["timezone"] or store.settings.get(tenant_id).timezone
    shown = _new(Calendar, fields)
    # Claim units are keyed on this zone's wall clock for the calendar's whole life (domain/units.py).
    calendar = CalendarRecord(**shown, claim_timezone=shown["timezone"])
    _check_calendar(store, tenant_id, calendar)
    store.calendars.create(tenant_id, calendar)
    return calendar.public()


def update_calendar(
    store: Store, tenant_id: str, calendar_id: str, patch: CalendarPatch, now: datetime
) -> dict:
    """The calendar as updated, with `conflicts`: the open appointments that a newly added
    exception now covers (they are kept; the agent decides what to do with them)."""
    current, updated = merged_with(store.calendars, Calendar, tenant_id, calendar_id, patch.changes())
    if updated.unit_minutes != current.unit_minutes:
        # Existing claims are cut in the old unit; mixing grids could let two bookings overlap.
        raise ValidationFailed.field("unit_minutes", "unit_minutes cannot change; create a new calendar")
    _check_calendar(store, tenant_id, updated)
    # Keeps the claim time zone as read: claims stay keyed on the zone the calendar was created in.
    store.calendars.replace(tenant_id, updated)
    added = [e for e in updated.exceptions if e not in current.exceptions]
    conflicts = _covered_by(store, tenant_id, calendar_id, added, now) if added else []
    return {**updated.public(), "conflicts": conflicts}


def _covered_by(
    store: Store, tenant_id: str, calendar_id: str, exceptions: list[dict], now: datetime
) -> list[str]:
    periods = [(datetime.fromisoformat(e["start"]), datetime.fromisoformat(e["end"])) for e in exceptions]

    def covered(appointment: Appointment) -> bool:
        start, end = _occupied(appointment)
        return appointment.calendar_id == calendar_id and any(s < end and start < e for s, e in periods)

    return [found.id for found in future_open_appointments(store, tenant_id, now, covered)]


def _occupied(appointment: Appointment) -> tuple[datetime, datetime]:
    """The span it keeps busy: its hold with buffers; seats of a group session, the session's time."""
    if appointment.hold is not None:
        return appointment.hold.occ_start, appointment.hold.occ_end
    return datetime.fromisoformat(appointment.start), datetime.fromisoformat(appointment.end)


def delete_calendar(store: Store, tenant_id: str, calendar_id: str, force: bool, now: datetime) -> None:
    """Refused while future open appointments are on it, unless forced (they stay readable)."""
    calendar = store.calendars.get(tenant_id, calendar_id)
    if not force:
        _refuse_if_booked(
            store, tenant_id, now, lambda found: found.calendar_id == calendar_id, f"calendar {calendar.name}"
        )
    store.calendars.delete(tenant_id, calendar_id)


# A booking holds at most MAX_UNITS_PER_BOOKING units of at most 60 minutes: one that began that long
# ago may still be under way.
_LONGEST_HOLD = timedelta(minutes=MAX_UNITS_PER_BOOKING * 60)


def future_open_appointments(
    store: Store, tenant_id: str, now: datetime, concerns: Callable[[Appointment], bool]
) -> list[Appointment]:
    """Open appointments not yet over, that `concerns` selects."""
    until = iso(now)
    return [
        found
        for found in store.appointments.starting_between(tenant_id, iso(now - _LONGEST_HOLD))
        if Status(found.status) in OPEN and found.end > until and concerns(found)
    ]


def _refuse_if_booked(
    store: Store, tenant_id: str, now: datetime, concerns: Callable[[Appointment], bool], what: str
) -> None:
    count = len(future_open_appointments(store, tenant_id, now, concerns))
    if count:
        raise HasAppointments(
            f"{what} still has {count} upcoming open appointment(s): deactivate it (active: false), "
            "or delete it with ?force=true (the appointments stay readable)",
            count,
        )


def _check_calendar(store: Store, tenant_id: str, calendar: CalendarRecord) -> None:
    shown = calendar.public()  # what the rules read
    problems = step_problems(shown)
    for index, service_id in enumerate(calendar.service_ids):
        service = store.services.find(tenant_id, service_id)
        if service is None:
            problems.append({"field": f"service_ids.{index}", "message": f"no service {service_id}"})
        else:
            problems += service_problems(service.public(), shown, field=f"service_ids.{index}")
    if len(set(calendar.service_ids)) != len(calendar.service_ids):
        problems.append({"field": "service_ids", "message": "a service is listed twice"})
    if problems:
        raise ValidationFailed("the calendar is not consistent with its services", problems)
