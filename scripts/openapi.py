"""Print the OpenAPI document of the whole API, generated from the functions' own routes.

Each function declares its routes on a Powertools resolver; Powertools' OpenAPIMerge joins the
schemas of every function into one document (`make openapi` writes it to openapi.json).
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ("catalog", "slots", "locks", "appointments", "users", "webhooks")


def load_api(name: str):
    path = ROOT / "functions" / name / "app.py"
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
    for name in ("CATALOG_TABLE", "BOOKINGS_TABLE", "IDEMPOTENCY_TABLE", "WEBHOOKS_QUEUE_URL"):
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
    for name in FUNCTIONS:
        schema = load_api(name).app.get_openapi_schema(
            title="Creneau API", version="1", security_schemes=security_schemes()
        )
        merge.add_schema(schema)
    return json.loads(merge.get_openapi_json_schema())


def main() -> None:
    print(json.dumps(document(), indent=2, sort_keys=True, ensure_ascii=False))


if __name__ == "__main__":
    main()
