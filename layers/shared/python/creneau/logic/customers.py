"""Customer records ("fiches") of a tenant."""

from __future__ import annotations

from typing import Any

from creneau.dal import customers
from creneau.logic.catalog import merged_with, public_view
from creneau.models.customers import Customer, CustomerFields
from creneau.security import new_id


def new_customer_doc(data: CustomerFields) -> dict[str, Any]:
    return Customer.model_validate({**data.model_dump(), "id": new_id()}).model_dump(mode="json")


def create(tenant_id: str, data: CustomerFields) -> dict[str, Any]:
    doc = new_customer_doc(data)
    customers.records.create(tenant_id, doc, customers.index_attributes(tenant_id, doc))
    return doc


def get(tenant_id: str, customer_id: str) -> dict[str, Any]:
    return public_view(customers.records.get(tenant_id, customer_id))


def update(tenant_id: str, customer_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    current, merged = merged_with(customers.records, Customer, tenant_id, customer_id, changes)
    customers.records.replace(
        tenant_id, {**current, **merged}, current["_version"], customers.index_attributes(tenant_id, merged)
    )
    return merged


def search(tenant_id: str, email: str | None, text: str | None, limit: int, cursor: str | None) -> dict:
    if email:
        found = [public_view(d) for d in customers.find_by_email(tenant_id, email)]
        return {"items": [d for d in found if _matches(d, text)][:limit], "next_cursor": None}
    docs, next_cursor = customers.records.list_page(tenant_id, limit, cursor, lambda d: _matches(d, text))
    return {"items": [public_view(d) for d in docs], "next_cursor": next_cursor}


def _matches(doc: dict[str, Any], text: str | None) -> bool:
    if not text:
        return True
    haystack = " ".join(str(doc.get(k) or "") for k in ("first_name", "last_name", "email", "phone"))
    return text.lower() in haystack.lower()
