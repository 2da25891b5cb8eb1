"""The sample events in events/ are real invocations: each function routes its own, as the contract says."""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ("catalog", "slots", "locks", "appointments", "users", "webhooks")


def sample(name: str) -> dict:
    return json.loads((ROOT / "events" / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture
def webhooks_env(aws, monkeypatch):
    monkeypatch.setenv(
        "WEBHOOKS_QUEUE_URL", "https://sqs.eu-west-3.amazonaws.com/123456789012/creneau-WebhooksQueue"
    )


@pytest.mark.parametrize("name", FUNCTIONS)
def test_a_sample_event_without_a_valid_key_is_refused_with_the_error_shape(
    call_function, webhooks_env, name
):
    answer = call_function(name, sample(name))
    assert answer["statusCode"] == 401
    assert json.loads(answer["body"])["error"]["code"] == "not-authorized"


@pytest.mark.parametrize("name", FUNCTIONS)
def test_a_sample_event_with_a_tenant_key_reaches_its_route(
    call_function, webhooks_env, tenant, name, request
):
    if name == "users":
        request.getfixturevalue("user_pool")
    event = sample(name)
    event["headers"] = {**event["headers"], "x-api-key": tenant.admin}
    answer = call_function(name, event)
    body = json.loads(answer["body"])
    # The sample's ids belong to no tenant: a route answers 2xx, or a *-not-found naming what is missing.
    assert answer["statusCode"] < 300 or body["error"]["code"].endswith("-not-found"), body
    assert body.get("error", {}).get("code") != "not-found", "the route itself must exist"


def test_the_stream_sample_publishes_its_change_event(aws, monkeypatch):
    """events/events.json (a cancellation) through the events function: one event on the topic."""
    import boto3

    from devstack import lambda_runtime
    from devstack.eventbus import create_messaging
    from devstack.template import Template

    monkeypatch.setenv("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")
    template = Template(ROOT / "template.yaml")
    create_messaging(template, boto3.DEFAULT_SESSION)
    sqs = boto3.DEFAULT_SESSION.client("sqs")
    ok, answer = lambda_runtime.invoke(template.functions()["EventsFunction"], sample("events"))
    assert ok and answer == {"batchItemFailures": []}, answer
    (message,) = sqs.receive_message(QueueUrl=template.bound["WebhooksQueue"])["Messages"]
    event = json.loads(message["Body"])
    assert (event["type"], event["previous"]["status"], event["version"]) == (
        "appointment.cancelled",
        "CONFIRMED",
        3,
    )


def test_the_queue_sample_sends_its_invitation(aws, monkeypatch):
    """events/notifications.json (a creation) through the notifications function: one email, sent."""
    import boto3
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    from creneau.dal.settings import SettingsRepository, TenantSettings
    from devstack import lambda_runtime
    from devstack.eventbus import create_messaging
    from devstack.template import Template

    template = Template(ROOT / "template.yaml")
    create_messaging(template, boto3.DEFAULT_SESSION)
    event = sample("notifications")
    tenant_id = json.loads(event["Records"][0]["body"])["tenant_id"]
    boto3.DEFAULT_SESSION.resource("dynamodb").Table(template.global_env()["CATALOG_TABLE"]).put_item(
        Item=SettingsRepository().item(tenant_id, TenantSettings(name="Mairie", locale="fr"), 1)
    )
    monkeypatch.setenv("MANAGE_TOKEN_SECRET", "sample")
    ok, answer = lambda_runtime.invoke(template.functions()["NotificationsFunction"], event)
    assert ok and answer == {"batchItemFailures": []}, answer
    (sent,) = ses_backends[DEFAULT_ACCOUNT_ID]["eu-west-3"].sent_messages
    assert set(sent.destinations) == {"camille.durand@example.fr"}  # moto adds the To header to them
