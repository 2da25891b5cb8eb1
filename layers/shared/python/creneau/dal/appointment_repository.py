"""Appointments as typed records, and the one repository that stores them.

An item keeps the appointment as a JSON document in `doc` (the public fields, and `_hold`, `_counter`
and `_shape` that only the write path and calendar sync read), with `status`, the gsi1 keys (tenant,
start#id) and `version` beside it. Every replace is conditioned on the version read: one scheme.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.conditions import Key

from creneau import config
from creneau.dal.base import DOC, from_doc, index_page, put_new, query_all, tenant_pk, to_doc
from creneau.dal.calendar_time import HeldSpan, appointment_owner
from creneau.domain.availability import ServiceShape
from creneau.errors import AppointmentNotFound

LISTING = "appointments"  # a cursor of this listing works only here
_OPTIONAL = ("seats", "session_id")  # public fields a group booking has, others do not
_PRIVATE = {"hold", "shape", "counter", "version"}  # what only the write path and sync read


@dataclass(frozen=True)
class Appointment:
    id: str
    status: str
    service_ids: list[str]
    calendar_id: str
    start: str  # RFC 3339 instants in UTC, as the API shows them
    end: str
    customer: dict[str, Any]  # the snapshot taken at booking
    comments: str
    fields: dict[str, Any]
    total_price: dict[str, Any] | None
    created_at: str
    updated_at: str
    history: list[dict[str, Any]]
    hold: HeldSpan | None  # the units and span it claims; None for seats of a group session
    shape: ServiceShape | None  # duration and buffers, so that a move keeps them
    counter: str | None = None  # the person's open-appointment counter (None: the record's own)
    seats: int | None = None
    session_id: str | None = None
    version: int = 0  # of the item read; 0 before it is stored

    @property
    def owner(self) -> str:
        """The owner its claims and occupancy are written under."""
        return appointment_owner(self.id)

    def changed(self, **fields: Any) -> Appointment:
        return dataclasses.replace(self, **fields)

    def public(self) -> dict[str, Any]:
        """What the API and the change events show."""
        shown = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in _PRIVATE}
        return {k: v for k, v in shown.items() if k not in _OPTIONAL or v is not None}

    def to_doc(self) -> dict[str, Any]:
        shape = self.shape
        return {
            **self.public(),
            "_hold": self.hold.to_doc() if self.hold else None,
            "_counter": self.counter,
            "_shape": [shape.duration_minutes, shape.buffer_before_minutes, shape.buffer_after_minutes]
            if shape
            else None,
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any], version: int = 0) -> Appointment:
        public = {k: v for k, v in doc.items() if not k.startswith("_")}
        return cls(
            **public,
            hold=HeldSpan.from_doc(doc["_hold"]) if doc.get("_hold") else None,
            shape=ServiceShape(*doc["_shape"]) if doc.get("_shape") else None,
            counter=doc.get("_counter"),
            version=version,
        )


@dataclass(frozen=True)
class AppointmentRepository:
    table: Callable[[], Any] = config.bookings_table
    table_name: Callable[[], str] = config.bookings_table_name

    @staticmethod
    def key(tenant_id: str, appointment_id: str) -> dict[str, str]:
        return {"pk": tenant_pk(tenant_id), "sk": f"APPT#{appointment_id}"}

    def item(self, tenant_id: str, appointment: Appointment, version: int) -> dict[str, Any]:
        return {
            **self.key(tenant_id, appointment.id),
            "gsi1pk": _index_pk(tenant_id),
            "gsi1sk": f"{appointment.start}#{appointment.id}",
            "status": appointment.status,
            "version": version,
            DOC: to_doc(appointment.to_doc()),
        }

    def create_item(self, tenant_id: str, appointment: Appointment) -> dict[str, Any]:
        """The transaction item that stores a new appointment (never over an existing one)."""
        return put_new(self.table_name(), self.item(tenant_id, appointment, 1))

    def replace_item(self, tenant_id: str, appointment: Appointment) -> dict[str, Any]:
        """Overwrite only the version read (`appointment.version`): a concurrent change fails it."""
        return {
            "Put": {
                "TableName": self.table_name(),
                "Item": self.item(tenant_id, appointment, appointment.version + 1),
                "ConditionExpression": "version = :read",
                "ExpressionAttributeValues": {":read": appointment.version},
            }
        }

    def find(self, tenant_id: str, appointment_id: str) -> Appointment | None:
        key = self.key(tenant_id, appointment_id)
        item = self.table().get_item(Key=key, ConsistentRead=True).get("Item")
        return _record(item) if item else None

    def get(self, tenant_id: str, appointment_id: str) -> Appointment:
        found = self.find(tenant_id, appointment_id)
        if found is None:
            raise AppointmentNotFound(f"no appointment {appointment_id}")
        return found

    def starting_between(self, tenant_id: str, start_from: str, start_before: str = "9") -> list[Appointment]:
        """Every appointment whose start is in [start_from, start_before) (ISO instants), in start order."""
        condition = Key("gsi1pk").eq(_index_pk(tenant_id)) & Key("gsi1sk").between(start_from, start_before)
        params = {"IndexName": "gsi1", "KeyConditionExpression": condition}
        return [_record(item) for item in query_all(self.table().query, params)]

    def list_page(
        self,
        tenant_id: str,
        start_from: str | None,
        start_before: str | None,
        keep: Callable[[Appointment], bool],
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Appointment], str | None]:
        """Appointments ordered by start, filtered by `keep`, between two ISO instants."""
        condition = Key("gsi1pk").eq(_index_pk(tenant_id))
        # gsi1sk is "<start ISO>#<id>": "0" sorts before and "9" after every instant.
        condition &= Key("gsi1sk").between(start_from or "0", start_before or "9")
        expected = {"pk": tenant_pk(tenant_id), "sk": "APPT#", "gsi1pk": _index_pk(tenant_id), "gsi1sk": ""}
        items, next_cursor = index_page(
            self.table().query,
            LISTING,
            tenant_id,
            condition,
            expected,
            limit,
            cursor,
            keep=lambda item: keep(_record(item)),
        )
        return [_record(item) for item in items], next_cursor


def _index_pk(tenant_id: str) -> str:
    return f"{tenant_pk(tenant_id)}#APPTS"


def _record(item: dict[str, Any]) -> Appointment:
    return Appointment.from_doc(from_doc(item), int(item["version"]))
