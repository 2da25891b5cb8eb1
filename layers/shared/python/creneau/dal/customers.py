"""Customer records. An email index (gsi1) finds a person's records without scanning the tenant."""

from __future__ import annotations

import hashlib
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


def person_counter(doc: dict[str, Any]) -> str | None:
    """The key of the open-appointment counter of the person a record describes: their normalised
    email, else their phone; None for a record with neither (it then counts on its own)."""
    email = (doc.get("email") or "").strip().lower()
    phone = "".join(ch for ch in (doc.get("phone") or "") if ch.isdigit() or ch == "+")
    identity = f"email:{email}" if email else f"phone:{phone}" if phone else None
    # Hashed: the counter's key need not carry contact details.
    return f"PERSON#{hashlib.sha256(identity.encode()).hexdigest()}" if identity else None


def open_count_item(
    tenant_id: str, customer_id: str, delta: int, limit: int | None, counter: str | None = None
) -> dict[str, Any]:
    """Move a count of open appointments: the person's `counter` when there is one, else the
    customer record's. Growing past `limit` fails the transaction, so concurrent bookings cannot
    together exceed it, whichever of the person's records they use."""
    values: dict[str, Any] = {":delta": delta, ":zero": 0}
    condition = [] if counter else ["attribute_exists(pk)"]
    if delta > 0 and limit is not None:
        condition.append("(attribute_not_exists(open_count) OR open_count < :limit)")
        values[":limit"] = limit
    key = {"pk": tenant_pk(tenant_id), "sk": counter} if counter else records.key(tenant_id, customer_id)
    condition_expression = {"ConditionExpression": " AND ".join(condition)} if condition else {}
    return {
        "Update": {
            "TableName": config.table_name("CATALOG_TABLE"),
            "Key": key,
            "UpdateExpression": "SET open_count = if_not_exists(open_count, :zero) + :delta",
            "ExpressionAttributeValues": values,
            **condition_expression,
        }
    }
