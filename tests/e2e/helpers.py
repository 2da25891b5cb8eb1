"""Shared helpers of the e2e tests: a tenant with a small catalog, future weekdays, local instants."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx

ZONE_NAME = "Europe/Paris"
ZONE = ZoneInfo(ZONE_NAME)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
HOURS = {"start": "09:00", "end": "18:00"}


def error_code(reply: httpx.Response) -> str:
    """The error code of an error answer, after checking the body is exactly {"error": {code, message,
    details}} with a list of details."""
    body = reply.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    assert isinstance(body["error"]["message"], str) and isinstance(body["error"]["details"], list), body
    return body["error"]["code"]


def assert_error(reply: httpx.Response, status: int, code: str) -> dict:
    assert reply.status_code == status, (reply.status_code, reply.text)
    assert error_code(reply) == code, reply.text
    return reply.json()["error"]


def created(reply: httpx.Response) -> dict:
    assert reply.status_code == 201, (reply.status_code, reply.text)
    return reply.json()


def future_weekday(days_ahead: int = 3, skip: int = 0) -> date:
    """A Monday..Friday (Paris) at least `days_ahead` days from today; `skip` weekdays further on."""
    day = datetime.now(ZONE).date() + timedelta(days=days_ahead)
    while True:
        if day.weekday() < 5:
            if skip == 0:
                return day
            skip -= 1
        day += timedelta(days=1)


def at(day: date, hhmm: str, zone: ZoneInfo = ZONE) -> str:
    """RFC 3339 instant of a local wall time (with the zone's offset that day)."""
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=zone).isoformat()


def instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def all_items(client: httpx.Client, path: str, **params) -> list[dict]:
    """Every item of a collection, following next_cursor."""
    items: list[dict] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        reply = client.get(path, params=query)
        assert reply.status_code == 200, reply.text
        page = reply.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


@dataclass
class Shop:
    """A fresh tenant with its clients (admin, agent, public), services and calendars by name."""

    tenant_id: str
    admin: httpx.Client
    agent: httpx.Client
    public: httpx.Client
    keys: dict[str, str]
    category: dict
    services: dict[str, dict] = field(default_factory=dict)
    calendars: dict[str, dict] = field(default_factory=dict)

    def book(self, client: httpx.Client | None = None, **body) -> httpx.Response:
        if "customer_id" not in body:
            body.setdefault(
                "customer", {"first_name": "Ada", "last_name": "Lovelace", "email": "a@example.com"}
            )
        return (client or self.agent).post("/v1/appointments", json=body)


# name -> (duration, buffer before, buffer after)
DEFAULT_SERVICES = {"cut": (30, 0, 0), "colour": (45, 10, 10), "quick": (20, 0, 5)}


def build_shop(
    api,
    new_tenant,
    services: dict[str, tuple[int, int, int]] | None = None,
    calendars: tuple[str, ...] = ("Alice", "Bob"),
    settings: dict | None = None,
    **calendar_options,
) -> Shop:
    """A new tenant: one category, `services`, and `calendars` offering every service, open
    Monday to Friday 09:00-18:00 in Europe/Paris (unit 5, step 15 unless `calendar_options` say)."""
    tenant = new_tenant()
    admin = api(tenant["admin_key"])
    if settings:
        assert admin.patch("/v1/settings", json=settings).status_code == 200
    keys = {"admin": tenant["admin_key"]}
    for role in ("agent", "public"):
        keys[role] = created(admin.post("/v1/api-keys", json={"role": role, "name": role}))["key"]
    category = created(admin.post("/v1/service-categories", json={"name": "Hair", "position": 1}))
    shop = Shop(tenant["tenant_id"], admin, api(keys["agent"]), api(keys["public"]), keys, category)
    for name, (duration, before, after) in (services or DEFAULT_SERVICES).items():
        body = {
            "category_id": category["id"],
            "name": name,
            "duration_minutes": duration,
            "buffer_before_minutes": before,
            "buffer_after_minutes": after,
            "price": {"amount": duration * 100, "currency": "EUR"},
        }
        shop.services[name] = created(admin.post("/v1/services", json=body))
    for name in calendars:
        body = {
            "name": name,
            "timezone": ZONE_NAME,
            "service_ids": [s["id"] for s in shop.services.values()],
            "weekly_hours": {day: [HOURS] for day in WEEKDAYS},
            **calendar_options,
        }
        shop.calendars[name] = created(admin.post("/v1/calendars", json=body))
    return shop


def slots(client: httpx.Client, service_id: str, day: date, calendar_id: str | None = None) -> dict:
    """{start instant: calendar_ids} of the service's slots on one local (Paris) date."""
    params = {"service_id": service_id, "from": day.isoformat(), "to": day.isoformat(), "timezone": ZONE_NAME}
    if calendar_id:
        params["calendar_id"] = calendar_id
    reply = client.get("/v1/slots", params=params)
    assert reply.status_code == 200, reply.text
    return {instant(slot["start"]): slot["calendar_ids"] for slot in reply.json()["slots"]}


def local(day: date, hhmm: str) -> datetime:
    return instant(at(day, hhmm))
