"""The booking use cases over an in-memory store, without moto: booking, locking, rescheduling and
status changes decide and write what they must, and react to what DynamoDB answers (a condition
refused, a concurrent transaction) as they must.

The repositories are the real ones; only their tables and the transaction client are in memory
(tests/fakes/memory_table.py), checking each item's condition as DynamoDB does. Races between
real concurrent clients are proved against the local stack (tests/e2e/test_*_storm.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from creneau import config
from creneau.dal import calendar_time
from creneau.dal.transaction import TransactionFailed
from creneau.domain.days import LocalDays, OpenDays
from creneau.domain.units import unit_keys
from creneau.errors import (
    Conflict,
    Forbidden,
    InvalidStatusTransition,
    LockNotFound,
    SlotUnavailable,
    TooManyAppointments,
)
from creneau.logic import appointments, locks, slots
from creneau.logic.appointments import Actor, AppointmentFilter
from creneau.models.booking import AppointmentIn, LockIn, RescheduleIn, StatusIn
from tests.fakes.memory_store import memory_shop

NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # Monday 08:00 in Paris
TUESDAY = datetime(2026, 3, 3, tzinfo=UTC)
AGENT = Actor("agent:test")
CAMILLE = {"first_name": "Camille", "last_name": "Durand", "email": "camille@example.fr"}
HOURS = {day: [{"start": "09:00", "end": "12:00"}] for day in ("mon", "tue", "wed", "thu", "fri")}


def paris(hour: int, minute: int = 0, day: datetime = TUESDAY) -> datetime:
    """A wall-clock time of that day in Paris (UTC+1 in March before the change), in UTC."""
    return day + timedelta(hours=hour - 1, minutes=minute)


@pytest.fixture
def shop(monkeypatch):
    """Alice's calendar (Mon-Fri 09:00-12:00, a start every 15 minutes, 15-minute units) offering a
    30-minute cut; retries do not wait."""
    monkeypatch.setattr("creneau.logic.retry.time.sleep", lambda _seconds: None)
    shop = memory_shop(monkeypatch)
    shop.service("svc-cut", "cut", 30)
    shop.calendar(
        "cal-alice", "Alice", ["svc-cut"], weekly_hours=HOURS, slot_step_minutes=15, unit_minutes=15
    )
    yield shop
    config.reset()


def book(shop, start: datetime, actor: Actor = AGENT, now: datetime = NOW, **fields) -> dict:
    request = AppointmentIn.model_validate(
        {"service_id": "svc-cut", "start": start, "customer": CAMILLE} | fields
    )
    return appointments.create(shop.store, shop.tenant_id, request, actor, now)


def claim_owners(shop) -> dict[str, str]:
    """Each claimed unit (its key's last part) and the owner holding it."""
    return {item["pk"].rsplit("#", 1)[1]: item["owner"] for item in shop.items("CLAIM#")}


def units(start: datetime, minutes: int = 30) -> list[str]:
    """The calendar's 15-minute units that [start, start + minutes) occupies."""
    return unit_keys(start, start + timedelta(minutes=minutes), "Europe/Paris", 15)


def held_by(owner: str, *starts: datetime) -> dict[str, str]:
    return {unit: owner for start in starts for unit in units(start)}


def refusal_of(error: pytest.ExceptionInfo) -> dict:
    (detail,) = error.value.details
    return detail


# ---- booking --------------------------------------------------------------------------------------


def test_a_free_slot_is_booked_with_its_claims_occupancy_and_customer_in_one_transaction(shop):
    booked = book(shop, paris(10))

    assert (booked["status"], booked["calendar_id"]) == ("PENDING", "cal-alice")
    assert (booked["start"], booked["end"]) == ("2026-03-03T09:00:00Z", "2026-03-03T09:30:00Z")
    assert booked["customer"]["email"] == "camille@example.fr"
    assert len(shop.dynamo.committed) == 1
    owner = calendar_time.appointment_owner(booked["id"])
    assert claim_owners(shop) == held_by(owner, paris(10))  # two 15-minute units
    assert [item["owner"] for item in shop.items("OCC#")] == [owner]
    assert shop.store.appointments.get(shop.tenant_id, booked["id"]).public() == booked


def test_a_taken_time_is_refused_naming_the_reason_and_the_next_free_slot(shop):
    book(shop, paris(10))

    with pytest.raises(SlotUnavailable) as refused:
        book(shop, paris(10, 15))  # overlaps 10:00-10:30

    detail = refusal_of(refused)
    assert (detail["reason"], detail["calendar_id"]) == ("taken", "cal-alice")
    assert detail["next_free"]["start"] == "2026-03-03T09:30:00Z"  # 10:30 in Paris
    assert "10:15" in refused.value.message and "another appointment takes that time" in refused.value.message
    assert len(shop.dynamo.committed) == 1  # nothing written for the refused ones


def test_claims_taken_after_the_read_fail_the_whole_booking_and_nothing_is_written(shop):
    """Another booking's claims committed between our read and our write (its occupancy record not
    yet seen): our transaction's claims are refused, and neither the appointment nor the customer
    is stored."""
    taken = tuple(units(paris(10)))
    other = calendar_time.Hold(shop.tenant_id, "cal-alice", "APPT#other", paris(10), paris(10, 30), taken)
    for item in calendar_time.claim_items(other, NOW):
        shop.dynamo.tables["bookings"].put(item["Put"]["Item"])

    with pytest.raises(SlotUnavailable) as refused:
        book(shop, paris(10))

    assert refusal_of(refused)["reason"] == "taken"  # nothing seen in the way: a race took it
    assert claim_owners(shop) == held_by("APPT#other", paris(10))
    assert shop.dynamo.committed == []
    assert shop.items("OCC#") == []
    assert [key for key in shop.dynamo.tables["bookings"].items if key[1].startswith("APPT#")] == []
    assert shop.dynamo.tables["catalog"].items.keys() == {
        ("T#tenant-a", "SETTINGS"),
        ("T#tenant-a", "SERVICE#svc-cut"),
        ("T#tenant-a", "CALENDAR#cal-alice"),
    }


def test_a_transaction_cancelled_by_a_concurrent_one_is_decided_again_and_books_once(shop):
    shop.dynamo.contend_next(2)

    booked = book(shop, paris(10))

    assert len(shop.dynamo.committed) == 1
    assert [key for key in shop.dynamo.tables["bookings"].items if key[1].startswith("APPT#")] == [
        ("T#tenant-a", f"APPT#{booked['id']}")
    ]


def test_the_open_appointment_limit_holds_per_person_and_a_cancellation_gives_a_place_back(shop):
    shop.settings(max_open_appointments_per_customer=1)
    first = book(shop, paris(10))
    customer_id = first["customer"]["id"]

    with pytest.raises(TooManyAppointments):
        book(shop, paris(11), customer=None, customer_id=customer_id)
    with pytest.raises(TooManyAppointments):  # another record of the same person counts too
        book(shop, paris(11))

    appointments.change_status(
        shop.store, shop.tenant_id, first["id"], StatusIn(status="CANCELLED"), AGENT, NOW
    )
    again = book(shop, paris(11), customer=None, customer_id=customer_id)
    assert again["customer"]["id"] == customer_id


# ---- locks ----------------------------------------------------------------------------------------


def hold(shop, start: datetime, now: datetime = NOW, **fields) -> dict:
    request = LockIn.model_validate({"service_id": "svc-cut", "start": start} | fields)
    return locks.hold(shop.store, shop.tenant_id, request, now)


def test_a_lock_holds_the_time_against_others_and_its_code_converts_it_into_the_booking(shop):
    lock = hold(shop, paris(10))
    assert lock["expires_at"] == "2026-03-02T07:10:00Z"  # lock_ttl_seconds (600) from now

    with pytest.raises(SlotUnavailable) as refused:
        book(shop, paris(10))
    assert refusal_of(refused)["reason"] == "locked"

    booked = book(shop, paris(10), lock_code=lock["lock_code"])
    owner = calendar_time.appointment_owner(booked["id"])
    assert set(claim_owners(shop).values()) == {owner}  # the lock's claims are the booking's now
    assert [item["owner"] for item in shop.items("OCC#")] == [owner]
    assert shop.store.locks.find(shop.tenant_id, lock["lock_code"]) is None  # consumed
    with pytest.raises(LockNotFound):
        locks.get(shop.store, shop.tenant_id, lock["lock_code"], NOW)


def test_a_lock_ends_exactly_at_its_expiry_and_its_time_is_bookable_then(shop):
    lock = hold(shop, paris(10))
    expiry = datetime.fromisoformat(lock["expires_at"])

    with pytest.raises(SlotUnavailable):
        book(shop, paris(10), now=expiry - timedelta(seconds=1))
    booked = book(shop, paris(10), now=expiry)  # its claims still stored, and counted as absent

    assert set(claim_owners(shop).values()) == {calendar_time.appointment_owner(booked["id"])}


def test_moving_a_lock_frees_its_former_time_in_the_same_transaction(shop):
    lock = hold(shop, paris(10))
    moved = hold(shop, paris(11), lock_code=lock["lock_code"])

    assert moved["start"] == "2026-03-03T10:00:00Z"
    assert claim_owners(shop) == held_by(calendar_time.lock_owner(lock["lock_code"]), paris(11))
    assert book(shop, paris(10))["start"] == "2026-03-03T09:00:00Z"


# ---- rescheduling ---------------------------------------------------------------------------------


def reschedule(shop, appointment_id: str, start: datetime, **fields) -> dict:
    request = RescheduleIn.model_validate({"start": start} | fields)
    return appointments.reschedule(shop.store, shop.tenant_id, appointment_id, request, AGENT, NOW)


def test_rescheduling_takes_the_new_time_and_frees_the_old_one_in_one_transaction(shop):
    booked = book(shop, paris(10))

    moved = reschedule(shop, booked["id"], paris(11))

    assert (moved["start"], moved["end"]) == ("2026-03-03T10:00:00Z", "2026-03-03T10:30:00Z")
    assert moved["history"][-1]["reason"] == "rescheduled from 2026-03-03T09:00:00Z"
    owner = calendar_time.appointment_owner(booked["id"])
    assert claim_owners(shop) == held_by(owner, paris(11))
    assert [item["occ_start"] for item in shop.items("OCC#")] == ["2026-03-03T10:00:00Z"]
    assert len(shop.dynamo.committed) == 2
    assert book(shop, paris(10))["start"] == "2026-03-03T09:00:00Z"  # the old time is free again


def test_rescheduling_onto_a_taken_time_is_refused_and_leaves_the_appointment_as_it_was(shop):
    first = book(shop, paris(10))
    other = book(shop, paris(11))
    before = shop.store.appointments.get(shop.tenant_id, first["id"])
    claims_before = claim_owners(shop)

    with pytest.raises(SlotUnavailable) as refused:
        reschedule(shop, first["id"], paris(11))

    assert refusal_of(refused)["reason"] == "taken"
    assert shop.store.appointments.get(shop.tenant_id, first["id"]) == before
    assert claim_owners(shop) == claims_before
    assert claims_before == held_by(f"APPT#{first['id']}", paris(10)) | held_by(
        f"APPT#{other['id']}", paris(11)
    )


def test_an_appointment_may_move_onto_part_of_its_own_time(shop):
    """Its own claims count as free to it; the unit both spans share is re-claimed, not released."""
    booked = book(shop, paris(10))
    moved = reschedule(shop, booked["id"], paris(10, 15), calendar_id="cal-alice")
    assert moved["start"] == "2026-03-03T09:15:00Z"
    assert claim_owners(shop) == held_by(calendar_time.appointment_owner(booked["id"]), paris(10, 15))


# ---- status -----------------------------------------------------------------------------------------


def change(shop, appointment_id: str, status: str, actor: Actor = AGENT) -> dict:
    request = StatusIn(status=status, reason="asked")
    return appointments.change_status(shop.store, shop.tenant_id, appointment_id, request, actor, NOW)


def test_cancelling_frees_the_time_and_keeps_the_history(shop):
    booked = book(shop, paris(10))

    cancelled = change(shop, booked["id"], "CANCELLED")

    assert cancelled["status"] == "CANCELLED"
    assert [(e["status"], e["reason"]) for e in cancelled["history"]] == [
        ("PENDING", ""),
        ("CANCELLED", "asked"),
    ]
    assert claim_owners(shop) == {} and shop.items("OCC#") == []
    assert book(shop, paris(10))["start"] == "2026-03-03T09:00:00Z"


def test_the_lifecycle_refuses_what_it_does_not_allow(shop):
    booked = book(shop, paris(10))
    with pytest.raises(InvalidStatusTransition):
        change(shop, booked["id"], "COMPLETED")  # PENDING must be confirmed and started first
    with pytest.raises(Forbidden):
        change(shop, booked["id"], "CONFIRMED", Actor("customer", is_customer=True))

    assert change(shop, booked["id"], "CONFIRMED")["status"] == "CONFIRMED"
    assert change(shop, booked["id"], "IN_PROGRESS")["status"] == "IN_PROGRESS"
    assert change(shop, booked["id"], "COMPLETED")["status"] == "COMPLETED"
    assert set(claim_owners(shop).values()) == {calendar_time.appointment_owner(booked["id"])}  # kept
    with pytest.raises(InvalidStatusTransition):
        change(shop, booked["id"], "CANCELLED")


def test_a_status_change_over_a_stale_read_is_decided_again_on_the_current_state(shop):
    booked = book(shop, paris(10))
    stale = shop.store.appointments.get(shop.tenant_id, booked["id"])
    change(shop, booked["id"], "CANCELLED")

    # A writer that read before the cancellation: its replace is conditioned on the old version.
    confirmed = stale.changed(status="CONFIRMED")
    with pytest.raises(TransactionFailed) as refused:
        shop.store.transaction().extend(
            "appointment", [shop.store.appointments.replace_item(shop.tenant_id, confirmed)]
        ).commit()
    assert refused.value.refused == {"appointment"}
    with pytest.raises(InvalidStatusTransition):  # read again, the cancellation is final
        change(shop, booked["id"], "CONFIRMED")


def test_a_status_change_that_keeps_meeting_concurrent_writers_gives_up_with_nothing_written(shop):
    booked = book(shop, paris(10))
    shop.dynamo.contend_next(1000)

    with pytest.raises(Conflict):
        change(shop, booked["id"], "CANCELLED")

    assert shop.store.appointments.get(shop.tenant_id, booked["id"]).status == "PENDING"
    assert claim_owners(shop) == held_by(calendar_time.appointment_owner(booked["id"]), paris(10))


# ---- slots ------------------------------------------------------------------------------------------


def test_the_slots_read_what_bookings_and_locks_hold(shop):
    book(shop, paris(10))
    hold(shop, paris(11))
    ask = slots.SlotAsk(shop.tenant_id, ["svc-cut"])

    found = slots.find_slots(shop.store, ask, LocalDays(TUESDAY.date(), TUESDAY.date()), None, NOW)

    starts = [slot["start"].astimezone(UTC).strftime("%H:%M") for slot in found["slots"]]
    # Paris 09:45-10:15 would overlap the booking, 10:45-11:15 the lock: UTC is an hour behind.
    assert starts == ["08:00", "08:15", "08:30", "09:30", "10:30"]


# ---- listing --------------------------------------------------------------------------------------


def test_a_listing_keeps_the_local_days_asked_and_only_the_callers_calendars(shop):
    tuesday = [book(shop, paris(9))["id"], book(shop, paris(11))["id"]]
    book(shop, paris(9, day=TUESDAY + timedelta(days=1)))
    on_tuesday = AppointmentFilter(days=OpenDays(TUESDAY.date(), TUESDAY.date()))

    def listed(wanted: AppointmentFilter) -> list[str]:
        return [
            found["id"]
            for found in appointments.list_page(shop.store, shop.tenant_id, wanted, 50, None)["items"]
        ]

    assert listed(on_tuesday) == tuesday
    assert len(listed(AppointmentFilter(days=OpenDays(first=TUESDAY.date())))) == 3
    assert listed(AppointmentFilter(status="CONFIRMED")) == []
    assert listed(AppointmentFilter(within=frozenset({"cal-bob"}))) == []
