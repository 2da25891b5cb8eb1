"""An appointment as a provider event (pure): templated title and description, attendees, span.

Placeholders (docs/calendar-sync.md, "Push"): %service_name%, %customer_full_name%, %customer_email%,
%customer_phone%, %calendar_name%, %appointment_start%, %appointment_end%, %appointment_status%,
%comments%, %price%, %field:KEY%. Unknown ones are left as written.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from creneau.sync.ports import Attendee, EventSpec

_PLACEHOLDER = re.compile(r"%(field:[A-Za-z0-9_]+|[a-z_]+)%")
_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}


def price_text(price: dict | None, locale: str) -> str:
    """`25,00 €` in French, `€25.00` in English (two minor digits)."""
    if not price:
        return ""
    whole, cents = divmod(int(price["amount"]), 100)
    symbol = _SYMBOLS.get(price["currency"], price["currency"])
    if locale.split("-")[0] == "fr":
        return f"{whole:,}".replace(",", "\u202f") + f",{cents:02d} {symbol}"
    return f"{symbol}{whole:,}.{cents:02d}"


def _local(instant: str, zone: ZoneInfo) -> str:
    return datetime.fromisoformat(instant).astimezone(zone).strftime("%Y-%m-%d %H:%M")


def full_name(customer: dict) -> str:
    return " ".join(p for p in (customer.get("first_name"), customer.get("last_name")) if p)


def placeholders(appointment: dict, services: list[dict], calendar: dict, locale: str) -> dict[str, str]:
    zone = ZoneInfo(calendar["timezone"])
    customer = appointment.get("customer") or {}
    values = {
        "service_name": ", ".join(s["name"] for s in services),
        "customer_full_name": full_name(customer),
        "customer_email": customer.get("email") or "",
        "customer_phone": customer.get("phone") or "",
        "calendar_name": calendar["name"],
        "appointment_start": _local(appointment["start"], zone),
        "appointment_end": _local(appointment["end"], zone),
        "appointment_status": appointment["status"],
        "comments": appointment.get("comments") or "",
        "price": price_text(appointment.get("total_price"), locale),
    }
    for key, value in (appointment.get("fields") or {}).items():
        values[f"field:{key}"] = "" if value is None else str(value)
    return values


def render(template: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def shown(appointment: dict, options: dict) -> bool:
    """Whether the appointment should be an event at all."""
    status = appointment["status"]
    return status != "CANCELLED" and (status != "PENDING" or options["include_pending"])


def event_spec(
    appointment: dict, services: list[dict], calendar: dict, locale: str, options: dict, provider: str
) -> EventSpec:
    values = placeholders(appointment, services, calendar, locale)
    description = render(options["description_template"], values)
    start, end = datetime.fromisoformat(appointment["start"]), datetime.fromisoformat(appointment["end"])
    if options["include_buffers"]:
        _duration, before, after = appointment.get("_shape") or (0, 0, 0)
        start, end = start - timedelta(minutes=before), end + timedelta(minutes=after)
    customer = appointment.get("customer") or {}
    attendees: tuple[Attendee, ...] = ()
    if options["add_attendees"] and customer.get("email"):
        attendee = Attendee(customer["email"], full_name(customer))
        # Graph mails every attendee: without invitations the customer is named, not invited.
        if provider == "google" or options["send_invitations"]:
            attendees = (attendee,)
        else:
            description = f"{description}\n\n{attendee.name} <{attendee.email}>".strip()
    return EventSpec(
        appointment_id=appointment["id"],
        title=render(options["title_template"], values),
        description=description,
        start=start,
        end=end,
        timezone=calendar["timezone"],
        tentative=appointment["status"] == "PENDING",
        attendees=attendees,
        guests_can_see_other_guests=options["guests_can_see_other_guests"],
        send_invitations=options["send_invitations"],
        online_meeting=options["online_meeting"],
    )


def digest(spec: EventSpec | None) -> str:
    """What was last written for an appointment: equal digests need no new write."""
    if spec is None:
        return "absent"
    data: dict[str, Any] = asdict(spec)
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:32]


def session_spec(
    session_id: str,
    appointments: list[dict],
    services: list[dict],
    calendar: dict,
    locale: str,
    options: dict,
    provider: str,
) -> EventSpec:
    """One event for a group session: its templates filled with every attendee's name, every attendee
    with an email invited (as for one appointment); whether they see each other is the option's."""
    names = ", ".join(full_name(a["customer"]) for a in appointments if full_name(a.get("customer") or {}))
    first = appointments[0]
    confirmed = any(a["status"] != "PENDING" for a in appointments)
    together = {
        **first,
        "id": session_id,
        "status": "CONFIRMED" if confirmed else "PENDING",
        "customer": {"first_name": names},  # no email: the attendees are added below
        "comments": "",
        "fields": {},
        "total_price": None,
    }
    spec = event_spec(together, services, calendar, locale, options, provider)
    people = [
        Attendee(a["customer"]["email"], full_name(a["customer"]))
        for a in appointments
        if (a.get("customer") or {}).get("email")
    ]
    if not options["add_attendees"] or not people:
        return spec
    if provider == "google" or options["send_invitations"]:
        return replace(spec, attendees=tuple(people))
    listed = "\n".join(f"{p.name} <{p.email}>" for p in people)
    return replace(spec, description=f"{spec.description}\n\n{listed}".strip())
