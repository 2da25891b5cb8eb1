"""Customer records ("fiches") as typed records, and the one repository that stores them.

An item keeps the record as a JSON document beside its `version` (every replace is conditioned on
the version read) and its `open_count` (what the booking transaction counts). An email index (gsi1)
finds a person's records without scanning the tenant. A person's open appointments are counted on
one counter item per person (their email, else their phone), across their records.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from creneau import config
from creneau.dal.base import tenant_pk
from creneau.dal.records import TenantRecords
from creneau.errors import CustomerNotFound


@dataclass(frozen=True)
class CustomerRecord:
    id: str
    first_name: str = ""
    last_name: str = ""
    email: str | None = None
    phone: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    version: int = 0  # of the item read; 0 before it is stored

    def public(self) -> dict[str, Any]:
        """What the API shows and what the item's document keeps."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k != "version"}

    @classmethod
    def from_doc(cls, doc: dict[str, Any], version: int = 0) -> CustomerRecord:
        return cls(**{k: v for k, v in doc.items() if k != "_version"}, version=version)

    @property
    def counter(self) -> str | None:
        """The key of the open-appointment counter of the person this record describes: their
        normalised email, else their phone; None for a record with neither (it counts on its own)."""
        email = (self.email or "").strip().lower()
        phone = "".join(ch for ch in (self.phone or "") if ch.isdigit() or ch == "+")
        identity = f"email:{email}" if email else f"phone:{phone}" if phone else None
        # Hashed: the counter's key need not carry contact details.
        return f"PERSON#{hashlib.sha256(identity.encode()).hexdigest()}" if identity else None


@dataclass(frozen=True)
class CustomerRepository:
    records: TenantRecords = field(default_factory=lambda: TenantRecords("CUSTOMER", CustomerNotFound))
    table_name: Callable[[], str] = config.catalog_table_name

    def find(self, tenant_id: str, customer_id: str) -> CustomerRecord | None:
        doc = self.records.find(tenant_id, customer_id)
        return _record(doc) if doc else None

    def get(self, tenant_id: str, customer_id: str) -> CustomerRecord:
        return _record(self.records.get(tenant_id, customer_id))

    def create(self, tenant_id: str, customer: CustomerRecord) -> None:
        self.records.create(tenant_id, customer.public(), _index_attributes(tenant_id, customer))

    def replace(self, tenant_id: str, customer: CustomerRecord) -> None:
        """Over `customer.version`, the version read; the email index follows the email."""
        attributes = _index_attributes(tenant_id, customer)
        self.records.replace(tenant_id, customer.public(), customer.version, attributes)

    def delete(self, tenant_id: str, customer_id: str) -> None:
        self.records.delete(tenant_id, customer_id)

    def list_page(
        self, tenant_id: str, limit: int, cursor: str | None, keep: Callable[[CustomerRecord], bool]
    ) -> tuple[list[CustomerRecord], str | None]:
        docs, next_cursor = self.records.list_page(tenant_id, limit, cursor, lambda d: keep(_record(d)))
        return [_record(doc) for doc in docs], next_cursor

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
        item = self.records.item(tenant_id, customer.public(), version=1, attributes=attributes)
        return {
            "Put": {
                "TableName": self.table_name(),
                "Item": {**item, "open_count": 1},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

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
    email = (customer.email or "").lower()
    if not email:
        return {"gsi1pk": None, "gsi1sk": None}
    return {"gsi1pk": _email_index(tenant_id, email), "gsi1sk": f"CUSTOMER#{customer.id}"}


def _record(doc: dict[str, Any]) -> CustomerRecord:
    return CustomerRecord.from_doc(doc, doc["_version"])
