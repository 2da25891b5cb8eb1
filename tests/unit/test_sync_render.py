"""Calendar sync, pure parts: templates and placeholders, event specs per option, busy pieces, state."""

from datetime import UTC, datetime, timedelta

import pytest

from creneau.domain.units import MAX_UNITS_PER_BOOKING
from creneau.models.sync import ConnectionOptions
from creneau.sync import busy, render, state

APPOINTMENT = {
    "id": "a1",
    "status": "PENDING",
    "service_ids": ["s1", "s2"],
    "calendar_id": "c1",
    "start": "2026-03-17T09:30:00Z",
    "end": "2026-03-17T10:15:00Z",
    "customer": {
        "id": "k",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@x.org",
        "phone": "+33",
    },
    "comments": "first visit",
    "fields": {"plate": "AB-123-CD", "people": 2},
    "total_price": {"amount": 2500, "currency": "EUR"},
    "_shape": [45, 10, 5],
}
SERVICES = [{"id": "s1", "name": "Cut"}, {"id": "s2", "name": "Colour"}]
CALENDAR = {"id": "c1", "name": "Alice", "timezone": "Europe/Paris"}


def options(**changes) -> dict:
    return ConnectionOptions(**changes).model_dump()


def test_every_placeholder_in_the_calendar_zone_and_locale():
    template = (
        "%service_name%|%customer_full_name%|%customer_email%|%customer_phone%|%calendar_name%|"
        "%appointment_start%|%appointment_end%|%appointment_status%|%comments%|%price%|%field:plate%|"
        "%field:people%|%field:missing%|%unknown%|50%"
    )
    values = render.placeholders(APPOINTMENT, SERVICES, CALENDAR, "fr")
    assert render.render(template, values) == (
        "Cut, Colour|Ada Lovelace|ada@x.org|+33|Alice|2026-03-17 10:30|2026-03-17 11:15|PENDING|first visit|"
        "25,00 €|AB-123-CD|2|%field:missing%|%unknown%|50%"
    )


@pytest.mark.parametrize(
    ("amount", "locale", "text"),
    [(2500, "fr", "25,00 €"), (2500, "en", "€25.00"), (125005, "en", "€1,250.05"), (5, "fr", "0,05 €")],
)
def test_price_in_the_tenant_locale(amount, locale, text):
    assert render.price_text({"amount": amount, "currency": "EUR"}, locale) == text


def test_pending_shown_only_with_include_pending_and_tentative():
    assert not render.shown(APPOINTMENT, options())
    assert render.shown(APPOINTMENT, options(include_pending=True))
    assert not render.shown({**APPOINTMENT, "status": "CANCELLED"}, options(include_pending=True))
    spec = render.event_spec(APPOINTMENT, SERVICES, CALENDAR, "fr", options(include_pending=True), "google")
    assert spec.tentative
    confirmed = render.event_spec(
        {**APPOINTMENT, "status": "CONFIRMED"}, SERVICES, CALENDAR, "fr", options(), "google"
    )
    assert not confirmed.tentative


def test_buffers_widen_the_event_only_on_request():
    plain = render.event_spec(APPOINTMENT, SERVICES, CALENDAR, "fr", options(), "google")
    wide = render.event_spec(APPOINTMENT, SERVICES, CALENDAR, "fr", options(include_buffers=True), "google")
    assert plain.start == datetime(2026, 3, 17, 9, 30, tzinfo=UTC)
    assert (wide.start, wide.end) == (plain.start - timedelta(minutes=10), plain.end + timedelta(minutes=5))


def test_attendees_per_provider_and_invitations():
    google = render.event_spec(APPOINTMENT, SERVICES, CALENDAR, "fr", options(add_attendees=True), "google")
    assert [a.email for a in google.attendees] == ["ada@x.org"] and not google.send_invitations
    # Graph mails every attendee: without invitations the customer is only named.
    outlook = render.event_spec(APPOINTMENT, SERVICES, CALENDAR, "fr", options(add_attendees=True), "outlook")
    assert outlook.attendees == () and "Ada Lovelace <ada@x.org>" in outlook.description
    invited = render.event_spec(
        APPOINTMENT, SERVICES, CALENDAR, "fr", options(add_attendees=True, send_invitations=True), "outlook"
    )
    assert [a.email for a in invited.attendees] == ["ada@x.org"]
    none = render.event_spec(APPOINTMENT, SERVICES, CALENDAR, "fr", options(), "google")
    assert none.attendees == ()


def test_digest_changes_with_what_is_written():
    one = render.event_spec(APPOINTMENT, SERVICES, CALENDAR, "fr", options(), "google")
    same = render.event_spec(dict(APPOINTMENT), SERVICES, CALENDAR, "fr", options(), "google")
    moved = render.event_spec(
        {**APPOINTMENT, "start": "2026-03-17T11:00:00Z"}, SERVICES, CALENDAR, "fr", options(), "google"
    )
    assert render.digest(one) == render.digest(same) != render.digest(moved)
    assert render.digest(None) == "absent"


def at(hour: float) -> datetime:
    return datetime(2026, 3, 17, tzinfo=UTC) + timedelta(hours=hour)


def test_busy_merged_clipped_and_cut_within_the_look_back():
    window = (at(0), at(48))
    pieces = busy.pieces([(at(9), at(10)), (at(9.5), at(11)), (at(13), at(13)), (at(-5), at(1))], 5, window)
    longest = timedelta(minutes=MAX_UNITS_PER_BOOKING * 5)
    assert all(end - start <= longest for start, end in pieces)
    assert pieces[0][0] == at(0)  # clipped to the window
    covered = busy.merged(pieces)
    assert covered == [(at(0), at(1)), (at(9), at(11))]  # the same time, nothing more
    all_day = busy.pieces([(at(24), at(48))], 60, window)
    assert len(all_day) == 1  # 30 units of 60 minutes hold a whole day


def test_state_signed_and_forgeries_refused(monkeypatch):
    monkeypatch.setenv("OAUTH_STATE_SECRET", "s3cret")
    nonce, signed = state.new_state()
    assert state.verified_nonce(signed) == nonce
    assert state.verified_nonce(signed[:-1] + ("A" if signed[-1] != "A" else "B")) is None
    assert state.verified_nonce(f"other.{signed.split('.')[1]}") is None
    assert state.verified_nonce("") is None and state.verified_nonce(None) is None
    monkeypatch.setenv("OAUTH_STATE_SECRET", "another")
    assert state.verified_nonce(signed) is None
