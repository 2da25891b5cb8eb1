"""LockRepository on moto: the revision is the one concurrency scheme of lock records."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from creneau.dal.calendar_time import HeldSpan
from creneau.dal.lock_repository import Lock, LockRepository
from creneau.dal.transaction import Transaction, TransactionFailed

TENANT = "tenant-a"
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def a_lock(revision: str, start: datetime = START) -> Lock:
    return Lock(
        lock_code="K7Q2-MP4X",
        service_ids=("svc-cut",),
        calendar_id="cal-1",
        start=start,
        end=start + timedelta(minutes=30),
        expires_at=int(start.timestamp()),
        hold=HeldSpan(start, start + timedelta(minutes=30), ("u1",)),
        revision=revision,
    )


def write(item: dict) -> None:
    Transaction().extend("lock", [item]).commit()


def test_a_lock_written_is_read_back_as_the_same_record(aws):
    repository = LockRepository()
    write(repository.put_item(TENANT, a_lock("r1"), None))
    assert repository.find(TENANT, "K7Q2-MP4X") == a_lock("r1")


def test_a_second_create_under_the_same_code_is_refused(aws):
    repository = LockRepository()
    write(repository.put_item(TENANT, a_lock("r1"), None))
    with pytest.raises(TransactionFailed) as refused:
        write(repository.put_item(TENANT, a_lock("r2"), None))
    assert refused.value.refused == {"lock"}
    assert repository.find(TENANT, "K7Q2-MP4X").revision == "r1"


def test_a_move_or_delete_from_a_stale_read_is_refused(aws):
    repository = LockRepository()
    first = a_lock("r1")
    write(repository.put_item(TENANT, first, None))
    moved = replace(first, start=START + timedelta(hours=1), revision="r2")
    write(repository.put_item(TENANT, moved, first))
    for stale in (
        repository.put_item(TENANT, a_lock("r3"), first),  # a move decided on the first read
        repository.delete_item(TENANT, first),  # a release or booking decided on it
    ):
        with pytest.raises(TransactionFailed):
            write(stale)
    assert repository.find(TENANT, "K7Q2-MP4X") == moved
    write(repository.delete_item(TENANT, moved))
    assert repository.find(TENANT, "K7Q2-MP4X") is None
