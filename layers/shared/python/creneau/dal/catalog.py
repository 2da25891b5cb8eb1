"""The catalog's aggregates: service categories (typed records), services and calendars."""

from __future__ import annotations

from dataclasses import dataclass

from creneau.dal.records import TenantRecords, TypedRecords, VersionedRecord
from creneau.errors import CalendarNotFound, CategoryNotFound, ServiceNotFound


@dataclass(frozen=True)
class CategoryRecord(VersionedRecord):
    id: str
    name: str
    position: int = 0
    version: int = 0  # of the item read; 0 before it is stored


categories: TypedRecords[CategoryRecord] = TypedRecords(
    TenantRecords("CATEGORY", CategoryNotFound), CategoryRecord.from_doc
)
services = TenantRecords("SERVICE", ServiceNotFound)
calendars = TenantRecords("CALENDAR", CalendarNotFound)
