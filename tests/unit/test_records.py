"""The typed records between logic and data access, and the items their repositories write, with no
moto: an appointment, a tenant's settings, a customer record, a service and a calendar read back as
written, show only their public fields, and are replaced only over the version read."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from creneau.dal.appointment_repository import Appointment, AppointmentRepository
from creneau.dal.calendar_time import HeldSpan
from creneau.dal.catalog_records import (
    STORED_CLAIM_TIMEZONE,
    CalendarRecord,
    CategoryRecord,
    ServiceRecord,
    calendar_records,
    service_records,
)
from creneau.dal.customer_repository import CustomerRecord, CustomerRepository
from creneau.dal.settings import SettingsRepository, TenantSettings
from creneau.domain.availability import ServiceShape
from creneau.errors import AppointmentNotFound
from creneau.models.catalog import Calendar, Service
from tests.fakes.memory_table import InMemoryTable

TENANT = "tenant-a"
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def an_appointment(**changes) -> Appointment:
    fields = {
        "id": "appt-1",
        "status": "CONFIRMED",
        "service_ids": ["svc-cut"],
        "calendar_id": "cal-1",
        "start": "2026-03-02T10:00:00Z",
        "end": "2026-03-02T10:30:00Z",
        "customer": {"id": "cust-1", "first_name": "Ada", "last_name": "L", "email": None, "phone": None},
        "comments": "",
        "fields": {},
        "total_price": {"amount": 3000, "currency": "EUR"},
        "created_at": "2026-03-01T08:00:00Z",
        "updated_at": "2026-03-01T08:00:00Z",
        "history": [
            {"at": "2026-03-01T08:00:00Z", "status": "CONFIRMED", "by": "key:k1:widget", "reason": ""}
        ],
        "hold": HeldSpan(START - timedelta(minutes=5), START + timedelta(minutes=40), ("u1", "u2")),
        "shape": ServiceShape(30, 5, 10),
        "counter": "PERSON#abc",
    }
    return Appointment(**(fields | changes))


@pytest.fixture
def appointments() -> tuple[AppointmentRepository, InMemoryTable]:
    table = InMemoryTable()
    return AppointmentRepository(table=lambda: table, table_name=lambda: "bookings"), table


# ---- appointments ---------------------------------------------------------------------------------


def test_an_appointment_reads_back_as_written_with_the_version_it_was_stored_with(appointments):
    repository, table = appointments
    table.put(repository.create_item(TENANT, an_appointment())["Put"]["Item"])
    assert repository.get(TENANT, "appt-1") == replace(an_appointment(), version=1)
    with pytest.raises(AppointmentNotFound):
        repository.get(TENANT, "appt-2")
    assert repository.find("tenant-b", "appt-1") is None


def test_the_public_view_keeps_the_hold_shape_counter_and_version_inside(appointments):
    shown = an_appointment(version=3).public()
    assert not {"hold", "shape", "counter", "version", "_hold"} & set(shown)
    assert "seats" not in shown and "session_id" not in shown  # only a group booking has them
    seated = an_appointment(hold=None, seats=2, session_id="SESS#cal-1_x").public()
    assert (seated["seats"], seated["session_id"]) == (2, "SESS#cal-1_x")


def test_the_stored_document_keeps_what_calendar_sync_and_the_stream_read(appointments):
    repository, _table = appointments
    item = repository.create_item(TENANT, an_appointment())["Put"]
    assert item["ConditionExpression"] == "attribute_not_exists(pk)"
    stored = item["Item"]
    assert (stored["gsi1sk"], stored["status"], stored["version"]) == (
        "2026-03-02T10:00:00Z#appt-1",
        "CONFIRMED",
        1,
    )
    doc = json.loads(stored["doc"])
    assert doc["_shape"] == [30, 5, 10] and doc["_counter"] == "PERSON#abc"
    assert doc["_hold"] == {
        "occ_start": "2026-03-02T09:55:00Z",
        "occ_end": "2026-03-02T10:40:00Z",
        "units": ["u1", "u2"],
    }


def test_a_replace_is_conditioned_on_the_version_read_and_writes_the_next(appointments):
    repository, _table = appointments
    put = repository.replace_item(TENANT, an_appointment(version=4, status="CANCELLED"))["Put"]
    assert (put["ConditionExpression"], put["ExpressionAttributeValues"]) == ("version = :read", {":read": 4})
    assert (put["Item"]["version"], put["Item"]["status"]) == (5, "CANCELLED")


def test_seats_of_a_group_session_hold_no_units_of_their_own(appointments):
    repository, table = appointments
    seated = an_appointment(hold=None, shape=ServiceShape(60), seats=3, session_id="SESS#cal-1_x")
    table.put(repository.create_item(TENANT, seated)["Put"]["Item"])
    read = repository.get(TENANT, "appt-1")
    assert (read.hold, read.seats, read.session_id, read.shape) == (None, 3, "SESS#cal-1_x", ServiceShape(60))


# ---- settings -------------------------------------------------------------------------------------


def test_settings_stored_before_a_field_existed_read_with_its_default():
    table = InMemoryTable()
    repository = SettingsRepository(table=lambda: table)
    old = repository.item(TENANT, TenantSettings(name="Mairie"), version=2)
    doc = json.loads(old["doc"])
    del doc["reminder_minutes_before"]
    table.put({**old, "doc": json.dumps(doc)})
    read = repository.get(TENANT)
    assert (read.name, read.reminder_minutes_before, read.version) == ("Mairie", [1440], 2)
    assert "version" not in read.public()


# ---- customers ------------------------------------------------------------------------------------


def test_a_persons_counter_is_their_email_else_their_phone_never_in_clear():
    by_email = CustomerRecord(id="c1", email=" Ada@Example.com ", phone="+33 6 12")
    same_person = CustomerRecord(id="c2", email="ada@example.com")
    by_phone = CustomerRecord(id="c3", phone="+33 6 12 34")
    assert by_email.counter == same_person.counter and by_email.counter.startswith("PERSON#")
    assert "ada" not in by_email.counter and by_phone.counter != by_email.counter
    assert CustomerRecord(id="c4", last_name="Nobody").counter is None


def test_a_new_customer_item_counts_its_first_booking_and_is_indexed_by_email():
    repository = CustomerRepository(table_name=lambda: "catalog")
    put = repository.new_customer_item(
        TENANT, CustomerRecord(id="c1", first_name="Ada", email="Ada@Example.com")
    )
    item = put["Put"]["Item"]
    assert (item["open_count"], item["version"], item["gsi1pk"]) == (1, 1, "T#tenant-a#EMAIL#ada@example.com")
    assert json.loads(item["doc"])["email"] == "Ada@Example.com"


# ---- categories -----------------------------------------------------------------------------------


def test_a_category_shows_its_fields_and_keeps_its_version_inside():
    category = CategoryRecord.from_doc({"id": "cat-1", "name": "Hair", "position": 2}, version=7)
    assert (category.version, category.public()) == (7, {"id": "cat-1", "name": "Hair", "position": 2})


# ---- services and calendars -----------------------------------------------------------------------


def a_calendar(**changes) -> CalendarRecord:
    fields = {
        "id": "cal-1",
        "name": "Dr Martin",
        "timezone": "America/New_York",
        "claim_timezone": "Europe/Paris",
    }
    return CalendarRecord(**(fields | changes))


def test_services_and_calendars_show_exactly_the_api_fields():
    service = ServiceRecord(id="svc-1", name="Cut", duration_minutes=30, version=4)
    assert set(service.public()) == set(Service.model_fields)
    assert Service.model_validate(service.public()).model_dump(mode="json") == service.public()
    calendar = a_calendar(version=4)
    assert set(calendar.public()) == set(Calendar.model_fields)
    assert Calendar.model_validate(calendar.public()).model_dump(mode="json") == calendar.public()


def test_a_calendar_item_keeps_its_claim_zone_inside_the_document_and_its_version_beside_it():
    item = calendar_records().records.item(TENANT, a_calendar(version=4).to_doc(), version=5)
    doc = json.loads(item["doc"])
    assert (doc[STORED_CLAIM_TIMEZONE], doc["timezone"], item["version"]) == (
        "Europe/Paris",
        "America/New_York",
        5,
    )
    assert not {"claim_timezone", "version"} & set(doc)


def test_a_calendar_stored_as_before_reads_with_its_claim_zone_and_version():
    table = InMemoryTable()
    shown = Calendar.model_validate(a_calendar().public()).model_dump(mode="json")
    records = calendar_records(lambda: table)
    # What create_calendar wrote while calendars were plain documents.
    table.put(records.records.item(TENANT, {**shown, STORED_CLAIM_TIMEZONE: "Europe/Paris"}, version=3))
    read = records.get(TENANT, "cal-1")
    assert (read.claim_timezone, read.version, read.public()) == ("Europe/Paris", 3, shown)
    assert read.changed(name="Dr Martin-Roy").to_doc() == {
        **shown,
        "name": "Dr Martin-Roy",
        STORED_CLAIM_TIMEZONE: "Europe/Paris",
    }


def test_a_service_stored_before_a_field_existed_reads_with_its_default():
    table = InMemoryTable()
    records = service_records(lambda: table)
    doc = ServiceRecord(id="svc-1", name="Cut", duration_minutes=30).to_doc()
    del doc["capacity"]
    table.put(records.records.item(TENANT, doc, version=2))
    read = records.get(TENANT, "svc-1")
    assert (read.capacity, read.version, read.name) == (1, 2, "Cut")
