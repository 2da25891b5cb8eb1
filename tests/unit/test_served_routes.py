"""Routes a kind of record serves from its use cases (`Resource.serve`), over the in-memory store:
what each route accepts is its use case's own type, it answers as a route written out would, and
a guarded delete takes `force` from the query and `now` from the function's clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from creneau import config
from creneau.clock import FixedClock
from creneau.errors import CalendarNotFound, CategoryNotFound
from creneau.http import ADMIN, PUBLIC, Api
from creneau.logic import appointments, catalog, tenants
from creneau.logic.appointments import Actor
from creneau.logic.auth import Authenticator, UserRecords
from creneau.models.booking import AppointmentIn
from creneau.models.catalog import Calendar, Category
from devstack.apigw import build_event
from devstack.routes import Route
from tests.fakes.memory_store import memory_shop

NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # Monday 08:00 in Paris
TUESDAY_10 = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)  # 10:00 in Paris
HOURS = {day: [{"start": "09:00", "end": "12:00"}] for day in ("mon", "tue", "wed", "thu", "fri")}
# The four routes on categories, each from its use case alone.
EVERY_CATEGORY_ROUTE = {
    "create": catalog.create_category,
    "read": catalog.get_category,
    "change": catalog.update_category,
    "delete": catalog.delete_category,
}


class Served:
    """A function of two served kinds: categories, and calendars with a guarded delete."""

    def __init__(self, shop, clock: FixedClock) -> None:
        store = shop.store
        auth = Authenticator(
            keys=store.api_keys, users=UserRecords(store.users.find), settings=store.settings
        )
        self.api = Api(clock=clock, authenticator=auth)
        self.key = tenants.create_api_key(store, shop.tenant_id, "admin", "tests")["key"]
        categories = self.api.resource("/v1/service-categories", PUBLIC, ADMIN, missing=CategoryNotFound)
        categories.serve(store, Category, "a service category", **EVERY_CATEGORY_ROUTE)
        calendars = self.api.resource("/v1/calendars", PUBLIC, ADMIN, missing=CalendarNotFound)
        calendars.serve(store, Calendar, "a calendar", guarded_delete=catalog.delete_calendar)

    def call(self, method: str, path: str, body: dict | None = None, query: str = ""):
        template, _, record_id = path.rpartition("/") if path.count("/") > 2 else (path, "", "")
        route = Route(method, f"{template}/{{id}}" if record_id else path, "Function")
        headers = [("x-api-key", self.key), ("content-type", "application/json")]
        raw = json.dumps(body).encode() if body is not None else b""
        params = {"id": record_id} if record_id else {}
        answer = self.api.handle(build_event(method, path, query, headers, raw, route, params), None)
        return answer["statusCode"], json.loads(answer["body"]) if answer.get("body") else None


@pytest.fixture
def shop(monkeypatch):
    monkeypatch.setenv("IDEMPOTENCY_TABLE", "idempotency")  # named only: these routes use none
    shop = memory_shop(monkeypatch)
    shop.service("svc-cut", "cut", 30)
    shop.calendar("cal-alice", "Alice", ["svc-cut"], weekly_hours=HOURS, slot_step_minutes=15)
    yield shop
    config.reset()


def test_a_served_kind_creates_reads_changes_and_deletes_through_its_use_cases(shop):
    served = Served(shop, FixedClock(NOW))

    status, created = served.call("POST", "/v1/service-categories", {"name": "Hair", "position": 2})
    assert status == 201 and created["name"] == "Hair"
    path = f"/v1/service-categories/{created['id']}"
    assert served.call("GET", path) == (200, created)

    status, changed = served.call("PATCH", path, {"position": 5})
    assert status == 200 and (changed["name"], changed["position"]) == ("Hair", 5)  # only what was sent

    assert served.call("DELETE", path) == (204, None)
    status, refused = served.call("GET", path)
    assert status == 404 and refused["error"]["code"] == "category-not-found"


def test_a_served_route_validates_the_body_against_its_use_cases_type(shop):
    served = Served(shop, FixedClock(NOW))

    status, refused = served.call("POST", "/v1/service-categories", {"name": "Hair", "colour": "red"})
    assert status == 422 and [d["field"] for d in refused["error"]["details"]] == ["colour"]
    status, created = served.call("POST", "/v1/service-categories", {"name": "Hair"})
    path = f"/v1/service-categories/{created['id']}"
    status, refused = served.call("PATCH", path, {"position": -1})  # CategoryPatch: ge=0
    assert status == 422 and [d["field"] for d in refused["error"]["details"]] == ["position"]
    assert served.call("GET", path)[1]["position"] == created["position"]


def test_a_guarded_delete_refuses_while_an_appointment_is_ahead_by_the_functions_clock(shop):
    request = AppointmentIn.model_validate(
        {"service_id": "svc-cut", "start": TUESDAY_10, "customer": {"first_name": "Camille"}}
    )
    appointments.create(shop.store, shop.tenant_id, request, Actor("agent:test"), NOW)

    status, refused = Served(shop, FixedClock(NOW)).call("DELETE", "/v1/calendars/cal-alice")
    assert status == 409 and refused["error"]["code"] == "has-appointments"

    # Once the appointment is over by the function's clock, nothing is ahead.
    after = Served(shop, FixedClock(TUESDAY_10 + timedelta(hours=1)))
    assert after.call("DELETE", "/v1/calendars/cal-alice") == (204, None)
    assert shop.store.calendars.find(shop.tenant_id, "cal-alice") is None


def test_a_guarded_delete_goes_ahead_when_forced(shop):
    request = AppointmentIn.model_validate(
        {"service_id": "svc-cut", "start": TUESDAY_10, "customer": {"first_name": "Camille"}}
    )
    booked = appointments.create(shop.store, shop.tenant_id, request, Actor("agent:test"), NOW)
    served = Served(shop, FixedClock(NOW))

    status, refused = served.call("DELETE", "/v1/calendars/cal-alice", query="force=nope")
    assert status == 422 and refused["error"]["details"][0]["field"] == "force"
    assert served.call("DELETE", "/v1/calendars/cal-alice", query="force=true") == (204, None)
    assert shop.store.calendars.find(shop.tenant_id, "cal-alice") is None
    kept = appointments.get(shop.store, shop.tenant_id, booked["id"], actor=Actor("agent:test"))
    assert (kept["id"], kept["calendar_id"]) == (booked["id"], "cal-alice")  # forced: it stays readable
