"""The auth step's view of user records: cached at most a minute, read afresh for writes; the role is
the token's group unless the record has since lowered it."""

from __future__ import annotations

import pytest

from creneau.dal.user_repository import UserRecord
from creneau.errors import NotAuthenticated
from creneau.logic.auth import UserRecords, _role


class Store:
    """User records by id, as the table would answer them (each read counted)."""

    def __init__(self) -> None:
        self.records: dict[str, dict] = {}
        self.reads = 0

    def find(self, user_id: str) -> UserRecord | None:
        self.reads += 1
        fields = self.records.get(user_id)
        return UserRecord(**USER, **fields, version=1) if fields else None


USER = {
    "tenant_id": "t1",
    "email": "claire@mairie.example",
    "name": "Claire",
    "role": "agent",
    "created_at": "2026-03-02T08:00:00Z",
    "updated_at": "2026-03-02T08:00:00Z",
}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store():
    s = Store()
    s.records["u1"] = {"id": "u1", "status": "active"}
    return s


def test_reads_are_cached_for_at_most_the_max_age(store):
    clock = Clock()
    records = UserRecords(store.find, clock, max_age_s=60)
    assert records.get("u1").status == "active"
    store.records["u1"]["status"] = "disabled"
    clock.now = 59.9
    assert records.get("u1").status == "active" and store.reads == 1
    clock.now = 60.0
    assert records.get("u1").status == "disabled" and store.reads == 2


def test_a_write_reads_the_record_afresh(store):
    records = UserRecords(store.find, Clock(), max_age_s=60)
    records.get("u1")
    store.records["u1"]["status"] = "disabled"
    assert records.get("u1", fresh=True).status == "disabled"
    assert records.get("u1").status == "disabled"  # and the cache learns it


def test_a_deleted_user_has_no_record(store):
    records = UserRecords(store.find, Clock())
    del store.records["u1"]
    assert records.get("u1") is None


def test_the_cache_is_bounded(store):
    records = UserRecords(store.find, Clock(), size=2)
    for user_id in ("a", "b", "c"):
        records.get(user_id)
    reads = store.reads
    records.get("a")  # evicted, read again
    assert store.reads == reads + 1


def test_role_is_the_group_lowered_by_the_record():
    assert _role(("admin",), "admin") == "admin"
    assert _role(("agent",), "agent") == "agent"
    assert _role(("admin",), "agent") == "agent"  # demoted since the token was issued: at once
    assert _role(("agent",), "admin") == "agent"  # promoted: with the next token
    assert _role(("agent", "other-group"), "agent") == "agent"


@pytest.mark.parametrize("groups", [(), ("agent", "admin"), ("public",)])
def test_a_user_needs_exactly_one_role_group(groups):
    with pytest.raises(NotAuthenticated):
        _role(groups, "agent")
