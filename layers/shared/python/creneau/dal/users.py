"""User records: who a signed-in person is for Creneau (tenant, role, calendars, status, name).

Keyed by the Cognito user id alone, so that a token (which names only the user) finds its record in
one read; listed per tenant through gsi1 (tenant, email).
"""

from __future__ import annotations

from typing import Any

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
from creneau.errors import UserNotFound

LISTING = "users"  # a cursor of this listing works only here


def _key(user_id: str) -> dict[str, str]:
    return {"pk": f"USER#{user_id}", "sk": "USER"}


def _listing(tenant_id: str) -> str:
    return f"{tenant_pk(tenant_id)}#USERS"


def _item(doc: dict[str, Any], version: int) -> dict[str, Any]:
    return {
        **_key(doc["id"]),
        "gsi1pk": _listing(doc["tenant_id"]),
        "gsi1sk": f"{doc['email']}#{doc['id']}",
        "tenant_id": doc["tenant_id"],
        "version": version,
        DOC: to_doc(doc),
    }


def find(user_id: str) -> tuple[dict[str, Any], int] | None:
    """The record and its version, read consistently (a disabled user must stop at once)."""
    item = config.catalog_table().get_item(Key=_key(user_id), ConsistentRead=True).get("Item")
    return (from_doc(item), int(item["version"])) if item else None


def get(tenant_id: str, user_id: str) -> tuple[dict[str, Any], int]:
    """A user of this tenant; another tenant's user is simply not found."""
    found = find(user_id)
    if found is None or found[0]["tenant_id"] != tenant_id:
        raise UserNotFound(f"no user {user_id}")
    return found


def create(doc: dict[str, Any]) -> None:
    config.catalog_table().put_item(Item=_item(doc, 1), ConditionExpression="attribute_not_exists(pk)")


def replace(doc: dict[str, Any], version_read: int) -> None:
    changed = "this user was changed meanwhile; read it again"
    put_over_version(config.catalog_table(), _item(doc, version_read + 1), version_read, changed)


def delete(user_id: str) -> None:
    config.catalog_table().delete_item(Key=_key(user_id))


def list_page(
    tenant_id: str, limit: int, cursor: str | None
) -> tuple[list[tuple[dict[str, Any], int]], str | None]:
    """The tenant's users by email. gsi1 is eventually consistent: a user created a moment ago may
    take a moment to be listed (reading it by id is consistent)."""
    condition = Key("gsi1pk").eq(_listing(tenant_id))
    expected = {"pk": "USER#", "sk": "USER", "gsi1pk": _listing(tenant_id), "gsi1sk": ""}
    query = config.catalog_table().query
    items, next_cursor = index_page(query, LISTING, tenant_id, condition, expected, limit, cursor)
    return [(from_doc(item), int(item["version"])) for item in items], next_cursor
