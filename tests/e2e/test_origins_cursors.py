"""A tenant's allowed_origins enforced on its public key; cursors opaque and bound to tenant and listing."""

from __future__ import annotations

import base64

import pytest

from tests.e2e.helpers import assert_error, build_shop

SHOP = "https://shop.example.com"


@pytest.fixture
def shop(api, new_tenant):
    return build_shop(api, new_tenant, settings={"allowed_origins": [SHOP, "http://localhost:5173"]})


def test_a_listed_origin_gets_exactly_itself_back(shop):
    reply = shop.public.get("/v1/services", headers={"Origin": SHOP})
    assert reply.status_code == 200, reply.text
    assert reply.headers["access-control-allow-origin"] == SHOP
    assert "origin" in reply.headers["vary"].lower()
    local = shop.public.get("/v1/services", headers={"Origin": "http://localhost:5173"})
    assert local.headers["access-control-allow-origin"] == "http://localhost:5173"


@pytest.mark.parametrize("origin", ["https://evil.example.com", "null", "http://shop.example.com"])
def test_another_origin_with_the_public_key_is_refused_without_cors(shop, origin):
    reply = shop.public.get("/v1/services", headers={"Origin": origin})
    error = assert_error(reply, 403, "not-authorized")
    assert origin in error["message"]
    assert "access-control-allow-origin" not in reply.headers
    booked = shop.book(shop.public, service_id=shop.services["cut"]["id"], start="2030-01-07T10:00:00+01:00")
    assert booked.status_code != 403  # without Origin (a server, curl) the key works as before
    lock = shop.public.post(
        "/v1/locks", headers={"Origin": origin}, json={"service_id": shop.services["cut"]["id"], "start": "x"}
    )
    assert_error(lock, 403, "not-authorized")  # refused before the body is even read


def test_origins_bind_only_the_public_key(shop):
    reply = shop.agent.get("/v1/services", headers={"Origin": "https://back-office.example.org"})
    assert reply.status_code == 200, reply.text


def test_a_tenant_without_origins_keeps_the_api_level_cors(api, new_tenant):
    other = build_shop(api, new_tenant, calendars=())
    reply = other.public.get("/v1/services", headers={"Origin": "https://anywhere.example"})
    assert reply.status_code == 200
    assert reply.headers["access-control-allow-origin"] == "*"  # the template's AllowedOrigins default
    wrong_role = other.public.patch("/v1/settings", json={}, headers={"Origin": "https://anywhere.example"})
    assert_error(wrong_role, 403, "not-authorized")
    assert wrong_role.headers["access-control-allow-origin"] == "*"  # a role refusal is not about origins


def test_preflights_are_answered_at_the_api_level(api):
    reply = api().options(
        "/v1/services", headers={"Origin": "https://evil.example.com", "Access-Control-Request-Method": "GET"}
    )
    assert reply.status_code == 204
    assert reply.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize(
    "entry",
    ["https://shop.example.com/", "http://shop.example.com", "shop.example.com", "https://a.b/c", "*"],
)
def test_entries_must_be_origins(shop, entry):
    reply = shop.admin.patch("/v1/settings", json={"allowed_origins": [SHOP, entry]})
    error = assert_error(reply, 422, "validation-error")
    assert [d["field"] for d in error["details"]] == ["allowed_origins.1"]
    assert "https://" in error["details"][0]["message"]


# ---- cursors ------------------------------------------------------------------------------------


def first_cursor(client, path: str) -> str:
    page = client.get(path, params={"limit": 1})
    assert page.status_code == 200, page.text
    assert page.json()["next_cursor"], page.text
    return page.json()["next_cursor"]


def test_cursors_are_opaque_and_bound_to_tenant_and_listing(api, new_tenant):
    one, two = build_shop(api, new_tenant), build_shop(api, new_tenant)
    cursor = first_cursor(one.admin, "/v1/services")
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    for secret in (one.tenant_id, "SERVICE", "pk", "sk", one.services["cut"]["id"][:12]):
        assert secret.encode() not in raw, f"{secret} readable in the cursor"
    assert one.admin.get("/v1/services", params={"cursor": cursor}).status_code == 200
    for client, path in ((two.admin, "/v1/services"), (one.admin, "/v1/calendars")):
        refused = assert_error(client.get(path, params={"cursor": cursor}), 422, "validation-error")
        assert [d["field"] for d in refused["details"]] == ["cursor"]
    tampered = cursor[:-2] + ("AA" if cursor[-2:] != "AA" else "BB")
    assert_error(one.admin.get("/v1/services", params={"cursor": tampered}), 422, "validation-error")
    calendars = first_cursor(one.admin, "/v1/calendars")
    assert one.admin.get("/v1/calendars", params={"cursor": calendars}).status_code == 200
    assert_error(two.admin.get("/v1/calendars", params={"cursor": calendars}), 422, "validation-error")
