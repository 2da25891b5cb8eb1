"""Lock records (pre-reservations). Their claims and occupancy live in calendar_time."""

from __future__ import annotations

from typing import Any

from creneau import config
from creneau.dal.base import DOC, from_doc, tenant_pk, to_doc


def _key(tenant_id: str, lock_code: str) -> dict[str, str]:
    return {"pk": tenant_pk(tenant_id), "sk": f"LOCK#{lock_code}"}


def find(tenant_id: str, lock_code: str) -> dict[str, Any] | None:
    """The lock record, live or expired (callers decide what expiry means for them)."""
    item = config.bookings_table().get_item(Key=_key(tenant_id, lock_code), ConsistentRead=True).get("Item")
    return from_doc(item) if item else None


def put_item(tenant_id: str, doc: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
    """Create, or move the lock that was read (`previous`): a concurrent move of the same code fails.

    Each write carries a fresh `revision`; conditions compare it (expires_at is only whole seconds,
    so two moves within one second could not tell each other apart by it)."""
    if previous is None:
        condition, values = "attribute_not_exists(pk)", {}
    else:
        condition, values = "revision = :read", {":read": previous["revision"]}
    request: dict[str, Any] = {
        "TableName": config.table_name("BOOKINGS_TABLE"),
        "Item": {
            **_key(tenant_id, doc["lock_code"]),
            "expires_at": doc["expires_at"],
            "revision": doc["revision"],
            DOC: to_doc(doc),
        },
        "ConditionExpression": condition,
    }
    if values:
        request["ExpressionAttributeValues"] = values
    return {"Put": request}


def delete_item(tenant_id: str, doc: dict[str, Any]) -> dict[str, Any]:
    """Delete the lock as read; if someone moved or consumed it meanwhile, the transaction fails."""
    return {
        "Delete": {
            "TableName": config.table_name("BOOKINGS_TABLE"),
            "Key": _key(tenant_id, doc["lock_code"]),
            "ConditionExpression": "revision = :read",
            "ExpressionAttributeValues": {":read": doc["revision"]},
        }
    }
