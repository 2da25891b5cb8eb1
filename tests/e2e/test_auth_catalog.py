"""Keys, roles, tenants and the catalog over HTTP, against the local stack (`python -m devstack`)."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.xdist_group("e2e")


@pytest.fixture
def fresh(new_tenant, api):
    """A new tenant's admin client: what a newcomer gets from `creneau tenant create`."""
    return api(new_tenant()["admin_key"])


def error_code(reply: httpx.Response) -> str:
    body = reply.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    return body["error"]["code"]


def make_key(admin: httpx.Client, role: str) -> dict:
    reply = admin.post("/v1/api-keys", json={"role": role, "name": f"{role} key"})
    assert reply.status_code == 201, reply.text
    return reply.json()


# ---- authentication -------------------------------------------------------------------------------


def test_missing_key_is_401(api):
    reply = api().get("/v1/services")
    assert reply.status_code == 401
    assert error_code(reply) == "not-authorized"


def test_unknown_key_is_401(api):
    reply = api("ck_this_key_was_never_issued_by_anyone").get("/v1/settings")
    assert reply.status_code == 401
    assert error_code(reply) == "not-authorized"


def test_revoked_key_is_401_right_after_delete(fresh, api):
    created = make_key(fresh, "agent")
    holder = api(created["key"])
    assert holder.get("/v1/services").status_code == 200
    reply = fresh.delete(f"/v1/api-keys/{created['id']}")
    assert (reply.status_code, reply.content) == (204, b"")
    revoked = holder.get("/v1/services")
    assert revoked.status_code == 401
    assert error_code(revoked) == "not-authorized"


# ---- authorization --------------------------------------------------------------------------------


def test_public_key_cannot_change_settings(fresh, api):
    public = api(make_key(fresh, "public")["key"])
    reply = public.patch("/v1/settings", json={"lock_ttl_seconds": 5})
    assert reply.status_code == 403
    assert error_code(reply) == "not-authorized"
    assert fresh.get("/v1/settings").json()["lock_ttl_seconds"] == 600


def test_agent_key_cannot_create_services(fresh, api):
    agent = api(make_key(fresh, "agent")["key"])
    reply = agent.post("/v1/services", json={"name": "Sneaky", "duration_minutes": 30})
    assert reply.status_code == 403
    assert error_code(reply) == "not-authorized"
    assert fresh.get("/v1/services").json()["items"] == []


def test_cross_tenant_ids_are_not_found(new_tenant, api):
    owner = api(new_tenant("Tenant A")["admin_key"])
    intruder = api(new_tenant("Tenant B")["admin_key"])
    category = owner.post("/v1/service-categories", json={"name": "Private"}).json()
    service = owner.post("/v1/services", json={"name": "Private", "duration_minutes": 30}).json()
    calendar = owner.post("/v1/calendars", json={"name": "Private", "service_ids": [service["id"]]}).json()
    for path, code in (
        (f"/v1/services/{service['id']}", "service-not-found"),
        (f"/v1/calendars/{calendar['id']}", "calendar-not-found"),
        (f"/v1/service-categories/{category['id']}", "category-not-found"),
    ):
        reply = intruder.get(path)
        assert reply.status_code == 404, (path, reply.text)
        assert error_code(reply) == code
        assert intruder.delete(path).status_code == 404
        assert owner.get(path).status_code == 200
    assert intruder.get("/v1/services").json()["items"] == []


# ---- the catalog ----------------------------------------------------------------------------------


