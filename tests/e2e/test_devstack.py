"""The local stack itself: route matching, v2 events, tables from the template, a serializable moto,
and a smoke test of the whole gateway with throwaway handlers (no dependency on the real ones)."""

from __future__ import annotations

import base64
import http.client
import itertools
import json
import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import httpx
import pytest
import yaml
from botocore.exceptions import ClientError

from devstack import apigw, events, routes
from devstack.cli import aws_env
from devstack.moto_server import MotoServer
from devstack.routes import Route
from devstack.scheduler import period_s
from devstack.tables import create_tables
from devstack.template import Template, load

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = Template(ROOT / "template.yaml")

# -- route matching ------------------------------------------------------------------------------------------

SYNTHETIC = [
    Route("GET", "/v1/slots/first", "exact"),
    Route("GET", "/v1/slots/{id}", "param"),
    Route("ANY", "/v1/slots/{id}", "param-any"),
    Route("GET", "/v1/{proxy+}", "v1-greedy"),
    Route("ANY", "/{proxy+}", "greedy"),
    Route("POST", "/v1/{kind}/first", "param-then-literal"),
]


@pytest.mark.parametrize(
    ("method", "path", "function", "params"),
    [
        ("GET", "/v1/slots/first", "exact", {}),  # exact beats {param} and greedy
        ("GET", "/v1/slots/abc", "param", {"id": "abc"}),
        ("DELETE", "/v1/slots/abc", "param-any", {"id": "abc"}),  # explicit method first, then ANY
        ("POST", "/v1/slots/first", "param-any", {"id": "first"}),  # literal beats param, segment by segment
        ("GET", "/v1/slots/a/b", "v1-greedy", {"proxy": "slots/a/b"}),  # the longer greedy prefix wins
        ("PUT", "/v1/slots/a/b", "greedy", {"proxy": "v1/slots/a/b"}),
        ("GET", "/other", "greedy", {"proxy": "other"}),
        ("GET", "/v1/slots/caf%C3%A9", "param", {"id": "café"}),  # parameters are URL-decoded
    ],
)
def test_route_precedence(method, path, function, params):
    route, found = routes.match(SYNTHETIC, method, path)
    assert (route.function, found) == (function, params)


def test_no_route_and_default_route():
    assert routes.match(SYNTHETIC, "GET", "/") is None  # a greedy variable needs at least one segment
    assert routes.match([Route("GET", "/a", "f")], "POST", "/a") is None
    default = Route("ANY", routes.DEFAULT, "fallback")
    assert routes.match([Route("GET", "/a", "f"), default], "POST", "/a") == (default, {})
    assert default.route_key == "$default"


@pytest.mark.parametrize(
    ("method", "path", "function", "route_key"),
    [
        ("GET", "/v1/slots/first", "SlotsFunction", "GET /v1/slots/first"),
        ("GET", "/v1/services/svc1", "CatalogFunction", "GET /v1/services/{id}"),
        ("POST", "/v1/appointments/a1/status", "AppointmentsFunction", "POST /v1/appointments/{id}/status"),
        ("DELETE", "/v1/locks/abc", "LocksFunction", "DELETE /v1/locks/{lock_code}"),
        ("PUT", "/v1/settings", "CatalogFunction", "ANY /{proxy+}"),  # no PUT route: the catch-all
        ("GET", "/v2/nothing", "CatalogFunction", "ANY /{proxy+}"),
    ],
)
def test_template_routes(method, path, function, route_key):
    route, _ = routes.match(TEMPLATE.routes(), method, path)
    assert (route.function, route.route_key) == (function, route_key)


# -- API Gateway v2 events and responses ---------------------------------------------------------------------


