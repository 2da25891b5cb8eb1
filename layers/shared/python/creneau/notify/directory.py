"""The notifier's reads, from the tables (the Directory interface of notifier.py), and the .ics of
an appointment as GET /v1/appointments/{id}/ics serves it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from creneau.dal.catalog_records import CalendarRecord
from creneau.dal.store import Store
from creneau.errors import AppointmentNotFound


class TableDirectory:
    """Reads the tables; the catalog's answers are kept for the directory's life (one batch), so a
    batch of a tenant's events reads its settings and calendar once. Appointments are always read."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._kept: dict[tuple, Any] = {}

    def _once(self, key: tuple, read):
        if key not in self._kept:
            self._kept[key] = read()
        return self._kept[key]

    def settings(self, tenant_id: str) -> dict[str, Any]:
        return self._once(("settings", tenant_id), lambda: self.store.settings.get(tenant_id).public())

    def calendar(self, tenant_id: str, calendar_id: str) -> dict[str, Any] | None:
        return self._once(
            ("calendar", tenant_id, calendar_id),
            lambda: _public(self.store.calendars.find(tenant_id, calendar_id)),
        )

    def service_names(self, tenant_id: str, service_ids: list[str]) -> list[str]:
        found = [
            self._once(("service", tenant_id, sid), lambda sid=sid: self.store.services.find(tenant_id, sid))
            for sid in service_ids
        ]
        return [s.name for s in found if s]

    def appointment(self, tenant_id: str, appointment_id: str) -> tuple[dict[str, Any], int] | None:
        found = self.store.appointments.find(tenant_id, appointment_id)
        return (found.public(), found.version) if found else None


def _public(calendar: CalendarRecord | None) -> dict[str, Any] | None:
    """The notifier reads a calendar as the API shows it."""
    return calendar.public() if calendar else None


def appointment_ics(
    store: Store, tenant_id: str, appointment_id: str, default_sender: str, now: datetime
) -> bytes:
    """The appointment's current invitation: the UID and SEQUENCE its emails carry (CANCEL once
    cancelled)."""
    from creneau.notify import ics  # icalendar loads only for this route

    directory = TableDirectory(store)
    found = directory.appointment(tenant_id, appointment_id)
    if found is None:
        raise AppointmentNotFound(f"no appointment {appointment_id}")
    appointment, version = found
    tenant = directory.settings(tenant_id)
    calendar = directory.calendar(tenant_id, appointment["calendar_id"]) or {}
    names = ", ".join(directory.service_names(tenant_id, appointment["service_ids"]))
    return ics.invitation(
        appointment,
        version,
        (tenant.get("name") or "", tenant.get("email_from") or default_sender),
        summary=f"{names} — {tenant.get('name') or ''}",
        description="",
        location=calendar.get("name") or "",
        stamp=now,
    )
