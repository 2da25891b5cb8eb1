"""Change events (docs/events.md): one per committed change of an appointment, derived from the
record as it was and as it is. Pure: the stream decoding and the publishing live in logic/events.py.

The id is derived from the appointment and its version, so a replayed stream record yields the same
event (and the readers, idempotent on the id, do nothing twice).
"""

from __future__ import annotations

from typing import Any

CREATED = "appointment.created"
STATUS_CHANGED = "appointment.status_changed"
RESCHEDULED = "appointment.rescheduled"
CANCELLED = "appointment.cancelled"
REMINDER = "appointment.reminder"  # not a change: what a reminder schedule sends to the notifier
TYPES = (CREATED, STATUS_CHANGED, RESCHEDULED, CANCELLED)

_PLACE = ("start", "end", "calendar_id")


def change_type(previous: dict[str, Any] | None, current: dict[str, Any]) -> str | None:
    """The event type of a change, or None when nothing an event reports changed."""
    if previous is None:
        return CREATED
    if current["status"] != previous["status"]:
        return CANCELLED if current["status"] == "CANCELLED" else STATUS_CHANGED
    if any(current.get(k) != previous.get(k) for k in _PLACE):
        return RESCHEDULED
    return None


def event_id(appointment_id: str, version: int) -> str:
    return f"evt_{appointment_id}_{version}"


def change_event(
    tenant_id: str,
    previous: dict[str, Any] | None,
    current: dict[str, Any],
    version: int,
) -> dict[str, Any] | None:
    """The event of one committed change (both views public), or None."""
    kind = change_type(previous, current)
    if kind is None:
        return None
    return {
        "id": event_id(current["id"], version),
        "type": kind,
        "tenant_id": tenant_id,
        "occurred_at": current["updated_at"],
        "version": version,  # grows with every change: the .ics SEQUENCE is version - 1
        "appointment": current,
        "previous": previous,
    }


def sequence(version: int) -> int:
    return max(0, version - 1)


def reminder_id(appointment_id: str, minutes_before: int, version: int) -> str:
    return f"rem_{appointment_id}_{minutes_before}_{version}"


# ---- what each change means for emails and reminders -------------------------------------------

INVITATION, UPDATE, CANCELLATION, REMINDER_EMAIL = "invitation", "update", "cancellation", "reminder"
REMINDED = frozenset({"PENDING", "CONFIRMED"})


def email_kind(event: dict[str, Any]) -> str | None:
    """Which email a change sends: none for IN_PROGRESS or COMPLETED (docs/events.md, "Emails")."""
    kind = event["type"]
    if kind == CREATED:
        return INVITATION
    if kind == RESCHEDULED or (kind == STATUS_CHANGED and event["appointment"]["status"] == "CONFIRMED"):
        return UPDATE
    if kind == CANCELLED:
        return CANCELLATION
    return None


def reminder_name(appointment_id: str, minutes_before: int) -> str:
    """One schedule per appointment and reminder: moving it is writing the same name again."""
    return f"rem-{appointment_id}-{minutes_before}"


def reminders_due(
    appointment: dict[str, Any], minutes_before: list[int], now_epoch: float, start_epoch: float
) -> dict[str, tuple[int, float]]:
    """{schedule name: (minutes before, epoch when due)} for the reminders still to come; none for an
    appointment that is closed, or a reminder whose time has already passed."""
    if appointment["status"] not in REMINDED:
        return {}
    due = {}
    for minutes in sorted(set(minutes_before)):
        at = start_epoch - minutes * 60
        if at > now_epoch:
            due[reminder_name(appointment["id"], minutes)] = (minutes, at)
    return due


def reminder_still_valid(
    message: dict[str, Any], appointment: dict[str, Any], now_epoch: float, start_epoch: float
) -> bool:
    """A fired reminder is sent only for an open appointment still at the time it was set for."""
    return (
        appointment["status"] in REMINDED
        and appointment["start"] == message["start"]
        and start_epoch > now_epoch
    )