def test_event_has_the_v2_fields():
    route = Route("GET", "/v1/services/{id}", "CatalogFunction")
    headers = [
        ("Host", "127.0.0.1:3000"),
        ("User-Agent", "pytest"),
        ("X-Api-Key", "k1"),
        ("Accept", "text/html"),
        ("Accept", "application/json"),
        ("Cookie", "s=1; t=2"),
    ]
    event = apigw.build_event(
        "GET",
        "/v1/services/a%20b",
        "a=1&a=2&q=x%20y&empty=",
        headers,
        b"",
        route,
        {"id": "a b"},
        source_ip="10.0.0.9",
        request_id="req-1",
        now=1700000000.25,
    )
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /v1/services/{id}"
    assert event["rawPath"] == "/v1/services/a b"
    assert event["rawQueryString"] == "a=1&a=2&q=x%20y&empty="
    assert event["queryStringParameters"] == {"a": "1,2", "q": "x y", "empty": ""}
    assert event["pathParameters"] == {"id": "a b"}
    assert event["headers"]["accept"] == "text/html,application/json"
    assert event["headers"]["x-api-key"] == "k1"
    assert "cookie" not in event["headers"] and event["cookies"] == ["s=1", "t=2"]
    assert "body" not in event and event["isBase64Encoded"] is False
    ctx = event["requestContext"]
    assert ctx["http"] == {
        "method": "GET",
        "path": "/v1/services/a b",
        "protocol": "HTTP/1.1",
        "sourceIp": "10.0.0.9",
        "userAgent": "pytest",
    }
    assert (ctx["requestId"], ctx["routeKey"], ctx["stage"]) == ("req-1", "GET /v1/services/{id}", "$default")
    assert (ctx["time"], ctx["timeEpoch"]) == ("14/Nov/2023:22:13:20 +0000", 1700000000250)
    assert ctx["domainName"] == "127.0.0.1:3000" and ctx["accountId"] and ctx["apiId"]


def test_event_bodies_and_absent_query():
    route = Route("POST", "/v1/locks", "LocksFunction")
    text = apigw.build_event("POST", "/v1/locks", "", [], '{"a": "é"}'.encode(), route, {})
    assert (text["body"], text["isBase64Encoded"]) == ('{"a": "é"}', False)
    assert "queryStringParameters" not in text and "pathParameters" not in text and "cookies" not in text
    binary = apigw.build_event("POST", "/v1/locks", "", [], b"\xff\x00", route, {})
    assert binary["isBase64Encoded"] is True and base64.b64decode(binary["body"]) == b"\xff\x00"


def test_powertools_resolves_our_events():
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    app = APIGatewayHttpResolver()

    @app.post("/v1/appointments/<appointment_id>/status")
    def status(appointment_id: str):
        e = app.current_event
        return {
            "id": appointment_id,
            "q": e.query_string_parameters,
            "body": e.json_body,
            "key": e.headers["x-api-key"],
        }

    route, params = routes.match(TEMPLATE.routes(), "POST", "/v1/appointments/ap1/status")
    event = apigw.build_event(
        "POST",
        "/v1/appointments/ap1/status",
        "x=1",
        [("X-Api-Key", "k")],
        b'{"status": "CONFIRMED"}',
        route,
        params,
    )
    status_code, _, body = apigw.to_http_response(app.resolve(event, None))
    assert status_code == 200
    assert json.loads(body) == {"id": "ap1", "q": {"x": "1"}, "body": {"status": "CONFIRMED"}, "key": "k"}


def test_responses():
    result = {
        "statusCode": 201,
        "headers": {"content-type": "text/plain"},
        "multiValueHeaders": {"x-many": ["1", "2"]},
        "cookies": ["a=1", "b=2; Path=/"],
        "body": base64.b64encode(b"\xff").decode(),
        "isBase64Encoded": True,
    }
    status, headers, body = apigw.to_http_response(result)
    assert (status, body) == (201, b"\xff")
    assert headers == [
        ("content-type", "text/plain"),
        ("x-many", "1"),
        ("x-many", "2"),
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2; Path=/"),
    ]
    assert apigw.to_http_response({"ok": True}) == (
        200,
        [("Content-Type", "application/json")],
        b'{"ok": true}',
    )
    status, _, body = apigw.error_response(502, "internal", "boom")
    expected = {"error": {"code": "internal", "message": "boom", "details": []}}
    assert (status, json.loads(body)) == (502, expected)


