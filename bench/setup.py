"""Tenants and catalogs for the measurements: created with create_tenant, configured through the
catalog handler with the admin key, appointments booked through logic/appointments.create."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bench.stack import Stack

TIMEZONE = "Europe/Paris"
ZONE = ZoneInfo(TIMEZONE)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# A 30-minute service with 10 minutes after it: 40 occupied minutes, 8 claim units of 5 minutes.
SERVICE = {"name": "Consultation", "duration_minutes": 30, "buffer_after_minutes": 10}


def week(days: tuple[str, ...], ranges: list[tuple[str, str]]) -> dict:
    return {d: [{"start": s, "end": e} for s, e in ranges] if d in days else [] for d in WEEKDAYS}


@dataclass
class Tenant:
    id: str
    admin: str
    public: str
    service_id: str
    calendars: list[dict] = field(default_factory=list)


def make_tenant(stack: Stack, name: str, calendars: list[dict]) -> Tenant:
    """A tenant with one service, the given calendars offering it, and a public key."""
    from creneau.dal.store import DYNAMODB
    from creneau.logic.tenants import create_tenant

    tenant_id, admin = create_tenant(DYNAMODB, name, TIMEZONE, "fr")
    service = stack.call("POST", "/v1/services", admin, expect=201, body=SERVICE).body
    public = stack.call("POST", "/v1/api-keys", admin, expect=201, body={"role": "public", "name": "w"}).body
    tenant = Tenant(tenant_id, admin, public["key"], service["id"])
    for calendar in calendars:
        body = {"timezone": TIMEZONE, "unit_minutes": 5, **calendar, "service_ids": [service["id"]]}
        tenant.calendars.append(stack.call("POST", "/v1/calendars", admin, expect=201, body=body).body)
    return tenant


def tomorrow() -> date:
    return datetime.now(ZONE).date() + timedelta(days=1)


def local(day: date, hhmm: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=ZONE)


def starts_on_grid(first_day: date, days: int, weekly: dict, every_minutes: int) -> Iterator[datetime]:
    """Local starts every `every_minutes` through each open range, day after day, in time order;
    only starts whose 40 occupied minutes fit in the range."""
    occupied = timedelta(minutes=SERVICE["duration_minutes"] + SERVICE["buffer_after_minutes"])
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        for hours in weekly[WEEKDAYS[day.weekday()]]:
            start, end = local(day, hours["start"]), local(day, hours["end"])
            while start + occupied <= end:
                yield start
                start += timedelta(minutes=every_minutes)


def book_directly(tenant: Tenant, calendar_id: str, starts: list[datetime]) -> None:
    """Appointments through logic/appointments.create (no HTTP layer): the state the bench reads."""
    from creneau import config
    from creneau.dal.store import Store
    from creneau.logic.appointments import Actor, create
    from creneau.models.booking import AppointmentIn

    actor = Actor("agent:bench")
    store = Store(client=lambda: SeedingClient(config.client()))
    for number, start in enumerate(starts):
        request = AppointmentIn(
            service_id=tenant.service_id,
            calendar_id=calendar_id,
            start=start,
            customer=customer(number),
        )
        create(store, tenant.id, request, actor, datetime.now(UTC))


def customer(number: int) -> dict:
    return {
        "first_name": "Camille",
        "last_name": f"Durand {number}",
        "email": f"camille.{number}@example.fr",
        "phone": "+33612345678",
    }


@dataclass(frozen=True)
class SeedingClient:
    """Seed fast: a booking's items written with BatchWriteItem instead of one TransactWriteItems,
    its unit claims left out.

    moto's TransactWriteItems deep-copies each table it touches once per item (its rollback backup),
    so a transaction costs O(items x table size); and moto's Query reads every item of the table,
    where DynamoDB reads only the partition asked for. The slots read path never reads claims (8 per
    booking here): stored, they would only slow moto down for both sides of the comparison.
    Seeding is sequential, and create() has checked that each time is free before writing.
    """

    client: Any

    def transact_write_items(self, TransactItems: list[dict]) -> None:  # noqa: N803 (boto3's name)
        writes: dict[str, list[dict]] = {}
        for operation in TransactItems:
            ((kind, request),) = operation.items()
            if kind == "Put" and not request["Item"]["pk"].startswith("CLAIM#"):
                writes.setdefault(request["TableName"], []).append({"PutRequest": {"Item": request["Item"]}})
            elif kind == "Delete":
                writes.setdefault(request["TableName"], []).append({"DeleteRequest": {"Key": request["Key"]}})
            elif kind == "Update":
                self.client.update_item(**request)
        for table, requests in writes.items():
            for first in range(0, len(requests), 25):
                pending = {table: requests[first : first + 25]}
                while pending:
                    pending = self.client.batch_write_item(RequestItems=pending).get("UnprocessedItems")
