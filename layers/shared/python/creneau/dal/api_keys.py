"""API keys as typed records, and the one repository that stores them.

A key is two items written and deleted together: the lookup by the hash of its secret (what
authentication reads) and the tenant's listing (what the admin sees). The secret is never stored.
Keys are never edited, only created and revoked, so they carry no version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from creneau import config
from creneau.dal.base import put_new, tenant_pk
from creneau.errors import ApiKeyNotFound


@dataclass(frozen=True)
class ApiKey:
    tenant_id: str
    id: str
    role: str
    name: str
    key_hash: str  # the hash of the secret (security.hash_secret)

    @property
    def by(self) -> str:
        """What the appointments it writes say about who acted."""
        return f"key:{self.id}:{self.name}"

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> ApiKey:
        return cls(item["tenant_id"], item["id"], item["role"], item["name"], item["key_hash"])


@dataclass(frozen=True)
class ApiKeyRepository:
    table: Callable[[], Any] = config.catalog_table
    table_name: Callable[[], str] = config.catalog_table_name
    client: Callable[[], Any] = config.client

    @staticmethod
    def lookup_key(key_hash: str) -> dict[str, str]:
        return {"pk": f"APIKEY#{key_hash}", "sk": "APIKEY"}

    @staticmethod
    def _listing_key(tenant_id: str, key_id: str) -> dict[str, str]:
        return {"pk": tenant_pk(tenant_id), "sk": f"APIKEY#{key_id}"}

    def put_items(self, key: ApiKey) -> list[dict[str, Any]]:
        """The two items of a key, for a transaction (a tenant's first key is written with it)."""
        record = asdict(key)
        return [
            put_new(self.table_name(), {**where, **record})
            for where in (self.lookup_key(key.key_hash), self._listing_key(key.tenant_id, key.id))
        ]

    def create(self, key: ApiKey) -> None:
        self.client().transact_write_items(TransactItems=self.put_items(key))

    def find_by_hash(self, key_hash: str) -> ApiKey | None:
        # Consistent: a revoked key must stop working at once.
        item = self.table().get_item(Key=self.lookup_key(key_hash), ConsistentRead=True).get("Item")
        return ApiKey.from_item(item) if item else None

    def list_for(self, tenant_id: str) -> list[ApiKey]:
        page = self.table().query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :kind)",
            ExpressionAttributeValues={":pk": tenant_pk(tenant_id), ":kind": "APIKEY#"},
            ConsistentRead=True,
        )
        return [ApiKey.from_item(item) for item in page.get("Items", [])]

    def delete(self, tenant_id: str, key_id: str) -> None:
        listing = self.table().get_item(Key=self._listing_key(tenant_id, key_id), ConsistentRead=True)
        item = listing.get("Item")
        if item is None:
            raise ApiKeyNotFound(f"no API key {key_id}")
        self.client().transact_write_items(
            TransactItems=[
                {"Delete": {"TableName": self.table_name(), "Key": where}}
                for where in (self.lookup_key(item["key_hash"]), self._listing_key(tenant_id, key_id))
            ]
        )
