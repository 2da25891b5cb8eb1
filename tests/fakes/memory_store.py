"""A Store over in-memory tables, seeded the way the catalog's use cases store a tenant: for
unit tests of the booking use cases (slots, locks, appointments) without moto."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

from creneau import config
from creneau.dal.catalog_records import CalendarRecord, ServiceRecord
from creneau.dal.records import TypedRecords, VersionedRecord
from creneau.dal.settings import TenantSettings
from creneau.dal.store import Store
from creneau.models.catalog import Calendar, Service
from tests.fakes.memory_table import InMemoryDynamo

TABLES = ("catalog", "bookings")
Record = TypeVar("Record", bound=VersionedRecord)


@dataclass
class MemoryShop:
    """One tenant in memory: its store, the tables behind it, and what it seeded."""

    store: Store
    dynamo: InMemoryDynamo
    tenant_id: str

    def settings(self, **changes: Any) -> None:
        settings = TenantSettings(name="Salon", timezone="Europe/Paris", **changes)
        self.dynamo.tables["catalog"].put(self.store.settings.item(self.tenant_id, settings, 1))

    def service(self, service_id: str, name: str, minutes: int, **fields: Any) -> ServiceRecord:
        doc = Service.model_validate({"id": service_id, "name": name, "duration_minutes": minutes, **fields})
        return self._put(self.store.services, ServiceRecord.from_doc(doc.model_dump(mode="json")))

    def calendar(self, calendar_id: str, name: str, service_ids: list[str], **fields: Any) -> CalendarRecord:
        fields = {
            "timezone": "Europe/Paris",
            "id": calendar_id,
            "name": name,
            "service_ids": service_ids,
        } | fields
        doc = Calendar.model_validate(fields).model_dump(mode="json")
        # The claim zone as create_calendar fixes it.
        return self._put(self.store.calendars, CalendarRecord(**doc, claim_timezone=doc["timezone"]))

    def _put(self, records: TypedRecords[Record], record: Record) -> Record:
        self.dynamo.tables["catalog"].put(records.records.item(self.tenant_id, record.to_doc(), version=1))
        return record

    def items(self, prefix: str) -> list[dict[str, Any]]:
        """The bookings table's items whose partition key starts with `prefix` (CLAIM#, OCC#, ...)."""
        return [
            item for item in self.dynamo.tables["bookings"].items.values() if item["pk"].startswith(prefix)
        ]


def memory_shop(monkeypatch: pytest.MonkeyPatch) -> MemoryShop:
    """A tenant whose settings are the defaults (Europe/Paris), over fresh in-memory tables; the
    environment names them (the items transactions write carry the configured names). The caller
    calls `config.reset()` when done."""
    monkeypatch.setenv("CATALOG_TABLE", TABLES[0])
    monkeypatch.setenv("BOOKINGS_TABLE", TABLES[1])
    config.reset()
    dynamo = InMemoryDynamo(*TABLES)
    store = Store.over(dynamo.table(TABLES[0]), dynamo.table(TABLES[1]), lambda: dynamo)
    shop = MemoryShop(store, dynamo, "tenant-a")
    shop.settings()
    return shop
