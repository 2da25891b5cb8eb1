"""The catalog's aggregates as typed records: service categories, services and calendars.

A record's defaults are its API model's: a document stored before a field existed reads as the API
would have filled it in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from creneau import config
from creneau.dal.records import TenantRecords, TypedRecords, VersionedRecord
from creneau.domain.week import DAYS
from creneau.errors import CalendarNotFound, CategoryNotFound, ServiceNotFound

# Where a calendar's item keeps its claim time zone, inside the document (the API never shows it).
STORED_CLAIM_TIMEZONE = "_claim_timezone"


@dataclass(frozen=True)
class CategoryRecord(VersionedRecord):
    id: str
    name: str
    position: int = 0
    version: int = 0  # of the item read; 0 before it is stored


@dataclass(frozen=True, kw_only=True)
class ServiceRecord(VersionedRecord):
    """A models.catalog.Service; price and booking field definitions stay as their JSON."""

    id: str
    category_id: str | None = None
    name: str
    description: str = ""
    duration_minutes: int
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    price: dict[str, Any] | None = None
    fields: list[dict[str, Any]] = field(default_factory=list)
    active: bool = True
    capacity: int = 1
    version: int = 0  # of the item read; 0 before it is stored


@dataclass(frozen=True, kw_only=True)
class CalendarRecord(VersionedRecord):
    """A models.catalog.Calendar (hours, exceptions and openings stay as their JSON), and the zone its
    claim units are keyed on for its whole life: its time zone at creation (domain/units.py)."""

    STORED: ClassVar[dict[str, str]] = {"claim_timezone": STORED_CLAIM_TIMEZONE}

    id: str
    name: str
    kind: str = "person"
    timezone: str
    service_ids: list[str] = field(default_factory=list)
    weekly_hours: dict[str, list[dict[str, str]]] = field(default_factory=lambda: {day: [] for day in DAYS})
    exceptions: list[dict[str, str]] = field(default_factory=list)
    openings: list[dict[str, str]] = field(default_factory=list)
    slot_step_minutes: int = 15
    unit_minutes: int = 5
    min_notice_minutes: int = 60
    horizon_days: int = 60
    notify_email: str | None = None
    active: bool = True
    claim_timezone: str
    version: int = 0  # of the item read; 0 before it is stored


def service_records(table: Callable[[], Any] = config.catalog_table) -> TypedRecords[ServiceRecord]:
    return TypedRecords(TenantRecords("SERVICE", ServiceNotFound, table), ServiceRecord.from_doc)


def calendar_records(table: Callable[[], Any] = config.catalog_table) -> TypedRecords[CalendarRecord]:
    return TypedRecords(TenantRecords("CALENDAR", CalendarNotFound, table), CalendarRecord.from_doc)


def category_records(table: Callable[[], Any] = config.catalog_table) -> TypedRecords[CategoryRecord]:
    return TypedRecords(TenantRecords("CATEGORY", CategoryNotFound, table), CategoryRecord.from_doc)


categories = category_records()
services = service_records()
calendars = calendar_records()
