"""Locking logic over an in-memory lock table: the Lock record, its stored item, and the use cases
that read it (get, release, conversion into a booking), with no moto and no AWS.

The repository under test is the real LockRepository; only its table is an in-memory dict that
answers get_item the way DynamoDB does, so the item shape read back is the one written."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from creneau import config
from creneau.clock import epoch
from creneau.dal.calendar_time import HeldSpan, Hold
from creneau.dal.catalog_records import CalendarRecord
from creneau.dal.lock_repository import Lock, LockRepository
from creneau.dal.store import Store
from creneau.errors import LockNotFound
from creneau.logic import locks
from creneau.models.booking import LockIn
from tests.fakes.memory_table import InMemoryTable

TENANT = "tenant-a"
NOW = datetime(2026, 3, 2, 9, 0, 7, tzinfo=UTC)
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


class InMemoryLocks(LockRepository):
    """A LockRepository over an InMemoryTable; `store` puts a lock as a committed write would."""

    def __init__(self) -> None:
        table = InMemoryTable()
        super().__init__(table=lambda: table, table_name=lambda: "bookings")
        object.__setattr__(self, "memory", table)

    def store(self, tenant_id: str, lock: Lock) -> Lock:
        item = self.put_item(tenant_id, lock, None)["Put"]["Item"]
        self.memory.put(item)
        return lock


def a_lock(code: str = "K7Q2-MP4X", expires_in: int = 300, **changes) -> Lock:
    fields = {
        "lock_code": code,
        "service_ids": ("svc-cut", "svc-wash"),
        "calendar_id": "cal-1",
        "start": START,
        "end": START + timedelta(minutes=45),
        "expires_at": epoch(NOW) + expires_in,
        "hold": HeldSpan(START - timedelta(minutes=5), START + timedelta(minutes=50), ("u1", "u2")),
        "revision": "rev-1",
    }
    return Lock(**(fields | changes))


@pytest.fixture
def repository() -> InMemoryLocks:
    return InMemoryLocks()


# ---- the record and its stored item ---------------------------------------------------------------


def test_a_lock_is_stored_as_a_document_with_expiry_and_revision_beside_it(repository):
    item = repository.put_item(TENANT, a_lock(), None)["Put"]["Item"]
    assert {k: v for k, v in item.items() if k != "doc"} == {
        "pk": "T#tenant-a",
        "sk": "LOCK#K7Q2-MP4X",
        "expires_at": epoch(NOW) + 300,
        "revision": "rev-1",
    }
    assert json.loads(item["doc"]) == {
        "lock_code": "K7Q2-MP4X",
        "service_id": "svc-cut",
        "service_ids": ["svc-cut", "svc-wash"],
        "calendar_id": "cal-1",
        "start": "2026-03-02T10:00:00Z",
        "end": "2026-03-02T10:45:00Z",
        "expires_at": epoch(NOW) + 300,
        "hold": {
            "occ_start": "2026-03-02T09:55:00Z",
            "occ_end": "2026-03-02T10:50:00Z",
            "units": ["u1", "u2"],
        },
        "revision": "rev-1",
    }


def test_a_lock_on_seats_stores_its_seats_and_session(repository):
    lock = a_lock(hold=HeldSpan(START, START + timedelta(hours=1)), seats=3, session_id="sess-9")
    doc = json.loads(repository.put_item(TENANT, lock, None)["Put"]["Item"]["doc"])
    assert (doc["seats"], doc["session_id"], doc["hold"]["units"]) == (3, "sess-9", [])


def test_a_lock_reads_back_as_written(repository):
    for lock in (a_lock(), a_lock("SEAT-LOCK", seats=4, session_id="sess-1")):
        repository.store(TENANT, lock)
        assert repository.find(TENANT, lock.lock_code) == lock


def test_a_lock_stored_before_several_services_reads_as_one_service_and_one_seat(repository):
    doc = {**a_lock().to_doc(), "service_id": "svc-old"}
    del doc["service_ids"]
    lock = Lock.from_doc(doc)
    assert (lock.service_ids, lock.seats, lock.session_id) == (("svc-old",), 1, None)
    assert locks.view(lock)["service_ids"] == ["svc-old"]


def test_a_lock_is_found_only_under_its_tenant_and_code(repository):
    repository.store(TENANT, a_lock())
    assert repository.find("tenant-b", "K7Q2-MP4X") is None
    assert repository.find(TENANT, "OTHER-CODE") is None


# ---- one concurrency scheme: the revision ----------------------------------------------------------


def test_creating_a_lock_requires_that_no_record_exists_under_its_code(repository):
    put = repository.put_item(TENANT, a_lock(), None)["Put"]
    assert put["ConditionExpression"] == "attribute_not_exists(pk)"
    assert "ExpressionAttributeValues" not in put


def test_moving_a_lock_is_conditioned_on_the_revision_that_was_read(repository):
    read = repository.store(TENANT, a_lock(revision="rev-read"))
    moved = a_lock(start=START + timedelta(hours=1), revision="rev-new")
    put = repository.put_item(TENANT, moved, read)["Put"]
    assert put["ConditionExpression"] == "revision = :read"
    assert put["ExpressionAttributeValues"] == {":read": "rev-read"}
    assert put["Item"]["revision"] == "rev-new"


def test_deleting_a_lock_is_conditioned_on_the_revision_that_was_read(repository):
    delete = repository.delete_item(TENANT, a_lock(revision="rev-read"))["Delete"]
    assert delete["Key"] == {"pk": "T#tenant-a", "sk": "LOCK#K7Q2-MP4X"}
    assert (delete["ConditionExpression"], delete["ExpressionAttributeValues"]) == (
        "revision = :read",
        {":read": "rev-read"},
    )


def test_the_revision_of_no_lock_is_none():
    assert locks.revision(None) is None
    assert locks.revision(a_lock(revision="r2")) == "r2"


# ---- get and release --------------------------------------------------------------------------------


def test_a_live_lock_is_read_as_the_api_shows_it(repository):
    repository.store(TENANT, a_lock())
    assert locks.get(Store(locks=repository), TENANT, "K7Q2-MP4X", NOW) == {
        "seats": 1,
        "session_id": None,
        "lock_code": "K7Q2-MP4X",
        "service_id": "svc-cut",
        "service_ids": ["svc-cut", "svc-wash"],
        "calendar_id": "cal-1",
        "start": "2026-03-02T10:00:00Z",
        "end": "2026-03-02T10:45:00Z",
        "expires_at": "2026-03-02T09:05:07Z",
    }


def test_a_lock_is_gone_the_second_its_expiry_is_reached(repository):
    repository.store(TENANT, a_lock(expires_in=1))
    assert locks.get(Store(locks=repository), TENANT, "K7Q2-MP4X", NOW)["lock_code"] == "K7Q2-MP4X"
    with pytest.raises(LockNotFound):
        locks.get(Store(locks=repository), TENANT, "K7Q2-MP4X", NOW + timedelta(seconds=1))


@pytest.mark.parametrize("use_case", [locks.get, locks.release])
def test_an_unknown_or_expired_lock_is_not_found(repository, use_case):
    repository.store(TENANT, a_lock("OLD1-LOCK", expires_in=0))
    for code in ("NONE-HERE", "OLD1-LOCK"):
        with pytest.raises(LockNotFound, match="no live lock with this code"):
            use_case(Store(locks=repository), TENANT, code, NOW)


@pytest.mark.parametrize("use_case", [locks.get, locks.release])
def test_a_lock_on_a_calendar_the_caller_may_not_see_is_not_found(repository, use_case):
    repository.store(TENANT, a_lock())
    with pytest.raises(LockNotFound):
        use_case(Store(locks=repository), TENANT, "K7Q2-MP4X", NOW, frozenset({"cal-2"}))


def test_a_caller_limited_to_the_locks_calendar_reads_it(repository):
    repository.store(TENANT, a_lock())
    found = locks.get(Store(locks=repository), TENANT, "K7Q2-MP4X", NOW, frozenset({"cal-1"}))
    assert found["calendar_id"] == "cal-1"


def test_another_tenants_lock_is_not_found(repository):
    repository.store("tenant-b", a_lock())
    with pytest.raises(LockNotFound):
        locks.get(Store(locks=repository), TENANT, "K7Q2-MP4X", NOW)


# ---- a booking converting a lock --------------------------------------------------------------------


def booking_of(services: list[str], start: datetime = START, seats: int = 1) -> LockIn:
    return LockIn(service_ids=services, start=start, seats=seats)


def test_a_booking_takes_over_only_a_live_lock_on_its_calendar():
    lock = a_lock()
    assert locks.taken_over(lock, "cal-1", NOW) == ("LOCK#K7Q2-MP4X",)
    assert locks.taken_over(lock, "cal-2", NOW) == ()
    assert locks.taken_over(a_lock(expires_in=0), "cal-1", NOW) == ()
    assert locks.taken_over(None, "cal-1", NOW) == ()


def a_calendar(calendar_id: str) -> CalendarRecord:
    return CalendarRecord(
        id=calendar_id, name="Dr Martin", timezone="Europe/Paris", claim_timezone="Europe/Paris"
    )


def test_a_live_lock_converts_into_the_time_it_holds_under_the_new_owner():
    placement = locks.converted(
        TENANT, a_lock(), a_calendar("cal-1"), booking_of(["svc-cut", "svc-wash"]), NOW, "APPT#a1"
    )
    assert (placement.start, placement.end) == (START, START + timedelta(minutes=45))
    assert placement.hold == Hold(
        TENANT,
        "cal-1",
        "APPT#a1",
        START - timedelta(minutes=5),
        START + timedelta(minutes=50),
        ("u1", "u2"),
        None,  # an appointment's claims do not expire
    )


def test_a_lock_does_not_convert_into_another_booking():
    lock, calendar = a_lock(), a_calendar("cal-1")
    other = [
        booking_of(["svc-wash", "svc-cut"]),  # the same services in another order
        booking_of(["svc-cut", "svc-wash"], START + timedelta(minutes=15)),
    ]
    for request in other:
        assert locks.converted(TENANT, lock, calendar, request, NOW, "APPT#a1") is None
    assert locks.converted(TENANT, lock, a_calendar("cal-2"), other[0], NOW, "APPT#a1") is None
    expired = a_lock(expires_in=0)
    assert locks.converted(TENANT, expired, calendar, booking_of(["svc-cut", "svc-wash"]), NOW, "x") is None


def test_a_lock_on_seats_covers_a_booking_of_at_most_its_seats():
    lock = a_lock(seats=3, session_id="sess-1")
    assert locks.covers(lock, booking_of(["svc-cut", "svc-wash"], seats=3))
    assert not locks.covers(lock, booking_of(["svc-cut", "svc-wash"], seats=4))
    assert locks.holds_seats(lock, "cal-1", NOW)
    assert not locks.holds_seats(a_lock(), "cal-1", NOW)  # a lock of time, not seats
    assert not locks.holds_seats(a_lock(seats=3, session_id="s", expires_in=0), "cal-1", NOW)


@pytest.fixture
def bookings_table_named(monkeypatch):
    """Claims and occupancy items name the table from the configuration."""
    monkeypatch.setenv("BOOKINGS_TABLE", "bookings")
    config.reset()
    yield
    config.reset()


def test_consuming_a_lock_deletes_it_as_read_and_frees_only_what_the_booking_does_not_reuse(
    repository, bookings_table_named
):
    lock = a_lock(revision="rev-read")
    booked = Hold(TENANT, "cal-1", "APPT#a1", START, START + timedelta(minutes=45), ("u2", "u3"))
    items = locks.consumption_items(TENANT, lock, booked, NOW, repository)
    assert items[-1] == repository.delete_item(TENANT, lock)
    freed = [item["Delete"]["Key"]["pk"] for item in items[:-1] if "CLAIM#" in item["Delete"]["Key"]["pk"]]
    assert freed == ["CLAIM#tenant-a#cal-1#u1"]  # u2 is re-used by the booking
    occupancy = [item["Delete"]["Key"] for item in items if item["Delete"]["Key"]["pk"].startswith("OCC#")]
    assert occupancy == [{"pk": "OCC#tenant-a#cal-1", "sk": "2026-03-02T09:55:00Z#LOCK#K7Q2-MP4X"}]
    elsewhere = Hold(TENANT, "cal-2", "APPT#a1", START, START + timedelta(minutes=45), ("u1",))
    assert locks.consumption_items(TENANT, lock, elsewhere, NOW, repository) == []