# -- the template as the stack reads it ----------------------------------------------------------------------


def test_functions_environment_and_schedules(tmp_path):
    doc = load(ROOT / "template.yaml")
    doc["Resources"]["TickFunction"] = _tick_function(rate="rate(5 minutes)")
    (tmp_path / "template.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True))
    template = Template(tmp_path / "template.yaml")
    tmp_path = tmp_path.resolve()
    tick = template.functions()["TickFunction"]
    assert tick.env["TICK_MARK"] == "tick" and tick.env["CATALOG_TABLE"] == "creneau-CatalogTable"
    assert tick.code_dir == str(tmp_path / "functions" / "tick") and tick.timeout_s == 10
    ticks = [
        (s.function, period_s(s.expression)) for s in template.schedules() if s.function == "TickFunction"
    ]
    assert ticks == [("TickFunction", 300)]
    assert period_s("rate(1 hour)") == 3600 and period_s("cron(0 3 * * ? *)") == 60
    slots = TEMPLATE.functions()["SlotsFunction"]
    assert TEMPLATE.global_env()["POWERTOOLS_LOG_LEVEL"] == "INFO"  # the LogLevel parameter's default
    local_level = os.environ.get("CRENEAU_LOG_LEVEL", "WARNING")  # the local stack's own, on a terminal
    assert slots.env["POWERTOOLS_LOG_LEVEL"] == local_level and slots.memory_mb == 512
    assert slots.handler == "app.lambda_handler" and slots.code_dir == str(ROOT / "functions" / "slots")


def test_sample_events_are_current_and_routed():
    built = events.build_all(TEMPLATE)
    expected_function = {
        "catalog": "CatalogFunction",
        "slots": "SlotsFunction",
        "locks": "LocksFunction",
        "appointments": "AppointmentsFunction",
        "sync": "SyncFunction",
        "webhooks": "WebhooksFunction",
        "users": "UsersFunction",
    }
    sources = {"events": ("DynamoDB", "EventsFunction"), "notifications": ("SQS", "NotificationsFunction")}
    folders = {p.name for p in (ROOT / "functions").iterdir() if (p / "app.py").exists()}
    assert set(built) == folders == set(expected_function) | set(sources)  # one sample per function
    for name, event in built.items():
        stored = json.loads((ROOT / "events" / f"{name}.json").read_text(encoding="utf-8"))
        assert stored == event, f"events/{name}.json is stale: run python -m devstack.events"
        if name in sources:  # a batch from the event source the template gives that function
            kind, function = sources[name]
            assert function in [f for f, _ in TEMPLATE.event_sources(kind)]
            assert event["Records"] and all(
                r["eventSource"] == f"aws:{kind.lower()}" for r in event["Records"]
            )
            continue
        route, _ = routes.match(
            TEMPLATE.routes(), event["requestContext"]["http"]["method"], event["rawPath"]
        )
        assert route.function == expected_function[name] and route.route_key == event["routeKey"]


# -- tables and the one-request-at-a-time moto server --------------------------------------------------------


@pytest.fixture(scope="module")
def dynamodb():
    with MotoServer() as moto:
        env = aws_env(moto.url)
        client = boto3.client(
            "dynamodb",
            endpoint_url=moto.url,
            region_name=env["AWS_DEFAULT_REGION"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )
        create_tables(client, TEMPLATE)
        yield client


def test_tables_follow_the_template(dynamodb):
    assert sorted(dynamodb.list_tables()["TableNames"]) == [
        "creneau-BookingsTable",
        "creneau-CatalogTable",
        "creneau-IdempotencyTable",
    ]
    for logical_id, props in TEMPLATE.tables().items():
        name = f"creneau-{logical_id}"
        table = dynamodb.describe_table(TableName=name)["Table"]
        assert table["KeySchema"] == props["KeySchema"]
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        indexes = {i["IndexName"]: i["KeySchema"] for i in table.get("GlobalSecondaryIndexes", [])}
        assert indexes == {i["IndexName"]: i["KeySchema"] for i in props.get("GlobalSecondaryIndexes", [])}
        ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


def test_moto_serves_one_request_at_a_time(dynamodb):
    # A threaded werkzeug server speaks HTTP/1.1; the single-request BaseWSGIServer stays on HTTP/1.0.
    conn = http.client.HTTPConnection(dynamodb.meta.endpoint_url.removeprefix("http://"), timeout=10)
    conn.request("GET", "/")
    response = conn.getresponse()
    assert response.version == 10 and response.getheader("connection") == "close"
    conn.close()


def test_transact_write_race_has_exactly_one_winner(dynamodb):
    table, contenders = "creneau-BookingsTable", 30
    keys = [
        {"pk": {"S": "race#cal1"}, "sk": {"S": "unit#0900"}},
        {"pk": {"S": "race#cal1"}, "sk": {"S": "unit#0905"}},
    ]
    # One client each, made here: creating clients is not thread-safe, using them is.
    clients = [
        boto3.client(
            "dynamodb",
            endpoint_url=dynamodb.meta.endpoint_url,
            region_name=dynamodb.meta.region_name,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        for _ in range(contenders)
    ]
    barrier = threading.Barrier(contenders)

    def contend(i: int) -> bool:
        puts = [
            {
                "Put": {
                    "TableName": table,
                    "Item": {**key, "owner": {"S": f"c{i}"}},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
            for key in keys
        ]
        barrier.wait()
        try:
            clients[i].transact_write_items(TransactItems=puts)
            return True
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "TransactionCanceledException"
            return False

    with ThreadPoolExecutor(contenders) as threads:
        wins = list(threads.map(contend, range(contenders)))
    assert wins.count(True) == 1
    owners = {dynamodb.get_item(TableName=table, Key=key)["Item"]["owner"]["S"] for key in keys}
    assert owners == {f"c{wins.index(True)}"}


# -- smoke test: the whole stack with throwaway handlers -----------------------------------------------------

ECHO = """
import json, os, time

BUSY = False  # one invocation at a time per execution environment: never seen True


def lambda_handler(event, context):
    global BUSY
    overlap, BUSY = BUSY, True
    try:
        q = event.get("queryStringParameters") or {}
        began = time.time()
        time.sleep(float(q.get("sleep", 0)))
        out = {
            "event": event,
            "pid": os.getpid(),
            "overlap": overlap,
            "ran": [began, time.time()],
            "env": {k: os.environ.get(k) for k in ("CATALOG_TABLE", "TICK_MARK", "AWS_LAMBDA_FUNCTION_NAME")},
            "context": [
                context.function_name, context.memory_limit_in_mb,
                context.get_remaining_time_in_millis(),
            ],
        }
        if "describe" in q:
            import boto3
            table = boto3.client("dynamodb").describe_table(TableName=os.environ["CATALOG_TABLE"])
            out["table_status"] = table["Table"]["TableStatus"]
        return {
            "statusCode": 200,
            "headers": {"content-type": "application/json", "access-control-allow-origin": "https://evil.example"},
            "cookies": ["a=1; Path=/", "b=2"],
            "body": json.dumps(out),
        }
    finally:
        BUSY = False
"""
RAISES = "def lambda_handler(event, context):\n    raise RuntimeError('boom')\n"
PLAIN = """
import os


def lambda_handler(event, context):
    if "die" in (event.get("queryStringParameters") or {}):
        os._exit(3)
    return {"ok": True}
"""
TICK = """
import json, os


def lambda_handler(event, context):
    with open(event["file"], "a") as f:
        f.write(json.dumps({"mark": os.environ.get("TICK_MARK"), "pid": os.getpid()}) + "\\n")
"""


def _tick_function(rate: str, tick_file: str = "unused") -> dict:
    return {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "CodeUri": "functions/tick/",
            "Environment": {"Variables": {"TICK_MARK": "tick"}},
            "Events": {
                "Tick": {
                    "Type": "Schedule",
                    "Properties": {"Schedule": rate, "Input": json.dumps({"file": tick_file})},
                }
            },
        },
    }


@pytest.fixture(scope="module")
def toy(start_stack, tmp_path_factory):
    """The stack on a copy of template.yaml whose functions are throwaway handlers (locks has none)."""
    root = tmp_path_factory.mktemp("toy")
    tick_file = root / "ticks.jsonl"
    for name, code in {"catalog": ECHO, "slots": RAISES, "appointments": PLAIN, "tick": TICK}.items():
        (root / "functions" / name).mkdir(parents=True)
        (root / "functions" / name / "app.py").write_text(code)
    doc = load(ROOT / "template.yaml")
    doc["Resources"]["TickFunction"] = _tick_function("rate(1 hour)", str(tick_file))
    (root / "template.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True))
    started = time.monotonic()
    running = start_stack("--template", str(root / "template.yaml"), "--no-seed", "--schedule-every", "0.5")
    running.startup_s = time.monotonic() - started
    running.tick_file = tick_file
    with httpx.Client(base_url=running.info["api_url"], timeout=30) as client:
        running.client = client
        yield running


toy_group = pytest.mark.xdist_group("devstack-toy")  # one toy stack per session, shutdown test last


@toy_group
def test_info_file(toy):
    info = toy.info
    assert set(info) >= {"api_url", "keys", "tenant_id", "moto_url", "tables", "env"}
    assert info["tables"] == {
        k: f"creneau-{k}" for k in ("CatalogTable", "BookingsTable", "IdempotencyTable")
    }
    assert info["env"]["CATALOG_TABLE"] == "creneau-CatalogTable"
    assert (
        info["env"]["AWS_ENDPOINT_URL"] == info["moto_url"]
        and info["env"]["AWS_DEFAULT_REGION"] == "eu-west-3"
    )
    assert toy.startup_s < 60, toy.startup_s


@toy_group
def test_request_reaches_the_handler_as_a_v2_event(toy):
    r = toy.client.get(
        "/v1/services/s%201?describe=1&a=1&a=2",
        headers={"X-Api-Key": "k", "Origin": "https://site.example", "Cookie": "c=1"},
    )
    assert r.status_code == 200, r.text
    out = r.json()
    event = out["event"]
    assert event["routeKey"] == "GET /v1/services/{id}" and event["pathParameters"] == {"id": "s 1"}
    assert event["queryStringParameters"] == {"describe": "1", "a": "1,2"} and event["cookies"] == ["c=1"]
    assert event["headers"]["x-api-key"] == "k" and event["requestContext"]["http"]["method"] == "GET"
    assert out["table_status"] == "ACTIVE"  # the handler's boto3 reaches the local tables
    assert out["env"] == {
        "CATALOG_TABLE": "creneau-CatalogTable",
        "TICK_MARK": None,  # another function's variable does not leak
        "AWS_LAMBDA_FUNCTION_NAME": "creneau-CatalogFunction",
    }
    assert out["context"][:2] == ["creneau-CatalogFunction", 512] and 0 < out["context"][2] <= 10_000
    assert r.headers.get_list("set-cookie") == ["a=1; Path=/", "b=2"]
    assert r.headers["access-control-allow-origin"] == "*"  # the gateway's CORS, not the handler's


@toy_group
def test_post_body_and_catch_all(toy):
    r = toy.client.put("/v2/anything", json={"x": "é"})
    assert r.status_code == 200
    event = r.json()["event"]
    assert event["routeKey"] == "ANY /{proxy+}" and event["pathParameters"] == {"proxy": "v2/anything"}
    assert json.loads(event["body"]) == {"x": "é"} and event["isBase64Encoded"] is False
    not_found = {"code": "not-found", "message": "no route for GET /", "details": [{"method": "GET"}]}
    assert toy.client.get("/").json() == {"error": not_found}


@toy_group
def test_cors_preflight(toy):
    r = toy.client.options(
        "/v1/locks", headers={"Origin": "https://site.example", "Access-Control-Request-Method": "POST"}
    )
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "*"
    assert set(r.headers["access-control-allow-headers"].split(",")) == {
        "x-api-key",
        "authorization",
        "idempotency-key",
        "content-type",
    }
    assert "PATCH" in r.headers["access-control-allow-methods"]


@toy_group
def test_concurrent_requests_run_in_separate_execution_environments(toy):
    def call(_):
        return toy.client.get("/v1/settings?sleep=0.4").json()

    with ThreadPoolExecutor(8) as threads:
        outs = list(threads.map(call, range(8)))
    assert not any(o["overlap"] for o in outs)  # never two invocations at once in one process
    assert len({o["pid"] for o in outs}) >= 4
    # And yet they ran concurrently: two invocations in other processes were asleep at the same time
    # (their own clocks say so, however busy the machine is).
    assert any(
        a["pid"] != b["pid"] and max(a["ran"][0], b["ran"][0]) < min(a["ran"][1], b["ran"][1])
        for a, b in itertools.combinations(outs, 2)
    )


@toy_group
def test_failures_answer_502_and_workers_survive(toy):
    for _ in range(10):
        r = toy.client.get("/v1/slots")
        assert r.status_code == 502
        assert r.json()["error"]["code"] == "internal" and "boom" in r.json()["error"]["message"]
    r = toy.client.post("/v1/locks", json={})  # functions/locks has no app.py
    assert r.status_code == 502 and "cannot be imported" in r.json()["error"]["message"]
    assert toy.client.get("/v1/appointments?die=1").status_code == 502  # the worker process exits
    assert toy.client.get("/v1/appointments").json() == {"ok": True}  # a fresh pool took over
    with ThreadPoolExecutor(8) as threads:
        assert {r.status_code for r in threads.map(lambda _: toy.client.get("/v1/settings"), range(16))} == {
            200
        }


@toy_group
def test_schedules_run_in_the_pool(toy):
    deadline = time.monotonic() + 60  # generous: a loaded machine must pass
    while time.monotonic() < deadline and not toy.tick_file.exists():
        time.sleep(0.2)
    assert toy.tick_file.exists(), "the schedule never ran"
    first = json.loads(toy.tick_file.read_text().splitlines()[0])
    assert first["mark"] == "tick"


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def _port_open(url: str) -> bool:
    host, port = url.rsplit("/", 1)[-1].split(":")
    with socket.socket() as s:
        return s.connect_ex((host, int(port))) == 0


@toy_group
def test_stops_cleanly(toy):  # last: it stops the toy stack
    pids = {toy.client.get("/v1/settings?sleep=0.2").json()["pid"] for _ in range(3)}
    assert toy.stop() == 0
    assert not toy.info_file.exists()
    deadline = time.monotonic() + 30  # the workers end with the stack; a busy machine reaps them later
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in pids)
    assert not _port_open(toy.info["api_url"]) and not _port_open(toy.info["moto_url"])


# -- the real stack ------------------------------------------------------------------------------------------


def test_seeded_stack_info(stack):
    assert set(stack["keys"]) == {"admin", "agent", "public"} and all(stack["keys"].values())
    assert stack["tenant_id"] and stack["api_url"].startswith("http://127.0.0.1:")


def test_unknown_route_answers_the_error_shape(stack, api):
    r = api(stack["keys"]["public"]).get("/v1/no-such-route")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not-found" and r.json()["error"]["message"]


def test_demo_tenant_catalog(stack, api):
    public = api(stack["keys"]["public"])
    assert public.get("/v1/settings").json()["name"] == "Mairie de Démo"
    services = public.get("/v1/services").json()["items"]
    calendars = public.get("/v1/calendars").json()["items"]
    assert len(services) >= 4 and len(calendars) >= 3
    assert any(s["price"] and s["fields"] for s in services)
    assert {c["kind"] for c in calendars} == {"person", "resource"}


def test_new_tenant_fixture(new_tenant, api):
    tenant = new_tenant("Garage du Port")
    reply = api(tenant["admin_key"]).get("/v1/settings")
    assert reply.status_code == 200 and reply.json()["name"] == "Garage du Port"
