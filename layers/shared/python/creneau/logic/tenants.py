"""Tenants: created with their settings and a first admin key, all in one transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from creneau.dal.api_keys import ApiKey
from creneau.dal.settings import TenantSettings
from creneau.dal.store import Store
from creneau.security import hash_secret, new_id, new_secret

if TYPE_CHECKING:
    from creneau.models.catalog import SettingsPatch


def create_tenant(
    store: Store, name: str, timezone: str = "Europe/Paris", locale: str = "fr"
) -> tuple[str, str]:
    """Returns (tenant_id, admin key). The key is shown once: only its hash is stored."""
    from creneau.models.catalog import Settings  # only tenant creation and settings edits need it

    tenant_id = new_id()
    key_id, key = new_id(), new_secret("ck")
    first_settings = TenantSettings.from_doc(
        Settings(name=name, timezone=timezone, locale=locale).model_dump()
    )
    first_key = ApiKey(tenant_id, key_id, "admin", "first admin key", hash_secret(key))
    items = [store.settings.first_put(tenant_id, first_settings), *store.api_keys.put_items(first_key)]
    store.client().transact_write_items(TransactItems=items)
    return tenant_id, key


def create_api_key(store: Store, tenant_id: str, role: str, name: str) -> dict[str, str]:
    key_id, key = new_id(), new_secret("ck")
    store.api_keys.create(ApiKey(tenant_id, key_id, role, name, hash_secret(key)))
    return {"id": key_id, "role": role, "name": name, "key": key}


def list_api_keys(store: Store, tenant_id: str) -> list[dict[str, str]]:
    return [{"id": k.id, "role": k.role, "name": k.name} for k in store.api_keys.list_for(tenant_id)]


def get_settings(store: Store, tenant_id: str) -> TenantSettings:
    return store.settings.get(tenant_id)


def update_settings(store: Store, tenant_id: str, patch: SettingsPatch) -> dict:
    from creneau.models.catalog import Settings

    current = store.settings.get(tenant_id)
    validated = Settings.model_validate({**current.public(), **patch.changes()}).model_dump()
    updated = TenantSettings.from_doc(validated, current.version)
    store.settings.replace(tenant_id, updated)
    return updated.public()


def delete_api_key(store: Store, tenant_id: str, key_id: str) -> None:
    store.api_keys.delete(tenant_id, key_id)
