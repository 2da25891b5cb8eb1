"""Pure pieces of change events: which event a change is, which email it sends, which reminders it
keeps, the webhook signature, the address guard's pinning, and the emails' texts."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email import policy

import icalendar
import pytest

from creneau.domain import events
from creneau.logic.webhooks import signature, verify
from creneau.netguard import AddressRefused, pinned, resolve_checked
from creneau.notify.messages import Letter, compose

APPOINTMENT = {
    "id": "a1",
    "status": "PENDING",
    "service_ids": ["s1"],
    "calendar_id": "c1",
    "start": "2026-03-29T07:30:00Z",  # the morning clocks go forward in Paris
    "end": "2026-03-29T08:00:00Z",
    "customer": {"id": "u1", "first_name": "Zoé", "last_name": "Martin", "email": "zoe@example.fr"},
    "updated_at": "2026-03-20T10:00:00Z",
}


def changed(**fields) -> dict:
    return {**APPOINTMENT, **fields}


@pytest.mark.parametrize(
    ("previous", "current", "kind"),
    [
        (None, APPOINTMENT, events.CREATED),
        (APPOINTMENT, changed(status="CONFIRMED"), events.STATUS_CHANGED),
        (APPOINTMENT, changed(status="CANCELLED"), events.CANCELLED),
        (APPOINTMENT, changed(start="2026-03-29T09:00:00Z", end="2026-03-29T09:30:00Z"), events.RESCHEDULED),
        (APPOINTMENT, changed(calendar_id="c2"), events.RESCHEDULED),
        (APPOINTMENT, changed(comments="note"), None),
    ],
)
def test_each_change_is_one_event_type(previous, current, kind):
    assert events.change_type(previous, current) == kind


def test_the_event_id_is_the_same_for_a_replayed_record():
    first = events.change_event("t1", None, APPOINTMENT, 1)
    assert first == events.change_event("t1", None, APPOINTMENT, 1)
    assert first["id"] != events.change_event("t1", APPOINTMENT, changed(status="CONFIRMED"), 2)["id"]
    assert first["previous"] is None and first["occurred_at"] == APPOINTMENT["updated_at"]


@pytest.mark.parametrize(
    ("kind", "status", "email_kind"),
    [
        (events.CREATED, "PENDING", events.INVITATION),
        (events.STATUS_CHANGED, "CONFIRMED", events.UPDATE),
        (events.STATUS_CHANGED, "IN_PROGRESS", None),
        (events.STATUS_CHANGED, "COMPLETED", None),
        (events.RESCHEDULED, "CONFIRMED", events.UPDATE),
        (events.CANCELLED, "CANCELLED", events.CANCELLATION),
    ],
)
def test_which_email_a_change_sends(kind, status, email_kind):
    assert events.email_kind({"type": kind, "appointment": changed(status=status)}) == email_kind


def test_reminders_only_ahead_and_only_for_open_appointments():
    start = datetime(2026, 3, 29, 7, 30, tzinfo=UTC).timestamp()
    now = start - 2 * 3600
    due = events.reminders_due(APPOINTMENT, [60, 1440, 60], now, start)
    assert due == {"rem-a1-60": (60, start - 3600)}  # the day-before one has passed; duplicates merged
    assert events.reminders_due(changed(status="CANCELLED"), [60], now, start) == {}
    message = {"start": APPOINTMENT["start"]}
    assert events.reminder_still_valid(message, APPOINTMENT, now, start)
    assert not events.reminder_still_valid(message, changed(start="2026-03-30T07:30:00Z"), now, start)
    assert not events.reminder_still_valid(message, changed(status="COMPLETED"), now, start)
    assert not events.reminder_still_valid(message, APPOINTMENT, start + 1, start)


def test_a_signature_covers_the_timestamp_and_the_exact_body():
    header = signature("whsec_x", 1767600000, b'{"a":1}')
    assert header.startswith("t=1767600000,v1=") and verify("whsec_x", header, b'{"a":1}')
    assert not verify("whsec_x", header, b'{"a": 1}')
    assert not verify("whsec_y", header, b'{"a":1}')
    assert not verify("whsec_x", header.replace("t=1767600000", "t=1767600001"), b'{"a":1}')


def test_the_guard_refuses_without_the_flag_and_pins_the_checked_address():
    with pytest.raises(AddressRefused, match="public addresses"):
        resolve_checked("https://localhost:8443/x", allow_private=False)
    with pytest.raises(AddressRefused, match="https"):
        resolve_checked("http://127.0.0.1/x", allow_private=False)
    with pytest.raises(AddressRefused, match="user name"):
        resolve_checked("https://me:pw@127.0.0.1/x", allow_private=True)
    assert resolve_checked("http://127.0.0.1:9/x", allow_private=True) == ["127.0.0.1"]
    assert pinned("https://hooks.example.com:8443/a?b=1", "93.184.215.14") == (
        "https://93.184.215.14:8443/a?b=1",
        "hooks.example.com:8443",
        "hooks.example.com",
    )
    assert pinned("https://h.example/a", "2001:db8::1")[0] == "https://[2001:db8::1]/a"


def letter(locale: str, audience: str = "customer", kind: str = events.INVITATION, **appointment) -> Letter:
    return Letter(
        kind=kind,
        audience=audience,
        to="zoe@example.fr" if audience == "customer" else "agent@example.fr",
        appointment=changed(**appointment),
        version=2,
        tenant_name="Mairie <Démo>",
        locale=locale,
        sender="rdv@mairie.example",
        calendar_name="Guichet 1",
        zone="Europe/Paris",
        services="Passeport",
        manage_url="https://mairie.example/rdv?appointment=a1&token=mt_abc",
        event_id="evt_a1_2",
        stamp=datetime(2026, 3, 20, 10, 0, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("locale", "when"),
    [
        ("fr-FR", "dimanche 29 mars 2026 à 09:30 (Europe/Paris)"),  # CEST from 03:00 that day
        ("en", "Sunday, March 29, 2026 at 09:30 (Europe/Paris)"),
        ("de", "Sunday, March 29, 2026 at 09:30 (Europe/Paris)"),  # no German texts: English
    ],
)
def test_an_email_speaks_the_locale_and_the_calendar_time(locale, when):
    message = email.message_from_bytes(compose(letter(locale)).raw, policy=policy.default)
    text = message.get_body(("plain",)).get_content()
    assert when in text and when in message["Subject"]
    assert "token=mt_abc" in text
    html = message.get_body(("html",)).get_content()
    assert 'href="https://mairie.example/rdv?appointment=a1&amp;token=mt_abc"' in html
    assert "Mairie &lt;Démo&gt;" in html  # escaped
    calendar = icalendar.Calendar.from_ical(
        next(p for p in message.walk() if p.get_content_type() == "text/calendar").get_content()
    )
    (vevent,) = calendar.walk("VEVENT")
    assert (str(calendar["METHOD"]), int(vevent["SEQUENCE"]), str(vevent["UID"])) == (
        "REQUEST",
        1,
        "a1@creneau",
    )
    assert vevent.decoded("DTSTART") == datetime(2026, 3, 29, 7, 30, tzinfo=UTC)
    assert str(vevent["ORGANIZER"]) == "mailto:rdv@mairie.example"
    attachment = next(p for p in message.iter_attachments())
    assert attachment.get_filename() == "invitation.ics"


def test_a_cancellation_carries_no_manage_link_and_cancels_the_invitation():
    raw = compose(letter("fr", kind=events.CANCELLATION, status="CANCELLED")).raw
    message = email.message_from_bytes(raw, policy=policy.default)
    assert "token=" not in message.get_body(("plain",)).get_content()
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    assert part.get_param("method") == "CANCEL"


def test_the_agent_gets_the_customer_details_and_no_manage_link():
    message = email.message_from_bytes(compose(letter("fr", audience="agent")).raw, policy=policy.default)
    text = message.get_body(("plain",)).get_content()
    assert "Zoé Martin" in text and "zoe@example.fr" in text and "token=" not in text
