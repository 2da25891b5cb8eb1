"""Manage tokens are derived, never stored; an Idempotency-Key belongs to the caller that sent it.

The token is an HMAC of the tenant and appointment ids under the stack's secret: every booking's
answer carries it (an agent forwards it to the customer), a replay gives it again, and no item of
any table holds it. Two API keys sending the same Idempotency-Key and body make two bookings.
"""

from __future__ import annotations

import uuid

import boto3
import pytest

from tests.e2e.helpers import assert_error, at, build_shop, created, future_weekday

pytestmark = pytest.mark.xdist_group("e2e")


@pytest.fixture
def shop(api, new_tenant):
    return build_shop(api, new_tenant)


@pytest.fixture
def day():
    return future_weekday()


def every_item(stack: dict) -> list[tuple[str, dict]]:
    """Every item of every table of the stack (catalog, bookings, idempotency), read from moto."""
    env = stack["env"]
    client = boto3.client(
        "dynamodb",
        endpoint_url=stack["moto_url"],
        region_name=env["AWS_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    items = []
    for table in client.list_tables()["TableNames"]:
        for page in client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
            items += [(table, item) for item in page["Items"]]
    return items


def booking(day, shop, hhmm: str, name: str) -> dict:
    customer = {"first_name": name}
    return {"service_id": shop.services["cut"]["id"], "start": at(day, hhmm), "customer": customer}


def test_the_same_key_and_body_from_two_api_keys_are_two_bookings(shop, day):
    key = {"Idempotency-Key": uuid.uuid4().hex}
    body = booking(day, shop, "10:00", "Ida")  # no calendar named: Alice, then Bob
    public = created(shop.public.post("/v1/appointments", json=body, headers=key))
    agent = created(shop.agent.post("/v1/appointments", json=body, headers=key))
    assert agent["id"] != public["id"]
    assert agent["manage_token"] != public["manage_token"]
    assert {public["calendar_id"], agent["calendar_id"]} == {
        shop.calendars["Alice"]["id"],
        shop.calendars["Bob"]["id"],
    }
    # Each caller's replay is its own first answer, token included.
    for client, first in ((shop.public, public), (shop.agent, agent)):
        again = client.post("/v1/appointments", json=body, headers=key)
        assert again.status_code in (200, 201), again.text
        assert again.json() == first


def test_a_replay_gives_the_same_manage_token_and_it_manages_the_appointment(shop, day):
    key = {"Idempotency-Key": uuid.uuid4().hex}
    body = booking(day, shop, "11:00", "Ray")
    first = created(shop.public.post("/v1/appointments", json=body, headers=key))
    again = shop.public.post("/v1/appointments", json=body, headers=key)
    assert again.status_code in (200, 201), again.text
    assert again.json()["manage_token"] == first["manage_token"]
    assert first["manage_token"].startswith("mt_")
    path = f"/v1/appointments/{first['id']}"
    mine = shop.public.get(path, params={"manage_token": first["manage_token"]})
    assert mine.status_code == 200, mine.text
    assert "manage_token" not in mine.json() or mine.json()["manage_token"] is None


def test_a_wrong_or_foreign_token_is_404(shop, day):
    one = created(shop.book(service_id=shop.services["cut"]["id"], start=at(day, "09:00")))
    other = created(shop.public.post("/v1/appointments", json=booking(day, shop, "14:00", "Olga")))
    path = f"/v1/appointments/{one['id']}"
    for wrong in ("mt_" + "A" * 43, other["manage_token"], one["manage_token"][:-1], "x"):
        assert_error(shop.public.get(path, params={"manage_token": wrong}), 404, "appointment-not-found")
    cancel = {"status": "CANCELLED"}
    refused = shop.public.post(f"{path}/status", params={"manage_token": other["manage_token"]}, json=cancel)
    assert_error(refused, 404, "appointment-not-found")
    # The agent's booking carries a token too, and it lets the customer cancel.
    done = shop.public.post(f"{path}/status", params={"manage_token": one["manage_token"]}, json=cancel)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "CANCELLED"


def test_no_table_holds_a_manage_token(shop, day, stack):
    tokens = []
    for i, hhmm in enumerate(("09:00", "09:30", "10:00", "10:30")):
        client = shop.public if i % 2 else shop.agent
        key = {"Idempotency-Key": uuid.uuid4().hex} if i < 3 else {}
        reply = client.post("/v1/appointments", json=booking(day, shop, hhmm, f"Tok {i}"), headers=key)
        tokens.append(created(reply)["manage_token"])
    moved = shop.public.post(
        f"/v1/appointments/{created(reply)['id']}/reschedule",
        params={"manage_token": tokens[-1]},
        json={"start": at(day, "15:00")},
    )
    assert moved.status_code == 200, moved.text
    items = every_item(stack)
    tables = {table for table, _item in items}
    assert {stack["env"][name] for name in ("CATALOG_TABLE", "BOOKINGS_TABLE", "IDEMPOTENCY_TABLE")} <= tables
    stored = [repr(item) for _table, item in items]
    assert any("Tok 0" in item for item in stored), "the scan reads the bookings"
    remembered = [repr(i) for t, i in items if t == stack["env"]["IDEMPOTENCY_TABLE"] and "Tok 1" in repr(i)]
    assert remembered, "the idempotent answers are stored (without their token)"
    found = [token for token in tokens if any(token in item for item in stored)]
    assert not found, f"{len(found)} manage tokens stored in clear"
    assert not [item for item in stored if "_manage_token" in item or "manage_token" in item]
