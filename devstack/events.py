"""Regenerate events/<function>.json: one realistic event per function, built by the same code as the
local stack: HTTP API v2 events (routed by template.yaml) for the API's functions, a DynamoDB stream
batch for the events function, an SQS batch of a change event for the notifications function.
Run: python -m devstack.events
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

from devstack import apigw, routes
from devstack.eventbus import sqs_record, stream_record
from devstack.lambda_runtime import ACCOUNT_ID, REGION
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
    "sync": ("POST", "/v1/calendars/cal_01JGX0000000000000000000CC/sync", {}, None, {}),
    "webhooks": ("GET", "/v1/webhooks/wh_01JGX0000000000000000000CC/deliveries", {"limit": "20"}, None, {}),
    "users": (
        "POST",
        "/v1/users",
        {},
        {"email": "claire.petit@mairie.example", "name": "Claire Petit", "role": "agent"},
        {},
    ),
}

TENANT = "0f3c1e5d2a4e8b9f612c4d8a0e1b37aa"
APPOINTMENT = {
    "id": "4b1d9f0c2e7a4c55b8e3a61d0f9c2b77",
    "status": "CONFIRMED",
    "service_ids": ["svc_01JGX0000000000000000000BB"],
    "calendar_id": "cal_01JGX0000000000000000000DD",
    "start": "2026-01-12T08:30:00Z",
    "end": "2026-01-12T09:00:00Z",
    "customer": {
        "id": "cus_01JGX0000000000000000000EE",
        "first_name": "Camille",
        "last_name": "Durand",
        "email": "camille.durand@example.fr",
        "phone": "+33612345678",
    },
    "comments": "",
    "fields": {},
    "total_price": {"amount": 2500, "currency": "EUR"},
    "created_at": "2026-01-05T07:55:00Z",
    "updated_at": "2026-01-05T08:00:00Z",
    "history": [
        {"at": "2026-01-05T07:55:00Z", "status": "PENDING", "by": "key:k1:widget", "reason": ""},
        {"at": "2026-01-05T08:00:00Z", "status": "CONFIRMED", "by": "key:k2:back office", "reason": ""},
    ],
}


def _image(doc: dict, version: int) -> dict:
    """An appointment item as the stream shows it (DynamoDB JSON)."""
    return {
        "pk": {"S": f"T#{TENANT}"},
        "sk": {"S": f"APPT#{doc['id']}"},
        "gsi1pk": {"S": f"T#{TENANT}#APPTS"},
        "gsi1sk": {"S": f"{doc['start']}#{doc['id']}"},
        "status": {"S": doc["status"]},
        "version": {"N": str(version)},
        "doc": {"S": json.dumps({**doc, "_hold": {}}, separators=(",", ":"), sort_keys=True)},
    }


def stream_sample() -> dict:
    """A cancellation as the bookings stream carries it (old and new images)."""
    cancelled = {**APPOINTMENT, "status": "CANCELLED", "updated_at": "2026-01-05T09:00:00Z"}
    arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/creneau-BookingsTable/stream/2026-01-05T00:00:00.000"
    record = {
        "eventID": "c81e728d9d4c2f636f067f89cc14862c",
        "eventName": "MODIFY",
        "eventSource": "aws:dynamodb",
        "dynamodb": {
            "ApproximateCreationDateTime": NOW + 3600,
            "Keys": {"pk": {"S": f"T#{TENANT}"}, "sk": {"S": f"APPT#{APPOINTMENT['id']}"}},
            "NewImage": _image(cancelled, 3),
            "OldImage": _image(APPOINTMENT, 2),
            "SequenceNumber": "300000000000000499659",
            "SizeBytes": 1520,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }
    return {"Records": [stream_record(record, arn)]}


def queue_sample() -> dict:
    """A creation event as the notifications queue delivers it (SNS raw message delivery)."""
    event = {
        "id": f"evt_{APPOINTMENT['id']}_1",
        "type": "appointment.created",
        "tenant_id": TENANT,
        "occurred_at": APPOINTMENT["created_at"],
        "version": 1,
        "appointment": {**APPOINTMENT, "status": "PENDING", "history": APPOINTMENT["history"][:1]},
        "previous": None,
    }
    body = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
    message = {
        "MessageId": "9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f",
        "ReceiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
        "Body": body,
        "Attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": str(int(NOW * 1000)),
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": str(int(NOW * 1000) + 20),
        },
        "MessageAttributes": {
            "type": {"DataType": "String", "StringValue": event["type"]},
            "tenant_id": {"DataType": "String", "StringValue": TENANT},
        },
    }
    return {"Records": [sqs_record(message, f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:creneau-NotificationsQueue")]}


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
        scheme="https",
    )


def build_all(template: Template) -> dict[str, dict]:
    http = {name: sample_event(template, *sample) for name, sample in SAMPLES.items()}
    return {**http, "events": stream_sample(), "notifications": queue_sample()}


def main() -> None:
    for name, event in build_all(Template(ROOT / "template.yaml")).items():
        path = ROOT / "events" / f"{name}.json"
        path.write_text(json.dumps(event, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
