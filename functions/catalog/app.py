"""Catalog: settings, service categories, services, calendars and API keys (docs/api.md, "Catalog")."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths

from creneau.dal.store import DYNAMODB as STORE
from creneau.errors import (
    ApiKeyNotFound,
    CalendarNotFound,
    CategoryNotFound,
    Conflict,
    HasAppointments,
    ServiceNotFound,
)
from creneau.http import ADMIN, PUBLIC, Api, Case, RecordId
from creneau.logic import catalog, tenants
from creneau.logic.choice import service_list
from creneau.models.catalog import (
    ApiKeyIn,
    ApiKeyPage,
    Calendar,
    CalendarPage,
    CalendarPatch,
    Category,
    CategoryPage,
    NewApiKey,
    Service,
    ServicePage,
    Settings,
    SettingsPatch,
    UpdatedCalendar,
)
from creneau.models.common import CursorText, Key, ServiceIdList
from creneau.observability import instrumented

api = Api()
Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[CursorText | None, Query()]
KeyQuery = Annotated[Key | None, Query()]


def _only_active() -> bool:
    """Widgets see what can be booked; the back office sees everything."""
    return not api.principal().at_least("agent")


# ---- settings ---------------------------------------------------------------------------------


@api.get("/v1/settings", role=PUBLIC, summary="Read the tenant's settings")
def get_settings() -> Settings:
    return tenants.get_settings(STORE, api.tenant_id).public()


@api.patch("/v1/settings", role=ADMIN, summary="Change the tenant's settings", errors=(Conflict,))
def patch_settings(body: SettingsPatch) -> Settings:
    return tenants.update_settings(STORE, api.tenant_id, body)


# ---- service categories -----------------------------------------------------------------------

category_routes = api.resource("/v1/service-categories", PUBLIC, ADMIN, missing=CategoryNotFound)


@category_routes.collection("List service categories")
def list_categories(limit: Limit = 50, cursor: Cursor = None) -> CategoryPage:
    return catalog.list_categories(STORE, api.tenant_id, limit, cursor)


category_routes.serve(
    STORE,
    Category,
    "a service category",
    create=catalog.create_category,
    read=catalog.get_category,
    change=catalog.update_category,
    delete=Case(catalog.delete_category, errors=(Conflict,)),
)


# ---- services ---------------------------------------------------------------------------------

service_routes = api.resource("/v1/services", PUBLIC, ADMIN, missing=ServiceNotFound)


@service_routes.collection("List services (a public key sees the active ones)")
def list_services(category_id: KeyQuery = None, limit: Limit = 50, cursor: Cursor = None) -> ServicePage:
    return catalog.list_services(STORE, api.tenant_id, category_id, _only_active(), limit, cursor)


@service_routes.read("Read a service")
def get_service(id: RecordId) -> Service:
    return catalog.get_service(STORE, api.tenant_id, id, _only_active())


service_routes.serve(
    STORE,
    Service,
    "a service",
    create=Case(catalog.create_service, errors=(CategoryNotFound,)),
    change=Case(catalog.update_service, errors=(CategoryNotFound, HasAppointments)),
    guarded_delete=catalog.delete_service,
)


# ---- calendars --------------------------------------------------------------------------------

calendar_routes = api.resource("/v1/calendars", PUBLIC, ADMIN, missing=CalendarNotFound)


@calendar_routes.collection("List calendars (a public key sees the active ones)", errors=(ServiceNotFound,))
def list_calendars(
    service_id: KeyQuery = None,
    service_ids: Annotated[ServiceIdList | None, Query(description="calendars offering all of A,B")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> CalendarPage:
    wanted = [] if service_id is None and service_ids is None else service_list(service_id, service_ids)
    return catalog.list_calendars(STORE, api.tenant_id, wanted, _only_active(), limit, cursor)


@calendar_routes.read("Read a calendar")
def get_calendar(id: RecordId) -> Calendar:
    return catalog.get_calendar(STORE, api.tenant_id, id, _only_active())


@calendar_routes.change(
    "Change a calendar (answers the appointments a new exception covers)", errors=(ServiceNotFound,)
)
def patch_calendar(id: RecordId, body: CalendarPatch) -> UpdatedCalendar:
    return catalog.update_calendar(STORE, api.tenant_id, id, body, api.now())


calendar_routes.serve(
    STORE,
    Calendar,
    "a calendar",
    create=Case(catalog.create_calendar, errors=(ServiceNotFound,)),
    guarded_delete=catalog.delete_calendar,
)


# ---- API keys ---------------------------------------------------------------------------------

api_key_routes = api.resource("/v1/api-keys", ADMIN, ADMIN, missing=ApiKeyNotFound)


@api_key_routes.collection("List the tenant's API keys (never the keys themselves)")
def list_api_keys() -> ApiKeyPage:
    return {"items": tenants.list_api_keys(STORE, api.tenant_id), "next_cursor": None}


@api_key_routes.create("Create an API key (shown once)")
def create_api_key(body: ApiKeyIn) -> NewApiKey:
    return tenants.create_api_key(STORE, api.tenant_id, body.role, body.name)


@api_key_routes.delete("Revoke an API key")
def delete_api_key(id: RecordId):
    tenants.delete_api_key(STORE, api.tenant_id, id)
    return api.no_content()


@instrumented(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event, context):
    return api.handle(event, context)
