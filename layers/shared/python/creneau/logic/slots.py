"""Free slots: the catalog and each calendar's occupancy (one Query per calendar) into the engine."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from creneau.dal import calendar_time
from creneau.domain.availability import Interval, ServiceShape, Slot, compute_slots
from creneau.errors import ValidationFailed
from creneau.logic import tenants
from creneau.logic.schedule import (
    candidate_calendars,
    engine_calendar,
    load_services,
    occupied_span,
    shape_of,
)

MAX_DAYS = 92
FIRST_SLOT_WINDOW_DAYS = 14  # /slots/first reads this much at a time until the horizon


def find_slots(
    tenant_id: str,
    service_id: str,
    calendar_id: str | None,
    first_day: date,
    last_day: date,
    timezone: str | None,
    lock_code: str | None,
    now: datetime,
) -> dict[str, Any]:
    if last_day < first_day:
        raise ValidationFailed.field("to", "must not be before from")
    if (last_day - first_day).days + 1 > MAX_DAYS:
        raise ValidationFailed.field("to", f"at most {MAX_DAYS} days at once")
    settings = tenants.get_settings(tenant_id)
    shape, calendars = _offering(tenant_id, service_id, calendar_id, settings)
    zone_name = timezone or (calendars[0]["timezone"] if calendar_id and calendars else settings["timezone"])
    zone = ZoneInfo(zone_name)
    window = Interval(_midnight(first_day, zone), _midnight(last_day + timedelta(days=1), zone))
    slots = _slots(tenant_id, calendars, shape, window, lock_code, now)
    return {"timezone": zone_name, "slots": [_slot_view(slot) for slot in slots]}


def first_slot(
    tenant_id: str, service_id: str, calendar_id: str | None, lock_code: str | None, now: datetime
) -> dict[str, Any]:
    shape, calendars = _offering(tenant_id, service_id, calendar_id, tenants.get_settings(tenant_id))
    if not calendars:
        return {"slot": None}
    horizon = now + timedelta(days=max(c["horizon_days"] for c in calendars))
    start = now
    while start < horizon:
        window = Interval(start, min(start + timedelta(days=FIRST_SLOT_WINDOW_DAYS), horizon))
        slots = _slots(tenant_id, calendars, shape, window, lock_code, now)
        if slots:
            return {"slot": _slot_view(slots[0])}
        start = window.end
    return {"slot": None}


def _offering(
    tenant_id: str, service_id: str, calendar_id: str | None, settings: dict
) -> tuple[ServiceShape, list[dict]]:
    chosen = load_services(tenant_id, [service_id])
    if calendar_id is None and not settings["any_calendar"]:
        raise ValidationFailed.field("calendar_id", "this tenant asks to choose a calendar")
    return shape_of(chosen), candidate_calendars(tenant_id, chosen, calendar_id)


def _slots(tenant_id, calendars, shape, window: Interval, lock_code, now) -> list[Slot]:
    # A lock's own time shows as free to its holder (the code is the proof of holding it).
    mine = frozenset({calendar_time.lock_owner(lock_code)}) if lock_code else frozenset()
    # Busy time matters from the first slot's buffer before to the last slot's buffer after.
    reach_from = occupied_span(window.start, shape)[0]
    reach_until = occupied_span(window.end, shape)[2]
    inputs = [
        engine_calendar(
            calendar,
            calendar_time.busy_intervals(
                tenant_id,
                calendar["id"],
                reach_from,
                reach_until,
                now,
                calendar["unit_minutes"],
                mine,
            ),
        )
        for calendar in calendars
    ]
    return compute_slots(inputs, shape, window, now)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def _slot_view(slot: Slot) -> dict[str, Any]:
    return {"start": slot.start, "end": slot.end, "calendar_ids": list(slot.calendar_ids)}
