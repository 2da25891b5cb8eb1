"""Where and when a booking or a lock can go: services, candidate calendars, and the occupied span.

The read side (engine over occupancy records) answers "is this a slot right now?" and gives a
helpful 409 early; the claims written in the booking's transaction remain the only judge of a race.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from creneau.clock import iso
from creneau.dal import session_repository
from creneau.dal.calendar_time import Hold
from creneau.dal.catalog_records import CalendarRecord, ServiceRecord
from creneau.dal.settings import TenantSettings
from creneau.dal.store import Store
from creneau.domain import explain
from creneau.domain.availability import (
    CalendarAvailability,
    GroupSession,
    Interval,
    ServiceShape,
    Slot,
    WallRange,
    compute_slots,
)
from creneau.domain.scope import CalendarScope
from creneau.domain.units import MAX_UNITS_PER_BOOKING, unit_keys
from creneau.domain.week import DAYS
from creneau.domain.wording import local_time
from creneau.errors import CalendarNotFound, SlotUnavailable, ValidationFailed

FREE_SEARCH_WINDOW_DAYS = 14  # the first free slot is looked for this much at a time, up to the horizon
REASON_TEXT = {
    "taken": "another appointment takes that time",
    "locked": "someone is holding that time while they book",
    "closed": "the calendar is closed then",
    "off_grid": "it is not one of the start times this calendar offers",
    "notice": "that is sooner than the minimum notice",
    "horizon": "that is beyond how far ahead the calendar books",
    "busy_external": "the calendar is busy in a connected outside calendar",
    "full": "that session has fewer places left than asked for",
}


@dataclass(frozen=True)
class Placement:
    calendar: CalendarRecord
    start: datetime  # service start (UTC)
    end: datetime  # service end (UTC)
    hold: Hold


def load_services(store: Store, tenant_id: str, service_ids: list[str]) -> list[ServiceRecord]:
    loaded = [store.services.get(tenant_id, service_id) for service_id in service_ids]
    inactive = [s.name for s in loaded if not s.active]
    if inactive:
        field = "service_id" if len(service_ids) == 1 else "service_ids"
        raise ValidationFailed.field(field, f"not bookable (inactive): {', '.join(inactive)}")
    return loaded


def require_calendar_choice(
    settings: TenantSettings, calendar_id: str | None, lock_code: str | None = None
) -> None:
    """`any_calendar: false`: the customer picks the calendar (a lock was placed on one already)."""
    if calendar_id is None and lock_code is None and not settings.any_calendar:
        raise ValidationFailed.field("calendar_id", "this tenant asks to choose a calendar")


def shape_of(chosen: list[ServiceRecord]) -> ServiceShape:
    """Several services run back to back: the first one's buffer before, the last one's after. A
    group service (capacity above 1) is booked alone."""
    capacity = max(s.capacity for s in chosen)
    if capacity > 1 and len(chosen) > 1:
        group = next(s.name for s in chosen if s.capacity > 1)
        raise ValidationFailed.field("service_ids", f"{group} is a group session: book it on its own")
    return ServiceShape(
        duration_minutes=sum(s.duration_minutes for s in chosen),
        buffer_before_minutes=chosen[0].buffer_before_minutes,
        buffer_after_minutes=chosen[-1].buffer_after_minutes,
        capacity=capacity,
    )


def names_of(chosen: list[ServiceRecord]) -> dict[str, str]:
    """The services asked, by id, as candidate_calendars takes them."""
    return {s.id: s.name for s in chosen}


def candidate_calendars(
    store: Store,
    tenant_id: str,
    wanted: dict[str, str],
    calendar_id: str | None,
    allowed: CalendarScope = None,
) -> list[CalendarRecord]:
    """The active calendars that offer every `wanted` service (their names by id, as a refusal names
    them), limited to `allowed` (an agent limited to some calendars: any other is not found for
    them)."""
    if calendar_id is not None:
        if allowed is not None and calendar_id not in allowed:
            raise CalendarNotFound(f"no calendar {calendar_id}")
        calendar = store.calendars.get(tenant_id, calendar_id)
        missing = [name for sid, name in wanted.items() if sid not in calendar.service_ids]
        if missing:
            raise ValidationFailed.field(
                "calendar_id", f"the calendar {calendar.name} does not offer {', '.join(missing)}"
            )
        return [calendar] if calendar.active else []
    offering = [
        c
        for c in store.calendars.list_all(tenant_id)
        if c.active and wanted.keys() <= set(c.service_ids) and (allowed is None or c.id in allowed)
    ]
    return sorted(offering, key=lambda c: (c.name, c.id))


def engine_calendar(
    calendar: CalendarRecord, busy: list[tuple[datetime, datetime]], bypass_notice: bool = False
) -> CalendarAvailability:
    """The engine's view of a calendar; `bypass_notice` (back office): no minimum notice."""
    return CalendarAvailability(
        calendar_id=calendar.id,
        timezone=calendar.timezone,
        weekly_hours={
            index: [WallRange(_wall(r["start"]), _wall(r["end"])) for r in calendar.weekly_hours.get(day, [])]
            for index, day in enumerate(DAYS)
        },
        exceptions=[
            Interval(datetime.fromisoformat(e["start"]), datetime.fromisoformat(e["end"]))
            for e in calendar.exceptions
        ],
        busy=[Interval(start, end) for start, end in busy],
        slot_step_minutes=calendar.slot_step_minutes,
        min_notice_minutes=0 if bypass_notice else calendar.min_notice_minutes,
        horizon_days=calendar.horizon_days,
        openings=[
            Interval(datetime.fromisoformat(o["start"]), datetime.fromisoformat(o["end"]))
            for o in calendar.openings
        ],
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


@dataclass(frozen=True)
class Attempt:
    """One start tried on one calendar for one shape, as of `now`: what placing, explaining and
    refusing it read. `ignore_owners` are the caller's own holds (its lock, the appointment it
    moves), free for it. `store` is where it reads."""

    store: Store
    tenant_id: str
    calendar: CalendarRecord
    shape: ServiceShape
    start: datetime
    now: datetime
    ignore_owners: frozenset[str] = frozenset()
    bypass_notice: bool = False

    def following(self) -> SlotSearch:
        """The search for what is free on its calendar after it."""
        calendars = [self.calendar]
        return SlotSearch(
            self.store,
            self.tenant_id,
            calendars,
            self.shape,
            self.now,
            self.ignore_owners,
            self.bypass_notice,
        )


def place(
    store: Store,
    tenant_id: str,
    calendar: CalendarRecord,
    shape: ServiceShape,
    start: datetime,
    now: datetime,
    owner: str,
    ignore_owners: frozenset[str] = frozenset(),
    expires_at: int | None = None,
    bypass_notice: bool = False,
) -> Placement:
    """The hold for `owner` at `start` on `calendar`, if that is a slot right now; else 409."""
    start = start.astimezone(UTC)
    attempt = Attempt(store, tenant_id, calendar, shape, start, now, ignore_owners, bypass_notice)
    occupied_start, end, occupied_end = occupied_span(start, shape)
    occupied = occupied_around(attempt)
    engine = engine_calendar(calendar, [(o.start, o.end) for o in occupied], bypass_notice)
    window = Interval(start, start + timedelta(minutes=1))
    offered = compute_slots([engine], shape, window, now)
    if not any(slot.start == start for slot in offered):
        raise refusal(attempt, occupied)
    units = unit_keys(occupied_start, occupied_end, calendar.claim_timezone, calendar.unit_minutes)
    if len(units) > MAX_UNITS_PER_BOOKING:
        raise ValidationFailed.field(
            "service_ids",
            f"too long to book at once on this calendar ({len(units)} units > {MAX_UNITS_PER_BOOKING})",
        )
    hold = Hold(tenant_id, calendar.id, owner, occupied_start, occupied_end, tuple(units), expires_at)
    return Placement(calendar=calendar, start=start, end=end, hold=hold)


def occupied_around(attempt: Attempt) -> list[explain.Occupied]:
    """The live holds (others' than the attempt's own) that meet the span the attempt would occupy."""
    occupied_start, _end, occupied_end = occupied_span(attempt.start, attempt.shape)
    calendar = attempt.calendar
    return attempt.store.calendar_time.occupancy(
        attempt.tenant_id,
        calendar.id,
        occupied_start,
        occupied_end,
        attempt.now,
        calendar.unit_minutes,
        attempt.ignore_owners,
    )


def why_not(attempt: Attempt, occupied: list[explain.Occupied] | None = None) -> list[explain.Reason]:
    """Why the attempt's start is not bookable on its calendar right now (empty: it is)."""
    if occupied is None:
        occupied = occupied_around(attempt)
    engine = engine_calendar(attempt.calendar, [], attempt.bypass_notice)
    return explain.reasons(engine, attempt.shape, attempt.start, attempt.now, occupied)


def refusal(attempt: Attempt, occupied: list[explain.Occupied] | None = None) -> SlotUnavailable:
    """A 409 naming, in the calendar's local time, why the attempt is refused and the calendar's next
    free slot. Only computed on refusal: the next free slot costs a few reads."""
    found = why_not(attempt, occupied)
    reason = found[0].reason if found else "taken"  # nothing left in the way: a race just took it
    calendar = attempt.calendar
    following = first_free(attempt.following(), attempt.start + timedelta(microseconds=1))
    detail = {"reason": reason, "calendar_id": calendar.id, "next_free": slot_view(following)}
    message = f"{local_time(attempt.start, calendar.timezone)} is not available on {calendar.name}: "
    return SlotUnavailable(message + REASON_TEXT[reason], [detail])


def combined_refusal(refusals: list[SlotUnavailable]) -> SlotUnavailable:
    """One 409 for every calendar tried: each one's detail, and their messages together."""
    if not refusals:
        return SlotUnavailable("no active calendar offers these services at that time")
    if len(refusals) == 1:
        return refusals[0]
    details = [detail for refused in refusals for detail in refused.details]
    return SlotUnavailable("; ".join(refused.message for refused in refusals), details)


@dataclass(frozen=True)
class GroupAsk:
    """A party asking for seats of a group service (a lock's holder sees its own seats as free)."""

    service_id: str
    seats: int = 1
    lock_code: str | None = None


@dataclass(frozen=True)
class SlotSearch:
    """What a search for slots looks at: these calendars, for this shape, as of `now`, with the
    holds of `ignore_owners` (the caller's own) free, and for a group service the seats asked;
    `store` is where it reads."""

    store: Store
    tenant_id: str
    calendars: list[CalendarRecord]
    shape: ServiceShape
    now: datetime
    ignore_owners: frozenset[str] = frozenset()
    bypass_notice: bool = False
    group: GroupAsk | None = None


def offered_slots(search: SlotSearch, window: Interval) -> list[Slot]:
    """The engine over each calendar's occupancy (one Query per calendar, one more for a group
    service's sessions) in `window`."""
    tenant_id, shape, now, group = search.tenant_id, search.shape, search.now, search.group
    # Busy time matters from the first slot's buffer before to the last slot's buffer after.
    reach_from = occupied_span(window.start, shape)[0]
    reach_until = occupied_span(window.end, shape)[2]
    inputs = []
    for calendar in search.calendars:
        joinable = _joinable(search, calendar, window) if group else {}
        found = search.store.calendar_time.occupancy(
            tenant_id,
            calendar.id,
            reach_from,
            reach_until,
            now,
            calendar.unit_minutes,
            search.ignore_owners | frozenset(joinable),
        )
        busy = [(held.start, held.end) for held in found]
        engine = engine_calendar(calendar, busy, search.bypass_notice)
        inputs.append(dataclasses.replace(engine, sessions=list(joinable.values())) if joinable else engine)
    return compute_slots(inputs, shape, window, now, seats=group.seats if group else 1)


def _joinable(search: SlotSearch, calendar: CalendarRecord, window: Interval) -> dict[str, GroupSession]:
    """The live sessions of the asked service on `calendar` starting in `window`, by claim owner."""
    found = {}
    group, now = search.group, search.now
    for session in search.store.sessions.in_range(search.tenant_id, calendar.id, window.start, window.end):
        if session.service_id != group.service_id or not session.is_live(now):
            continue
        left = session.seats_left(now, group.lock_code)
        found[session_repository.owner(session)] = GroupSession(
            session.start, Interval(*session.occupied), left
        )
    return found


def first_free(search: SlotSearch, after: datetime) -> Slot | None:
    """The earliest bookable slot from `after` within the calendars' horizon, read window by window."""
    if not search.calendars:
        return None
    now = search.now
    horizon = now + timedelta(days=max(c.horizon_days for c in search.calendars))
    start = max(after, now)
    while start < horizon:
        window = Interval(start, min(start + timedelta(days=FREE_SEARCH_WINDOW_DAYS), horizon))
        slots = offered_slots(search, window)
        if slots:
            return slots[0]
        start = window.end
    return None


def slot_view(slot: Slot | None) -> dict[str, Any] | None:
    if slot is None:
        return None
    seats = {} if slot.seats_left is None else {"seats_left": slot.seats_left}
    return {"start": iso(slot.start), "end": iso(slot.end), "calendar_ids": list(slot.calendar_ids), **seats}
