"""Hostile input over HTTP: each case answered 500 before; now a 4xx in the error shape, naming what
is wrong. Then the local gateway's own answers (TRACE, broken framing, unknown routes)."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from helpers import assert_error, at, build_shop, created, future_weekday

from tests.e2e.tenants import create_tenant

pytestmark = pytest.mark.xdist_group("e2e")
ROOT = Path(__file__).resolve().parents[2]

JSON = {"Content-Type": "application/json"}
CUSTOMER = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}
LONG_ID = "x" * 3000  # over DynamoDB's 2,048-byte partition and 1,024-byte sort key limits


@pytest.fixture(scope="module")
def shop(stack):
    """One tenant for the module: none of these requests may change it."""
    clients: list[httpx.Client] = []

    def api(key: str | None = None) -> httpx.Client:
        headers = {"X-Api-Key": key} if key else {}
        clients.append(httpx.Client(base_url=stack["api_url"], headers=headers, timeout=60))
        return clients[-1]

    def new_tenant() -> dict:
        return create_tenant(stack["env"], "Bad input")

    yield build_shop(api, new_tenant, calendars=("Alice",))
    for client in clients:
        client.close()


@pytest.fixture
def ids(shop):
    return {"service": shop.services["cut"]["id"], "calendar": shop.calendars["Alice"]["id"]}


def refused(reply, status: int, code: str, field: str | None = None) -> dict:
    error = assert_error(reply, status, code)
    if field is not None:
        fields = {d.get("field") for d in error["details"]}
        assert field in fields, error
    return error


def nested(depth: int, leaf: str = "1") -> str:
    return '{"a":' * depth + leaf + "}" * depth


# ---- records over DynamoDB's 400 KB item limit ---------------------------------------------------


def test_customer_extra_over_16_kb_is_422(shop):
    reply = shop.agent.post("/v1/customers", json={**CUSTOMER, "extra": {"notes": "y" * 450_000}})
    assert "16 KB" in refused(reply, 422, "validation-error", "extra")["details"][0]["message"]
    reply = shop.agent.post("/v1/customers", json={**CUSTOMER, "extra": {"notes": "y" * 15_000}})
    created(reply)


def test_6000_exceptions_is_422(shop, ids):
    exceptions = [{"start": "2030-01-01T00:00:00Z", "end": "2030-01-02T00:00:00Z"}] * 6000
    reply = shop.admin.patch(f"/v1/calendars/{ids['calendar']}", json={"exceptions": exceptions})
    assert "500" in refused(reply, 422, "validation-error", "exceptions")["details"][0]["message"]


def test_3000_fields_is_422(shop, ids):
    fields = [{"key": f"f{i}", "label": "Label"} for i in range(3000)]
    reply = shop.admin.patch(f"/v1/services/{ids['service']}", json={"fields": fields})
    assert "50" in refused(reply, 422, "validation-error", "fields")["details"][0]["message"]


def test_10000_allowed_origins_is_422(shop):
    origins = [f"https://o{i}.example" for i in range(10_000)]
    reply = shop.admin.patch("/v1/settings", json={"allowed_origins": origins})
    assert "50" in refused(reply, 422, "validation-error", "allowed_origins")["details"][0]["message"]


def test_appointment_fields_over_16_kb_is_422(shop, ids):
    body = {"service_id": ids["service"], "start": "2030-01-07T10:00:00+01:00", "customer": CUSTOMER}
    reply = shop.public.post("/v1/appointments", json={**body, "fields": {"k": "v" * 20_000}})
    refused(reply, 422, "validation-error", "fields")


# ---- bodies --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("nested 500 deep", '{"extra":' + nested(500) + "}", "deeper than 32"),
        ("nested 5000 deep", '{"extra":' + nested(5000) + "}", "deeper than 32"),
        ("arrays 5000 deep", '{"extra":{"a":' + "[" * 5000 + "]" * 5000 + "}}", "deeper than 32"),
        ("not UTF-8", b'{"first_name": "\xff\xfe"}', "UTF-8"),
        ("4300-digit integer", '{"extra": {"n": ' + "9" * 4300 + "}}", "38 digits"),
        ("4301-digit integer", '{"extra": {"n": ' + "9" * 4301 + "}}", "38 digits"),
        ("NaN", '{"extra": {"n": NaN}}', "NaN"),
        ("Infinity", '{"extra": {"n": Infinity}}', "Infinity"),
        ("-Infinity", '{"extra": {"n": -Infinity}}', "Infinity"),
        ("1e400", '{"extra": {"n": 1e400}}', "out of range"),
        ("an array", '[{"first_name": "Ada"}]', "JSON object"),
        ("a number", "5", "JSON object"),
        ("not JSON", '{"first_name": ', "not valid JSON"),
    ],
)
def test_bad_body_is_422_naming_the_body(shop, name, raw, message):
    data = raw if isinstance(raw, bytes) else raw.encode()
    reply = shop.agent.post("/v1/customers", content=data, headers=JSON)
    error = refused(reply, 422, "validation-error", "body")
    assert message in error["message"], (name, error)


def test_array_body_is_not_read_as_its_first_element(shop):
    before = len(shop.agent.get("/v1/customers", params={"q": "Arrayed"}).json()["items"])
    reply = shop.agent.post("/v1/customers", json=[{"first_name": "Arrayed"}])
    refused(reply, 422, "validation-error", "body")
    assert len(shop.agent.get("/v1/customers", params={"q": "Arrayed"}).json()["items"]) == before


def test_text_plain_is_415_and_no_content_type_is_json(shop):
    data = b'{"first_name": "Plain"}'
    reply = shop.agent.post("/v1/customers", content=data, headers={"Content-Type": "text/plain"})
    refused(reply, 415, "unsupported-media-type", "Content-Type")
    created(shop.agent.post("/v1/customers", content=data))  # no Content-Type: JSON
    created(
        shop.agent.post(
            "/v1/customers", content=data, headers={"Content-Type": "application/json; charset=utf-8"}
        )
    )


def test_body_checks_come_after_the_key_check(api):
    reply = api(None).post("/v1/customers", content=b"\xff", headers={"Content-Type": "text/plain"})
    assert_error(reply, 401, "not-authorized")


# ---- instants and dates --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start",
    [
        "0001-01-01T00:00:00+01:00",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:00:00-05:00",
        "9999-12-31T23:59:00Z",
        "1738400000",  # epoch seconds: not RFC 3339
        "2030-01-07T10:00:00",  # no offset
        "2030-01-07",
        "2030-01-07T10:00+01:00",  # RFC 3339 needs the seconds
    ],
)
def test_start_outside_the_years_or_not_rfc3339_is_422(shop, ids, start):
    body = {"service_id": ids["service"], "start": start}
    refused(
        shop.public.post("/v1/appointments", json={**body, "customer": CUSTOMER}),
        422,
        "validation-error",
        "start",
    )
    refused(shop.public.post("/v1/locks", json=body), 422, "validation-error", "start")
    refused(
        shop.agent.post("/v1/appointments/abc/reschedule", json={"start": start}),
        422,
        "validation-error",
        "start",
    )


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("0001-01-01T00:00:00+01:00", "2030-01-01T00:00:00Z"),
        ("2030-01-01T00:00:00Z", "9999-12-31T23:59:59-05:00"),
    ],
)
def test_exceptions_at_the_edges_of_time_are_422(shop, ids, start, end):
    body = {"exceptions": [{"start": start, "end": end}]}
    refused(shop.admin.patch(f"/v1/calendars/{ids['calendar']}", json=body), 422, "validation-error")


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [
        ("0001-01-01", "0001-01-02", "from"),
        ("9999-12-30", "9999-12-31", "from"),
        ("2030-01-01", "9999-12-31", "to"),
    ],
)
def test_dates_at_the_edges_are_422(shop, ids, first, last, field):
    params = {"service_id": ids["service"], "from": first, "to": last}
    refused(shop.public.get("/v1/slots", params=params), 422, "validation-error", field)
    refused(
        shop.agent.get("/v1/appointments", params={"from": first, "to": last}), 422, "validation-error", field
    )


def test_an_rfc3339_start_still_books(shop, ids):
    day = future_weekday()
    created(shop.book(service_id=ids["service"], start=at(day, "10:00")))


# ---- ids over DynamoDB's key limits --------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "method", "path", "field"),
    [
        ("admin", "GET", "/v1/services/{long}", "id"),
        ("admin", "PATCH", "/v1/calendars/{long}", "id"),
        ("admin", "DELETE", "/v1/service-categories/{long}", "id"),
        ("admin", "DELETE", "/v1/api-keys/{long}", "id"),
        ("agent", "GET", "/v1/appointments/{long}", "id"),
        ("agent", "POST", "/v1/appointments/{long}/status", "id"),
        ("agent", "GET", "/v1/customers/{long}", "id"),
        ("public", "GET", "/v1/locks/{long}", "lock_code"),
        ("public", "DELETE", "/v1/locks/{long}", "lock_code"),
        ("public", "GET", "/v1/slots/first?service_id={long}", "service_id"),
        (
            "public",
            "GET",
            "/v1/slots?service_id=s&from=2030-01-01&to=2030-01-02&calendar_id={long}",
            "calendar_id",
        ),
        ("public", "GET", "/v1/services?category_id={long}", "category_id"),
        ("agent", "GET", "/v1/appointments?customer_id={long}", "customer_id"),
        ("agent", "GET", "/v1/appointments?cursor={long}", "cursor"),
        ("agent", "GET", "/v1/customers?q={long}", "q"),
        ("agent", "GET", "/v1/appointments/abc?manage_token={long}", "manage_token"),
    ],
)
def test_ids_longer_than_dynamodb_keys_are_422(shop, role, method, path, field):
    client = getattr(shop, role)
    json_body = {"status": "CANCELLED"} if method == "POST" else ({} if method == "PATCH" else None)
    reply = client.request(method, path.format(long=LONG_ID), json=json_body)
    refused(reply, 422, "validation-error", field)


def test_ids_outside_the_id_charset_are_422(shop):
    refused(shop.admin.get("/v1/services/a%20b"), 422, "validation-error", "id")
    body = {"service_id": "sp ace", "start": "2030-01-07T10:00:00+01:00"}
    refused(shop.public.post("/v1/locks", json=body), 422, "validation-error", "service_id")


def test_an_unknown_id_of_the_right_shape_is_still_its_not_found(shop):
    assert_error(shop.admin.get("/v1/services/" + "a" * 64), 404, "service-not-found")
    assert_error(shop.public.get("/v1/locks/" + "b" * 128), 404, "lock-not-found")


# ---- the local gateway's own answers -------------------------------------------------------------


def raw_request(api_url: str, data: bytes) -> tuple[int, str]:
    parts = urlsplit(api_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as conn:
        conn.sendall(data)
        received = b""
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            received += chunk
            head, _, body = received.partition(b"\r\n\r\n")
            lengths = [line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")]
            if lengths and len(body) >= int(lengths[0].split(b":")[1]):
                break
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body.decode()


def shape_of(text: str) -> dict:
    error = json.loads(text)["error"]
    assert set(error) == {"code", "message", "details"} and isinstance(error["details"], list), error
    return error


@pytest.mark.parametrize(
    ("request_head", "status", "code"),
    [
        ("TRACE /v1/api-keys HTTP/1.1\r\nHost: x\r\n", 404, "not-found"),
        ("BREW /v1/services HTTP/1.1\r\nHost: x\r\n", 404, "not-found"),
        ("POST /v1/customers HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n", 400, "bad-request"),
        ("POST /v1/customers HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n", 400, "bad-request"),
        (
            "POST /v1/customers HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n",
            413,
            "payload-too-large",
        ),
        ("GET /v1/nothing-here HTTP/1.1\r\nHost: x\r\n", 404, "not-found"),
        ("GET /v1/services HTTP/9.9\r\nHost: x\r\n", 400, "bad-request"),
    ],
)
def test_gateway_answers_in_the_error_shape(stack, request_head, status, code):
    got, body = raw_request(stack["api_url"], (request_head + "\r\n").encode())
    assert got == status, body
    assert shape_of(body)["code"] == code
