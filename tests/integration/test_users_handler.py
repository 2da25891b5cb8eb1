"""POST/GET/PATCH/DELETE /v1/users through the users function, against moto's cognito-idp in-process:
the pool user and the record change together."""

from __future__ import annotations

import os

import boto3
import pytest

from creneau.dal.user_repository import UserRepository

PATHS = {"list": "/v1/users", "one": "/v1/users/{id}"}


@pytest.fixture
def call(invoke, tenant, user_pool):
    def send(method: str, path: str, body=None, key: str | None = None):
        route = PATHS["one"] if path.count("/") == 3 else PATHS["list"]
        return invoke("users", method, route, path, body=body, key=key or tenant.admin)

    return send


@pytest.fixture
def idp(user_pool):
    return boto3.client("cognito-idp")


def pool_user(idp, user_id: str) -> dict:
    user = idp.admin_get_user(UserPoolId=os.environ["COGNITO_USER_POOL_ID"], Username=user_id)
    return {
        "enabled": user["Enabled"],
        "attributes": {a["Name"]: a["Value"] for a in user["UserAttributes"]},
        "groups": [
            g["GroupName"]
            for g in idp.admin_list_groups_for_user(
                UserPoolId=os.environ["COGNITO_USER_POOL_ID"], Username=user_id
            )["Groups"]
        ],
    }


def test_create_writes_the_pool_user_and_its_record(call, idp, tenant):
    reply = call("POST", "/v1/users", {"email": "Claire@Mairie.example", "name": "Claire", "role": "agent"})
    assert reply.status == 201, reply.text
    user = reply.json()
    assert (user["email"], user["role"], user["status"], user["calendar_ids"]) == (
        "claire@mairie.example",
        "agent",
        "invited",
        None,
    )
    in_pool = pool_user(idp, user["id"])
    assert in_pool["attributes"]["custom:tenant_id"] == tenant.id
    assert in_pool["attributes"]["sub"] == user["id"]
    assert in_pool["groups"] == ["agent"]
    record = UserRepository().find(user["id"])
    assert (record.tenant_id, record.role, record.name, record.version) == (tenant.id, "agent", "Claire", 1)
    assert call("GET", f"/v1/users/{user['id']}").json() == user
    assert [u["id"] for u in call("GET", "/v1/users").json()["items"]] == [user["id"]]


def test_an_agent_key_cannot_manage_users(call, tenant):
    reply = call(
        "POST", "/v1/users", {"email": "a@b.example", "name": "A", "role": "admin"}, key=tenant.agent
    )
    assert (reply.status, reply.error["code"]) == (403, "not-authorized")


def test_patch_changes_the_group_the_name_and_disables(call, idp):
    user = call("POST", "/v1/users", {"email": "b@mairie.example", "name": "B", "role": "agent"}).json()
    patched = call("PATCH", f"/v1/users/{user['id']}", {"role": "admin", "name": "Bea"}).json()
    assert (patched["role"], patched["name"]) == ("admin", "Bea")
    in_pool = pool_user(idp, user["id"])
    assert (in_pool["groups"], in_pool["attributes"]["name"]) == (["admin"], "Bea")

    disabled = call("PATCH", f"/v1/users/{user['id']}", {"status": "disabled"}).json()
    assert disabled["status"] == "disabled" and not pool_user(idp, user["id"])["enabled"]
    assert UserRepository().find(user["id"]).status == "disabled"
    enabled = call("PATCH", f"/v1/users/{user['id']}", {"status": "active"}).json()
    assert enabled["status"] == "invited"  # never signed in: back to invited, not active
    assert pool_user(idp, user["id"])["enabled"]


def test_delete_removes_both_and_another_tenants_user_is_not_found(call, idp, make_tenant):
    user = call("POST", "/v1/users", {"email": "c@mairie.example", "name": "C", "role": "agent"}).json()
    other = make_tenant(name="Other")
    for method, body in (("GET", None), ("PATCH", {"name": "x"}), ("DELETE", None)):
        reply = call(method, f"/v1/users/{user['id']}", body, key=other.admin)
        assert (reply.status, reply.error["code"]) == (404, "user-not-found")
    assert call("DELETE", f"/v1/users/{user['id']}").status == 204
    assert UserRepository().find(user["id"]) is None
    with pytest.raises(idp.exceptions.UserNotFoundException):
        pool_user(idp, user["id"])


def test_an_email_taken_in_the_pool_is_a_conflict_and_leaves_no_record(call, tenant):
    first = call("POST", "/v1/users", {"email": "d@mairie.example", "name": "D", "role": "agent"})
    again = call("POST", "/v1/users", {"email": "d@mairie.example", "name": "D2", "role": "admin"})
    assert (again.status, again.error["code"]) == (409, "user-exists")
    assert [u["id"] for u in call("GET", "/v1/users").json()["items"]] == [first.json()["id"]]


def test_disabling_and_changing_the_role_at_once_changes_both(call, idp):
    user = call("POST", "/v1/users", {"email": "e@mairie.example", "name": "E", "role": "agent"}).json()
    patched = call("PATCH", f"/v1/users/{user['id']}", {"status": "disabled", "role": "admin", "name": "Eve"})
    assert (patched.json()["status"], patched.json()["role"]) == ("disabled", "admin")
    in_pool = pool_user(idp, user["id"])
    assert (in_pool["enabled"], in_pool["groups"], in_pool["attributes"]["name"]) == (False, ["admin"], "Eve")


def test_an_address_the_sign_in_service_refuses_is_a_422_naming_the_email(call):
    refused = call("POST", "/v1/users", {"email": "é@mairie.example", "name": "E", "role": "agent"})
    assert (refused.status, refused.error["code"]) == (422, "validation-error")
    assert [d["field"] for d in refused.error["details"]] == ["email"]
    assert call("GET", "/v1/users").json()["items"] == []
