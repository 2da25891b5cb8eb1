"""An appointment as an iCalendar invitation (RFC 5546 iTIP), built with icalendar.

One UID per appointment for its whole life; SEQUENCE grows with its version, so calendar clients
apply each update over the previous one and METHOD:CANCEL removes it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from icalendar import Calendar, Event, vCalAddress, vText

from creneau.domain.events import sequence

PRODID = "-//Creneau//Appointments 1.0//EN"
_STATUS = {"PENDING": "TENTATIVE", "CANCELLED": "CANCELLED"}


def uid(appointment_id: str) -> str:
    return f"{appointment_id}@creneau"


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def invitation(
    appointment: dict[str, Any],
    version: int,
    organizer: tuple[str, str],
    summary: str,
    description: str,
    location: str,
    stamp: datetime,
) -> bytes:
    """METHOD:REQUEST, or METHOD:CANCEL for a cancelled appointment. `organizer` is (name, email)."""
    cancelled = appointment["status"] == "CANCELLED"
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", uid(appointment["id"]))
    event.add("sequence", sequence(version))
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", _instant(appointment["start"]))
    event.add("dtend", _instant(appointment["end"]))
    event.add("summary", summary)
    event.add("description", description)
    if location:
        event.add("location", location)
    event.add("status", _STATUS.get(appointment["status"], "CONFIRMED"))
    name, email = organizer
    host = vCalAddress(f"mailto:{email}")
    host.params["cn"] = vText(name or email)
    event.add("organizer", host)
    customer = appointment.get("customer") or {}
    if customer.get("email"):
        guest = vCalAddress(f"mailto:{customer['email']}")
        full_name = " ".join(p for p in (customer.get("first_name"), customer.get("last_name")) if p)
        guest.params["cn"] = vText(full_name or customer["email"])
        guest.params["role"] = vText("REQ-PARTICIPANT")
        guest.params["partstat"] = vText("DECLINED" if cancelled else "ACCEPTED")
        guest.params["rsvp"] = vText("FALSE")
        event.add("attendee", guest)
    cal.add_component(event)
    return cal.to_ical()
