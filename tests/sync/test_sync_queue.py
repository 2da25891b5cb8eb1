"""The sync function in-process on moto (DynamoDB and KMS) against the HTTPS Google fake: its SQS
queue (events as docs/events.md gives them), the schedule, and tokens at rest."""

from __future__ import annotations

import json
import ssl
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from creneau import config
from creneau.sync import vault
from tests.fakes.server import Fault

ROOT = Path(__file__).resolve().parents[2]
BASE = "https://api.example.test"


@pytest.fixture
def sync_env(aws, invoke, monkeypatch, certificates, google_fake):
    import boto3

    ca, _cert, _key = certificates
    key = boto3.client("kms").create_key()["KeyMetadata"]["KeyId"]
    boto3.client("kms").create_alias(AliasName="alias/test-tokens", TargetKeyId=key)
    env = {
        **google_fake.env(),
        "SSL_CERT_FILE": str(ca),
        "REQUESTS_CA_BUNDLE": str(ca),
        "OAUTH_STATE_SECRET": "test-state-secret",
        "TOKENS_KEY_ID": "alias/test-tokens",
        "OAUTH_REDIRECT_BASE": BASE,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    vault.reset()
    yield google_fake
    vault.reset()


def _admin_call(invoke, tenant, method, route, path, body=None, query=None):
    return invoke("sync", method, route, path, body, key=tenant.admin, query=query)


@pytest.fixture
def connected(sync_env, invoke, tenant, certificates):
    """A calendar (Europe/Paris, weekdays 09-18) with a connected Google account."""
    service = invoke(
        "catalog",
        "POST",
        "/v1/services",
        "/v1/services",
        {"name": "Cut", "duration_minutes": 30},
        key=tenant.admin,
    ).json()
    hours = [{"start": "09:00", "end": "18:00"}]
    calendar = invoke(
        "catalog",
        "POST",
        "/v1/calendars",
        "/v1/calendars",
        {
            "name": "Alice",
            "timezone": "Europe/Paris",
            "service_ids": [service["id"]],
            "weekly_hours": {d: hours for d in ("mon", "tue", "wed", "thu", "fri")},
            "min_notice_minutes": 0,
        },
        key=tenant.admin,
    ).json()
    route = "/v1/calendars/{id}/connections"
    path = f"/v1/calendars/{calendar['id']}/connections"
    new = _admin_call(
        invoke, tenant, "POST", route, path, {"provider": "google", "options": {"include_pending": True}}
    )
    assert new.status == 201, new.text
    ca = ssl.create_default_context(cafile=str(certificates[0]))
    location = httpx.get(new.json()["authorization_url"], verify=ca).headers["location"]
    assert location.startswith(f"{BASE}/v1/oauth/google/callback?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    done = invoke("sync", "GET", "/v1/oauth/{provider}/callback", "/v1/oauth/google/callback", query=query)
    assert done.status == 200, done.text
    return {"tenant": tenant, "calendar": calendar, "service": service}


def _book(invoke, shop, start: datetime) -> dict:
    body = {
        "service_id": shop["service"]["id"],
        "calendar_id": shop["calendar"]["id"],
        "start": start.isoformat(),
        "customer": {"first_name": "Ada", "last_name": "L", "email": "a@x.org"},
    }
    reply = invoke(
        "appointments", "POST", "/v1/appointments", "/v1/appointments", body, key=shop["tenant"].agent
    )
    assert reply.status == 201, reply.text
    return {k: v for k, v in reply.json().items() if k != "manage_token"}


def _sqs(*events: dict) -> dict:
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "handle",
                "body": json.dumps(event),
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1767600000000"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-west-3:123456789012:creneau-SyncQueue",
                "awsRegion": "eu-west-3",
            }
            for event in events
        ]
    }


def _event(shop, appointment: dict, kind="appointment.created", previous=None) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "type": kind,
        "tenant_id": shop["tenant"].id,
        "occurred_at": datetime.now(UTC).isoformat(),
        "appointment": appointment,
        "previous": previous,
    }


