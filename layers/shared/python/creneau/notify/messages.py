"""One email as raw MIME (standard library `email`): a text part, an HTML part and the .ics, in the
tenant's language, times in the calendar's zone with the zone named."""

from __future__ import annotations

import html
import tomllib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from functools import cache
from pathlib import Path
from string import Template
from typing import Any
from zoneinfo import ZoneInfo

from creneau.domain.events import CANCELLATION
from creneau.notify import ics

TEXTS = Path(__file__).parent / "texts"
DEFAULT_LANGUAGE = "en"


@cache
def texts(locale: str) -> dict[str, Any]:
    """The texts of a locale ("fr", "fr-FR"...): its language's file, else English."""
    language = (locale or DEFAULT_LANGUAGE).split("-")[0].lower()
    path = TEXTS / f"{language}.toml"
    if not path.exists():
        path = TEXTS / f"{DEFAULT_LANGUAGE}.toml"
    return tomllib.loads(path.read_text(encoding="utf-8")) | {"language": path.stem}


def local_when(instant: str, zone_name: str, words: dict[str, Any]) -> str:
    at = datetime.fromisoformat(instant.replace("Z", "+00:00")).astimezone(ZoneInfo(zone_name))
    fmt = words["format"]
    return Template(fmt["when"]).safe_substitute(
        weekday=fmt["weekdays"][at.weekday()],
        day=str(at.day),
        month=fmt["months"][at.month - 1],
        year=str(at.year),
        time=at.strftime(fmt["time"]),
        zone=zone_name,
    )


@dataclass(frozen=True)
class Email:
    """What a sender needs: the envelope and the raw bytes."""

    sender: str
    to: str
    subject: str
    raw: bytes


@dataclass(frozen=True)
class Letter:
    """Everything one email says, gathered by the notifier."""

    kind: str  # invitation | update | cancellation | reminder
    audience: str  # customer | agent
    to: str
    appointment: dict[str, Any]
    version: int
    tenant_name: str
    locale: str
    sender: str
    calendar_name: str
    zone: str
    services: str
    manage_url: str | None
    event_id: str
    stamp: datetime


def compose(letter: Letter) -> Email:
    words = texts(letter.locale)
    appointment = letter.appointment
    customer = appointment.get("customer") or {}
    customer_name = " ".join(p for p in (customer.get("first_name"), customer.get("last_name")) if p)
    contact = ", ".join(p for p in (customer.get("email"), customer.get("phone")) if p)
    values = {
        "first_name": customer.get("first_name") or customer_name,
        "customer_name": customer_name,
        "customer_contact": f"({contact})" if contact else "",
        "services": letter.services,
        "calendar_name": letter.calendar_name,
        "tenant_name": letter.tenant_name,
        "when": local_when(appointment["start"], letter.zone, words),
        "status_text": words["status"].get(appointment["status"], appointment["status"]),
    }
    part = words[letter.audience][letter.kind]
    subject = Template(part["subject"]).safe_substitute(values)
    paragraphs = [Template(p).safe_substitute(values) for p in part["text"].split("\n\n")]
    link = letter.manage_url if letter.audience == "customer" and letter.kind != CANCELLATION else None
    if link:
        paragraphs.append(Template(words["format"]["manage"]).safe_substitute(manage_url=link))
    paragraphs.append(Template(words["format"]["signature"]).safe_substitute(values))
    calendar = ics.invitation(
        appointment,
        letter.version,
        (letter.tenant_name, letter.sender),
        summary=f"{letter.services} — {letter.tenant_name}",
        description="\n\n".join(paragraphs[:-1]),
        location=letter.calendar_name,
        stamp=letter.stamp,
    )
    message = _mime(letter, subject, paragraphs, link, calendar, words["language"])
    return Email(letter.sender, letter.to, subject, message.as_bytes())


def _mime(letter: Letter, subject, paragraphs, link, calendar: bytes, language: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr((letter.tenant_name, letter.sender))
    message["To"] = letter.to
    message["Subject"] = subject
    message["Date"] = format_datetime(letter.stamp)
    message["Message-ID"] = make_msgid(domain=letter.sender.split("@")[-1])
    message["Content-Language"] = language
    message["X-Creneau-Event-Id"] = letter.event_id
    message.set_content("\n\n".join(paragraphs) + "\n")
    message.add_alternative(_html(paragraphs, link, language), subtype="html")
    method = "CANCEL" if letter.appointment["status"] == "CANCELLED" else "REQUEST"
    # The inline text/calendar part is what Gmail and Outlook render as an invitation; the attached
    # copy is for clients that only offer attachments.
    message.add_alternative(
        calendar.decode(), subtype="calendar", params={"method": method}, cte="quoted-printable"
    )
    message.add_attachment(calendar, maintype="application", subtype="ics", filename="invitation.ics")
    return message


def _html(paragraphs: list[str], link: str | None, language: str) -> str:
    body = []
    for paragraph in paragraphs:
        escaped = html.escape(paragraph).replace("\n", "<br>")
        if link and link in paragraph:
            anchor = f'<a href="{html.escape(link, quote=True)}">{html.escape(link)}</a>'
            escaped = escaped.replace(html.escape(link), anchor)
        body.append(f"<p>{escaped}</p>")
    return f'<!doctype html>\n<html lang="{language}"><body>\n' + "\n".join(body) + "\n</body></html>\n"
