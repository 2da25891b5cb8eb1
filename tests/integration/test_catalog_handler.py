"""The catalog Lambda in-process (moto): API Gateway HTTP API v2 events in, the HTTP contract out."""

from __future__ import annotations

import base64
import json

import pytest

FN = "catalog"
WEEK = {d: [] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture
def call(invoke, tenant):
    """call(method, route, path=None, body=None, key=<admin>, query=None) on the catalog function."""

    def run(
        method: str, route: str, path: str | None = None, body=None, key: str | None = "admin", query=None
    ):
        chosen = getattr(tenant, key) if key in ("admin", "agent", "public") else key
        return invoke(FN, method, route, path or route, body=body, key=chosen, query=query)

    return run


def fields_of(reply) -> set[str]:
    assert reply.status == 422, reply.text
    error = reply.error
    assert error["code"] == "validation-error"
    assert error["message"]
    return {d["field"] for d in error["details"]}


def create_service(call, **fields) -> dict:
    reply = call("POST", "/v1/services", body={"name": "Cut", "duration_minutes": 30, **fields})
    assert reply.status == 201, reply.text
    return reply.json()


def create_calendar(call, **fields) -> dict:
    reply = call("POST", "/v1/calendars", body={"name": "Alice", **fields})
    assert reply.status == 201, reply.text
    return reply.json()


# ---- settings -------------------------------------------------------------------------------------


def test_settings_read_by_any_role_and_changed_by_admin(call):
    for role in ("public", "agent", "admin"):
        reply = call("GET", "/v1/settings", key=role)
        assert reply.status == 200
        assert reply.json()["name"] == "Salon Creneau"
        assert reply.json()["lock_ttl_seconds"] == 600
    reply = call("PATCH", "/v1/settings", body={"lock_ttl_seconds": 90, "auto_confirm": True, "locale": "en"})
    assert reply.status == 200, reply.text
    changed = call("GET", "/v1/settings", key="public").json()
    assert (changed["lock_ttl_seconds"], changed["auto_confirm"], changed["locale"]) == (90, True, "en")
    assert changed["timezone"] == "Europe/Paris"  # untouched fields stay


@pytest.mark.parametrize("ttl", [0, 86401, -5])
def test_lock_ttl_outside_its_range_is_refused(call, ttl):
    assert fields_of(call("PATCH", "/v1/settings", body={"lock_ttl_seconds": ttl})) == {"lock_ttl_seconds"}
    assert call("GET", "/v1/settings").json()["lock_ttl_seconds"] == 600


@pytest.mark.parametrize("ttl", [1, 86400])
def test_lock_ttl_bounds_are_accepted(call, ttl):
    assert call("PATCH", "/v1/settings", body={"lock_ttl_seconds": ttl}).json()["lock_ttl_seconds"] == ttl


def test_settings_reject_an_unknown_zone_and_unknown_fields(call):
    assert fields_of(call("PATCH", "/v1/settings", body={"timezone": "Europe/Nowhere", "colour": "red"})) == {
        "timezone",
        "colour",
    }


@pytest.mark.parametrize(
    ("route", "path_of", "body"),
    [
        ("/v1/settings", None, {"timezone": None}),
        ("/v1/services/{id}", "service", {"name": None}),
        ("/v1/calendars/{id}", "calendar", {"timezone": None}),
        ("/v1/service-categories/{id}", "category", {"name": None}),
    ],
)
def test_patching_a_required_field_to_null_is_a_validation_error(call, route, path_of, body):
    """A null where the resource needs a value is a malformed body (422 naming it), not a server error."""
    ids = {
        "service": lambda: create_service(call)["id"],
        "calendar": lambda: create_calendar(call)["id"],
        "category": lambda: call("POST", "/v1/service-categories", body={"name": "Hair"}).json()["id"],
    }
    path = route.replace("{id}", ids[path_of]()) if path_of else route
    assert fields_of(call("PATCH", route, path, body=body)) == set(body)


# ---- categories -----------------------------------------------------------------------------------


def test_category_crud(call):
    reply = call("POST", "/v1/service-categories", body={"name": "Hair", "position": 2})
    assert reply.status == 201
    category = reply.json()
    assert category == {"id": category["id"], "name": "Hair", "position": 2}
    route, path = "/v1/service-categories/{id}", f"/v1/service-categories/{category['id']}"
    assert call("GET", route, path, key="public").json() == category

    reply = call("PATCH", route, path, body={"name": "Hair & beauty"})
    assert reply.status == 200
    assert reply.json() == {**category, "name": "Hair & beauty"}

    call("POST", "/v1/service-categories", body={"name": "Nails", "position": 1})
    listed = call("GET", "/v1/service-categories", key="public").json()
    assert [c["name"] for c in listed["items"]] == ["Nails", "Hair & beauty"]
    assert listed["next_cursor"] is None

    reply = call("DELETE", route, path)
    assert (reply.status, reply.text) == (204, "")
    assert call("GET", route, path).error["code"] == "category-not-found"


def test_missing_category_is_category_not_found(call):
    route, path = "/v1/service-categories/{id}", "/v1/service-categories/nope"
    for method, body in (("GET", None), ("PATCH", {"name": "X"}), ("DELETE", None)):
        reply = call(method, route, path, body=body)
        assert reply.status == 404
        assert reply.error["code"] == "category-not-found"


def test_service_with_an_unknown_category_is_refused(call):
    reply = call("POST", "/v1/services", body={"name": "Cut", "duration_minutes": 30, "category_id": "nope"})
    assert fields_of(reply) == {"category_id"}


# ---- services -------------------------------------------------------------------------------------


def test_service_crud(call):
    category = call("POST", "/v1/service-categories", body={"name": "Hair"}).json()
    body = {
        "category_id": category["id"],
        "name": "Colour",
        "description": "Full colour",
        "duration_minutes": 60,
        "buffer_before_minutes": 5,
        "buffer_after_minutes": 10,
        "price": {"amount": 4500, "currency": "EUR"},
        "fields": [{"key": "shade", "label": "Shade", "type": "choice", "options": ["dark", "light"]}],
    }
    reply = call("POST", "/v1/services", body=body)
    assert reply.status == 201, reply.text
    service = reply.json()
    assert {k: service[k] for k in body if k != "fields"} == {k: v for k, v in body.items() if k != "fields"}
    assert service["fields"][0]["options"] == ["dark", "light"]
    assert service["active"] is True and service["id"]

    route, path = "/v1/services/{id}", f"/v1/services/{service['id']}"
    assert call("GET", route, path, key="public").json() == service

    reply = call("PATCH", route, path, body={"duration_minutes": 45, "price": None})
    assert reply.status == 200, reply.text
    assert (reply.json()["duration_minutes"], reply.json()["price"]) == (45, None)
    assert call("GET", route, path).json()["duration_minutes"] == 45

    other = create_service(call, name="Other")
    listed = call("GET", "/v1/services", key="agent", query={"category_id": category["id"]}).json()
    assert [s["id"] for s in listed["items"]] == [service["id"]]
    all_ids = {s["id"] for s in call("GET", "/v1/services", key="agent").json()["items"]}
    assert all_ids == {service["id"], other["id"]}

    reply = call("DELETE", route, path)
    assert (reply.status, reply.text) == (204, "")
    assert call("GET", route, path).error["code"] == "service-not-found"
    assert call("DELETE", route, path).error["code"] == "service-not-found"


def test_missing_service_is_service_not_found(call):
    for method, body in (("GET", None), ("PATCH", {"name": "X"}), ("DELETE", None)):
        reply = call(method, "/v1/services/{id}", "/v1/services/nope", body=body)
        assert reply.status == 404
        assert reply.error == {"code": "service-not-found", "message": reply.error["message"], "details": []}


def test_service_validation_names_each_field(call):
    reply = call(
        "POST",
        "/v1/services",
        body={
            "name": "",
            "duration_minutes": 0,
            "buffer_after_minutes": -5,
            "price": {"amount": 1, "currency": "E"},
        },
    )
    assert fields_of(reply) == {"name", "duration_minutes", "buffer_after_minutes", "price.currency"}


def test_service_patch_that_leaves_a_calendars_unit_grid_is_refused(call):
    service = create_service(call, duration_minutes=30)
    create_calendar(call, unit_minutes=15, service_ids=[service["id"]])
    route, path = "/v1/services/{id}", f"/v1/services/{service['id']}"
    assert fields_of(call("PATCH", route, path, body={"duration_minutes": 40})) == {"duration_minutes"}
    assert fields_of(call("PATCH", route, path, body={"buffer_after_minutes": 5})) == {"buffer_after_minutes"}
    assert call("GET", route, path).json()["duration_minutes"] == 30
    assert call("PATCH", route, path, body={"duration_minutes": 45}).status == 200


# ---- calendars ------------------------------------------------------------------------------------


def test_calendar_crud(call):
    service = create_service(call, duration_minutes=30)
    body = {
        "name": "Alice",
        "kind": "person",
        "timezone": "Europe/Paris",
        "service_ids": [service["id"]],
        "weekly_hours": {
            **WEEK,
            "mon": [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}],
        },
        "exceptions": [
            {"start": "2026-08-01T00:00:00+02:00", "end": "2026-08-15T00:00:00+02:00", "reason": "Off"}
        ],
        "slot_step_minutes": 30,
        "unit_minutes": 15,
        "min_notice_minutes": 120,
        "horizon_days": 30,
    }
    reply = call("POST", "/v1/calendars", body=body)
    assert reply.status == 201, reply.text
    calendar = reply.json()
    assert calendar["exceptions"] == [
        {"start": "2026-07-31T22:00:00Z", "end": "2026-08-14T22:00:00Z", "reason": "Off"}
    ]
    assert calendar["weekly_hours"] == body["weekly_hours"]
    assert {k: calendar[k] for k in ("service_ids", "unit_minutes", "slot_step_minutes", "horizon_days")} == {
        "service_ids": [service["id"]],
        "unit_minutes": 15,
        "slot_step_minutes": 30,
        "horizon_days": 30,
    }
    assert not any(k.startswith("_") for k in calendar)

    route, path = "/v1/calendars/{id}", f"/v1/calendars/{calendar['id']}"
    fetched = call("GET", route, path, key="public").json()
    assert fetched == calendar

    reply = call("PATCH", route, path, body={"name": "Alice B.", "timezone": "America/Montreal"})
    assert reply.status == 200, reply.text
    assert (reply.json()["name"], reply.json()["timezone"]) == ("Alice B.", "America/Montreal")
    assert call("GET", route, path).json()["name"] == "Alice B."

    other = create_calendar(call, name="Room 1", kind="resource")
    by_service = call("GET", "/v1/calendars", key="agent", query={"service_id": service["id"]}).json()
    assert [c["id"] for c in by_service["items"]] == [calendar["id"]]
    assert len(call("GET", "/v1/calendars").json()["items"]) == 2

    reply = call("DELETE", route, path)
    assert (reply.status, reply.text) == (204, "")
    assert call("GET", route, path).error["code"] == "calendar-not-found"
    assert call("GET", "/v1/calendars/{id}", f"/v1/calendars/{other['id']}").status == 200


