"""Appointments and customers (docs/api.md, "Appointments", "Customers")."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header, Query
from aws_lambda_powertools.logging import correlation_paths

from creneau import config, observability
from creneau.dal.store import DYNAMODB as STORE
from creneau.domain.days import LocalDays, OpenDays
from creneau.errors import (
    AppointmentNotFound,
    CalendarNotFound,
    Conflict,
    CustomerNotFound,
    Forbidden,
    IdempotencyConflict,
    InvalidStatusTransition,
    LockNotFound,
    ServiceNotFound,
    SessionNotFound,
    SlotUnavailable,
    TooManyAppointments,
    ValidationFailed,
)
from creneau.http import AGENT, PUBLIC, Api, RecordId
from creneau.logic import appointments, customers, idempotency, sessions
from creneau.logic.appointments import Actor, AppointmentFilter
from creneau.models.booking import (
    Appointment,
    AppointmentIn,
    AppointmentPage,
    GroupSessionOut,
    GroupSessionPage,
    RescheduleIn,
    SeatsIn,
    StatusIn,
    StatusName,
)
from creneau.models.common import CursorText, Day, Key, SearchText
from creneau.models.customers import Customer, CustomerPage
from creneau.observability import IDEMPOTENT_REPLAYS, LOCK_CONVERSIONS, instrumented

config.require("default_email_from", "manage_token_secret")
api = Api()
KeyQuery = Annotated[Key | None, Query()]
Cursor = Annotated[CursorText | None, Query()]
Search = Annotated[SearchText | None, Query()]
ManageToken = Annotated[Key | None, Query()]
appointment_routes = api.resource(
    "/v1/appointments", AGENT, AGENT, missing=AppointmentNotFound, manage_token=True
)


def _as_principal() -> Actor:
    principal = api.principal()
    return Actor(principal.by, calendar_ids=principal.calendar_ids)


def _actor(appointment_id: str | None = None, manage_token: str | None = None) -> Actor:
    """Agents act as themselves; a public key acts only as the customer holding the manage token."""
    principal = api.principal()
    if principal.at_least(AGENT):
        return _as_principal()
    if manage_token is None:
        raise Forbidden("this needs an agent key, or the appointment's manage_token")
    appointments.get(STORE, principal.tenant_id, appointment_id, manage_token)  # 404 unless the token matches
    return Actor("customer", is_customer=True)


# ---- appointments -----------------------------------------------------------------------------


@api.post(
    "/v1/appointments",
    role=PUBLIC,
    status_code=201,
    summary="Book an appointment",
    errors=(
        ServiceNotFound,
        CalendarNotFound,
        CustomerNotFound,
        LockNotFound,
        SlotUnavailable,
        TooManyAppointments,
        IdempotencyConflict,
        Conflict,
    ),
)
def create_appointment(
    body: AppointmentIn, idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None
) -> Appointment:
    principal = api.principal()
    actor = _as_principal()
    if body.bypass_notice and not principal.at_least(AGENT):
        raise Forbidden("bypass_notice needs an agent or admin key")
    if body.customer_id is not None and not principal.at_least(AGENT):
        # A widget's key is public: it must not attach bookings to (or read) someone else's record.
        raise ValidationFailed.field(
            "customer_id", "a public key books with the customer's details, not an existing customer_id"
        )

    booked = []

    def book() -> dict:
        booked.append(appointments.create(STORE, principal.tenant_id, body, actor, api.now()))
        return booked[0]

    raw_body = api.app.current_event.json_body
    context = api.app.lambda_context
    # Stored and replayed without the manage token, which is derived again for each answer.
    answer = idempotency.once(principal.tenant_id, principal.caller, idempotency_key, raw_body, book, context)
    if booked:
        observability.booked(lock_converted=body.lock_code is not None)
    else:  # the answer stored under this Idempotency-Key
        observability.count(IDEMPOTENT_REPLAYS)
    return appointments.with_manage_token(principal.tenant_id, answer)


@appointment_routes.collection("List appointments by start, with filters")
def list_appointments(
    status: Annotated[StatusName | None, Query()] = None,
    service_id: KeyQuery = None,
    calendar_id: KeyQuery = None,
    customer_id: KeyQuery = None,
    first_day: Annotated[Day | None, Query(alias="from")] = None,
    last_day: Annotated[Day | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Cursor = None,
) -> AppointmentPage:
    days = OpenDays(first_day, last_day)
    wanted = AppointmentFilter(
        status, service_id, calendar_id, customer_id, days, api.principal().calendar_ids
    )
    return appointments.list_page(STORE, api.tenant_id, wanted, limit, cursor)


@appointment_routes.read("Read an appointment (agent key, or the manage_token)")
def get_appointment(id: RecordId, manage_token: ManageToken = None) -> Appointment:
    return appointments.get(STORE, api.tenant_id, id, actor=_actor(id, manage_token))


ICS = {
    "description": "the appointment's invitation (iCalendar)",
    "content": {"text/calendar": {"schema": {"type": "string"}}},
}


@appointment_routes.read("The appointment as an iCalendar file (.ics)", part="ics", responses={200: ICS})
def get_appointment_ics(id: RecordId, manage_token: ManageToken = None):
    """The appointment as an iCalendar file: the UID and SEQUENCE of its emails; CANCEL once cancelled."""
    from creneau.notify.directory import appointment_ics

    _actor(id, manage_token)
    body = appointment_ics(STORE, api.tenant_id, id, config.settings().default_email_from, api.now())
    return Response(
        status_code=200,
        content_type="text/calendar; charset=utf-8",
        body=body.decode(),
        headers={"Content-Disposition": f'attachment; filename="appointment-{id}.ics"'},
    )


@appointment_routes.act(
    "status", "Confirm, cancel or close an appointment", errors=(InvalidStatusTransition,)
)
def change_status(id: RecordId, body: StatusIn, manage_token: ManageToken = None) -> Appointment:
    return appointments.change_status(STORE, api.tenant_id, id, body, _actor(id, manage_token), api.now())


MOVE_REFUSALS = (ServiceNotFound, CalendarNotFound, LockNotFound, SlotUnavailable, InvalidStatusTransition)


@appointment_routes.act("reschedule", "Move an appointment to another time", errors=MOVE_REFUSALS)
def reschedule(id: RecordId, body: RescheduleIn, manage_token: ManageToken = None) -> Appointment:
    moved = appointments.reschedule(STORE, api.tenant_id, id, body, _actor(id, manage_token), api.now())
    if body.lock_code is not None:
        observability.count(LOCK_CONVERSIONS)
    return moved


@appointment_routes.act(
    "seats",
    "Change the party size of a group session appointment",
    errors=(SlotUnavailable, InvalidStatusTransition),
)
def change_seats(id: RecordId, body: SeatsIn, manage_token: ManageToken = None) -> Appointment:
    return appointments.change_seats(STORE, api.tenant_id, id, body, _actor(id, manage_token), api.now())


# ---- group sessions -------------------------------------------------------------------------------

session_routes = api.resource("/v1/sessions", AGENT, AGENT, missing=SessionNotFound)


@session_routes.collection("A calendar's group sessions and their attendees", errors=(CalendarNotFound,))
def list_sessions(
    calendar_id: Annotated[Key, Query()],
    first_day: Annotated[Day, Query(alias="from")],
    last_day: Annotated[Day, Query(alias="to")],
) -> GroupSessionPage:
    allowed = api.principal().calendar_ids
    days = LocalDays(first_day, last_day)
    return sessions.list_sessions(STORE, api.tenant_id, calendar_id, days, api.now(), allowed)


@session_routes.read("A group session: its places and attendees")
def get_session(id: RecordId) -> GroupSessionOut:
    return sessions.get_session(STORE, api.tenant_id, id, api.now(), api.principal().calendar_ids)


# ---- customers --------------------------------------------------------------------------------

customer_routes = api.resource("/v1/customers", AGENT, AGENT, missing=CustomerNotFound)


@customer_routes.collection("Search customers by email or text")
def search_customers(
    email: Search = None,
    q: Search = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Cursor = None,
) -> CustomerPage:
    return customers.search(STORE, api.tenant_id, email, q, limit, cursor)


customer_routes.serve(
    STORE, Customer, "a customer", create=customers.create, read=customers.get, change=customers.update
)


@instrumented(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event, context):
    return api.handle(event, context)
