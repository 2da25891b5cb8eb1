"""Customer records. An email index (gsi1) finds a person's records without scanning the tenant."""

from __future__ import annotations

from typing import Any

from creneau import config
from creneau.dal.base import tenant_pk
from creneau.dal.records import TenantRecords
from creneau.errors import CustomerNotFound

records = TenantRecords("CUSTOMER", CustomerNotFound)


def index_attributes(tenant_id: str, doc: dict[str, Any]) -> dict[str, Any]:
    email = (doc.get("email") or "").lower()
    if not email:
        return {"gsi1pk": None, "gsi1sk": None}
    return {"gsi1pk": f"{tenant_pk(tenant_id)}#EMAIL#{email}", "gsi1sk": f"CUSTOMER#{doc['id']}"}


def find_by_email(tenant_id: str, email: str) -> list[dict[str, Any]]:
    page = config.catalog_table().query(
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :email",
        ExpressionAttributeValues={":email": f"{tenant_pk(tenant_id)}#EMAIL#{email.lower()}"},
    )
    # The index is eventually consistent: read each record itself for its current state.
    found = (records.find(tenant_id, item["sk"].split("#", 1)[1]) for item in page.get("Items", []))
    return [doc for doc in found if doc and (doc.get("email") or "").lower() == email.lower()]


def new_customer_item(tenant_id: str, doc: dict[str, Any]) -> dict[str, Any]:
    """A customer created with their first booking: one open appointment already."""
    item = records.item(tenant_id, doc, version=1, attributes=index_attributes(tenant_id, doc))
    return {
        "Put": {
            "TableName": config.table_name("CATALOG_TABLE"),
            "Item": {**item, "open_count": 1},
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


def open_count_item(tenant_id: str, customer_id: str, delta: int, limit: int | None) -> dict[str, Any]:
    """Move the customer's count of open appointments; growing past `limit` fails the transaction,
    so concurrent bookings cannot together exceed it."""
    condition = "attribute_exists(pk)"
    values: dict[str, Any] = {":delta": delta, ":zero": 0}
    if delta > 0 and limit is not None:
        condition += " AND (attribute_not_exists(open_count) OR open_count < :limit)"
        values[":limit"] = limit
    return {
        "Update": {
            "TableName": config.table_name("CATALOG_TABLE"),
            "Key": records.key(tenant_id, customer_id),
            "UpdateExpression": "SET open_count = if_not_exists(open_count, :zero) + :delta",
            "ConditionExpression": condition,
            "ExpressionAttributeValues": values,
        }
    }
