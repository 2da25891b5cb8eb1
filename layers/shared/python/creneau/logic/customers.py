"""Customer records ("fiches") of a tenant."""

from __future__ import annotations

from typing import Any

from creneau.dal.customer_repository import CustomerRecord
from creneau.dal.store import Store
from creneau.models.customers import Customer, CustomerFields, CustomerPatch
from creneau.security import new_id


def new_customer(data: CustomerFields) -> CustomerRecord:
    validated = Customer.model_validate({**data.model_dump(), "id": new_id()}).model_dump(mode="json")
    return CustomerRecord.from_doc(validated)


def create(store: Store, tenant_id: str, data: CustomerFields) -> dict[str, Any]:
    customer = new_customer(data)
    store.customers.create(tenant_id, customer)
    return customer.public()


def get(store: Store, tenant_id: str, customer_id: str) -> dict[str, Any]:
    return store.customers.get(tenant_id, customer_id).public()


def update(store: Store, tenant_id: str, customer_id: str, patch: CustomerPatch) -> dict[str, Any]:
    current = store.customers.get(tenant_id, customer_id)
    merged = Customer.model_validate({**current.public(), **patch.changes()}).model_dump(mode="json")
    store.customers.replace(tenant_id, CustomerRecord.from_doc(merged, current.version))
    return merged


def search(
    store: Store, tenant_id: str, email: str | None, text: str | None, limit: int, cursor: str | None
) -> dict:
    if email:
        found = [c.public() for c in store.customers.find_by_email(tenant_id, email) if _matches(c, text)]
        return {"items": found[:limit], "next_cursor": None}
    page, next_cursor = store.customers.list_page(tenant_id, limit, cursor, lambda c: _matches(c, text))
    return {"items": [c.public() for c in page], "next_cursor": next_cursor}


def _matches(customer: CustomerRecord, text: str | None) -> bool:
    if not text:
        return True
    fields = (customer.first_name, customer.last_name, customer.email, customer.phone)
    haystack = " ".join(str(value or "") for value in fields)
    return text.lower() in haystack.lower()
