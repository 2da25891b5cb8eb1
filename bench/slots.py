"""1. GET /v1/slots over 30 days vs the bare DynamoDB reads it needs, sent with a low-level client.

The bare side issues, in the handler's order, exactly the reads logic/slots.py needs: the API key
lookup, the service, the calendar (GetItem when the request names it; else the settings and the
tenant's calendar Query), then one occupancy Query per calendar over the window widened as
dal/calendar_time.occupancy widens it. Every request the handler sends beyond those is listed.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bench import setup, timing
from bench.stack import CallRecorder, Stack, call_differences, recorded, typed

DAYS = 30
GOAL = 1.5

# Open every day, 14 starts a day on a 45-minute grid: 300 appointments fill about 70% of it.
ONE_CALENDAR_HOURS = setup.week(setup.WEEKDAYS, [("08:00", "12:00"), ("13:00", "20:00")])
ANY_CALENDAR_HOURS = [
    setup.week(("mon", "tue", "wed", "thu", "fri"), [("09:00", "12:00"), ("13:30", "17:30")]),
    setup.week(("tue", "wed", "thu", "fri", "sat"), [("08:30", "12:30"), ("14:00", "18:00")]),
]


def _doc(item: dict) -> dict:
    return json.loads(item["doc"]["S"])


class BareSlots:
    """The reads of one GET /v1/slots request, with a low-level boto3 client (no resource layer)."""

    def __init__(self, stack: Stack, tenant: setup.Tenant, api_key: str, calendar_id: str | None) -> None:
        from creneau.dal.api_keys import ApiKeyRepository
        from creneau.dal.catalog_records import calendars, services
        from creneau.dal.settings import SettingsRepository
        from creneau.security import hash_secret

        self.client = stack.client
        self.catalog = stack.tables["CatalogTable"]
        self.bookings = stack.tables["BookingsTable"]
        self.tenant = tenant
        self.key_item = typed(ApiKeyRepository.lookup_key(hash_secret(api_key)))
        self.service_key = typed(services.records.key(tenant.id, tenant.service_id))
        self.settings_key = typed(SettingsRepository.key(tenant.id))
        self.calendar_key = typed(calendars.records.key(tenant.id, calendar_id)) if calendar_id else None
        self.calendar_prefix = typed(calendars.records.key(tenant.id, ""))  # pk and the "CALENDAR#" prefix

    def _get(self, key: dict) -> dict:
        return self.client.get_item(TableName=self.catalog, Key=key, ConsistentRead=True)

    def run(self, first_day: date, last_day: date) -> None:
        from creneau.clock import iso
        from creneau.dal.calendar_time import _occupancy_pk
        from creneau.dal.catalog_records import CalendarRecord, ServiceRecord
        from creneau.domain.units import MAX_UNITS_PER_BOOKING

        self._get(self.key_item)
        service = ServiceRecord.from_doc(_doc(self._get(self.service_key)["Item"]))
        if self.calendar_key:
            found = [self._get(self.calendar_key)["Item"]]
        else:
            self._get(self.settings_key)
            found = self.client.query(
                TableName=self.catalog,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :kind)",
                ExpressionAttributeValues={
                    ":pk": self.calendar_prefix["pk"],
                    ":kind": self.calendar_prefix["sk"],
                },
                ConsistentRead=True,
            )["Items"]
        # What the handler derives from the records it read: the zone, the widened window.
        before = timedelta(minutes=service.buffer_before_minutes)
        after = timedelta(minutes=service.duration_minutes + service.buffer_after_minutes)
        for item in found:
            calendar = CalendarRecord.from_doc(_doc(item))
            zone = ZoneInfo(calendar.timezone)
            start = datetime.combine(first_day, time(0), tzinfo=zone)
            end = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=zone)
            lookback = timedelta(minutes=MAX_UNITS_PER_BOOKING * calendar.unit_minutes)
            self.client.query(
                TableName=self.bookings,
                KeyConditionExpression="pk = :pk AND sk BETWEEN :low AND :high",
                ExpressionAttributeValues={
                    ":pk": {"S": _occupancy_pk(self.tenant.id, calendar.id)},
                    ":low": {"S": iso(start - before - lookback)},
                    ":high": {"S": iso(end + after) + "~"},
                },
                ConsistentRead=True,
            )


def _spread(starts: list[datetime], count: int) -> list[datetime]:
    """`count` starts taken evenly across the whole list (so across the whole window)."""
    count = min(count, len(starts))
    return [starts[(i * len(starts)) // count] for i in range(count)]


def prepare_one(stack: Stack, appointments: int) -> tuple[setup.Tenant, int]:
    calendar = {"name": "Dr Martin", "weekly_hours": ONE_CALENDAR_HOURS, "slot_step_minutes": 15}
    tenant = setup.make_tenant(stack, "bench one calendar", [{**calendar, "horizon_days": 120}])
    grid = list(setup.starts_on_grid(setup.tomorrow(), DAYS, ONE_CALENDAR_HOURS, 45))
    chosen = _spread(grid, appointments)
    setup.book_directly(tenant, tenant.calendars[0]["id"], chosen)
    return tenant, len(chosen)


def prepare_any(stack: Stack, calendars: int, per_calendar: int) -> tuple[setup.Tenant, int]:
    specs = [
        {
            "name": f"Agent {i:02d}",
            "weekly_hours": ANY_CALENDAR_HOURS[i % 2],
            "slot_step_minutes": 15 if i % 2 else 30,
            "horizon_days": 120,
        }
        for i in range(calendars)
    ]
    tenant = setup.make_tenant(stack, "bench any calendar", specs)
    booked = 0
    for i, calendar in enumerate(tenant.calendars):
        grid = list(setup.starts_on_grid(setup.tomorrow(), DAYS, ANY_CALENDAR_HOURS[i % 2], 90))
        chosen = _spread(grid[i % 3 :], per_calendar)  # not all on the same times
        setup.book_directly(tenant, calendar["id"], chosen)
        booked += len(chosen)
    return tenant, booked


def measure(
    stack: Stack, recorder: CallRecorder, tenant: setup.Tenant, calendar_id: str | None, repetitions: int
) -> dict:
    first_day = setup.tomorrow()
    last_day = first_day + timedelta(days=DAYS - 1)
    query = {"service_id": tenant.service_id, "from": first_day.isoformat(), "to": last_day.isoformat()}
    if calendar_id:
        query["calendar_id"] = calendar_id
    bare = BareSlots(stack, tenant, tenant.public, calendar_id)

    def handler() -> int:
        reply = stack.invoke(*stack.event("GET", "/v1/slots", tenant.public, query=query))
        if reply.status != 200:
            raise RuntimeError(f"GET /v1/slots -> {reply.status}: {reply.body}")
        return len(reply.body["slots"])

    def bare_reads() -> None:
        bare.run(first_day, last_day)

    # One recorded pass of each: what the handler sends that the bare reads do not.
    with recorder.recording() as handler_calls:
        slot_count = handler()
    bare_calls = recorded(stack.client, bare_reads)

    times = timing.interleaved({"handler": handler, "bare": bare_reads}, repetitions, warmup=1)
    return {
        "handler": times["handler"].median_wall,
        "bare": times["bare"].median_wall,
        "handler_cpu": times["handler"].median_cpu,
        "bare_cpu": times["bare"].median_cpu,
        "slots": slot_count,
        "handler_calls": len(handler_calls),
        "bare_calls": len(bare_calls),
        "differences": call_differences(handler_calls, bare_calls),
    }


def line(label: str, result: dict) -> str:
    return (
        f"{label}: handler {timing.ms(result['handler'])} ms, bare queries {timing.ms(result['bare'])} ms, "
        f"ratio {timing.ratio(result['handler'], result['bare'])} (goal <= {GOAL})"
    )


def detail(result: dict) -> str:
    return (
        f"  ({result['slots']} slots; CPU in this process: handler {timing.ms(result['handler_cpu'])} ms, "
        f"bare {timing.ms(result['bare_cpu'])} ms; DynamoDB requests: handler {result['handler_calls']}, "
        f"bare {result['bare_calls']}{result['differences']})"
    )


def run(stack: Stack, recorder: CallRecorder, quick: bool, print_line) -> None:
    appointments = 10 if quick else 300
    calendars, per_calendar = (3, 1) if quick else (10, 5)
    repetitions = 1 if quick else 7

    tenant, booked = prepare_one(stack, appointments)
    result = measure(stack, recorder, tenant, tenant.calendars[0]["id"], repetitions)
    print_line(line(f"slots {DAYS}d, 1 calendar x {booked} appointments", result))
    print_line(detail(result))

    tenant, booked = prepare_any(stack, calendars, per_calendar)
    result = measure(stack, recorder, tenant, None, repetitions)
    label = f"slots {DAYS}d, any of {len(tenant.calendars)} calendars x {booked // calendars} appointments"
    print_line(line(label, result))
    print_line(detail(result))
