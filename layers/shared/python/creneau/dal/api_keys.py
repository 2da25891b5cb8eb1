"""API keys: looked up by the hash of the secret; listed under the tenant without it."""

from __future__ import annotations

from typing import Any

from creneau import config
from creneau.dal.base import tenant_pk
from creneau.errors import ApiKeyNotFound


def _lookup_key(key_hash: str) -> dict[str, str]:
    return {"pk": f"APIKEY#{key_hash}", "sk": "APIKEY"}


def _listing_key(tenant_id: str, key_id: str) -> dict[str, str]:
    return {"pk": tenant_pk(tenant_id), "sk": f"APIKEY#{key_id}"}


def put_items(tenant_id: str, key_id: str, role: str, name: str, key_hash: str) -> list[dict[str, Any]]:
    """The two items of a key, for a transaction: the lookup by hash and the tenant's listing."""
    table = config.table_name("CATALOG_TABLE")
    record = {"tenant_id": tenant_id, "id": key_id, "role": role, "name": name, "key_hash": key_hash}
    return [
        {
            "Put": {
                "TableName": table,
                "Item": {**_lookup_key(key_hash), **record},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
        {
            "Put": {
                "TableName": table,
                "Item": {**_listing_key(tenant_id, key_id), **record},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
    ]


def create(tenant_id: str, key_id: str, role: str, name: str, key_hash: str) -> None:
    config.client().transact_write_items(TransactItems=put_items(tenant_id, key_id, role, name, key_hash))


def find_by_hash(key_hash: str) -> dict[str, Any] | None:
    # Consistent: a revoked key must stop working at once.
    return config.catalog_table().get_item(Key=_lookup_key(key_hash), ConsistentRead=True).get("Item")


def list_for(tenant_id: str) -> list[dict[str, Any]]:
    page = config.catalog_table().query(
        KeyConditionExpression="pk = :pk AND begins_with(sk, :kind)",
        ExpressionAttributeValues={":pk": tenant_pk(tenant_id), ":kind": "APIKEY#"},
        ConsistentRead=True,
    )
    return page.get("Items", [])


def delete(tenant_id: str, key_id: str) -> None:
    listing = config.catalog_table().get_item(Key=_listing_key(tenant_id, key_id), ConsistentRead=True)
    item = listing.get("Item")
    if item is None:
        raise ApiKeyNotFound(f"no API key {key_id}")
    table = config.table_name("CATALOG_TABLE")
    config.client().transact_write_items(
        TransactItems=[
            {"Delete": {"TableName": table, "Key": _lookup_key(item["key_hash"])}},
            {"Delete": {"TableName": table, "Key": _listing_key(tenant_id, key_id)}},
        ]
    )
