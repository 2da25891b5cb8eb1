"""Regenerate events/<function>.json: one realistic HTTP API v2 event per function, built by the same
code as the local gateway, routed by template.yaml.  Run: python -m devstack.events
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

from devstack import apigw, routes
from devstack.template import Template

ROOT = Path(__file__).resolve().parent.parent
NOW = 1767600000.0  # 2026-01-05T08:00:00Z: fixed, so regenerating changes nothing
KEY = "ck_demo_public_0123456789abcdef0123456789abcdef"
HOST = "abc123xyz0.execute-api.eu-west-3.amazonaws.com"

SAMPLES = {
    "catalog": ("GET", "/v1/services", {"category_id": "cat_01JGX0000000000000000000AA"}, None, {}),
    "slots": (
        "GET",
        "/v1/slots",
        {"service_id": "svc_01JGX0000000000000000000BB", "from": "2026-01-12", "to": "2026-01-16"},
        None,
        {},
    ),
    "locks": (
        "POST",
        "/v1/locks",
        {},
        {"service_id": "svc_01JGX0000000000000000000BB", "start": "2026-01-12T09:30:00+01:00"},
        {},
    ),
    "appointments": (
        "POST",
        "/v1/appointments",
        {},
        {
            "service_id": "svc_01JGX0000000000000000000BB",
            "start": "2026-01-12T09:30:00+01:00",
            "lock_code": "Xq3vN8c2Lr7tYp1wZk5mBd9sFh4jGa6e",
            "customer": {
                "first_name": "Camille",
                "last_name": "Durand",
                "email": "camille.durand@example.fr",
                "phone": "+33612345678",
                "extra": {},
            },
            "comments": "Première demande",
            "fields": {"ants_number": "A1B2C3D4E5", "people": 1},
        },
        {"Idempotency-Key": "7b0f3c1e-5d2a-4e8b-9f61-2c4d8a0e1b37"},
    ),
    "users": (
        "POST",
        "/v1/users",
        {},
        {"email": "claire.petit@mairie.example", "name": "Claire Petit", "role": "agent"},
        {},
    ),
}


def sample_event(template: Template, method: str, path: str, query: dict, body, headers: dict) -> dict:
    route, params = routes.match(template.routes(), method, path)
    all_headers = {"Host": HOST, "User-Agent": "Mozilla/5.0 (creneau-widget)", "X-Api-Key": KEY, **headers}
    data = b""
    if body is not None:
        data = json.dumps(body, ensure_ascii=False).encode()
        all_headers |= {"Content-Type": "application/json", "Content-Length": str(len(data))}
    return apigw.build_event(
        method,
        path,
        urlencode(query),
        list(all_headers.items()),
        data,
        route,
        params,
        source_ip="203.0.113.7",
        request_id=f"sample-{route.function}",
        now=NOW,
    )


def build_all(template: Template) -> dict[str, dict]:
    return {name: sample_event(template, *sample) for name, sample in SAMPLES.items()}


def main() -> None:
    for name, event in build_all(Template(ROOT / "template.yaml")).items():
        path = ROOT / "events" / f"{name}.json"
        path.write_text(json.dumps(event, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
