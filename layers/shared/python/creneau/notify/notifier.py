"""The notifications function's work: an event (or a fired reminder) -> one email per recipient.

Exactly once per recipient: each email runs inside `once(key)`, keyed by the event id and the
recipient, so a redelivered message, or one retried because another recipient's email failed, sends
nothing twice. Outside services come in through small interfaces (tests pass fakes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from creneau.domain import events as domain
from creneau.notify.messages import Email, Letter, compose


class Mailer(Protocol):
    def send(self, email: Email) -> None: ...


class Directory(Protocol):
    """What the notifier reads: the tenant's settings, a calendar, service names, an appointment."""

    def settings(self, tenant_id: str) -> dict[str, Any]: ...

    def calendar(self, tenant_id: str, calendar_id: str) -> dict[str, Any] | None: ...

    def service_names(self, tenant_id: str, service_ids: list[str]) -> list[str]: ...

    def appointment(self, tenant_id: str, appointment_id: str) -> tuple[dict[str, Any], int] | None: ...


Once = Callable[[str, Callable[[], None]], None]


class MalformedMessage(ValueError):
    """Not an event we can read: retried, then left in the dead-letter queue for a person to look at."""


@dataclass
class Notifier:
    mailer: Mailer
    directory: Directory
    once: Once
    manage_token: Callable[[str, str], str]
    default_sender: str
    now: Callable[[], datetime]

    def handle(self, message: dict[str, Any]) -> int:
        """Send what a message asks for; returns how many emails this call sent."""
        _check(message)
        if message["type"] == domain.REMINDER:
            return self._reminder(message)
        kind = domain.email_kind(message)
        if kind is None:
            return 0
        return self._send_all(
            message["id"], message["tenant_id"], message["appointment"], message["version"], kind
        )

    def _reminder(self, message: dict[str, Any]) -> int:
        found = self.directory.appointment(message["tenant_id"], message["appointment_id"])
        if found is None:
            return 0
        appointment, version = found
        start = datetime.fromisoformat(appointment["start"].replace("Z", "+00:00")).timestamp()
        if not domain.reminder_still_valid(message, appointment, self.now().timestamp(), start):
            return 0  # cancelled, completed, moved or past: a stale schedule sends nothing
        return self._send_all(
            message["id"], message["tenant_id"], appointment, version, domain.REMINDER_EMAIL, agents=False
        )

    def _send_all(self, event_id, tenant_id, appointment, version, kind, agents: bool = True) -> int:
        settings = self.directory.settings(tenant_id)
        calendar = self.directory.calendar(tenant_id, appointment["calendar_id"]) or {}
        recipients = []
        customer_email = (appointment.get("customer") or {}).get("email")
        if customer_email:
            recipients.append(("customer", customer_email))
        if agents and calendar.get("notify_email"):
            recipients.append(("agent", calendar["notify_email"]))
        base = {
            "kind": kind,
            "appointment": appointment,
            "version": version,
            "tenant_name": settings.get("name") or "",
            "locale": settings.get("locale") or "en",
            "sender": settings.get("email_from") or self.default_sender,
            "calendar_name": calendar.get("name") or "",
            "zone": calendar.get("timezone") or settings.get("timezone") or "UTC",
            "services": ", ".join(self.directory.service_names(tenant_id, appointment["service_ids"])),
            "event_id": event_id,
            "stamp": self.now(),
        }
        sent = 0
        for audience, address in recipients:
            link = (
                self._manage_url(settings, tenant_id, appointment["id"]) if audience == "customer" else None
            )
            letter = Letter(audience=audience, to=address, manage_url=link, **base)
            done: list[bool] = []

            def send(letter: Letter = letter, done: list[bool] = done) -> None:
                self.mailer.send(compose(letter))
                done.append(True)

            self.once(f"{event_id}|{audience}|{address.lower()}", send)
            sent += len(done)
        return sent

    def _manage_url(self, settings: dict[str, Any], tenant_id: str, appointment_id: str) -> str | None:
        template = settings.get("manage_url_template")
        if not template:
            return None
        token = self.manage_token(tenant_id, appointment_id)
        return template.replace("{appointment_id}", appointment_id).replace("{manage_token}", token)


_EVENT_KEYS = ("id", "type", "tenant_id", "appointment", "version")
_APPOINTMENT_KEYS = ("id", "status", "start", "end", "calendar_id", "service_ids")


def _check(message: Any) -> None:
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise MalformedMessage("the message is not an event object with a type")
    if message["type"] == domain.REMINDER:
        missing = [k for k in ("id", "tenant_id", "appointment_id", "start") if k not in message]
    else:
        missing = [k for k in _EVENT_KEYS if k not in message]
        appointment = message.get("appointment")
        if not isinstance(appointment, dict):
            missing.append("appointment")
        else:
            missing += [f"appointment.{k}" for k in _APPOINTMENT_KEYS if k not in appointment]
    if missing:
        raise MalformedMessage(f"the event lacks {', '.join(missing)}")
