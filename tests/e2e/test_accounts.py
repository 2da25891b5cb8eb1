"""Accounts end to end on the local stack: people sign in with Cognito (moto) and call the API with
their tokens; admins manage them; limits, disabling, forged tokens and tenants hold."""

from __future__ import annotations

import base64
import json
import time
import uuid

import jwt
import pytest
from cognito_helpers import (
    NEW_PASSWORD,
    bearer,
    cognito,
    first_sign_in,
    invitation,
    invite_and_sign_in,
    sign_in,
    temporary_password,
    unique_email,
)
from cryptography.hazmat.primitives.asymmetric import rsa
from helpers import assert_error, at, build_shop, created, future_weekday

CUSTOMER = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}


def book(client, shop, calendar: str, hhmm: str, day_skip: int = 0):
    day = future_weekday(skip=day_skip)
    body = {
        "service_id": shop.services["cut"]["id"],
        "calendar_id": shop.calendars[calendar]["id"],
        "start": at(day, hhmm),
        "customer": CUSTOMER,
    }
    return client.post("/v1/appointments", json=body)


# ---- the demo users -------------------------------------------------------------------------------


def test_demo_agent_signs_in_and_calls_the_api_with_either_token(stack, api):
    demo = stack["users"]["agent"]
    tokens = sign_in(stack, demo["email"], demo["password"])
    for token in (tokens["IdToken"], tokens["AccessToken"]):
        agent = bearer(api, token)
        reply = agent.get("/v1/appointments")
        assert reply.status_code == 200, reply.text
        assert agent.get("/v1/customers").status_code == 200
        assert_error(agent.get("/v1/api-keys"), 403, "not-authorized")  # an agent, not an admin
    admin = stack["users"]["admin"]
    admin_token = sign_in(stack, admin["email"], admin["password"])["IdToken"]
    listed = bearer(api, admin_token).get("/v1/users")
    assert listed.status_code == 200, listed.text
    assert {u["email"] for u in listed.json()["items"]} >= {demo["email"], admin["email"]}


def test_info_file_describes_the_local_pool(stack):
    config = stack["cognito"]
    assert set(config) == {"endpoint", "region", "user_pool_id", "client_id", "issuer", "jwks_url"}
    assert (
        config["issuer"] == f"https://cognito-idp.{config['region']}.amazonaws.com/{config['user_pool_id']}"
    )
    client = cognito(stack)
    flows = client.describe_user_pool_client(UserPoolId=config["user_pool_id"], ClientId=config["client_id"])
    assert set(flows["UserPoolClient"]["ExplicitAuthFlows"]) == {
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",  # the template's AllowPasswordAuth, set by the local stack only
    }
    groups = client.list_groups(UserPoolId=config["user_pool_id"])["Groups"]
    assert {g["GroupName"] for g in groups} == {"agent", "admin"}


# ---- an admin invites, the person signs in ---------------------------------------------------------


def test_an_invited_agent_sets_a_password_then_works_and_is_named_in_history(stack, api, new_tenant):
    shop = build_shop(api, new_tenant)
    address = unique_email()
    user = created(shop.admin.post("/v1/users", json={"email": address, "name": "Claire", "role": "agent"}))
    assert (user["role"], user["status"], user["calendar_ids"]) == ("agent", "invited", None)

    message = invitation(stack, address)
    assert "Creneau" in message["Subject"]
    tokens = first_sign_in(stack, address, temporary_password(message))
    agent = bearer(api, tokens["IdToken"])

    booked = created(book(agent, shop, "Alice", "10:00"))
    assert booked["history"][0]["by"] == f"user:{user['id']}:Claire"
    confirmed = agent.post(f"/v1/appointments/{booked['id']}/status", json={"status": "CONFIRMED"})
    assert confirmed.json()["history"][-1]["by"] == f"user:{user['id']}:Claire"
    assert shop.admin.get(f"/v1/users/{user['id']}").json()["status"] == "active"

    by_key = created(book(shop.agent, shop, "Bob", "10:00"))
    (key,) = [k for k in shop.admin.get("/v1/api-keys").json()["items"] if k["role"] == "agent"]
    assert by_key["history"][0]["by"] == f"key:{key['id']}:{key['name']}"


