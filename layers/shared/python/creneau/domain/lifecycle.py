"""The appointment status lifecycle (pure)."""

from __future__ import annotations

from enum import StrEnum

from creneau.errors import InvalidStatusTransition


class Status(StrEnum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.PENDING: frozenset({Status.CONFIRMED, Status.CANCELLED}),
    Status.CONFIRMED: frozenset({Status.IN_PROGRESS, Status.CANCELLED}),
    Status.IN_PROGRESS: frozenset({Status.COMPLETED}),
    Status.COMPLETED: frozenset(),
    Status.CANCELLED: frozenset(),
}

# Open appointments hold time on the calendar and count against a customer's limit.
OPEN = frozenset({Status.PENDING, Status.CONFIRMED, Status.IN_PROGRESS})
RESCHEDULABLE = frozenset({Status.PENDING, Status.CONFIRMED})


def check_transition(current: Status, target: Status) -> None:
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (final)"
        raise InvalidStatusTransition(f"{current} cannot become {target}; allowed: {allowed}")


def initial_status(auto_confirm: bool) -> Status:
    return Status.CONFIRMED if auto_confirm else Status.PENDING


def frees_time(target: Status) -> bool:
    return target is Status.CANCELLED


def closes(current: Status, target: Status) -> bool:
    """Leaving the open states releases one of the customer's open-appointment places."""
    return current in OPEN and target not in OPEN