def test_calendar_takes_the_tenants_time_zone_by_default(call):
    assert create_calendar(call)["timezone"] == "Europe/Paris"


def test_missing_calendar_is_calendar_not_found(call):
    for method, body in (("GET", None), ("PATCH", {"name": "X"}), ("DELETE", None)):
        reply = call(method, "/v1/calendars/{id}", "/v1/calendars/nope", body=body)
        assert reply.status == 404
        assert reply.error["code"] == "calendar-not-found"


def test_calendar_with_an_unknown_time_zone(call):
    assert fields_of(call("POST", "/v1/calendars", body={"name": "A", "timezone": "Europe/Gondor"})) == {
        "timezone"
    }


def test_calendar_with_an_interval_ending_before_it_starts(call):
    week = {**WEEK, "tue": [{"start": "09:00", "end": "12:00"}, {"start": "15:00", "end": "14:00"}]}
    assert fields_of(call("POST", "/v1/calendars", body={"name": "A", "weekly_hours": week})) == {
        "weekly_hours.tue.1"
    }


def test_calendar_with_an_empty_interval(call):
    week = {**WEEK, "wed": [{"start": "10:00", "end": "10:00"}]}
    assert fields_of(call("POST", "/v1/calendars", body={"name": "A", "weekly_hours": week})) == {
        "weekly_hours.wed.0"
    }