def test_users_are_validated_and_unique(stack, api, new_tenant):
    shop = build_shop(api, new_tenant)
    address = unique_email()
    created(shop.admin.post("/v1/users", json={"email": address, "name": "Dora", "role": "agent"}))
    again = shop.admin.post("/v1/users", json={"email": address, "name": "Dora", "role": "admin"})
    assert_error(again, 409, "user-exists")
    bad = shop.admin.post("/v1/users", json={"email": "nope", "name": "", "role": "owner"})
    fields = {d["field"] for d in assert_error(bad, 422, "validation-error")["details"]}
    assert {"email", "name", "role"} <= fields
    unknown_calendar = {"email": unique_email(), "name": "E", "role": "agent", "calendar_ids": ["nope"]}
    detail = assert_error(shop.admin.post("/v1/users", json=unknown_calendar), 422, "validation-error")
    assert detail["details"][0]["field"] == "calendar_ids"
    limited_admin = {**unknown_calendar, "role": "admin", "calendar_ids": [shop.calendars["Alice"]["id"]]}
    assert_error(shop.admin.post("/v1/users", json=limited_admin), 422, "validation-error")


def test_role_and_calendars_change_and_a_deleted_user_is_gone(stack, api, new_tenant):
    shop = build_shop(api, new_tenant)
    person = invite_and_sign_in(stack, shop.admin, "agent")
    user_id = person.user["id"]
    alice = shop.calendars["Alice"]["id"]

    patched = shop.admin.patch(f"/v1/users/{user_id}", json={"calendar_ids": [alice], "name": "Renamed"})
    assert patched.status_code == 200, patched.text
    assert (patched.json()["calendar_ids"], patched.json()["name"]) == ([alice], "Renamed")
    promoted = shop.admin.patch(f"/v1/users/{user_id}", json={"role": "admin"}).json()
    assert (promoted["role"], promoted["calendar_ids"]) == ("admin", None)  # an admin sees every calendar
    groups = cognito(stack).admin_list_groups_for_user(
        UserPoolId=stack["cognito"]["user_pool_id"], Username=user_id
    )["Groups"]
    assert [g["GroupName"] for g in groups] == ["admin"]
    # The old token still says agent: a promotion comes with the next token.
    assert_error(bearer(api, person.id_token).get("/v1/users"), 403, "not-authorized")
    fresh = sign_in(stack, person.user["email"], NEW_PASSWORD)["IdToken"]
    assert bearer(api, fresh).get("/v1/users").status_code == 200
    # A demotion applies at once, to the newer token too.
    shop.admin.patch(f"/v1/users/{user_id}", json={"role": "agent"})
    assert_error(bearer(api, fresh).post("/v1/users", json={}), 403, "not-authorized")

    assert shop.admin.delete(f"/v1/users/{user_id}").status_code == 204
    assert_error(shop.admin.get(f"/v1/users/{user_id}"), 404, "user-not-found")
    assert_error(bearer(api, fresh).post("/v1/customers", json=CUSTOMER), 401, "not-authorized")
    with pytest.raises(cognito(stack).exceptions.UserNotFoundException):
        cognito(stack).admin_get_user(UserPoolId=stack["cognito"]["user_pool_id"], Username=user_id)


# ---- limits ----------------------------------------------------------------------------------------


