"""Locks (pre-reservations) as typed records, and the one repository that stores them.

A lock's claims and occupancy live in calendar_time; its record lives here, as a JSON document with
`expires_at` and `revision` copied beside it for conditions. Every write of a lock carries a fresh
revision and every move or delete is conditioned on the revision read: one concurrency scheme.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from creneau import config
from creneau.clock import epoch, iso
from creneau.dal.base import DOC, from_doc, tenant_pk, to_doc
from creneau.dal.calendar_time import HeldSpan, Hold, lock_owner


@dataclass(frozen=True)
class Lock:
    lock_code: str
    service_ids: tuple[str, ...]  # in the order booked; the first is the lock's service_id
    calendar_id: str
    start: datetime
    end: datetime
    expires_at: int  # epoch seconds: the lock is gone once now reaches it
    hold: HeldSpan
    revision: str  # fresh on every write; what a concurrent move, release or booking checks
    seats: int = 1
    session_id: str | None = None  # set when the lock holds seats of a group session

    @property
    def owner(self) -> str:
        """The owner its claims and occupancy are written under."""
        return lock_owner(self.lock_code)

    def is_live(self, now: datetime) -> bool:
        return self.expires_at > epoch(now)

    def held_time(self, tenant_id: str) -> Hold:
        return self.hold.of_owner(tenant_id, self.calendar_id, self.owner, self.expires_at)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Lock:
        """A stored document; locks from before several services name only `service_id`, locks
        from before group sessions have no seats."""
        return cls(
            lock_code=doc["lock_code"],
            service_ids=tuple(doc.get("service_ids") or [doc["service_id"]]),
            calendar_id=doc["calendar_id"],
            start=datetime.fromisoformat(doc["start"]),
            end=datetime.fromisoformat(doc["end"]),
            expires_at=int(doc["expires_at"]),
            hold=HeldSpan.from_doc(doc["hold"]),
            revision=doc["revision"],
            seats=int(doc.get("seats", 1)),
            session_id=doc.get("session_id"),
        )

    def to_doc(self) -> dict[str, Any]:
        """The stored document, in the shape locks have always been stored in."""
        doc: dict[str, Any] = {
            "lock_code": self.lock_code,
            "service_id": self.service_ids[0],
            "service_ids": list(self.service_ids),
            "calendar_id": self.calendar_id,
            "start": iso(self.start),
            "end": iso(self.end),
            "expires_at": self.expires_at,
            "hold": self.hold.to_doc(),
            "revision": self.revision,
        }
        if self.session_id is not None:
            doc |= {"seats": self.seats, "session_id": self.session_id}
        return doc


@dataclass(frozen=True)
class LockRepository:
    """The lock records of every tenant: keys, item shape, reads, and the transaction items that
    write them (a lock is always written together with its claims or seats)."""

    table: Callable[[], Any] = config.bookings_table
    table_name: Callable[[], str] = config.bookings_table_name

    @staticmethod
    def key(tenant_id: str, lock_code: str) -> dict[str, str]:
        return {"pk": tenant_pk(tenant_id), "sk": f"LOCK#{lock_code}"}

    def item(self, tenant_id: str, lock: Lock) -> dict[str, Any]:
        return {
            **self.key(tenant_id, lock.lock_code),
            "expires_at": lock.expires_at,
            "revision": lock.revision,
            DOC: to_doc(lock.to_doc()),
        }

    def find(self, tenant_id: str, lock_code: str) -> Lock | None:
        """The lock record, live or expired (callers decide what expiry means for them)."""
        key = self.key(tenant_id, lock_code)
        item = self.table().get_item(Key=key, ConsistentRead=True).get("Item")
        return Lock.from_doc(from_doc(item)) if item else None

    def put_item(self, tenant_id: str, lock: Lock, previous: Lock | None) -> dict[str, Any]:
        """Create, or move the lock that was read (`previous`): a concurrent move of the same code fails.

        Conditions compare the revision, not expires_at: that is whole seconds, so two moves within
        one second could not tell each other apart by it."""
        request: dict[str, Any] = {"TableName": self.table_name(), "Item": self.item(tenant_id, lock)}
        if previous is None:
            request["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            request["ConditionExpression"] = "revision = :read"
            request["ExpressionAttributeValues"] = {":read": previous.revision}
        return {"Put": request}

    def delete_item(self, tenant_id: str, lock: Lock) -> dict[str, Any]:
        """Delete the lock as read; if someone moved or consumed it meanwhile, the transaction fails."""
        return {
            "Delete": {
                "TableName": self.table_name(),
                "Key": self.key(tenant_id, lock.lock_code),
                "ConditionExpression": "revision = :read",
                "ExpressionAttributeValues": {":read": lock.revision},
            }
        }
