"""Calendar sync (docs/calendar-sync.md): the connection routes and the OAuth callback,
the sync queue (appointment change events from the SNS topic), and the 5-minute schedule.

One function, three kinds of event: HTTP API requests, SQS batches, EventBridge schedules. The
provider libraries (google-auth, msal, httpx) are imported here and nowhere else.
"""

from __future__ import annotations

import html
import json
from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from creneau import config
from creneau.clock import SystemClock
from creneau.dal.connections import ConnectionRecord
from creneau.dal.store import DYNAMODB
from creneau.errors import (
    CalendarNotFound,
    Conflict,
    ConnectionExists,
    ConnectionNotFound,
    ConnectionNotReady,
    OAuthRefused,
    ProviderNotConfigured,
)
from creneau.http import ADMIN, NO_KEY, Api
from creneau.models.sync import (
    Connection,
    ConnectionIn,
    ConnectionPage,
    ConnectionPatch,
    NewConnection,
    SyncReport,
)
from creneau.observability import count, instrumented
from creneau.sync.service import Deadline, SyncService, check_remove_events

# Siblings of app.py, imported now: the local runtime, like Lambda, loads them with the handler.
import google_calendar  # noqa: E402  isort: skip
import outlook_calendar  # noqa: E402  isort: skip
import requests  # noqa: E402  isort: skip
from provider_http import Transport  # noqa: E402  isort: skip
from token_store import TokenStore  # noqa: E402  isort: skip

api = Api()
processor = BatchProcessor(event_type=EventType.SQS)
Id = Annotated[str, Path()]
SYNC_NOW_SECONDS = 20  # POST /sync, as docs/calendar-sync.md promises
SCHEDULED_SECONDS = 240  # the schedule's run; the function's timeout is 300 s


@cache
def service() -> SyncService:
    """Built at first use: a cold start that only serves a callback pays for one provider."""
    session = requests.Session()  # google-auth and msal: verified TLS, REQUESTS_CA_BUNDLE honoured
    google_transport = Transport(google_calendar.is_throttling)
    graph_transport = Transport(lambda response: False)
    flows = {
        "google": google_calendar.GoogleFlow(google_transport),
        "outlook": outlook_calendar.MicrosoftFlow(session),
    }

    def provider_for(connection: ConnectionRecord, deadline: Deadline):
        tokens = TokenStore(connection, DYNAMODB.connections)
        if connection.provider == "google":
            google_transport.left = deadline.left
            return google_calendar.GoogleCalendar(tokens, google_transport, session)
        graph_transport.left = deadline.left
        return outlook_calendar.OutlookCalendar(tokens, graph_transport, session)

    return SyncService(flows, provider_for, SystemClock(), DYNAMODB, count)


def _redirect_base() -> str:
    configured = config.settings().oauth_redirect_base
    if configured:
        return configured
    event = api.app.current_event
    proto = event.headers.get("x-forwarded-proto", "https")
    return f"{proto}://{event.request_context.domain_name}"


def _seconds_left(share: float) -> float:
    context = api.app.lambda_context
    left = context.get_remaining_time_in_millis() / 1000 - 2 if context else share
    return max(1.0, min(share, left))


# ---- connections ------------------------------------------------------------------------------


connection_routes = api.resource(
    "/v1/calendars/{id}/connections",
    ADMIN,
    ADMIN,
    missing=ConnectionNotFound,
    within=(CalendarNotFound,),
    item="cid",
)


@connection_routes.create(
    "Connect a calendar to Google or Outlook (answers the consent link)",
    errors=(ConnectionExists, ProviderNotConfigured),
)
def create_connection(id: Id, body: ConnectionIn) -> NewConnection:
    return service().create(api.tenant_id, id, body, _redirect_base())


@connection_routes.collection("List a calendar's connections")
def list_connections(id: Id) -> ConnectionPage:
    return service().list(api.tenant_id, id)


@connection_routes.read("Read a connection: status, options, last sync")
def get_connection(id: Id, cid: Id) -> Connection:
    return service().get(api.tenant_id, id, cid)


@connection_routes.change("Change a connection's sync options")
def patch_connection(id: Id, cid: Id, body: ConnectionPatch) -> Connection:
    return service().patch(api.tenant_id, id, cid, body.options)


@connection_routes.act(
    "reconnect",
    "Start the consent again for a connection that lost its access",
    errors=(ProviderNotConfigured,),
)
def reconnect(id: Id, cid: Id) -> NewConnection:
    return service().reconnect(api.tenant_id, id, cid, _redirect_base())


@connection_routes.delete(
    "Disconnect a calendar, optionally removing the events it pushed", errors=(Conflict,)
)
def delete_connection(id: Id, cid: Id, remove_events: Annotated[str | None, Query()] = None) -> None:
    service().delete(api.tenant_id, id, cid, check_remove_events(remove_events))
    return api.no_content()


@api.post(
    "/v1/calendars/{id}/sync",
    role=ADMIN,
    summary="Sync a calendar now: push pending changes, read busy times",
    errors=(CalendarNotFound, ConnectionNotReady),
)
def sync_now(id: Id) -> SyncReport:
    return service().sync_calendar(api.tenant_id, id, _seconds_left(SYNC_NOW_SECONDS))


# ---- the OAuth callback (no key: the signed state is the proof) -------------------------------


def _page(status: int, title: str, text: str) -> Response:
    body = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
    )
    return Response(status_code=status, content_type="text/html; charset=utf-8", body=body)


@api.get(
    "/v1/oauth/{provider}/callback",
    role=NO_KEY,
    include_in_schema=True,
    summary="Where the provider sends the person back after consent (an HTML page)",
)
def oauth_callback(
    provider: Annotated[str, Path()],
    code: Annotated[str | None, Query()] = None,
    state: Annotated[str | None, Query()] = None,
    error: Annotated[str | None, Query()] = None,
    error_description: Annotated[str | None, Query()] = None,
):
    if provider not in ("google", "outlook"):
        return _page(404, "Unknown provider", f"There is no calendar provider named {provider!r}.")
    query = {k: v for k, v in api.app.current_event.query_string_parameters.items() if v is not None}
    try:
        connection = service().callback(provider, query)
    except OAuthRefused as refused:
        return _page(400, "Calendar not connected", refused.message)
    account = connection.get("account") or "your account"
    return _page(200, "Calendar connected", f"{account} is now connected. You can close this page.")


# ---- the queue and the schedule -----------------------------------------------------------------


def _on_change(record: SQSRecord) -> None:
    """Queue the change durably first (a failure here is redelivered), then try to push it; a
    provider that fails now leaves it queued for the schedule."""
    event = json.loads(record.body)
    for connection in service().enqueue(event):
        service().push_queued(connection, seconds=10)


def _is_schedule(event: dict[str, Any]) -> bool:
    return event.get("source") == "aws.events" or event.get("detail-type") == "Scheduled Event"


@instrumented(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if "Records" in event:
        return process_partial_response(event, _on_change, processor, context)
    if _is_schedule(event):
        return service().scheduled(SCHEDULED_SECONDS)
    return api.handle(event, context)