def _next_weekday_at(hour: int) -> datetime:
    from zoneinfo import ZoneInfo

    day = datetime.now(ZoneInfo("Europe/Paris")).date() + timedelta(days=3)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo("Europe/Paris"))


def test_queue_pushes_once_even_when_redelivered(connected, call_function, invoke, sync_env):
    google = sync_env
    appointment = _book(invoke, connected, _next_weekday_at(10))
    message = _sqs(_event(connected, appointment))
    assert call_function("sync", message) == {"batchItemFailures": []}
    assert [e["extendedProperties"]["private"]["creneau_appointment_id"] for e in google.ours()] == [
        appointment["id"]
    ]
    inserts = google.count("POST", "/calendar/v3")
    assert call_function("sync", message) == {"batchItemFailures": []}  # redelivered
    assert google.count("POST", "/calendar/v3") == inserts and len(google.ours()) == 1


def test_provider_down_keeps_the_change_queued_until_the_schedule(connected, call_function, invoke, sync_env):
    google = sync_env
    appointment = _book(invoke, connected, _next_weekday_at(11))
    google.fault_plan = lambda request: (
        Fault(503, {"error": {"code": 503, "message": "Backend Error"}})
        if "/calendar/" in request.path
        else None
    )
    try:
        assert call_function("sync", _sqs(_event(connected, appointment))) == {"batchItemFailures": []}
        assert google.ours() == []
        got = invoke(
            "sync",
            "GET",
            "/v1/calendars/{id}/connections",
            f"/v1/calendars/{connected['calendar']['id']}/connections",
            key=connected["tenant"].admin,
        )
        (connection,) = got.json()["items"]
        assert (
            connection["status"] == "connected" and connection["last_error"]["code"] == "provider-unavailable"
        )
        local = invoke(
            "appointments",
            "GET",
            "/v1/appointments/{id}",
            f"/v1/appointments/{appointment['id']}",
            key=connected["tenant"].agent,
        )
        assert local.json()["status"] == "PENDING" and local.json()["start"] == appointment["start"]
    finally:
        google.fault_plan = None
    schedule = {
        "version": "0",
        "id": "x",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "detail": {},
    }
    counts = call_function("sync", schedule)
    assert counts == {"connections": 1, "errors": 0}
    assert [e["extendedProperties"]["private"]["creneau_appointment_id"] for e in google.ours()] == [
        appointment["id"]
    ]


def test_tokens_sealed_at_rest_and_refresh_guarded_by_version(connected, sync_env):
    google = sync_env
    table = config.catalog_table()
    item = table.get_item(
        Key={"pk": f"T#{connected['tenant'].id}", "sk": f"CONNECTION#{connected['calendar']['id']}"}
    )["Item"]
    refresh = next(iter(google.refresh_tokens))
    assert refresh.encode() not in bytes(item["tokens"]) and refresh not in item["doc"]
    assert refresh not in json.dumps(item, default=repr)

    sys.path.insert(0, str(ROOT / "functions" / "sync"))
    try:
        from token_store import TokenStore
    finally:
        sys.path.remove(str(ROOT / "functions" / "sync"))
    from creneau.dal.store import DYNAMODB

    connections = DYNAMODB.connections

    connection = connections.get(connected["tenant"].id, connected["calendar"]["id"])
    first, second = TokenStore(connection, connections), TokenStore(connection, connections)
    tokens = first.load()
    assert tokens["refresh_token"] == refresh
    assert first.save({**tokens, "access_token": "from-first"}) is None
    # The second refresh read the same version: it is told, and handed the first one's tokens.
    winner = second.save({**tokens, "access_token": "from-second"})
    assert winner is not None and winner["access_token"] == "from-first"
    stored = TokenStore(
        connections.get(connected["tenant"].id, connected["calendar"]["id"]), connections
    ).load()
    assert stored["access_token"] == "from-first" and stored["refresh_token"] == refresh


def _connection_path(shop) -> str:
    return f"/v1/calendars/{shop['calendar']['id']}/connections"


