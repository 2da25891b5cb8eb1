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
