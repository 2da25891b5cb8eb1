"""Group session records: one item per (calendar, start) holding a group service's seats.

The item counts the seats sold and held (`taken`) and lists who holds them: `bookings` (appointment
id -> seats) and `held` (lock code -> {seats, expires_at}). Every seat change is one conditional
update of that item, in the same transaction as the appointment or lock it serves: `taken` may only
grow when `taken <= capacity - seats` (DynamoDB conditions cannot add, so the limit is computed by
the writer), hence concurrent bookings can never sell more than the capacity. One counter rather
than one claim per seat: a party of 3 is one update whatever the capacity (500 seats as claims
would not fit DynamoDB's 100-item transactions), and the item stays small (a map entry per holder,
at most 500, far below the 400 KB item limit).

A lock's seats are not given back when it expires (no write happens then): they stay in `taken`
until the next writer reclaims them in its own update, conditioned on each expired entry being
exactly as read. A session held only by locks expires with them (`expires_at`, like its claims);
the first booking removes that expiry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Key

from creneau import config
from creneau.clock import epoch, iso
from creneau.dal.base import query_all
from creneau.security import new_id

SESSION_ID_PREFIX = "ses_"
_KEY_TIME = "%Y%m%dT%H%MZ"


@dataclass(frozen=True)
class Held:
    seats: int
    expires_at: int  # epoch seconds


@dataclass(frozen=True)
class Session:
    tenant_id: str
    calendar_id: str
    service_id: str
    start: datetime  # UTC
    end: datetime  # UTC, service end
    capacity: int
    taken: int  # seats counted, expired holds included until reclaimed
    bookings: dict[str, int] = field(default_factory=dict)
    held: dict[str, Held] = field(default_factory=dict)
    hold: dict[str, Any] = field(default_factory=dict)  # occ_start, occ_end, units: its time
    expires_at: int | None = None  # only while no appointment holds a seat
    revision: str = ""

    @property
    def id(self) -> str:
        return session_id(self.calendar_id, self.start)

    def is_live(self, now: datetime) -> bool:
        return self.expires_at is None or self.expires_at > epoch(now)

    def expired_holds(self, now: datetime) -> dict[str, Held]:
        return {code: held for code, held in self.held.items() if held.expires_at <= epoch(now)}

    def live_holds(self, now: datetime) -> dict[str, Held]:
        return {code: held for code, held in self.held.items() if held.expires_at > epoch(now)}

    def seats_taken(self, now: datetime) -> int:
        """Seats of appointments and live locks (expired locks' seats are free)."""
        if not self.is_live(now):
            return 0
        return sum(self.bookings.values()) + sum(h.seats for h in self.live_holds(now).values())

    def seats_left(self, now: datetime, lock_code: str | None = None) -> int:
        """Seats left; a lock's holder (`lock_code`) counts its own live seats as free."""
        own = self.live_holds(now).get(lock_code) if lock_code else None
        return self.capacity - self.seats_taken(now) + (own.seats if own else 0)

    @property
    def occupied(self) -> tuple[datetime, datetime]:
        """The calendar time it holds, buffers included."""
        return datetime.fromisoformat(self.hold["occ_start"]), datetime.fromisoformat(self.hold["occ_end"])


def session_id(calendar_id: str, start: datetime) -> str:
    """Deterministic: one session per calendar and start, found again from its id."""
    return f"{SESSION_ID_PREFIX}{calendar_id}_{start.astimezone(UTC).strftime(_KEY_TIME)}"


def parse_session_id(value: str) -> tuple[str, datetime] | None:
    if not value.startswith(SESSION_ID_PREFIX) or "_" not in value[len(SESSION_ID_PREFIX) :]:
        return None
    calendar_id, _, when = value[len(SESSION_ID_PREFIX) :].rpartition("_")
    try:
        return calendar_id, datetime.strptime(when, _KEY_TIME).replace(tzinfo=UTC)
    except ValueError:
        return None


def owner(session: Session) -> str:
    """The owner of the session's claims and occupancy record."""
    return f"SESS#{session.id}"


def _pk(tenant_id: str, calendar_id: str) -> str:
    return f"SESSION#{tenant_id}#{calendar_id}"


def _key(tenant_id: str, calendar_id: str, start: datetime) -> dict[str, str]:
    return {"pk": _pk(tenant_id, calendar_id), "sk": iso(start)}


def _table() -> str:
    return config.table_name("BOOKINGS_TABLE")


def _number(value: Any) -> int:
    return int(value) if isinstance(value, Decimal | int) else int(str(value))


def _from_item(tenant_id: str, item: dict[str, Any]) -> Session:
    return Session(
        tenant_id=tenant_id,
        calendar_id=item["calendar_id"],
        service_id=item["service_id"],
        start=datetime.fromisoformat(item["start"]),
        end=datetime.fromisoformat(item["end"]),
        capacity=_number(item["capacity"]),
        taken=_number(item["taken"]),
        bookings={k: _number(v) for k, v in item.get("bookings", {}).items()},
        held={
            k: Held(_number(v["seats"]), _number(v["expires_at"])) for k, v in item.get("held", {}).items()
        },
        hold={
            "occ_start": item["hold"]["occ_start"],
            "occ_end": item["hold"]["occ_end"],
            "units": list(item["hold"]["units"]),
        },
        expires_at=_number(item["expires_at"]) if "expires_at" in item else None,
        revision=item.get("revision", ""),
    )


@dataclass(frozen=True)
class SessionRepository:
    """Reads group session records (the item builders below write them)."""

    table: Callable[[], Any] = config.bookings_table

    def find(self, tenant_id: str, calendar_id: str, start: datetime) -> Session | None:
        """The session record as stored, live or expired (callers decide)."""
        key = _key(tenant_id, calendar_id, start)
        item = self.table().get_item(Key=key, ConsistentRead=True).get("Item")
        return _from_item(tenant_id, item) if item else None

    def in_range(self, tenant_id: str, calendar_id: str, start: datetime, end: datetime) -> list[Session]:
        """Sessions of a calendar starting in [start, end), in start order, in one Query (paged)."""
        condition = Key("pk").eq(_pk(tenant_id, calendar_id)) & Key("sk").between(iso(start), iso(end))
        params: dict[str, Any] = {"KeyConditionExpression": condition, "ConsistentRead": True}
        found = [_from_item(tenant_id, item) for item in query_all(self.table().query, params)]
        return [s for s in found if s.start < end]


# ---- transaction items --------------------------------------------------------------------------


def create_item(session: Session, now: datetime) -> dict[str, Any]:
    """The first holder opens the session; an expired one (locks only, all gone) is replaced."""
    item: dict[str, Any] = {
        **_key(session.tenant_id, session.calendar_id, session.start),
        "calendar_id": session.calendar_id,
        "service_id": session.service_id,
        "start": iso(session.start),
        "end": iso(session.end),
        "capacity": session.capacity,
        "taken": session.taken,
        "bookings": session.bookings,
        "held": {code: {"seats": h.seats, "expires_at": h.expires_at} for code, h in session.held.items()},
        "hold": session.hold,
        "revision": new_id(),
    }
    if session.expires_at is not None:
        item["expires_at"] = session.expires_at
    return {
        "Put": {
            "TableName": _table(),
            "Item": item,
            "ConditionExpression": "attribute_not_exists(pk) OR expires_at <= :now",
            "ExpressionAttributeValues": {":now": epoch(now)},
        }
    }


@dataclass
class SeatChange:
    """One update of a session read as `read`: holders added or removed, expired holds reclaimed,
    the expiry set or removed. `grows` seats are checked against the capacity."""

    read: Session
    now: datetime
    add_bookings: dict[str, int] = field(default_factory=dict)
    remove_bookings: tuple[str, ...] = ()
    add_held: dict[str, Held] = field(default_factory=dict)
    remove_held: tuple[str, ...] = ()
    expires_at: int | None | str = "keep"  # an epoch, None (remove: an appointment holds it) or "keep"
    exact: bool = False  # condition on the revision read (needed when the result depends on all of it)

    def item(self) -> dict[str, Any]:
        s = self.read
        reclaimed = {c: h for c, h in s.expired_holds(self.now).items() if c not in self.remove_held}
        removed_held = list(dict.fromkeys([*self.remove_held, *reclaimed]))  # REMOVEd unless re-added
        delta = (
            sum(self.add_bookings.values())
            + sum(h.seats for h in self.add_held.values())
            - sum(s.bookings[a] for a in self.remove_bookings)
            - sum(s.held[c].seats for c in removed_held)
        )
        names: dict[str, str] = {}
        values: dict[str, Any] = {":delta": delta, ":rev": new_id()}
        sets = ["taken = taken + :delta", "revision = :rev"]
        removes: list[str] = []
        conditions = ["attribute_exists(pk)"]
        for i, (appointment_id, seats) in enumerate(self.add_bookings.items()):
            names[f"#ab{i}"] = appointment_id
            values[f":ab{i}"] = seats
            sets.append(f"bookings.#ab{i} = :ab{i}")
        for i, appointment_id in enumerate(self.remove_bookings):
            names[f"#rb{i}"] = appointment_id
            values[f":rb{i}"] = s.bookings[appointment_id]
            if appointment_id not in self.add_bookings:  # else replaced by its SET (a seat change)
                removes.append(f"bookings.#rb{i}")
            conditions.append(f"bookings.#rb{i} = :rb{i}")
        for i, (code, held) in enumerate(self.add_held.items()):
            names[f"#ah{i}"] = code
            values[f":ah{i}"] = {"seats": held.seats, "expires_at": held.expires_at}
            sets.append(f"held.#ah{i} = :ah{i}")
        for i, code in enumerate(removed_held):
            names[f"#rh{i}"] = code
            values[f":rh{i}"] = s.held[code].expires_at
            if code not in self.add_held:  # else replaced by its SET (a lock moved within the session)
                removes.append(f"held.#rh{i}")
            conditions.append(f"held.#rh{i}.expires_at = :rh{i}")  # still the hold we read
        if delta > 0:
            values[":limit"] = s.capacity - delta
            conditions.append("taken <= :limit")
        if self.expires_at is None:
            removes.append("expires_at")
        elif self.expires_at != "keep":
            values[":exp"] = self.expires_at
            sets.append("expires_at = :exp")
        if s.expires_at is not None:  # joining a session held by locks only: it must not have expired
            values[":now"] = epoch(self.now)
            conditions.append("expires_at > :now")
        if self.exact:
            values[":read"] = s.revision
            conditions.append("revision = :read")
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        request: dict[str, Any] = {
            "TableName": _table(),
            "Key": _key(s.tenant_id, s.calendar_id, s.start),
            "UpdateExpression": expression,
            "ConditionExpression": " AND ".join(conditions),
            "ExpressionAttributeValues": values,
        }
        if names:
            request["ExpressionAttributeNames"] = names
        return {"Update": request}


def delete_item(session: Session) -> dict[str, Any]:
    """Close a session whose last holder leaves: only as read (nobody joined meanwhile)."""
    return {
        "Delete": {
            "TableName": _table(),
            "Key": _key(session.tenant_id, session.calendar_id, session.start),
            "ConditionExpression": "revision = :read",
            "ExpressionAttributeValues": {":read": session.revision},
        }
    }