def test_a_throttled_connection_waits_for_retry_after(connected, invoke, sync_env):
    google = sync_env
    _book(invoke, connected, _next_weekday_at(12))
    google.fault_plan = lambda request: (
        Fault(429, {"error": {"code": 429, "message": "Rate Limit Exceeded"}}, retry_after=120)
        if "/calendar/" in request.path
        else None
    )
    try:
        path = f"/v1/calendars/{connected['calendar']['id']}/sync"
        first = invoke("sync", "POST", "/v1/calendars/{id}/sync", path, key=connected["tenant"].admin).json()
        assert [e["code"] for e in first["errors"]] == ["throttled"]
        before = google.count()
        second = invoke("sync", "POST", "/v1/calendars/{id}/sync", path, key=connected["tenant"].admin).json()
        assert google.count() == before  # not one request before Retry-After has passed
        assert second["pushed"] == 0
    finally:
        google.fault_plan = None
    assert google.ours() == []


def test_403_rate_limit_is_throttling_and_retried(connected, invoke, sync_env):
    google = sync_env
    appointment = _book(invoke, connected, _next_weekday_at(13))
    sent = {"n": 0}

    def plan(request):
        if request.method == "POST" and "/calendar/" in request.path and sent["n"] < 2:
            sent["n"] += 1
            body = {
                "error": {
                    "code": 403,
                    "message": "Rate Limit Exceeded",
                    "errors": [
                        {
                            "domain": "usageLimits",
                            "reason": "userRateLimitExceeded",
                            "message": "Rate Limit Exceeded",
                        }
                    ],
                }
            }
            return Fault(403, body)
        return None

    google.fault_plan = plan
    try:
        path = f"/v1/calendars/{connected['calendar']['id']}/sync"
        report = invoke("sync", "POST", "/v1/calendars/{id}/sync", path, key=connected["tenant"].admin).json()
    finally:
        google.fault_plan = None
    assert report["pushed"] == 1 and report["errors"] == [], report
    assert [e["extendedProperties"]["private"]["creneau_appointment_id"] for e in google.ours()] == [
        appointment["id"]
    ]


def test_expired_state_refused_and_code_never_exchanged(sync_env, invoke, tenant, certificates):
    google = sync_env
    calendar = invoke(
        "catalog",
        "POST",
        "/v1/calendars",
        "/v1/calendars",
        {"name": "B", "timezone": "UTC"},
        key=tenant.admin,
    ).json()
    path = f"/v1/calendars/{calendar['id']}/connections"
    new = invoke(
        "sync", "POST", "/v1/calendars/{id}/connections", path, {"provider": "google"}, key=tenant.admin
    )
    ca = ssl.create_default_context(cafile=str(certificates[0]))
    location = httpx.get(new.json()["authorization_url"], verify=ca).headers["location"]
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    nonce = query["state"].split(".")[0]
    config.catalog_table().update_item(
        Key={"pk": f"OAUTHSTATE#{nonce}", "sk": "STATE"},
        UpdateExpression="SET expires_at = :past",
        ExpressionAttributeValues={":past": int(datetime.now(UTC).timestamp()) - 1},
    )
    before = google.token_requests
    done = invoke("sync", "GET", "/v1/oauth/{provider}/callback", "/v1/oauth/google/callback", query=query)
    assert done.status == 400 and "expired" in done.text
    assert google.token_requests == before


