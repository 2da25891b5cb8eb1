"""A tenant's settings: one item per tenant, created with the tenant."""

from __future__ import annotations

from typing import Any

from creneau import config
from creneau.dal.base import DOC, from_doc, put_over_version, tenant_pk, to_doc


def key(tenant_id: str) -> dict[str, str]:
    return {"pk": tenant_pk(tenant_id), "sk": "SETTINGS"}


def get(tenant_id: str) -> tuple[dict[str, Any], int]:
    item = config.catalog_table().get_item(Key=key(tenant_id), ConsistentRead=True).get("Item")
    if item is None:  # a key always belongs to an existing tenant; this is corruption, not a 404
        raise RuntimeError(f"tenant {tenant_id} has no settings")
    return from_doc(item), int(item["version"])


def item(tenant_id: str, settings: dict[str, Any], version: int) -> dict[str, Any]:
    return {**key(tenant_id), DOC: to_doc(settings), "version": version}


def replace(tenant_id: str, settings: dict[str, Any], version: int) -> None:
    changed = "settings changed meanwhile; read them again"
    put_over_version(config.catalog_table(), item(tenant_id, settings, version + 1), version, changed)
