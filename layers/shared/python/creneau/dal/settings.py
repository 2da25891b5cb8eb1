"""A tenant's settings as a typed record, and the one repository that stores them: one item per
tenant, created with the tenant, replaced only over the version read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from creneau import config
from creneau.dal.base import DOC, from_doc, put_new, put_over_version, tenant_pk, to_doc
from creneau.dal.records import VersionedRecord


@dataclass(frozen=True)
class TenantSettings(VersionedRecord):
    """What models.catalog.Settings validates (the API's defaults are the same), and the version."""

    name: str = ""
    timezone: str = "Europe/Paris"
    locale: str = "fr"
    calendar_choice: str = "service_first"
    any_calendar: bool = True
    auto_confirm: bool = False
    lock_ttl_seconds: int = 600
    max_open_appointments_per_customer: int | None = None
    require_email: bool = False
    allowed_origins: list[str] = field(default_factory=list)
    email_from: str | None = None
    manage_url_template: str | None = None
    reminder_minutes_before: list[int] = field(default_factory=lambda: [1440])
    version: int = 0  # of the item read; 0 before it is stored


@dataclass(frozen=True)
class SettingsRepository:
    table: Callable[[], Any] = config.catalog_table
    table_name: Callable[[], str] = config.catalog_table_name

    @staticmethod
    def key(tenant_id: str) -> dict[str, str]:
        return {"pk": tenant_pk(tenant_id), "sk": "SETTINGS"}

    def get(self, tenant_id: str) -> TenantSettings:
        item = self.table().get_item(Key=self.key(tenant_id), ConsistentRead=True).get("Item")
        if item is None:  # a key always belongs to an existing tenant; this is corruption, not a 404
            raise RuntimeError(f"tenant {tenant_id} has no settings")
        return TenantSettings.from_doc(from_doc(item), int(item["version"]))

    def item(self, tenant_id: str, settings: TenantSettings, version: int) -> dict[str, Any]:
        return {**self.key(tenant_id), DOC: to_doc(settings.public()), "version": version}

    def first_put(self, tenant_id: str, settings: TenantSettings) -> dict[str, Any]:
        """A new tenant's settings, for the transaction that creates the tenant."""
        return put_new(self.table_name(), self.item(tenant_id, settings, version=1))

    def replace(self, tenant_id: str, settings: TenantSettings) -> None:
        """Write over `settings.version`, the version read; a change in between is a Conflict."""
        changed = "settings changed meanwhile; read them again"
        item = self.item(tenant_id, settings, settings.version + 1)
        put_over_version(self.table(), item, settings.version, changed)
