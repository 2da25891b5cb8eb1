"""The sample events in events/ are real invocations: each function routes its own, as the contract says."""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ("catalog", "slots", "locks", "appointments", "users")


def sample(name: str) -> dict:
    return json.loads((ROOT / "events" / f"{name}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", FUNCTIONS)
def test_a_sample_event_without_a_valid_key_is_refused_with_the_error_shape(call_function, name):
    answer = call_function(name, sample(name))
    assert answer["statusCode"] == 401
    assert json.loads(answer["body"])["error"]["code"] == "not-authorized"


@pytest.mark.parametrize("name", FUNCTIONS)
def test_a_sample_event_with_a_tenant_key_reaches_its_route(call_function, tenant, name, request):
    if name == "users":
        request.getfixturevalue("user_pool")
    event = sample(name)
    event["headers"] = {**event["headers"], "x-api-key": tenant.admin}
    answer = call_function(name, event)
    body = json.loads(answer["body"])
    # The sample's ids belong to no tenant: a route answers 2xx, or a *-not-found naming what is missing.
    assert answer["statusCode"] < 300 or body["error"]["code"].endswith("-not-found"), body
    assert body.get("error", {}).get("code") != "not-found", "the route itself must exist"
