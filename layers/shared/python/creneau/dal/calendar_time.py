"""A calendar's time: unit claims (the write-side guard) and occupancy records (the read side).

Claims: one item per unit a booking or lock occupies, written conditionally in the same
transaction as the booking, so two overlapping holds can never both commit. Occupancy: one item
per hold, sorted by start under the calendar, so one Query returns every busy interval of a
window without reading claims. Both carry `expires_at` for locks; an item counts as absent in
every condition and read from the second its `expires_at` is reached (`expires_at <= now`, now in
whole seconds) — TTL deletion is only garbage collection.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from boto3.dynamodb.conditions import Key

from creneau import config
from creneau.clock import epoch, iso
from creneau.dal.base import query_all
from creneau.domain.explain import Occupied
from creneau.domain.units import MAX_UNITS_PER_BOOKING


def lock_owner(lock_code: str) -> str:
    return f"LOCK#{lock_code}"


def appointment_owner(appointment_id: str) -> str:
    return f"APPT#{appointment_id}"


@dataclass(frozen=True)
class Hold:
    """A span of one calendar held by one owner ("APPT#<id>" or "LOCK#<code>")."""

    tenant_id: str
    calendar_id: str
    owner: str
    start: datetime  # occupied start: service start minus the buffer before
    end: datetime  # occupied end: service end plus the buffer after
    units: tuple[str, ...]
    expires_at: int | None = None  # epoch seconds, locks only

    def to_doc(self) -> dict[str, Any]:
        return {"occ_start": iso(self.start), "occ_end": iso(self.end), "units": list(self.units)}


@dataclass(frozen=True)
class HeldSpan:
    """What an appointment or a lock holds, as its record keeps it: the occupied span (service plus
    buffers) and the units it claims. Seats of a group session claim no units (the session owns
    the time)."""

    occ_start: datetime
    occ_end: datetime
    units: tuple[str, ...] = ()

    @classmethod
    def of(cls, hold: Hold) -> HeldSpan:
        return cls(hold.start, hold.end, hold.units)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> HeldSpan:
        start, end = datetime.fromisoformat(doc["occ_start"]), datetime.fromisoformat(doc["occ_end"])
        return cls(start, end, tuple(doc["units"]))

    def to_doc(self) -> dict[str, Any]:
        return {"occ_start": iso(self.occ_start), "occ_end": iso(self.occ_end), "units": list(self.units)}

    def of_owner(self, tenant_id: str, calendar_id: str, owner: str, expires_at: int | None = None) -> Hold:
        """The calendar time this span is, held by `owner`."""
        return Hold(tenant_id, calendar_id, owner, self.occ_start, self.occ_end, self.units, expires_at)


def _claim_key(tenant_id: str, calendar_id: str, unit: str) -> dict[str, str]:
    return {"pk": f"CLAIM#{tenant_id}#{calendar_id}#{unit}", "sk": "CLAIM"}


def _occupancy_pk(tenant_id: str, calendar_id: str) -> str:
    return f"OCC#{tenant_id}#{calendar_id}"


def _occupancy_key(tenant_id: str, calendar_id: str, start: str, owner: str) -> dict[str, str]:
    return {"pk": _occupancy_pk(tenant_id, calendar_id), "sk": f"{start}#{owner}"}


def _table() -> str:
    return config.table_name("BOOKINGS_TABLE")


def claim_items(hold: Hold, now: datetime, also_free_for: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Put one claim per unit; each fails unless the unit is free, expired, or held by an owner
    in `also_free_for` (the same appointment when rescheduling, the lock being converted)."""
    accepted = " OR ".join(f"#owner = :o{i}" for i in range(len(also_free_for)))
    condition = "attribute_not_exists(pk) OR expires_at <= :now" + (f" OR {accepted}" if accepted else "")
    values: dict[str, Any] = {":now": epoch(now)} | {f":o{i}": o for i, o in enumerate(also_free_for)}
    names = {"ExpressionAttributeNames": {"#owner": "owner"}} if also_free_for else {}
    extra = {"expires_at": hold.expires_at} if hold.expires_at is not None else {}
    return [
        {
            "Put": {
                "TableName": _table(),
                "Item": {**_claim_key(hold.tenant_id, hold.calendar_id, unit), "owner": hold.owner, **extra},
                "ConditionExpression": condition,
                "ExpressionAttributeValues": values,
                **names,
            }
        }
        for unit in hold.units
    ]


