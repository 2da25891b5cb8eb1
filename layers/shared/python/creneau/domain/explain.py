"""Why a start is or is not bookable on one calendar: the engine's own verdict, then its reasons.

Pure: the engine calendar, the shape, the start, ``now`` and the occupied intervals (with their owners) in;
reasons out. The hours are judged by the engine itself (the same rules as the slots listed), never
re-derived here; only the distinction closed / off the grid looks at the opening ranges.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from creneau.domain.availability import (
    CalendarAvailability,
    Interval,
    ServiceShape,
    compute_slots,
    opening_intervals,
)

# The order a refusal names them in: what no waiting cures first, then what another booking holds.
REASONS = ("horizon", "notice", "closed", "off_grid", "full", "taken", "locked", "busy_external")
APPOINTMENT_PREFIX, LOCK_PREFIX, SESSION_PREFIX = "APPT#", "LOCK#", "SESS#"


@dataclass(frozen=True)
class Occupied:
    """An occupancy record: [start, end) with buffers, its owner (APPT#id, LOCK#code, or an outside
    calendar's block) and, for a lock, its expiry (epoch seconds)."""

    start: datetime
    end: datetime
    owner: str
    expires_at: int | None = None


@dataclass(frozen=True)
class Reason:
    reason: str
    appointment_id: str | None = None
    until: datetime | None = None  # a lock's expiry

    def view(self) -> dict:
        extra = {"appointment_id": self.appointment_id} if self.appointment_id else {}
        return {"reason": self.reason, **extra, **({"until": self.until} if self.until else {})}


def reasons(
    calendar: CalendarAvailability,
    shape: ServiceShape,
    start: datetime,
    now: datetime,
    occupied: Sequence[Occupied],
) -> list[Reason]:
    """Every reason `start` is not bookable on `calendar` at `now` (empty: bookable)."""
    start = start.astimezone(UTC)
    end = start + timedelta(minutes=shape.duration_minutes)
    found: list[Reason] = []
    if start >= now + timedelta(days=calendar.horizon_days):
        found.append(Reason("horizon"))
    if start < now + timedelta(minutes=calendar.min_notice_minutes):
        found.append(Reason("notice"))
    hours_only = dataclasses.replace(calendar, busy=(), min_notice_minutes=0, horizon_days=1)
    if not compute_slots([hours_only], shape, Interval(start, start + timedelta(microseconds=1)), start):
        found.append(Reason("off_grid" if _fits_hours(calendar, start, end) else "closed"))
    padded_start = start - timedelta(minutes=shape.buffer_before_minutes)
    padded_end = end + timedelta(minutes=shape.buffer_after_minutes)
    for record in sorted(occupied, key=lambda o: (o.start, o.owner)):
        if record.start < padded_end and padded_start < record.end:
            found.append(_occupied_reason(record))
    return sorted(found, key=lambda r: REASONS.index(r.reason))


def _fits_hours(calendar: CalendarAvailability, start: datetime, end: datetime) -> bool:
    """The service lies inside one opening range and meets no exception (so only the grid refuses it)."""
    around = Interval(start - timedelta(days=1), end + timedelta(days=1))
    inside = any(o.start <= start and end <= o.end for o in opening_intervals(calendar, around))
    return inside and not any(e.start < end and start < e.end for e in calendar.exceptions)


def _occupied_reason(record: Occupied) -> Reason:
    if record.owner.startswith(APPOINTMENT_PREFIX):
        return Reason("taken", appointment_id=record.owner.removeprefix(APPOINTMENT_PREFIX))
    if record.owner.startswith(LOCK_PREFIX):
        until = datetime.fromtimestamp(record.expires_at, UTC) if record.expires_at else None
        return Reason("locked", until=until)
    if record.owner.startswith(SESSION_PREFIX):
        return Reason("taken")  # a group session (of another service, or at another start) holds it
    return Reason("busy_external")
