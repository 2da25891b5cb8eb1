"""Tenants: created with their settings and a first admin key, all in one transaction."""

from __future__ import annotations

from creneau import config
from creneau.dal.api_keys import ApiKey, ApiKeyRepository
from creneau.dal.settings import SettingsRepository, TenantSettings
from creneau.security import hash_secret, new_id, new_secret

API_KEYS = ApiKeyRepository()
SETTINGS = SettingsRepository()


def create_tenant(name: str, timezone: str = "Europe/Paris", locale: str = "fr") -> tuple[str, str]:
    """Returns (tenant_id, admin key). The key is shown once: only its hash is stored."""
    from creneau.models.catalog import Settings  # only tenant creation and settings edits need it

    tenant_id = new_id()
    key_id, key = new_id(), new_secret("ck")
    first_settings = TenantSettings.from_doc(
        Settings(name=name, timezone=timezone, locale=locale).model_dump()
    )
    items = [
        {
            "Put": {
                "TableName": config.table_name("CATALOG_TABLE"),
                "Item": SETTINGS.item(tenant_id, first_settings, version=1),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
        *API_KEYS.put_items(ApiKey(tenant_id, key_id, "admin", "first admin key", hash_secret(key))),
    ]
    config.client().transact_write_items(TransactItems=items)
    return tenant_id, key


def create_api_key(tenant_id: str, role: str, name: str) -> dict[str, str]:
    key_id, key = new_id(), new_secret("ck")
    API_KEYS.create(ApiKey(tenant_id, key_id, role, name, hash_secret(key)))
    return {"id": key_id, "role": role, "name": name, "key": key}


def list_api_keys(tenant_id: str) -> list[dict[str, str]]:
    return [{"id": k.id, "role": k.role, "name": k.name} for k in API_KEYS.list_for(tenant_id)]


def get_settings(tenant_id: str) -> TenantSettings:
    return SETTINGS.get(tenant_id)


def update_settings(tenant_id: str, changes: dict) -> dict:
    from creneau.models.catalog import Settings

    current = SETTINGS.get(tenant_id)
    validated = Settings.model_validate({**current.public(), **changes}).model_dump()
    updated = TenantSettings.from_doc(validated, current.version)
    SETTINGS.replace(tenant_id, updated)
    return updated.public()


def delete_api_key(tenant_id: str, key_id: str) -> None:
    API_KEYS.delete(tenant_id, key_id)
