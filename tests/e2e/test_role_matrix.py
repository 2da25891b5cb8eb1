"""The role matrix holds for API keys and Cognito tokens alike: every operation of openapi.json, called
by every kind of caller, is refused (401 without a credential, 403 below the operation's role) or
served exactly as the document's `x-creneau-role` says."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from cognito_helpers import invite_and_sign_in
from helpers import created

from devstack.template import Template

ROOT = Path(__file__).resolve().parents[2]
RANKS = {"public": 0, "agent": 1, "admin": 2}
NO_CREDENTIAL = "none"  # routes that authenticate otherwise (an OAuth callback's signed state)
OPENAPI = json.loads((ROOT / "openapi.json").read_text())
OPERATIONS = [
    (method.upper(), path, operation)
    for path, methods in OPENAPI["paths"].items()
    for method, operation in methods.items()
]


def test_the_document_names_a_role_for_every_route_of_the_template():
    routes = {r.route_key for r in Template(ROOT / "template.yaml").routes()} - {"ANY /{proxy+}"}
    assert {f"{m} {p}" for m, p, _ in OPERATIONS} == routes
    for method, path, operation in OPERATIONS:
        role = operation.get("x-creneau-role")
        assert role in RANKS or role == NO_CREDENTIAL, f"{method} {path}"
        security = [{"ApiKey": []}, {"CognitoToken": []}] if role in RANKS else []  # []: no credential
        assert operation.get("security") == security, f"{method} {path}"


@pytest.fixture
def callers(stack, api, new_tenant):
    """Headers and role of each kind of caller, all of one fresh tenant."""
    tenant = new_tenant()
    admin_client = api(tenant["admin_key"])
    keys = {"admin": tenant["admin_key"]}
    for role in ("agent", "public"):
        keys[role] = created(admin_client.post("/v1/api-keys", json={"role": role, "name": role}))["key"]
    agent = invite_and_sign_in(stack, admin_client, "agent")
    admin = invite_and_sign_in(stack, admin_client, "admin")
    return {
        "none": ({}, None),
        "public key": ({"X-Api-Key": keys["public"]}, "public"),
        "agent key": ({"X-Api-Key": keys["agent"]}, "agent"),
        "admin key": ({"X-Api-Key": keys["admin"]}, "admin"),
        # one ID token and one access token: either kind is the same principal
        "agent token": ({"Authorization": f"Bearer {agent.id_token}"}, "agent"),
        "admin token": ({"Authorization": f"Bearer {admin.access_token}"}, "admin"),
    }


def _call(api_url: str, method: str, path: str, headers: dict) -> int:
    concrete = re.sub(r"\{[^}]+\}", "no-such-id", path)
    body = {} if method in ("POST", "PATCH") else None
    with httpx.Client(base_url=api_url, timeout=60) as client:
        return client.request(method, concrete, headers=headers, json=body).status_code


def expected(operation: dict, caller_role: str | None) -> str:
    if operation["x-creneau-role"] == NO_CREDENTIAL:
        return "served"
    if caller_role is None:
        return "401"
    return "403" if RANKS[caller_role] < RANKS[operation["x-creneau-role"]] else "served"


def test_every_route_with_every_kind_of_caller(stack, callers):
    cases = [(m, p, op, name) for m, p, op in OPERATIONS for name in callers]
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda c: _call(stack["api_url"], c[0], c[1], callers[c[3]][0]), cases))
    wrong = []
    for (method, path, operation, name), status in zip(cases, statuses, strict=True):
        want = expected(operation, callers[name][1])
        got = str(status) if status in (401, 403) else "served"
        if got != want or status >= 500:
            wrong.append(f"{method} {path} as {name}: {status}, expected {want}")
    assert not wrong, "\n".join(wrong)