def test_calendar_with_overlapping_intervals(call):
    week = {**WEEK, "thu": [{"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}]}
    reply = call("POST", "/v1/calendars", body={"name": "A", "weekly_hours": week})
    assert fields_of(reply) == {"weekly_hours"}
    assert "thu" in reply.error["details"][0]["message"]


def test_calendar_validation_names_every_field(call):
    body = {
        "name": "A",
        "timezone": "Nowhere/Land",
        "unit_minutes": 7,
        "horizon_days": 731,
        "weekly_hours": {**WEEK, "mon": [{"start": "18:00", "end": "09:00"}]},
    }
    assert fields_of(call("POST", "/v1/calendars", body=body)) == {
        "timezone",
        "unit_minutes",
        "horizon_days",
        "weekly_hours.mon.0",
    }


def test_step_and_service_timings_must_be_multiples_of_the_unit(call):
    fits = create_service(call, name="Fits", duration_minutes=30)
    long = create_service(call, name="Long", duration_minutes=25)
    buffered = create_service(call, name="Buffered", duration_minutes=30, buffer_before_minutes=5)
    body = {
        "name": "A",
        "unit_minutes": 15,
        "slot_step_minutes": 20,
        "service_ids": [fits["id"], long["id"], buffered["id"]],
    }
    reply = call("POST", "/v1/calendars", body=body)
    assert fields_of(reply) == {"slot_step_minutes", "service_ids.1", "service_ids.2"}
    messages = {d["field"]: d["message"] for d in reply.error["details"]}
    assert "duration_minutes" in messages["service_ids.1"]
    assert "buffer_before_minutes" in messages["service_ids.2"]
    assert call("GET", "/v1/calendars").json()["items"] == []


def test_calendar_with_an_unknown_service(call):
    known = create_service(call)
    reply = call("POST", "/v1/calendars", body={"name": "A", "service_ids": [known["id"], "ghost"]})
    assert fields_of(reply) == {"service_ids.1"}


def test_calendar_patch_with_an_unknown_service(call):
    calendar = create_calendar(call)
    reply = call(
        "PATCH", "/v1/calendars/{id}", f"/v1/calendars/{calendar['id']}", body={"service_ids": ["ghost"]}
    )
    assert fields_of(reply) == {"service_ids.0"}


def test_another_tenants_service_is_unknown_to_a_calendar(call, make_tenant, invoke):
    other = make_tenant(name="Other")
    foreign = invoke(
        FN,
        "POST",
        "/v1/services",
        "/v1/services",
        body={"name": "X", "duration_minutes": 30},
        key=other.admin,
    )
    reply = call("POST", "/v1/calendars", body={"name": "A", "service_ids": [foreign.json()["id"]]})
    assert fields_of(reply) == {"service_ids.0"}


def test_unit_minutes_cannot_change(call):
    calendar = create_calendar(call, unit_minutes=15)
    route, path = "/v1/calendars/{id}", f"/v1/calendars/{calendar['id']}"
    assert fields_of(call("PATCH", route, path, body={"unit_minutes": 30})) == {"unit_minutes"}
    assert call("GET", route, path).json()["unit_minutes"] == 15
    assert call("PATCH", route, path, body={"unit_minutes": 15, "name": "Same unit"}).status == 200


def test_calendar_patch_checks_the_step_against_the_unit(call):
    calendar = create_calendar(call, unit_minutes=10, slot_step_minutes=20)
    route, path = "/v1/calendars/{id}", f"/v1/calendars/{calendar['id']}"
    assert fields_of(call("PATCH", route, path, body={"slot_step_minutes": 25})) == {"slot_step_minutes"}


# ---- what a public key sees -----------------------------------------------------------------------


def test_public_keys_list_only_active_services_and_calendars(call):
    on = create_service(call, name="On")
    off = create_service(call, name="Off", active=False)
    open_calendar = create_calendar(call, name="Open", service_ids=[on["id"], off["id"]])
    closed_calendar = create_calendar(call, name="Closed", active=False, service_ids=[on["id"]])

    public_services = call("GET", "/v1/services", key="public").json()["items"]
    assert [s["id"] for s in public_services] == [on["id"]]
    public_calendars = call("GET", "/v1/calendars", key="public").json()["items"]
    assert [c["id"] for c in public_calendars] == [open_calendar["id"]]
    by_service = call("GET", "/v1/calendars", key="public", query={"service_id": on["id"]}).json()["items"]
    assert [c["id"] for c in by_service] == [open_calendar["id"]]

    for role in ("agent", "admin"):
        assert {s["id"] for s in call("GET", "/v1/services", key=role).json()["items"]} == {
            on["id"],
            off["id"],
        }
        assert {c["id"] for c in call("GET", "/v1/calendars", key=role).json()["items"]} == {
            open_calendar["id"],
            closed_calendar["id"],
        }


def test_public_keys_cannot_read_inactive_services_or_calendars_by_id(call):
    off = create_service(call, name="Off", active=False)
    closed = create_calendar(call, name="Closed", active=False)
    assert call("GET", "/v1/services/{id}", f"/v1/services/{off['id']}", key="public").error["code"] == (
        "service-not-found"
    )
    assert call("GET", "/v1/calendars/{id}", f"/v1/calendars/{closed['id']}", key="public").error["code"] == (
        "calendar-not-found"
    )
    assert call("GET", "/v1/services/{id}", f"/v1/services/{off['id']}", key="agent").status == 200


# ---- collections ----------------------------------------------------------------------------------


def test_services_page_through_with_cursors(call):
    made = {create_service(call, name=f"S{i}")["id"] for i in range(5)}
    seen, cursor = [], None
    while True:
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = call("GET", "/v1/services", key="public", query=query).json()
        assert len(page["items"]) <= 2
        seen += [s["id"] for s in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(made)


@pytest.mark.parametrize("limit", ["0", "101", "many"])
def test_limit_out_of_range_is_a_validation_error(call, limit):
    assert fields_of(call("GET", "/v1/services", query={"limit": limit})) == {"limit"}


def cursor_of(key: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def test_a_forged_cursor_is_a_validation_error(call):
    assert fields_of(call("GET", "/v1/calendars", query={"cursor": "bm90LWEtY3Vyc29y"})) == {"cursor"}


@pytest.mark.parametrize(
    "key",
    [
        {"pk": 5, "sk": ["SERVICE#x"]},  # the right names, values of the wrong types
        {"pk": "T#someone-else", "sk": "SERVICE#zzz"},  # a position in another tenant's partition
    ],
    ids=["wrong-types", "other-partition"],
)
def test_a_cursor_this_api_did_not_give_is_a_validation_error(call, key):
    """Only cursors the API handed out resume a listing; anything else is a malformed query (422)."""
    create_service(call)
    reply = call("GET", "/v1/services", query={"cursor": cursor_of(key), "limit": "1"})
    assert fields_of(reply) == {"cursor"}


# ---- API keys -------------------------------------------------------------------------------------


def test_api_keys_create_list_use_and_revoke(call, invoke):
    reply = call("POST", "/v1/api-keys", body={"role": "agent", "name": "Front desk"})
    assert reply.status == 201, reply.text
    created = reply.json()
    assert set(created) == {"id", "role", "name", "key"}
    assert (created["role"], created["name"]) == ("agent", "Front desk")

    listed = call("GET", "/v1/api-keys").json()
    assert listed["next_cursor"] is None
    assert {"id": created["id"], "role": "agent", "name": "Front desk"} in listed["items"]
    assert all("key" not in k and "key_hash" not in k for k in listed["items"])
    assert len(listed["items"]) == 4  # the first admin key, the fixture's agent and public keys, this one

    assert invoke(FN, "GET", "/v1/services", "/v1/services", key=created["key"]).status == 200
    reply = call("DELETE", "/v1/api-keys/{id}", f"/v1/api-keys/{created['id']}")
    assert (reply.status, reply.text) == (204, "")
    revoked = invoke(FN, "GET", "/v1/services", "/v1/services", key=created["key"])
    assert (revoked.status, revoked.error["code"]) == (401, "not-authorized")
    assert created["id"] not in {k["id"] for k in call("GET", "/v1/api-keys").json()["items"]}


def test_revoking_an_unknown_key_is_not_found(call):
    reply = call("DELETE", "/v1/api-keys/{id}", "/v1/api-keys/nope")
    assert reply.status == 404
    assert reply.error["code"] == "api-key-not-found"


def test_api_key_with_an_unknown_role(call):
    assert fields_of(call("POST", "/v1/api-keys", body={"role": "owner", "name": "x"})) == {"role"}


@pytest.mark.parametrize("role", ["public", "agent"])
def test_api_keys_are_for_admins_only(call, role):
    assert call("GET", "/v1/api-keys", key=role).status == 403
    assert call("POST", "/v1/api-keys", body={"role": "admin", "name": "escalate"}, key=role).status == 403


# ---- auth, errors, routes -------------------------------------------------------------------------


def test_missing_and_unknown_keys_are_401(call):
    for key in (None, "ck_not_a_real_key"):
        reply = call("GET", "/v1/services", key=key)
        assert reply.status == 401
        assert reply.error["code"] == "not-authorized"
        assert reply.error["details"] == []


@pytest.mark.parametrize(
    ("method", "route", "body", "role"),
    [
        ("PATCH", "/v1/settings", {"lock_ttl_seconds": 30}, "public"),
        ("PATCH", "/v1/settings", {"lock_ttl_seconds": 30}, "agent"),
        ("POST", "/v1/services", {"name": "X", "duration_minutes": 30}, "agent"),
        ("POST", "/v1/calendars", {"name": "X"}, "public"),
        ("POST", "/v1/service-categories", {"name": "X"}, "agent"),
        ("DELETE", "/v1/services/{id}", None, "agent"),
        ("PATCH", "/v1/calendars/{id}", {"name": "X"}, "public"),
    ],
)
def test_writes_need_an_admin_key(call, method, route, body, role):
    reply = call(method, route, body=body, key=role)
    assert (reply.status, reply.error["code"]) == (403, "not-authorized")
    assert call("GET", "/v1/settings").json()["lock_ttl_seconds"] == 600
    assert call("GET", "/v1/services").json()["items"] == []


def test_role_is_checked_before_the_body(call):
    reply = call("PATCH", "/v1/settings", body={"lock_ttl_seconds": "lots"}, key="public")
    assert reply.status == 403
    reply = call("POST", "/v1/services", body="{not json", key=None)
    assert reply.status == 401


def test_bad_json_body_is_a_validation_error(call):
    for route in ("/v1/services", "/v1/calendars", "/v1/service-categories"):
        reply = call("POST", route, body="{not json")
        assert fields_of(reply) == {"body"}


def test_a_body_that_is_not_an_object(call):
    assert call("POST", "/v1/services", body="[1, 2]").status == 422


def test_unknown_route_is_not_found_with_the_error_shape(invoke, tenant):
    for key in (None, tenant.admin):
        reply = invoke(FN, "GET", "/{proxy+}", "/v1/nothing-here", key=key)
        assert reply.status == 404
        assert reply.json() == {
            "error": {"code": "not-found", "message": reply.error["message"], "details": []}
        }
        assert reply.error["message"]


def test_unknown_method_on_a_known_path_is_not_found(invoke, tenant):
    reply = invoke(FN, "PUT", "/{proxy+}", "/v1/services", body={}, key=tenant.admin)
    assert (reply.status, reply.error["code"]) == (404, "not-found")


def test_the_catch_all_route_never_serves_a_real_route_without_a_key(invoke, tenant):
    """A request reaching the function by another route key must not skip authentication."""
    invoke(
        FN,
        "POST",
        "/v1/services",
        "/v1/services",
        body={"name": "Secret", "duration_minutes": 30},
        key=tenant.admin,
    )
    reply = invoke(FN, "GET", "/{proxy+}", "/v1/services")
    assert reply.status in (401, 404)
    assert "Secret" not in reply.text


def test_cross_tenant_objects_are_not_found(call, make_tenant, invoke):
    service = create_service(call)
    calendar = create_calendar(call, service_ids=[service["id"]])
    category = call("POST", "/v1/service-categories", body={"name": "Hair"}).json()
    intruder = make_tenant(name="Intruder").admin
    for route, object_id, code in (
        ("/v1/services/{id}", service["id"], "service-not-found"),
        ("/v1/calendars/{id}", calendar["id"], "calendar-not-found"),
        ("/v1/service-categories/{id}", category["id"], "category-not-found"),
    ):
        path = route.replace("{id}", object_id)
        for method, body in (("GET", None), ("PATCH", {"name": "Mine now"}), ("DELETE", None)):
            reply = invoke(FN, method, route, path, body=body, key=intruder)
            assert (reply.status, reply.error["code"]) == (404, code), (method, path)
        assert call("GET", route, path).json()["name"] != "Mine now"
    assert invoke(FN, "GET", "/v1/services", "/v1/services", key=intruder).json()["items"] == []
