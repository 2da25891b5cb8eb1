"""User records: who a signed-in person is for Creneau (tenant, role, calendars, status, name).

Keyed by the Cognito user id alone, so that a token (which names only the user) finds its record in
one read; listed per tenant through gsi1 (tenant, email).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from boto3.dynamodb.conditions import Key

from creneau import config
from creneau.dal.base import (
    DOC,
    from_doc,
    index_page,
    put_over_version,
    tenant_pk,
    to_doc,
)
from creneau.dal.records import VersionedRecord
from creneau.errors import UserNotFound

LISTING = "users"  # a cursor of this listing works only here


def _key(user_id: str) -> dict[str, str]:
    return {"pk": f"USER#{user_id}", "sk": "USER"}


def _listing(tenant_id: str) -> str:
    return f"{tenant_pk(tenant_id)}#USERS"


@dataclass(frozen=True, kw_only=True)
class UserRecord(VersionedRecord):
    """A person who signs in: which tenant, what role and calendars (None: every one), their status."""

    STORED: ClassVar[dict[str, str]] = {"tenant_id": "tenant_id"}  # the item's, not the API's

    id: str
    tenant_id: str
    email: str
    name: str
    role: str
    calendar_ids: list[str] | None = None
    status: str  # invited, active, disabled
    created_at: str
    updated_at: str
    version: int = 0  # of the item read; 0 before it is stored


def _item(user: UserRecord, version: int) -> dict[str, Any]:
    return {
        **_key(user.id),
        "gsi1pk": _listing(user.tenant_id),
        "gsi1sk": f"{user.email}#{user.id}",
        "tenant_id": user.tenant_id,
        "version": version,
        DOC: to_doc(user.to_doc()),
    }


def _record(item: dict[str, Any]) -> UserRecord:
    return UserRecord.from_doc(from_doc(item), int(item["version"]))


@dataclass(frozen=True)
class UserRepository:
    """User records: keyed by the pool's user id, listed per tenant on gsi1."""

    table: Callable[[], Any] = config.catalog_table

    def find(self, user_id: str) -> UserRecord | None:
        """The record as stored, read consistently (a disabled user must stop at once)."""
        item = self.table().get_item(Key=_key(user_id), ConsistentRead=True).get("Item")
        return _record(item) if item else None

    def get(self, tenant_id: str, user_id: str) -> UserRecord:
        """A user of this tenant; another tenant's user is simply not found."""
        found = self.find(user_id)
        if found is None or found.tenant_id != tenant_id:
            raise UserNotFound(f"no user {user_id}")
        return found

    def create(self, user: UserRecord) -> None:
        self.table().put_item(Item=_item(user, 1), ConditionExpression="attribute_not_exists(pk)")

    def replace(self, user: UserRecord) -> None:
        """Over `user.version`, the version read; a change in between is a Conflict."""
        changed = "this user was changed meanwhile; read it again"
        put_over_version(self.table(), _item(user, user.version + 1), user.version, changed)

    def delete(self, user_id: str) -> None:
        self.table().delete_item(Key=_key(user_id))

    def list_page(
        self, tenant_id: str, limit: int, cursor: str | None
    ) -> tuple[list[UserRecord], str | None]:
        """The tenant's users by email. gsi1 is eventually consistent: a user created a moment ago may
        take a moment to be listed (reading it by id is consistent)."""
        condition = Key("gsi1pk").eq(_listing(tenant_id))
        expected = {"pk": "USER#", "sk": "USER", "gsi1pk": _listing(tenant_id), "gsi1sk": ""}
        query = self.table().query
        items, next_cursor = index_page(query, LISTING, tenant_id, condition, expected, limit, cursor)
        return [_record(item) for item in items], next_cursor
