"""The auth step over repositories it is given: tenants created, keys checked and revoked, and a
public key's origins, all in memory (the real repositories over the in-memory tables)."""

from __future__ import annotations

import pytest

from creneau import config
from creneau.errors import NotAuthenticated, OriginRefused
from creneau.logic import tenants
from creneau.logic.auth import Authenticator, UserRecords
from tests.fakes.memory_store import memory_shop


@pytest.fixture
def shop(monkeypatch):
    shop = memory_shop(monkeypatch)
    yield shop
    config.reset()


def authenticator(shop) -> Authenticator:
    store = shop.store
    return Authenticator(keys=store.api_keys, users=UserRecords(store.users.find), settings=store.settings)


def test_a_new_tenants_admin_key_works_and_a_revoked_key_stops_at_once(shop):
    tenant_id, admin = tenants.create_tenant(shop.store, "Mairie", "Europe/Paris", "fr")
    agent = tenants.create_api_key(shop.store, tenant_id, "agent", "front desk")
    auth = authenticator(shop)

    principal = auth.authenticate({"x-api-key": admin}, writes=False)
    assert (principal.tenant_id, principal.role) == (tenant_id, "admin")
    assert shop.store.settings.get(tenant_id).name == "Mairie"
    assert auth.authenticate({"x-api-key": agent["key"]}, writes=True).role == "agent"

    tenants.delete_api_key(shop.store, tenant_id, agent["id"])
    with pytest.raises(NotAuthenticated, match="unknown or revoked"):
        auth.authenticate({"x-api-key": agent["key"]}, writes=False)
    assert [key["name"] for key in tenants.list_api_keys(shop.store, tenant_id)] == ["first admin key"]


def test_one_credential_at_a_time(shop):
    with pytest.raises(NotAuthenticated, match="not both"):
        authenticator(shop).authenticate({"x-api-key": "ck_x", "authorization": "Bearer y"}, writes=False)
    with pytest.raises(NotAuthenticated, match="missing"):
        authenticator(shop).authenticate({}, writes=False)


def test_a_public_key_works_only_from_the_origins_its_tenant_lists(shop):
    shop.settings(allowed_origins=["https://salon.example"])
    public = tenants.create_api_key(shop.store, shop.tenant_id, "public", "widget")["key"]
    agent = tenants.create_api_key(shop.store, shop.tenant_id, "agent", "desk")["key"]
    auth = authenticator(shop)
    widget = auth.authenticate({"x-api-key": public}, writes=False)

    assert auth.check_origin(widget, "https://salon.example") == "https://salon.example"
    assert auth.check_origin(widget, None) is None  # not a browser: nothing to allow
    with pytest.raises(OriginRefused):
        auth.check_origin(widget, "https://elsewhere.example")
    desk = auth.authenticate({"x-api-key": agent}, writes=False)
    assert auth.check_origin(desk, "https://elsewhere.example") is None  # secret keys are not origin-bound
