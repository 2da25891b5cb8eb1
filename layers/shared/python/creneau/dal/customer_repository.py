"""Customer records ("fiches") as typed records, and the one repository that stores them.

An item keeps the record as a JSON document beside its `version` (every replace is conditioned on
the version read) and its `open_count` (what the booking transaction counts). An email index (gsi1)
finds a person's records without scanning the tenant. A person's open appointments are counted on
one counter item per person (their email, else their phone), across their records.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from creneau import config
from creneau.dal.base import put_new, tenant_pk
from creneau.dal.records import TenantRecords, TypedRecords, VersionedRecord
from creneau.errors import CustomerNotFound


@dataclass(frozen=True)
class CustomerRecord(VersionedRecord):
    id: str
    first_name: str = ""
    last_name: str = ""
    email: str | None = None
    phone: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    version: int = 0  # of the item read; 0 before it is stored

    @property
    def counter(self) -> str | None:
        """The key of the open-appointment counter of the person this record describes: their
        normalised email, else their phone; None for a record with neither (it counts on its own)."""
        email = (self.email or "").strip().lower()
        phone = "".join(ch for ch in (self.phone or "") if ch.isdigit() or ch == "+")
        identity = f"email:{email}" if email else f"phone:{phone}" if phone else None
        # Hashed: the counter's key need not carry contact details.
        return f"PERSON#{hashlib.sha256(identity.encode()).hexdigest()}" if identity else None


class CustomerRepository(TypedRecords[CustomerRecord]):
    def __init__(
        self,
        table: Callable[[], Any] = config.catalog_table,
        table_name: Callable[[], str] = config.catalog_table_name,
    ) -> None:
        records = TenantRecords("CUSTOMER", CustomerNotFound, table)
        super().__init__(records, CustomerRecord.from_doc, _index_attributes)  # the email index
        self.table_name = table_name

    def find_by_email(self, tenant_id: str, email: str) -> list[CustomerRecord]:
        page = self.records.table().query(
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :email",
            ExpressionAttributeValues={":email": _email_index(tenant_id, email)},
        )
        # The index is eventually consistent: read each record itself for its current state.
        found = (self.find(tenant_id, item["sk"].split("#", 1)[1]) for item in page.get("Items", []))
        return [record for record in found if record and (record.email or "").lower() == email.lower()]

    def new_customer_item(self, tenant_id: str, customer: CustomerRecord) -> dict[str, Any]:
        """A customer created with their first booking: one open appointment already."""
        attributes = _index_attributes(tenant_id, customer)
        item = self.records.item(tenant_id, customer.to_doc(), version=1, attributes=attributes)
        return put_new(self.table_name(), {**item, "open_count": 1})

    def open_count_item(
        self, tenant_id: str, customer_id: str, delta: int, limit: int | None, counter: str | None = None
    ) -> dict[str, Any]:
        """Move a count of open appointments: the person's `counter` when there is one, else the
        customer record's. Growing past `limit` fails the transaction, so concurrent bookings cannot
        together exceed it, whichever of the person's records they use."""
        values: dict[str, Any] = {":delta": delta, ":zero": 0}
        condition = [] if counter else ["attribute_exists(pk)"]
        if delta > 0 and limit is not None:
            condition.append("(attribute_not_exists(open_count) OR open_count < :limit)")
            values[":limit"] = limit
        if counter:
            key = {"pk": tenant_pk(tenant_id), "sk": counter}
        else:
            key = self.records.key(tenant_id, customer_id)
        condition_expression = {"ConditionExpression": " AND ".join(condition)} if condition else {}
        return {
            "Update": {
                "TableName": self.table_name(),
                "Key": key,
                "UpdateExpression": "SET open_count = if_not_exists(open_count, :zero) + :delta",
                "ExpressionAttributeValues": values,
                **condition_expression,
            }
        }


def _email_index(tenant_id: str, email: str) -> str:
    return f"{tenant_pk(tenant_id)}#EMAIL#{email.lower()}"


def _index_attributes(tenant_id: str, customer: CustomerRecord) -> dict[str, Any]:
    if not customer.email:
        return {"gsi1pk": None, "gsi1sk": None}
    return {"gsi1pk": _email_index(tenant_id, customer.email), "gsi1sk": f"CUSTOMER#{customer.id}"}