def test_provider_not_configured_and_remove_events(connected, invoke, sync_env, monkeypatch):
    google = sync_env
    shop = connected
    appointment = _book(invoke, shop, _next_weekday_at(14))
    path = f"/v1/calendars/{shop['calendar']['id']}/sync"
    assert (
        invoke("sync", "POST", "/v1/calendars/{id}/sync", path, key=shop["tenant"].admin).json()["pushed"]
        == 1
    )
    assert len(google.ours()) == 1
    listed = invoke(
        "sync", "GET", "/v1/calendars/{id}/connections", _connection_path(shop), key=shop["tenant"].admin
    )
    (connection,) = listed.json()["items"]
    gone = invoke(
        "sync",
        "DELETE",
        "/v1/calendars/{id}/connections/{cid}",
        f"{_connection_path(shop)}/{connection['id']}",
        key=shop["tenant"].admin,
        query={"remove_events": "true"},
    )
    assert gone.status == 204
    assert google.ours() == []  # removed on request
    assert not any(google.refresh_tokens.values())  # the grant was revoked
    local = invoke(
        "appointments",
        "GET",
        "/v1/appointments/{id}",
        f"/v1/appointments/{appointment['id']}",
        key=shop["tenant"].agent,
    )
    assert local.status == 200
    monkeypatch.delenv("GOOGLE_CLIENT_SECRET")
    refused = invoke(
        "sync",
        "POST",
        "/v1/calendars/{id}/connections",
        _connection_path(shop),
        {"provider": "google"},
        key=shop["tenant"].admin,
    )
    assert refused.status == 422 and refused.json()["error"]["code"] == "provider-not-configured"


def test_a_group_session_is_one_event_with_every_attendee(connected, call_function, invoke, sync_env):
    google, shop = sync_env, connected
    tenant = shop["tenant"]
    group = invoke(
        "catalog",
        "POST",
        "/v1/services",
        "/v1/services",
        {"name": "Atelier", "duration_minutes": 60, "capacity": 4},
        key=tenant.admin,
    ).json()
    calendar_path = f"/v1/calendars/{shop['calendar']['id']}"
    services = [shop["service"]["id"], group["id"]]
    patched = invoke(
        "catalog", "PATCH", "/v1/calendars/{id}", calendar_path, {"service_ids": services}, key=tenant.admin
    )
    assert patched.status == 200, patched.text
    route = "/v1/calendars/{id}/connections"
    (connection,) = _admin_call(invoke, tenant, "GET", route, f"{calendar_path}/connections").json()["items"]
    options = {"options": {"add_attendees": True}}
    path = f"{calendar_path}/connections/{connection['id']}"
    assert _admin_call(invoke, tenant, "PATCH", route + "/{cid}", path, options).status == 200
    start = _next_weekday_at(14)
    booked = []
    for first, email, seats in (("Ada", "ada@x.org", 1), ("Bob", "bob@x.org", 2)):
        body = {
            "service_id": group["id"],
            "calendar_id": shop["calendar"]["id"],
            "start": start.isoformat(),
            "seats": seats,
            "customer": {"first_name": first, "last_name": "G", "email": email},
        }
        reply = invoke("appointments", "POST", "/v1/appointments", "/v1/appointments", body, key=tenant.agent)
        assert reply.status == 201, reply.text
        booked.append({k: v for k, v in reply.json().items() if k != "manage_token"})
    assert booked[0]["session_id"] == booked[1]["session_id"]
    assert call_function("sync", _sqs(*(_event(shop, a) for a in booked))) == {"batchItemFailures": []}

    (event,) = google.ours()
    assert event["extendedProperties"]["private"]["creneau_appointment_id"] == booked[0]["session_id"]
    assert sorted(a["email"] for a in event["attendees"]) == ["ada@x.org", "bob@x.org"]
    assert event["guestsCanSeeOtherGuests"] is False  # the connection's default option

    status_route, cancel = "/v1/appointments/{id}/status", {"status": "CANCELLED"}
    gone = invoke(
        "appointments",
        "POST",
        status_route,
        f"/v1/appointments/{booked[0]['id']}/status",
        cancel,
        key=tenant.agent,
    )
    assert gone.status == 200, gone.text
    assert call_function("sync", _sqs(_event(shop, gone.json(), "appointment.cancelled"))) == {
        "batchItemFailures": []
    }
    (event,) = google.ours()
    assert [a["email"] for a in event["attendees"]] == ["bob@x.org"]

    gone = invoke(
        "appointments",
        "POST",
        status_route,
        f"/v1/appointments/{booked[1]['id']}/status",
        cancel,
        key=tenant.agent,
    )
    assert call_function("sync", _sqs(_event(shop, gone.json(), "appointment.cancelled"))) == {
        "batchItemFailures": []
    }
    assert google.ours() == []  # the last cancellation closes the session: its event goes
