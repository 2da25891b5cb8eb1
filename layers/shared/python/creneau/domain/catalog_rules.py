"""Rules that tie a service to the calendars offering it (pure: dicts in, problems out)."""

from __future__ import annotations

from typing import Any

from creneau.domain.units import MAX_UNITS_PER_BOOKING, units_needed

TIMING_FIELDS = ("duration_minutes", "buffer_before_minutes", "buffer_after_minutes")


def step_problems(calendar: dict[str, Any]) -> list[dict[str, str]]:
    unit = calendar["unit_minutes"]
    if calendar["slot_step_minutes"] % unit:
        return [_problem("slot_step_minutes", f"must be a multiple of the calendar's unit ({unit} min)")]
    return []


def service_problems(
    service: dict[str, Any], calendar: dict[str, Any], field: str | None = None
) -> list[dict]:
    """Why `calendar` cannot offer `service`: timings off its unit grid, or too long to book at once.

    Problems name the service's own field, or `field` when checked from the calendar's side.
    """
    unit = calendar["unit_minutes"]
    problems = [
        _problem(
            field or name,
            f"{name} {service[name]} min is not a multiple of the unit ({unit} min) "
            f"of calendar {calendar['name']}",
        )
        for name in TIMING_FIELDS
        if service[name] % unit
    ]
    occupied = sum(service[name] for name in TIMING_FIELDS)
    if units_needed(occupied, unit) > MAX_UNITS_PER_BOOKING:
        problems.append(
            _problem(
                field or "duration_minutes",
                f"{occupied} min with buffers exceeds {MAX_UNITS_PER_BOOKING} units of {unit} min on "
                f"calendar {calendar['name']}; give that calendar a larger unit_minutes",
            )
        )
    return problems


def _problem(field: str, message: str) -> dict[str, str]:
    return {"field": field, "message": message}
