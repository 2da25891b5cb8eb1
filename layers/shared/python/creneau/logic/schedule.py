"""Where and when a booking or a lock can go: services, candidate calendars, and the occupied span.

The read side (engine over occupancy records) answers "is this a slot right now?" and gives a
helpful 409 early; the claims written in the booking's transaction remain the only judge of a race.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from creneau.dal import calendar_time
from creneau.dal.calendar_time import Hold
from creneau.dal.catalog import calendars, services
from creneau.domain.availability import (
    CalendarAvailability,
    Interval,
    ServiceShape,
    WallRange,
    compute_slots,
)
from creneau.domain.units import MAX_UNITS_PER_BOOKING, unit_keys
from creneau.domain.week import DAYS
from creneau.errors import CalendarNotFound, SlotUnavailable, ValidationFailed


@dataclass(frozen=True)
class Placement:
    calendar: dict[str, Any]
    start: datetime  # service start (UTC)
    end: datetime  # service end (UTC)
    hold: Hold


def load_services(tenant_id: str, service_ids: list[str]) -> list[dict[str, Any]]:
    loaded = [services.get(tenant_id, service_id) for service_id in service_ids]
    inactive = [s["name"] for s in loaded if not s["active"]]
    if inactive:
        raise ValidationFailed.field("service_id", f"not bookable (inactive): {', '.join(inactive)}")
    return loaded


def shape_of(chosen: list[dict[str, Any]]) -> ServiceShape:
    """Several services run back to back: the first one's buffer before, the last one's after."""
    return ServiceShape(
        duration_minutes=sum(s["duration_minutes"] for s in chosen),
        buffer_before_minutes=chosen[0]["buffer_before_minutes"],
        buffer_after_minutes=chosen[-1]["buffer_after_minutes"],
    )


def candidate_calendars(
    tenant_id: str,
    chosen: list[dict[str, Any]],
    calendar_id: str | None,
    allowed: frozenset[str] | None = None,
) -> list[dict]:
    """The active calendars that offer every chosen service, limited to `allowed` (an agent limited
    to some calendars: any other is not found for them)."""
    wanted = {s["id"] for s in chosen}
    if calendar_id is not None:
        if allowed is not None and calendar_id not in allowed:
            raise CalendarNotFound(f"no calendar {calendar_id!r}")
        calendar = calendars.get(tenant_id, calendar_id)
        missing = wanted - set(calendar["service_ids"])
        if missing:
            raise ValidationFailed.field(
                "calendar_id", f"calendar {calendar['name']!r} does not offer {missing}"
            )
        return [calendar] if calendar["active"] else []
    offering = [
        c
        for c in calendars.list_all(tenant_id)
        if c["active"] and wanted <= set(c["service_ids"]) and (allowed is None or c["id"] in allowed)
    ]
    return sorted(offering, key=lambda c: (c["name"], c["id"]))


def engine_calendar(calendar: dict[str, Any], busy: list[tuple[datetime, datetime]]) -> CalendarAvailability:
    return CalendarAvailability(
        calendar_id=calendar["id"],
        timezone=calendar["timezone"],
        weekly_hours={
            index: [
                WallRange(_wall(r["start"]), _wall(r["end"])) for r in calendar["weekly_hours"].get(day, [])
            ]
            for index, day in enumerate(DAYS)
        },
        exceptions=[
            Interval(datetime.fromisoformat(e["start"]), datetime.fromisoformat(e["end"]))
            for e in calendar["exceptions"]
        ],
        busy=[Interval(start, end) for start, end in busy],
        slot_step_minutes=calendar["slot_step_minutes"],
        min_notice_minutes=calendar["min_notice_minutes"],
        horizon_days=calendar["horizon_days"],
    )


def _wall(hhmm: str) -> time:
    return time(0) if hhmm == "24:00" else time.fromisoformat(hhmm)


def occupied_span(start: datetime, shape: ServiceShape) -> tuple[datetime, datetime, datetime]:
    """(occupied start, service end, occupied end) for a service start."""
    end = start + timedelta(minutes=shape.duration_minutes)
    return (
        start - timedelta(minutes=shape.buffer_before_minutes),
        end,
        end + timedelta(minutes=shape.buffer_after_minutes),
    )


def place(
    tenant_id: str,
    calendar: dict[str, Any],
    shape: ServiceShape,
    start: datetime,
    now: datetime,
    owner: str,
    ignore_owners: frozenset[str] = frozenset(),
    expires_at: int | None = None,
) -> Placement:
    """The hold for `owner` at `start` on `calendar`, if that is a slot right now; else 409."""
    start = start.astimezone(UTC)
    occupied_start, end, occupied_end = occupied_span(start, shape)
    busy = calendar_time.busy_intervals(
        tenant_id, calendar["id"], occupied_start, occupied_end, now, calendar["unit_minutes"], ignore_owners
    )
    window = Interval(start, start + timedelta(minutes=1))
    offered = compute_slots([engine_calendar(calendar, busy)], shape, window, now)
    if not any(slot.start == start for slot in offered):
        reason = "taken or held" if busy else "closed, off the slot grid, or outside notice and horizon"
        raise SlotUnavailable(
            f"{start:%Y-%m-%d %H:%M} UTC is not available on {calendar['name']!r} ({reason})"
        )
    units = unit_keys(occupied_start, occupied_end, calendar["_claim_timezone"], calendar["unit_minutes"])
    if len(units) > MAX_UNITS_PER_BOOKING:
        raise ValidationFailed.field(
            "service_ids",
            f"too long to book at once on this calendar ({len(units)} units > {MAX_UNITS_PER_BOOKING})",
        )
    hold = Hold(tenant_id, calendar["id"], owner, occupied_start, occupied_end, tuple(units), expires_at)
    return Placement(calendar=calendar, start=start, end=end, hold=hold)


def hold_from_doc(
    tenant_id: str, calendar_id: str, owner: str, held: dict[str, Any], expires_at=None
) -> Hold:
    return Hold(
        tenant_id,
        calendar_id,
        owner,
        datetime.fromisoformat(held["occ_start"]),
        datetime.fromisoformat(held["occ_end"]),
        tuple(held["units"]),
        expires_at,
    )
