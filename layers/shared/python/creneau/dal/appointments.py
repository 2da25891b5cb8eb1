"""Appointment records. Listing by start uses gsi1 (tenant, start#id)."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key

from creneau import config
from creneau.dal.base import (
    DOC,
    from_doc,
    index_page,
    query_all,
    tenant_pk,
    to_doc,
)
from creneau.errors import AppointmentNotFound

LISTING = "appointments"  # a cursor of this listing works only here


def _key(tenant_id: str, appointment_id: str) -> dict[str, str]:
    return {"pk": tenant_pk(tenant_id), "sk": f"APPT#{appointment_id}"}


def _item(tenant_id: str, doc: dict[str, Any], version: int) -> dict[str, Any]:
    return {
        **_key(tenant_id, doc["id"]),
        "gsi1pk": f"{tenant_pk(tenant_id)}#APPTS",
        "gsi1sk": f"{doc['start']}#{doc['id']}",
        "status": doc["status"],
        "version": version,
        DOC: to_doc(doc),
    }


def create_item(tenant_id: str, doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "Put": {
            "TableName": config.table_name("BOOKINGS_TABLE"),
            "Item": _item(tenant_id, doc, 1),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


def replace_item(tenant_id: str, doc: dict[str, Any], version_read: int) -> dict[str, Any]:
    """Overwrite only the version that was read: a concurrent change makes the transaction fail."""
    return {
        "Put": {
            "TableName": config.table_name("BOOKINGS_TABLE"),
            "Item": _item(tenant_id, doc, version_read + 1),
            "ConditionExpression": "version = :read",
            "ExpressionAttributeValues": {":read": version_read},
        }
    }


def get(tenant_id: str, appointment_id: str) -> tuple[dict[str, Any], int]:
    item = (
        config.bookings_table().get_item(Key=_key(tenant_id, appointment_id), ConsistentRead=True).get("Item")
    )
    if item is None:
        raise AppointmentNotFound(f"no appointment {appointment_id}")
    return from_doc(item), int(item["version"])


def starting_from(tenant_id: str, start_from: str) -> list[dict[str, Any]]:
    """Every appointment whose start is at or after `start_from` (an ISO instant), in start order."""
    condition = Key("gsi1pk").eq(f"{tenant_pk(tenant_id)}#APPTS") & Key("gsi1sk").between(start_from, "9")
    params = {"IndexName": "gsi1", "KeyConditionExpression": condition}
    return [from_doc(item) for item in query_all(config.bookings_table().query, params)]


def list_page(
    tenant_id: str,
    start_from: str | None,
    start_before: str | None,
    keep,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Appointments ordered by start, filtered by `keep(doc)`, between two ISO instants."""
    condition = Key("gsi1pk").eq(f"{tenant_pk(tenant_id)}#APPTS")
    # gsi1sk is "<start ISO>#<id>": "0" sorts before and "9" after every instant.
    condition &= Key("gsi1sk").between(start_from or "0", start_before or "9")
    expected = {
        "pk": tenant_pk(tenant_id),
        "sk": "APPT#",
        "gsi1pk": f"{tenant_pk(tenant_id)}#APPTS",
        "gsi1sk": "",
    }
    items, next_cursor = index_page(
        config.bookings_table().query,
        LISTING,
        tenant_id,
        condition,
        expected,
        limit,
        cursor,
        keep=lambda item: keep(from_doc(item)),
    )
    return [from_doc(item) for item in items], next_cursor
