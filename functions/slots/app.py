"""Availability: free slots of a service, and the first one (API.md, "Availability")."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from creneau.clock import SystemClock
from creneau.errors import CalendarNotFound, ServiceNotFound
from creneau.http import PUBLIC, Api, logger
from creneau.logic import slots
from creneau.models.booking import FirstSlotOut, SlotsOut
from creneau.models.common import Day, Key, TimeZoneName

api = Api()
clock = SystemClock()
KeyQuery = Annotated[Key | None, Query()]


@api.get(
    "/v1/slots",
    role=PUBLIC,
    summary="Bookable slots of a service between two dates",
    errors=(
        ServiceNotFound,
        CalendarNotFound,
    ),
)
def list_slots(
    service_id: Annotated[Key, Query()],
    first_day: Annotated[Day, Query(alias="from")],
    last_day: Annotated[Day, Query(alias="to")],
    calendar_id: KeyQuery = None,
    timezone: Annotated[TimeZoneName | None, Query()] = None,
    lock_code: KeyQuery = None,
) -> SlotsOut:
    return slots.find_slots(
        api.tenant_id, service_id, calendar_id, first_day, last_day, timezone, lock_code, clock.now()
    )


@api.get(
    "/v1/slots/first",
    role=PUBLIC,
    summary="The earliest bookable slot of a service",
    errors=(
        ServiceNotFound,
        CalendarNotFound,
    ),
)
def first_slot(
    service_id: Annotated[Key, Query()], calendar_id: KeyQuery = None, lock_code: KeyQuery = None
) -> FirstSlotOut:
    return slots.first_slot(api.tenant_id, service_id, calendar_id, lock_code, clock.now())


@logger.inject_lambda_context
def lambda_handler(event, context):
    return api.handle(event, context)
