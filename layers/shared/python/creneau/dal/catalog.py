"""The catalog's aggregates: service categories, services and calendars."""

from __future__ import annotations

from creneau.dal.records import TenantRecords
from creneau.errors import CalendarNotFound, CategoryNotFound, ServiceNotFound

categories = TenantRecords("CATEGORY", CategoryNotFound)
services = TenantRecords("SERVICE", ServiceNotFound)
calendars = TenantRecords("CALENDAR", CalendarNotFound)
