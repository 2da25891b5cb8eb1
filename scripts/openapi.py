"""Print the OpenAPI document of the whole API, generated from the functions' own routes.

Each function declares its routes on a Powertools resolver; Powertools' OpenAPIMerge joins the
schemas of every function into one document (`make openapi` writes it to openapi.json).
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from http import HTTPStatus
from pathlib import Path

from creneau.http import NO_KEY  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ("catalog", "slots", "locks", "appointments", "users", "webhooks", "sync")


def load_api(name: str):
    path = ROOT / "functions" / name / "app.py"
    sys.path.insert(0, str(path.parent))  # a handler may import its siblings, as Lambda lets it
    module_name = f"creneau_function_{name}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # pydantic resolves the route annotations through it
    spec.loader.exec_module(module)
    return module.api


def document() -> dict:
    from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge

    from creneau.http import security_schemes

    # Importing the handlers needs table names; nothing is read or written.
    for name in (
        "CATALOG_TABLE",
        "BOOKINGS_TABLE",
        "IDEMPOTENCY_TABLE",
        "WEBHOOKS_QUEUE_URL",
        "DEFAULT_EMAIL_FROM",
        "MANAGE_TOKEN_SECRET",
        "COGNITO_USER_POOL_ID",
    ):
        os.environ.setdefault(name, "unused")
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-3")  # clients are built, never called
    merge = OpenAPIMerge(
        title="Creneau API",
        version="1",
        summary=(
            "Appointment booking: catalog, availability, locks, appointments, customers, accounts, webhooks."
        ),
        security_schemes=security_schemes(),
    )
    operations = {}
    for name in FUNCTIONS:
        api = load_api(name)
        schema = api.app.get_openapi_schema(
            title="Creneau API", version="1", security_schemes=security_schemes()
        )
        merge.add_schema(schema)
        operations.update(api.operations)
    return with_errors(json.loads(merge.get_openapi_json_schema()), operations)


# ---- what Powertools cannot know: the error shape and the errors of each route -------------------

POWERTOOLS_ONLY = ("HTTPValidationError", "ResponseValidationError", "ValidationError")


def error_schema(codes: list[str]) -> dict:
    """The one error shape of the API, its `code` narrowed to what this answer can carry."""
    return {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "details"],
                "properties": {
                    "code": {"type": "string", "enum": codes},
                    "message": {"type": "string", "description": "what happened, for a person"},
                    "details": {"type": "array", "items": {"type": "object"}},
                },
            }
        },
    }


def implied_errors(operation, spec: dict) -> list:
    """Errors a route answers by its shape: a key (401, 403 for a role or an origin it refuses),
    parameters or a body (422), a body (415)."""
    from creneau.errors import Forbidden, NotAuthenticated, UnsupportedMediaType, ValidationFailed

    errors = [] if operation.role == NO_KEY else [NotAuthenticated, Forbidden]
    if spec.get("parameters") or spec.get("requestBody"):
        errors.append(ValidationFailed)
    if spec.get("requestBody"):
        errors.append(UnsupportedMediaType)
    return errors


def with_errors(doc: dict, operations: dict) -> dict:
    for path, methods in doc["paths"].items():
        for method, spec in methods.items():
            operation = operations[f"{method.upper()} {path}"]
            if operation.role == NO_KEY:
                spec["security"] = []  # said explicitly: this route takes no credential
            by_status: dict[int, set[str]] = {}
            for error in (*implied_errors(operation, spec), *operation.errors):
                by_status.setdefault(error.status, set()).add(error.code)
            responses = spec["responses"]
            responses.pop("422", None)  # Powertools' HTTPValidationError: not what the API answers
            for status, codes in sorted(by_status.items()):
                responses[str(status)] = {
                    "description": HTTPStatus(status).phrase,
                    "content": {"application/json": {"schema": error_schema(sorted(codes))}},
                }
    for name in POWERTOOLS_ONLY:  # in this order: each is referenced only by the one before
        if f'"#/components/schemas/{name}"' not in json.dumps(doc):
            doc["components"]["schemas"].pop(name, None)
    return doc


def main() -> None:
    print(json.dumps(document(), indent=2, sort_keys=True, ensure_ascii=False))


if __name__ == "__main__":
    main()
