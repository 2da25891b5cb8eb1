"""Webhook registrations and their deliveries log, under the tenant's partition of the catalog table.

A delivery item is keyed by webhook, time and attempt, so a webhook's log reads newest first with one
Query; each expires (TTL) after DELIVERY_RETENTION_DAYS.
"""

from __future__ import annotations

from dataclasses import dataclass
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


webhooks: TypedRecords[WebhookRecord] = TypedRecords(
    TenantRecords("WEBHOOK", WebhookNotFound), WebhookRecord.from_doc
)


def _delivery_prefix(webhook_id: str) -> str:
    return f"WHDELIVERY#{webhook_id}#"


def log_delivery(tenant_id: str, webhook_id: str, delivery: dict[str, Any], expires_at: int) -> None:
    sk = f"{_delivery_prefix(webhook_id)}{delivery['at']}#{delivery['event_id']}#{delivery['attempt']:02d}"
    config.catalog_table().put_item(
        Item={"pk": tenant_pk(tenant_id), "sk": sk, DOC: to_doc(delivery), "expires_at": expires_at}
    )


def deliveries_page(
    tenant_id: str, webhook_id: str, now_epoch: int, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    prefix = _delivery_prefix(webhook_id)
    params = {
        "KeyConditionExpression": Key("pk").eq(tenant_pk(tenant_id)) & Key("sk").begins_with(prefix),
        "ScanIndexForward": False,
        "ConsistentRead": True,
    }
    listing = f"deliveries:{webhook_id}"  # a cursor works on this webhook's deliveries only
    start = decode_cursor(cursor, tenant_id, listing, {"pk": tenant_pk(tenant_id), "sk": prefix})
    items, last = paginate(
        config.catalog_table().query,
        params,
        ("pk", "sk"),
        limit,
        start,
        keep=lambda item: int(item.get("expires_at", now_epoch + 1)) > now_epoch,
    )
    return [from_doc(item) for item in items], encode_cursor(last, tenant_id, listing)
