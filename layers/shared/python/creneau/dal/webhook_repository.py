"""Webhook registrations and their deliveries log, under the tenant's partition of the catalog table.

A delivery item is keyed by webhook, time and attempt, so a webhook's log reads newest first with one
Query; each expires (TTL) after DELIVERY_RETENTION_DAYS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar

from boto3.dynamodb.conditions import Key

from creneau import config
from creneau.dal.base import DOC, decode_cursor, encode_cursor, from_doc, paginate, tenant_pk, to_doc
from creneau.dal.records import TenantRecords, TypedRecords, VersionedRecord
from creneau.errors import WebhookNotFound

DELIVERY_RETENTION_DAYS = 30
STORED_SECRET = "_secret"  # where the item's document keeps the signing secret


@dataclass(frozen=True, kw_only=True)
class WebhookRecord(VersionedRecord):
    """A registration; its signing secret is shown once, at registration, and kept to sign."""

    STORED: ClassVar[dict[str, str]] = {"secret": STORED_SECRET}

    id: str
    url: str
    events: list[str]
    description: str = ""
    created_at: str
    secret: str
    version: int = 0  # of the item read; 0 before it is stored

    def wants(self, event_type: str) -> bool:
        return "*" in self.events or event_type in self.events


def _delivery_prefix(webhook_id: str) -> str:
    return f"WHDELIVERY#{webhook_id}#"


@dataclass(frozen=True)
class WebhookRepository:
    """The registrations (typed records) and each one's deliveries log, in `table`."""

    table: Callable[[], Any] = config.catalog_table

    @cached_property
    def registrations(self) -> TypedRecords[WebhookRecord]:
        return TypedRecords(TenantRecords("WEBHOOK", WebhookNotFound, self.table), WebhookRecord.from_doc)

    def log_delivery(
        self, tenant_id: str, webhook_id: str, delivery: dict[str, Any], expires_at: int
    ) -> None:
        at, event_id, attempt = delivery["at"], delivery["event_id"], delivery["attempt"]
        sk = f"{_delivery_prefix(webhook_id)}{at}#{event_id}#{attempt:02d}"
        self.table().put_item(
            Item={"pk": tenant_pk(tenant_id), "sk": sk, DOC: to_doc(delivery), "expires_at": expires_at}
        )

    def deliveries_page(
        self, tenant_id: str, webhook_id: str, now_epoch: int, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Newest first, without the entries past their TTL that DynamoDB has not removed yet."""
        prefix = _delivery_prefix(webhook_id)
        params = {
            "KeyConditionExpression": Key("pk").eq(tenant_pk(tenant_id)) & Key("sk").begins_with(prefix),
            "ScanIndexForward": False,
            "ConsistentRead": True,
        }
        listing = f"deliveries:{webhook_id}"  # a cursor works on this webhook's deliveries only
        start = decode_cursor(cursor, tenant_id, listing, {"pk": tenant_pk(tenant_id), "sk": prefix})
        items, last = paginate(
            self.table().query,
            params,
            ("pk", "sk"),
            limit,
            start,
            keep=lambda item: int(item.get("expires_at", now_epoch + 1)) > now_epoch,
        )
        return [from_doc(item) for item in items], encode_cursor(last, tenant_id, listing)