def take_items(hold: Hold, now: datetime, also_free_for: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Everything that takes a hold's time: its conditional claims and its occupancy record."""
    return [*claim_items(hold, now, also_free_for), occupancy_put(hold)]


def release_items(old: Hold, replaced_by: Hold | None = None) -> list[dict[str, Any]]:
    """Delete the hold's claims and occupancy record. Each claim delete only touches a claim still
    owned by this hold. Units that `replaced_by` re-claims in the same transaction are left to its
    puts (one transaction may not touch an item twice), and so is an identical occupancy key."""
    same_calendar = replaced_by is not None and replaced_by.calendar_id == old.calendar_id
    kept = set(replaced_by.units) if same_calendar else set()
    deletes = [
        {
            "Delete": {
                "TableName": _table(),
                "Key": _claim_key(old.tenant_id, old.calendar_id, unit),
                "ConditionExpression": "attribute_not_exists(pk) OR #owner = :owner",
                "ExpressionAttributeNames": {"#owner": "owner"},
                "ExpressionAttributeValues": {":owner": old.owner},
            }
        }
        for unit in old.units
        if unit not in kept
    ]
    same_record = same_calendar and replaced_by.start == old.start and replaced_by.owner == old.owner
    return deletes if same_record else [*deletes, occupancy_delete(old)]


def occupancy_put(hold: Hold) -> dict[str, Any]:
    extra = {"expires_at": hold.expires_at} if hold.expires_at is not None else {}
    return {
        "Put": {
            "TableName": _table(),
            "Item": {
                **_occupancy_key(hold.tenant_id, hold.calendar_id, iso(hold.start), hold.owner),
                "owner": hold.owner,
                "occ_start": iso(hold.start),
                "occ_end": iso(hold.end),
                **extra,
            },
        }
    }


def occupancy_delete(hold: Hold) -> dict[str, Any]:
    return {
        "Delete": {
            "TableName": _table(),
            "Key": _occupancy_key(hold.tenant_id, hold.calendar_id, iso(hold.start), hold.owner),
        }
    }


@dataclass(frozen=True)
class CalendarTime:
    """The read side of calendar time: a calendar's occupancy records (the item builders above write it)."""

    table: Callable[[], Any] = config.bookings_table

    def occupancy(
        self,
        tenant_id: str,
        calendar_id: str,
        start: datetime,
        end: datetime,
        now: datetime,
        unit_minutes: int,
        ignore_owners: frozenset[str] = frozenset(),
    ) -> list[Occupied]:
        """Every live occupancy record touching [start, end), with its owner, in one Query.

        A hold is at most MAX_UNITS_PER_BOOKING units long, so looking back that far from `start`
        finds the ones that began before the window and still overlap it.
        """
        lookback = timedelta(minutes=MAX_UNITS_PER_BOOKING * unit_minutes)
        condition = Key("pk").eq(_occupancy_pk(tenant_id, calendar_id)) & Key("sk").between(
            iso(start - lookback), iso(end) + "~"
        )
        now_epoch = epoch(now)
        found = []
        params: dict[str, Any] = {"KeyConditionExpression": condition, "ConsistentRead": True}
        for item in query_all(self.table().query, params):
            expires_at = int(item["expires_at"]) if "expires_at" in item else None
            if item["owner"] in ignore_owners or (expires_at is not None and expires_at <= now_epoch):
                continue
            occ_start, occ_end = (
                datetime.fromisoformat(item["occ_start"]),
                datetime.fromisoformat(item["occ_end"]),
            )
            if occ_end > start and occ_start < end:
                found.append(Occupied(occ_start, occ_end, item["owner"], expires_at))
        return found