def test_an_agent_limited_to_one_calendar_sees_and_acts_only_there(stack, api, new_tenant):
    shop = build_shop(api, new_tenant)
    alice, bob = shop.calendars["Alice"]["id"], shop.calendars["Bob"]["id"]
    person = invite_and_sign_in(stack, shop.admin, "agent", calendar_ids=[alice])
    agent = bearer(api, person.id_token)
    on_bob = created(book(shop.admin, shop, "Bob", "11:00"))

    assert_error(agent.get(f"/v1/appointments/{on_bob['id']}"), 404, "appointment-not-found")
    for action, body in (("status", {"status": "CANCELLED"}), ("reschedule", {"start": on_bob["start"]})):
        reply = agent.post(f"/v1/appointments/{on_bob['id']}/{action}", json=body)
        assert_error(reply, 404, "appointment-not-found")
    assert_error(book(agent, shop, "Bob", "14:00"), 404, "calendar-not-found")
    lock = {
        "service_id": shop.services["cut"]["id"],
        "calendar_id": bob,
        "start": at(future_weekday(), "15:00"),
    }
    assert_error(agent.post("/v1/locks", json=lock), 404, "calendar-not-found")

    mine = created(book(agent, shop, "Alice", "11:00"))
    assert mine["calendar_id"] == alice
    anywhere = {
        "service_id": shop.services["cut"]["id"],
        "start": at(future_weekday(), "16:00"),
        "customer": CUSTOMER,
    }
    assert created(agent.post("/v1/appointments", json=anywhere))["calendar_id"] == alice
    moved = agent.post(
        f"/v1/appointments/{mine['id']}/reschedule", json={"start": mine["start"], "calendar_id": bob}
    )
    assert_error(moved, 404, "calendar-not-found")

    listed = agent.get("/v1/appointments").json()["items"]
    assert listed and {a["calendar_id"] for a in listed} == {alice}
    assert agent.get("/v1/appointments", params={"calendar_id": bob}).json()["items"] == []
    assert on_bob["id"] in {a["id"] for a in shop.admin.get("/v1/appointments").json()["items"]}
    # The access token (no custom attributes) is limited the same way: the limit is the user's record.
    assert_error(
        bearer(api, person.access_token).get(f"/v1/appointments/{on_bob['id']}"), 404, "appointment-not-found"
    )


def test_an_agent_of_tenant_a_finds_nothing_of_tenant_b(stack, api, new_tenant):
    shop_a, shop_b = build_shop(api, new_tenant), build_shop(api, new_tenant)
    agent_a = bearer(api, invite_and_sign_in(stack, shop_a.admin, "agent").id_token)
    theirs = created(book(shop_b.admin, shop_b, "Alice", "09:30"))
    customer_b = theirs["customer"]["id"]
    assert_error(agent_a.get(f"/v1/appointments/{theirs['id']}"), 404, "appointment-not-found")
    assert_error(
        agent_a.post(f"/v1/appointments/{theirs['id']}/status", json={"status": "CANCELLED"}),
        404,
        "appointment-not-found",
    )
    assert_error(agent_a.get(f"/v1/customers/{customer_b}"), 404, "customer-not-found")
    assert_error(agent_a.get(f"/v1/calendars/{shop_b.calendars['Alice']['id']}"), 404, "calendar-not-found")
    assert_error(book(agent_a, shop_b, "Alice", "10:30"), 404, "service-not-found")
    user_b = created(
        shop_b.admin.post("/v1/users", json={"email": unique_email(), "name": "B", "role": "agent"})
    )
    assert_error(shop_a.admin.get(f"/v1/users/{user_b['id']}"), 404, "user-not-found")
    assert_error(
        shop_a.admin.patch(f"/v1/users/{user_b['id']}", json={"status": "disabled"}), 404, "user-not-found"
    )
    assert shop_b.admin.get(f"/v1/appointments/{theirs['id']}").json()["status"] == theirs["status"]


# ---- disabled users -------------------------------------------------------------------------------


