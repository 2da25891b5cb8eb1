"""Free slots: the catalog and each calendar's occupancy (one Query per calendar) into the engine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from creneau.clock import iso
from creneau.dal import calendar_time
from creneau.dal.catalog_records import ServiceRecord
from creneau.dal.settings import TenantSettings
from creneau.dal.store import Store
from creneau.domain.availability import ServiceShape, Slot
from creneau.domain.days import LocalDays
from creneau.domain.scope import CalendarScope
from creneau.logic.schedule import (
    Attempt,
    GroupAsk,
    SlotSearch,
    candidate_calendars,
    first_free,
    load_services,
    names_of,
    offered_slots,
    require_calendar_choice,
    shape_of,
    why_not,
)
from creneau.logic.sessions import check_seats


@dataclass(frozen=True)
class SlotAsk:
    """What a caller of the slot routes asks: services, perhaps one calendar, its own lock (whose
    time shows as free to it), seats of a group service, and whether the notice is bypassed."""

    tenant_id: str
    service_ids: list[str]
    calendar_id: str | None = None
    lock_code: str | None = None
    bypass_notice: bool = False
    seats: int = 1


def find_slots(
    store: Store, ask: SlotAsk, days: LocalDays, timezone: str | None, now: datetime
) -> dict[str, Any]:
    settings = store.settings.get(ask.tenant_id)
    search = _search(store, ask, now, settings)
    calendars = search.calendars
    zone_name = timezone or (calendars[0].timezone if ask.calendar_id and calendars else settings.timezone)
    slots = offered_slots(search, days.window(ZoneInfo(zone_name)))
    return {"timezone": zone_name, "slots": [_slot_view(slot) for slot in slots]}


def first_slot(store: Store, ask: SlotAsk, now: datetime) -> dict[str, Any]:
    slot = first_free(_search(store, ask, now, store.settings.get(ask.tenant_id)), now)
    return {"slot": _slot_view(slot) if slot else None}


def _search(store: Store, ask: SlotAsk, now: datetime, settings: TenantSettings) -> SlotSearch:
    chosen = load_services(store, ask.tenant_id, ask.service_ids)
    require_calendar_choice(settings, ask.calendar_id)
    shape = shape_of(chosen)
    calendars = candidate_calendars(store, ask.tenant_id, names_of(chosen), ask.calendar_id)
    group = _group(chosen, shape, ask.seats, ask.lock_code)
    mine = _mine(ask.lock_code)
    return SlotSearch(store, ask.tenant_id, calendars, shape, now, mine, ask.bypass_notice, group)


def explain(
    store: Store,
    tenant_id: str,
    service_ids: list[str],
    calendar_id: str | None,
    start: datetime,
    now: datetime,
    allowed: CalendarScope = None,
) -> dict[str, Any]:
    """For each candidate calendar (among `allowed`, for an agent limited to some), whether `start` is
    bookable and every reason it is not."""
    chosen = load_services(store, tenant_id, service_ids)
    shape = shape_of(chosen)
    verdicts = []
    for calendar in candidate_calendars(store, tenant_id, names_of(chosen), calendar_id, allowed):
        found = why_not(Attempt(store, tenant_id, calendar, shape, start, now))
        verdicts.append(
            {
                "calendar_id": calendar.id,
                "bookable": not found,
                "reasons": [_reason_view(r) for r in found],
            }
        )
    return {"start": iso(start.astimezone(UTC)), "calendars": verdicts}


def _reason_view(reason) -> dict[str, Any]:
    view = reason.view()
    return {**view, "until": iso(view["until"])} if "until" in view else view


def _mine(lock_code: str | None) -> frozenset[str]:
    # A lock's own time shows as free to its holder (the code is the proof of holding it).
    return frozenset({calendar_time.lock_owner(lock_code)}) if lock_code else frozenset()


def _slot_view(slot: Slot) -> dict[str, Any]:
    seats = {} if slot.seats_left is None else {"seats_left": slot.seats_left}
    return {"start": slot.start, "end": slot.end, "calendar_ids": list(slot.calendar_ids), **seats}


def _group(
    chosen: list[ServiceRecord], shape: ServiceShape, seats: int, lock_code: str | None
) -> GroupAsk | None:
    """A group service's slots count seats; any other service takes one customer."""
    check_seats(seats, shape.capacity)
    return GroupAsk(chosen[0].id, seats, lock_code) if shape.capacity > 1 else None