def test_catalog_round_trip(fresh):
    category = fresh.post("/v1/service-categories", json={"name": "Hair", "position": 1})
    assert category.status_code == 201, category.text
    category = category.json()
    service = fresh.post(
        "/v1/services",
        json={
            "category_id": category["id"],
            "name": "Cut",
            "duration_minutes": 30,
            "buffer_after_minutes": 10,
            "price": {"amount": 2500, "currency": "EUR"},
        },
    )
    assert service.status_code == 201, service.text
    service = service.json()
    calendar = fresh.post(
        "/v1/calendars",
        json={
            "name": "Alice",
            "service_ids": [service["id"]],
            "unit_minutes": 10,
            "slot_step_minutes": 30,
            "weekly_hours": {"mon": [{"start": "09:00", "end": "12:00"}]},
        },
    )
    assert calendar.status_code == 201, calendar.text
    calendar = calendar.json()
    assert calendar["timezone"] == "Europe/Paris"
    assert calendar["weekly_hours"]["sun"] == []

    assert fresh.get(f"/v1/services/{service['id']}").json() == service
    assert fresh.get(f"/v1/calendars/{calendar['id']}").json() == calendar
    assert [
        s["id"] for s in fresh.get("/v1/services", params={"category_id": category["id"]}).json()["items"]
    ] == [service["id"]]
    assert [
        c["id"] for c in fresh.get("/v1/calendars", params={"service_id": service["id"]}).json()["items"]
    ] == [calendar["id"]]

    patched = fresh.patch(f"/v1/services/{service['id']}", json={"duration_minutes": 40})
    assert patched.status_code == 200, patched.text
    assert fresh.get(f"/v1/services/{service['id']}").json()["duration_minutes"] == 40
    off_grid = fresh.patch(f"/v1/services/{service['id']}", json={"duration_minutes": 45})
    assert off_grid.status_code == 422
    assert error_code(off_grid) == "validation-error"

    unit_change = fresh.patch(f"/v1/calendars/{calendar['id']}", json={"unit_minutes": 5})
    assert unit_change.status_code == 422
    assert [d["field"] for d in unit_change.json()["error"]["details"]] == ["unit_minutes"]

    settings = fresh.patch("/v1/settings", json={"lock_ttl_seconds": 120, "auto_confirm": True})
    assert settings.status_code == 200
    assert fresh.get("/v1/settings").json()["lock_ttl_seconds"] == 120

    for path in (
        f"/v1/calendars/{calendar['id']}",
        f"/v1/services/{service['id']}",
        f"/v1/service-categories/{category['id']}",
    ):
        deleted = fresh.delete(path)
        assert (deleted.status_code, deleted.content) == (204, b"")
        assert fresh.get(path).status_code == 404


def test_validation_errors_name_the_fields(fresh):
    reply = fresh.post(
        "/v1/calendars",
        json={
            "name": "Bad",
            "timezone": "Europe/Nowhere",
            "weekly_hours": {"mon": [{"start": "12:00", "end": "09:00"}]},
        },
    )
    assert reply.status_code == 422
    assert error_code(reply) == "validation-error"
    assert {d["field"] for d in reply.json()["error"]["details"]} == {"timezone", "weekly_hours.mon.0"}
    bad_json = fresh.post("/v1/services", content=b"{nope", headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 422
    assert error_code(bad_json) == "validation-error"


def test_unknown_route_is_not_found(stack, api):
    for client in (api(stack["keys"]["admin"]), api()):
        reply = client.get("/v1/no-such-thing")
        assert reply.status_code == 404
        assert error_code(reply) == "not-found"


def test_demo_tenant_catalog_with_its_public_key(stack, api):
    public = api(stack["keys"]["public"])
    services = public.get("/v1/services")
    assert services.status_code == 200, services.text
    assert len(services.json()["items"]) >= 4
    assert all(s["active"] for s in services.json()["items"])
    calendars = public.get("/v1/calendars")
    assert calendars.status_code == 200
    assert len(calendars.json()["items"]) >= 3
    assert public.get("/v1/settings").json()["timezone"]


def test_demo_keys_have_their_roles(stack, api):
    keys = stack["keys"]
    assert api(keys["admin"]).get("/v1/api-keys").status_code == 200
    assert api(keys["agent"]).get("/v1/api-keys").status_code == 403
    assert api(keys["public"]).get("/v1/api-keys").status_code == 403


def test_a_newcomers_first_steps(new_tenant, api):
    """Create a tenant, make a widget key, list the (empty) catalog with it, add a service as admin."""
    admin = api(new_tenant("Salon Newcomer")["admin_key"])
    widget = api(make_key(admin, "public")["key"])
    listed = widget.get("/v1/services")
    assert listed.status_code == 200
    assert listed.json() == {"items": [], "next_cursor": None}

    created = admin.post("/v1/services", json={"name": "Brushing", "duration_minutes": 45})
    assert created.status_code == 201, created.text
    service = created.json()
    assert [s["id"] for s in widget.get("/v1/services").json()["items"]] == [service["id"]]
    assert widget.get(f"/v1/services/{service['id']}").json()["name"] == "Brushing"