def test_a_disabled_user_is_refused_at_once_and_can_be_enabled_again(stack, api, new_tenant):
    shop = build_shop(api, new_tenant)
    person = invite_and_sign_in(stack, shop.admin, "agent")
    agent = bearer(api, person.id_token)
    assert agent.post("/v1/customers", json=CUSTOMER).status_code == 201

    disabled = shop.admin.patch(f"/v1/users/{person.user['id']}", json={"status": "disabled"})
    assert disabled.json()["status"] == "disabled"
    assert_error(agent.post("/v1/customers", json=CUSTOMER), 401, "not-authorized")  # writes: at once
    assert_error(book(agent, shop, "Alice", "12:00"), 401, "not-authorized")
    with pytest.raises(cognito(stack).exceptions.NotAuthorizedException):
        sign_in(stack, person.user["email"], NEW_PASSWORD)

    enabled = shop.admin.patch(f"/v1/users/{person.user['id']}", json={"status": "active"}).json()
    assert enabled["status"] == "active"
    assert agent.post("/v1/customers", json=CUSTOMER).status_code == 201


# ---- forged and foreign tokens --------------------------------------------------------------------


def _moto_signing_key():
    """The key moto's cognito-idp signs every token with (shipped in the moto package): lets this test
    make tokens that are validly signed yet expired or foreign."""
    from moto.utilities.utils import load_resource

    return jwt.PyJWK(load_resource("cognitoidp/resources/jwks-private.json")).key


def _unsigned(claims: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT', 'kid': 'dummy'})}.{part(claims)}."


def test_forged_expired_tampered_and_foreign_tokens_are_refused(stack, api):
    demo = stack["users"]["agent"]
    real = sign_in(stack, demo["email"], demo["password"])["IdToken"]
    claims = jwt.decode(real, options={"verify_signature": False})
    moto_key, headers = _moto_signing_key(), {"kid": "dummy"}

    def status(token: str) -> int:
        reply = bearer(api, token).get("/v1/customers")
        if reply.status_code == 401:
            assert_error(reply, 401, "not-authorized")
        return reply.status_code

    # The way the tokens below are made works: the same claims under moto's key are accepted.
    assert status(jwt.encode(claims, moto_key, algorithm="RS256", headers=headers)) == 200

    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert status(jwt.encode(claims, other_key, algorithm="RS256", headers=headers)) == 401
    assert status(_unsigned(claims)) == 401
    now = int(time.time())
    expired = {**claims, "iat": now - 7200, "exp": now - 3600}
    assert status(jwt.encode(expired, moto_key, algorithm="RS256", headers=headers)) == 401
    head, _payload, signature = real.split(".")
    swapped = base64.urlsafe_b64encode(json.dumps({**claims, "cognito:groups": ["admin"]}).encode())
    assert status(f"{head}.{swapped.decode().rstrip('=')}.{signature}") == 401
    another_client = {**claims, "aud": "some-other-client"}
    assert status(jwt.encode(another_client, moto_key, algorithm="RS256", headers=headers)) == 401

    # A real token of another pool (moto signs it with the very same key): refused on its issuer.
    idp = cognito(stack)
    pool = idp.create_user_pool(PoolName=f"other-{uuid.uuid4().hex[:6]}", UsernameAttributes=["email"])
    pool_id = pool["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="other", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    address = unique_email("foreign")
    attributes = [
        {"Name": "email", "Value": address},
        {"Name": "custom:tenant_id", "Value": claims["custom:tenant_id"]},
    ]
    idp.admin_create_user(
        UserPoolId=pool_id, Username=address, UserAttributes=attributes, MessageAction="SUPPRESS"
    )
    idp.admin_set_user_password(UserPoolId=pool_id, Username=address, Password=NEW_PASSWORD, Permanent=True)
    foreign = idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": address, "PASSWORD": NEW_PASSWORD},
    )["AuthenticationResult"]
    assert status(foreign["IdToken"]) == 401
    assert status(foreign["AccessToken"]) == 401
    basic = api().get("/v1/customers", headers={"Authorization": "Basic YWRhOmxvdmVsYWNl"})
    assert_error(basic, 401, "not-authorized")
