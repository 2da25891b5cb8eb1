"""Fixtures for in-process tests: moto's DynamoDB with template.yaml's tables, a tenant, and `invoke`.

`invoke` runs a function's lambda_handler the way API Gateway (HTTP API, payload v2.0) calls it, with the
event built by the local stack's own builder, so these tests and the local stack agree on the event.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # devstack lives at the repository root
    sys.path.insert(0, str(ROOT))

REGION = "eu-west-3"


@cache
def template():
    from devstack.template import Template

    return Template(ROOT / "template.yaml")


@cache
def _session():
    """One boto3 session for the whole run: it keeps botocore's loaded service models warm.

    mock_aws replaces boto3's default session with None while it runs (restoring it after); handing it
    this one instead saves ~0.2 s of model loading per test. moto intercepts every client of it.
    """
    import boto3

    return boto3.Session(region_name=REGION)


def _clear_config_caches() -> None:
    from creneau import config

    config.reset()


@pytest.fixture
def aws(monkeypatch):
    """A fresh moto backend with template.yaml's tables; the environment points the code at it."""
    from moto import mock_aws

    from devstack.tables import create_tables

    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE", "OUTBOX_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")  # no X-Ray daemon here
    env = template().global_env()
    names = ("CATALOG_TABLE", "BOOKINGS_TABLE", "IDEMPOTENCY_TABLE", "POWERTOOLS_SERVICE_NAME")
    for name in (*names, "MANAGE_TOKEN_SECRET", "DEFAULT_EMAIL_FROM", "COGNITO_USER_POOL_ID"):
        monkeypatch.setenv(name, env[name])
    _clear_config_caches()
    with mock_aws():
        import boto3

        boto3.DEFAULT_SESSION = _session()  # mock_aws puts back the previous one when it stops
        client = _session().client("dynamodb")
        create_tables(client, template())
        yield client
    _clear_config_caches()


@pytest.fixture
def user_pool(aws, monkeypatch):
    """template.yaml's user pool, client and groups in the same moto backend (apart from `aws`:
    moto loads an RSA key per pool, ~0.5 s)."""
    from devstack.cognito import create_user_pools

    pool = create_user_pools(_session().client("cognito-idp"), template(), "http://unused")
    monkeypatch.setenv("COGNITO_USER_POOL_ID", pool.user_pool_id)
    monkeypatch.setenv("COGNITO_CLIENT_ID", pool.client_id)
    monkeypatch.setenv("COGNITO_ISSUER", pool.issuer)
    return pool


@dataclass(frozen=True)
class Tenant:
    id: str
    admin: str  # the first admin key, from create_tenant
    agent: str
    public: str


def create_test_tenant(
    name: str = "Salon Creneau", timezone: str = "Europe/Paris", locale: str = "fr"
) -> Tenant:
    from creneau.dal.store import DYNAMODB
    from creneau.logic.tenants import create_api_key, create_tenant

    tenant_id, admin = create_tenant(DYNAMODB, name, timezone, locale)
    agent = create_api_key(DYNAMODB, tenant_id, "agent", "back office")["key"]
    public = create_api_key(DYNAMODB, tenant_id, "public", "widget")["key"]
    return Tenant(tenant_id, admin, agent, public)


@pytest.fixture
def tenant(aws) -> Tenant:
    """A new tenant (Europe/Paris) with one key of each role."""
    return create_test_tenant()


@pytest.fixture
def make_tenant(aws):
    """Another tenant in the same tables: `make_tenant(name=..., timezone=...)`."""
    return create_test_tenant


# ---- invoking a function in-process ---------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        return json.loads(self.text)

    @property
    def error(self) -> dict[str, Any]:
        return self.json()["error"]


_modules: dict[str, Any] = {}


def _module(function_name: str):
    """functions/<function_name>/app.py, imported once per test session as Lambda would."""
    if function_name not in _modules:
        file = ROOT / "functions" / function_name / "app.py"
        unique = f"_creneau_test_function_{function_name}"
        spec = importlib.util.spec_from_file_location(unique, file)
        module = importlib.util.module_from_spec(spec)
        sys.modules[unique] = module  # pydantic resolves the handlers' annotations through it
        sys.path.insert(0, str(file.parent))  # a function's sibling modules, as Lambda loads them
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[unique]
            raise
        finally:
            sys.path.remove(str(file.parent))
        _modules[function_name] = module
    return _modules[function_name]


def _context(function_name: str):
    """A Lambda context as the function gets it (name, memory, ARN, request id) from template.yaml."""
    from devstack.lambda_runtime import FunctionSpec, LambdaContext

    code_dir = (ROOT / "functions" / function_name).resolve()
    for spec in template().functions().values():
        if Path(spec.code_dir).resolve() == code_dir:
            return LambdaContext(spec)
    return LambdaContext(FunctionSpec(name=function_name, code_dir=str(code_dir), memory_mb=512))


def invoke_handler(
    function_name: str,
    method: str,
    route_key_path: str,
    path: str,
    body: Any = None,
    key: str | None = None,
    query: dict[str, str] | None = None,
    path_params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """Call functions/<function_name>/app.py as API Gateway would for the route `method route_key_path`.

    `body`: a dict or list is sent as JSON, a str or bytes as is. `key` goes in X-Api-Key.
    Path parameters are read from `path` against the route unless given.
    """
    from urllib.parse import urlencode

    from devstack.apigw import build_event
    from devstack.routes import Route, match

    route = Route(method, route_key_path, f"{function_name.title()}Function")
    if path_params is None:
        found = match([route], method, path)
        path_params = found[1] if found else {}
    sent_headers = [("host", "api.example.test"), ("user-agent", "pytest")]
    if key is not None:
        sent_headers.append(("x-api-key", key))
    if body is not None and not isinstance(body, str | bytes):
        body = json.dumps(body)
    if body is not None:
        sent_headers.append(("content-type", "application/json"))
    sent_headers += list((headers or {}).items())
    raw_body = body.encode() if isinstance(body, str) else (body or b"")
    event = build_event(method, path, urlencode(query or {}), sent_headers, raw_body, route, path_params)
    result = _module(function_name).lambda_handler(event, _context(function_name))
    return Reply(
        status=int(result["statusCode"]),
        headers={k.lower(): str(v) for k, v in (result.get("headers") or {}).items()},
        text=result.get("body") or "",
    )


@pytest.fixture
def handler_clock(aws, monkeypatch):
    """`handler_clock(clock, *function_names)`: the routes of those functions take `now` from `clock`
    (the clock their Api is given) for this test, and the system clock again after it."""

    def use(clock, *function_names: str) -> None:
        for name in function_names:
            monkeypatch.setattr(_module(name).api, "clock", clock)

    return use


@pytest.fixture
def invoke(aws):
    """`invoke(function_name, method, route_key_path, path, body=None, key=None, query=None, ...)`."""
    return invoke_handler


@pytest.fixture
def call_function(aws):
    """`call_function(function_name, event)`: the raw Lambda answer to a ready-made event."""

    def call(function_name: str, event: dict[str, Any]) -> dict[str, Any]:
        return _module(function_name).lambda_handler(event, _context(function_name))

    return call
