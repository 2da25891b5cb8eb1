"""openapi.json at the repository root is generated from the code and must be current."""

import json
from pathlib import Path

from scripts.openapi import document

ROOT = Path(__file__).resolve().parent.parent


def test_committed_openapi_document_is_current():
    committed = json.loads((ROOT / "openapi.json").read_text())
    assert committed == document(), "openapi.json is stale: run `make openapi` and commit it"


def test_every_route_of_the_contract_is_documented():
    paths = document()["paths"]
    expected = {
        "/v1/settings": {"get", "patch"},
        "/v1/service-categories": {"get", "post"},
        "/v1/service-categories/{id}": {"get", "patch", "delete"},
        "/v1/services": {"get", "post"},
        "/v1/services/{id}": {"get", "patch", "delete"},
        "/v1/calendars": {"get", "post"},
        "/v1/calendars/{id}": {"get", "patch", "delete"},
        "/v1/api-keys": {"get", "post"},
        "/v1/api-keys/{id}": {"delete"},
        "/v1/slots": {"get"},
        "/v1/slots/first": {"get"},
        "/v1/slots/explain": {"get"},
        "/v1/locks": {"post"},
        "/v1/locks/{lock_code}": {"get", "delete"},
        "/v1/appointments": {"get", "post"},
        "/v1/appointments/{id}": {"get"},
        "/v1/appointments/{id}/ics": {"get"},
        "/v1/appointments/{id}/status": {"post"},
        "/v1/appointments/{id}/reschedule": {"post"},
        "/v1/appointments/{id}/seats": {"post"},
        "/v1/sessions": {"get"},
        "/v1/sessions/{id}": {"get"},
        "/v1/customers": {"get", "post"},
        "/v1/customers/{id}": {"get", "patch"},
        "/v1/webhooks": {"get", "post"},
        "/v1/webhooks/{id}": {"delete"},
        "/v1/webhooks/{id}/deliveries": {"get"},
        "/v1/users": {"get", "post"},
        "/v1/users/{id}": {"get", "patch", "delete"},
        "/v1/calendars/{id}/connections": {"get", "post"},
        "/v1/calendars/{id}/connections/{cid}": {"get", "patch", "delete"},
        "/v1/calendars/{id}/connections/{cid}/reconnect": {"post"},
        "/v1/calendars/{id}/sync": {"post"},
        "/v1/oauth/{provider}/callback": {"get"},
    }
    assert {path: set(methods) for path, methods in paths.items()} == expected


def operations():
    for path, methods in document()["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def test_every_operation_has_a_summary_written_by_a_person_and_its_security():
    schemes = document()["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {"type": "apiKey", "in": "header", "name": "X-Api-Key"}
    assert schemes["CognitoToken"]["type"] == "http" and schemes["CognitoToken"]["scheme"] == "bearer"
    for name, operation in operations():
        summary = operation.get("summary", "")
        assert summary and summary != name, f"{name}: add summary=... to its route in functions/*/app.py"
        assert "security" in operation, name
        for requirement in operation["security"]:
            assert set(requirement) <= set(schemes), name


def test_errors_are_documented_in_the_shape_the_api_answers():
    doc = document()
    assert not {"HTTPValidationError", "ValidationError"} & set(doc["components"]["schemas"])
    for name, operation in operations():
        errors = {status: r for status, r in operation["responses"].items() if int(status) >= 400}
        if operation["security"]:
            assert {"401", "403"} <= set(errors), name
        if "requestBody" in operation:
            assert {"415", "422"} <= set(errors), name
        for status, response in errors.items():
            schema = response["content"]["application/json"]["schema"]
            assert schema["required"] == ["error"], name
            error = schema["properties"]["error"]
            assert error["required"] == ["code", "message", "details"], (name, status)
            assert error["properties"]["code"]["enum"], (name, status)
