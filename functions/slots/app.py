"""Availability: free slots of a service, the first one, and why a time is not (docs/api.md)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths

from creneau.dal.store import DYNAMODB as STORE
from creneau.domain.days import LocalDays
from creneau.errors import CalendarNotFound, Forbidden, ServiceNotFound
from creneau.http import AGENT, PUBLIC, Api
from creneau.logic import slots
from creneau.logic.choice import service_list
from creneau.models.booking import ExplainOut, FirstSlotOut, SlotsOut
from creneau.models.common import Day, Instant, Key, ServiceIdList, TimeZoneName
from creneau.observability import instrumented

api = Api()
KeyQuery = Annotated[Key | None, Query()]
ServiceIds = Annotated[ServiceIdList | None, Query(description="comma-separated, in order: A,B")]
BypassNotice = Annotated[bool, Query(description="agents and admins: no minimum notice")]
Seats = Annotated[int, Query(ge=1, le=500, description="group services: the party's size (places wanted)")]


def _ask(service_id, service_ids, calendar_id, lock_code, bypass_notice: bool, seats: int) -> slots.SlotAsk:
    chosen = service_list(service_id, service_ids)
    if bypass_notice and not api.principal().at_least(AGENT):
        raise Forbidden("bypass_notice needs an agent or admin key")
    return slots.SlotAsk(api.tenant_id, chosen, calendar_id, lock_code, bypass_notice, seats)


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
    first_day: Annotated[Day, Query(alias="from")],
    last_day: Annotated[Day, Query(alias="to")],
    service_id: KeyQuery = None,
    service_ids: ServiceIds = None,
    calendar_id: KeyQuery = None,
    timezone: Annotated[TimeZoneName | None, Query()] = None,
    lock_code: KeyQuery = None,
    bypass_notice: BypassNotice = False,
    seats: Seats = 1,
) -> SlotsOut:
    ask = _ask(service_id, service_ids, calendar_id, lock_code, bypass_notice, seats)
    return slots.find_slots(STORE, ask, LocalDays(first_day, last_day), timezone, api.now())


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
    service_id: KeyQuery = None,
    service_ids: ServiceIds = None,
    calendar_id: KeyQuery = None,
    lock_code: KeyQuery = None,
    bypass_notice: BypassNotice = False,
    seats: Seats = 1,
) -> FirstSlotOut:
    ask = _ask(service_id, service_ids, calendar_id, lock_code, bypass_notice, seats)
    return slots.first_slot(STORE, ask, api.now())


@api.get(
    "/v1/slots/explain",
    role=AGENT,
    summary="Why a time is or is not bookable, calendar by calendar",
    errors=(ServiceNotFound, CalendarNotFound),
)
def explain_slot(
    start: Annotated[Instant, Query()],
    service_id: KeyQuery = None,
    service_ids: ServiceIds = None,
    calendar_id: KeyQuery = None,
) -> ExplainOut:
    chosen = service_list(service_id, service_ids)
    return slots.explain(
        STORE, api.tenant_id, chosen, calendar_id, start, api.now(), api.principal().calendar_ids
    )


@instrumented(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event, context):
    return api.handle(event, context)
