"""Times as a person reads them: the calendar's local wall clock, with its zone named."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def local_time(instant: datetime, zone_name: str) -> str:
    """'Tuesday 2 March 2027 at 09:30 (Europe/Paris)' (English names whatever the process locale)."""
    local = instant.astimezone(ZoneInfo(zone_name))
    return (
        f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]} {local.year} "
        f"at {local:%H:%M} ({zone_name})"
    )
