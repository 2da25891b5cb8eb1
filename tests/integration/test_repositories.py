"""The data-access modules on moto: conditional writes, versions, cursors, the email index, API keys."""

from __future__ import annotations

from dataclasses import replace

import pytest
from botocore.exceptions import ClientError

from creneau import config
from creneau.dal.api_keys import ApiKey, ApiKeyRepository
from creneau.dal.catalog_records import (
    CalendarRecord,
    CategoryRecord,
    ServiceRecord,
    calendars,
    categories,
    services,
)
from creneau.dal.customer_repository import CustomerRecord, CustomerRepository
from creneau.dal.settings import SettingsRepository, TenantSettings
from creneau.errors import (
    ApiKeyNotFound,
    CalendarNotFound,
    CategoryNotFound,
    Conflict,
    CustomerNotFound,
    ServiceNotFound,
    ValidationFailed,
)
from creneau.logic.auth import Authenticator
from creneau.security import hash_secret, new_id

API_KEYS = ApiKeyRepository()

TENANT = "tenant-a"
OTHER = "tenant-b"


def a_service(name: str = "Cut", active: bool = True, **extra) -> ServiceRecord:
    return ServiceRecord(id=new_id(), name=name, duration_minutes=30, active=active, **extra)


# ---- generic records (services, categories, calendars) -------------------------------------------


def test_create_then_read_back(aws):
    service = a_service(price={"amount": 2500, "currency": "EUR"})
    services.create(TENANT, service)
    found = services.get(TENANT, service.id)
    assert found.public() == service.public()
    assert found.version == 1


def test_create_never_overwrites(aws):
    service = a_service("Original")
    services.create(TENANT, service)
    with pytest.raises(ClientError) as caught:
        services.create(TENANT, service.changed(name="Intruder"))
    assert caught.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert services.get(TENANT, service.id).name == "Original"


def test_replace_bumps_the_version(aws):
    service = a_service("Cut")
    services.create(TENANT, service)
    services.replace(TENANT, service.changed(name="Short cut", version=1))
    found = services.get(TENANT, service.id)
    assert (found.name, found.version) == ("Short cut", 2)


def test_replace_with_a_stale_version_conflicts_and_keeps_the_newer_data(aws):
    service = a_service("Cut")
    services.create(TENANT, service)
    first_reader = services.get(TENANT, service.id)
    second_reader = services.get(TENANT, service.id)
    services.replace(TENANT, first_reader.changed(name="By the first"))
    with pytest.raises(Conflict):
        services.replace(TENANT, second_reader.changed(name="By the second"))
    found = services.get(TENANT, service.id)
    assert (found.name, found.version) == ("By the first", 2)


@pytest.mark.parametrize(
    ("records", "error", "code"),
    [
        (services, ServiceNotFound, "service-not-found"),
        (calendars, CalendarNotFound, "calendar-not-found"),
        (categories, CategoryNotFound, "category-not-found"),
        (CustomerRepository(), CustomerNotFound, "customer-not-found"),
    ],
)
def test_missing_records_raise_their_own_not_found(aws, records, error, code):
    with pytest.raises(error) as caught:
        records.get(TENANT, "nope")
    assert (caught.value.code, caught.value.status) == (code, 404)
    with pytest.raises(error):
        records.delete(TENANT, "nope")
    assert records.find(TENANT, "nope") is None


def test_delete_removes_only_that_record(aws):
    keep, gone = a_service("Keep"), a_service("Gone")
    services.create(TENANT, keep)
    services.create(TENANT, gone)
    services.delete(TENANT, gone.id)
    assert services.find(TENANT, gone.id) is None
    assert services.get(TENANT, keep.id).name == "Keep"
    with pytest.raises(ServiceNotFound):
        services.delete(TENANT, gone.id)


def test_records_are_per_tenant(aws):
    service = a_service("Mine")
    services.create(TENANT, service)
    assert services.find(OTHER, service.id) is None
    with pytest.raises(ServiceNotFound):
        services.delete(OTHER, service.id)
    assert services.list_all(OTHER) == []
    assert services.get(TENANT, service.id).name == "Mine"


def test_kinds_do_not_mix(aws):
    services.create(TENANT, a_service("A service"))
    categories.create(TENANT, CategoryRecord(id=new_id(), name="A category"))
    calendar = CalendarRecord(id=new_id(), name="A calendar", timezone="UTC", claim_timezone="UTC")
    calendars.create(TENANT, calendar)
    assert [s.name for s in services.list_all(TENANT)] == ["A service"]
    assert [c.name for c in categories.list_all(TENANT)] == ["A category"]
    assert [c.name for c in calendars.list_all(TENANT)] == ["A calendar"]


def collect_pages(limit: int, keep=None, tenant: str = TENANT) -> tuple[list[str], int]:
    seen, cursor, pages = [], None, 0
    while True:
        items, cursor = services.list_page(tenant, limit, cursor, keep)
        pages += 1
        assert len(items) <= limit
        seen += [item.id for item in items]
        if cursor is None:
            return seen, pages
        assert items, "a page with a cursor must not be empty"


def test_pages_return_every_item_exactly_once(aws):
    created = [a_service(f"S{i}") for i in range(7)]
    for service in created:
        services.create(TENANT, service)
    services.create(OTHER, a_service("Not mine"))
    seen, pages = collect_pages(limit=3)
    assert sorted(seen) == sorted(s.id for s in created)
    assert len(seen) == len(set(seen))
    assert pages == 3


def test_a_full_last_page_has_no_cursor(aws):
    for i in range(4):
        services.create(TENANT, a_service(f"S{i}"))
    items, cursor = services.list_page(TENANT, 4, None)
    assert len(items) == 4 and cursor is None


def test_pages_with_a_filter_return_every_kept_item_exactly_once(aws):
    active = [a_service(f"On{i}") for i in range(5)]
    inactive = [a_service(f"Off{i}", active=False) for i in range(6)]
    for service in [s for pair in zip(inactive, active, strict=False) for s in pair] + inactive[5:]:
        services.create(TENANT, service)
    seen, _ = collect_pages(limit=2, keep=lambda s: s.active)
    assert sorted(seen) == sorted(s.id for s in active)
    assert len(seen) == len(set(seen))


def test_filtered_pages_span_several_dynamodb_pages(aws):
    """More items than one DynamoDB query page reads: no kept item is lost or repeated."""
    table = services.records.table()
    kept = set()
    with table.batch_writer() as batch:
        for i in range(230):
            service = a_service(f"S{i:03}", active=i % 9 == 0)
            if service.active:
                kept.add(service.id)
            batch.put_item(Item=services.records.item(TENANT, service.to_doc(), version=1))
    seen, _ = collect_pages(limit=4, keep=lambda s: s.active)
    assert len(seen) == len(kept) == len(set(seen))
    assert set(seen) == kept


def test_a_cursor_that_was_not_given_is_a_validation_error(aws):
    with pytest.raises(ValidationFailed) as caught:
        services.list_page(TENANT, 10, "not-a-cursor!")
    assert caught.value.details[0]["field"] == "cursor"


# ---- settings -------------------------------------------------------------------------------------


def test_settings_versioned_replace(aws):
    repository = SettingsRepository()
    config.catalog_table().put_item(Item=repository.item(TENANT, TenantSettings(name="Salon"), version=1))
    current = repository.get(TENANT)
    assert (current.name, current.lock_ttl_seconds, current.version) == ("Salon", 600, 1)
    repository.replace(TENANT, replace(current, lock_ttl_seconds=300))
    with pytest.raises(Conflict):
        repository.replace(TENANT, replace(current, lock_ttl_seconds=60))  # over the version read
    assert repository.get(TENANT) == replace(current, lock_ttl_seconds=300, version=2)


# ---- customers and their email index --------------------------------------------------------------

CUSTOMERS = CustomerRepository()


def a_customer(email: str | None, first_name: str = "Ada") -> CustomerRecord:
    return CustomerRecord(id=new_id(), first_name=first_name, last_name="L", email=email, phone="")


def add_customer(tenant: str, customer: CustomerRecord) -> CustomerRecord:
    CUSTOMERS.create(tenant, customer)
    return CUSTOMERS.get(tenant, customer.id)


def ids(records: list[CustomerRecord]) -> set[str]:
    return {record.id for record in records}


def test_find_by_email_is_case_insensitive_and_finds_every_record_of_a_person(aws):
    first = add_customer(TENANT, a_customer("Ada@Example.com"))
    second = add_customer(TENANT, a_customer("ada@example.com", first_name="Ada (work)"))
    add_customer(TENANT, a_customer("grace@example.com"))
    add_customer(TENANT, a_customer(None))
    assert ids(CUSTOMERS.find_by_email(TENANT, "ADA@example.COM")) == {first.id, second.id}
    assert CUSTOMERS.find_by_email(TENANT, "nobody@example.com") == []


def test_find_by_email_stays_within_the_tenant(aws):
    add_customer(OTHER, a_customer("ada@example.com"))
    assert CUSTOMERS.find_by_email(TENANT, "ada@example.com") == []


def test_changing_an_email_moves_the_record_in_the_index(aws):
    customer = add_customer(TENANT, a_customer("old@example.com"))
    CUSTOMERS.replace(TENANT, replace(customer, email="new@example.com"))
    assert CUSTOMERS.find_by_email(TENANT, "old@example.com") == []
    assert ids(CUSTOMERS.find_by_email(TENANT, "new@example.com")) == {customer.id}
    assert CUSTOMERS.get(TENANT, customer.id).version == customer.version + 1


def test_a_customer_replaced_over_a_stale_version_conflicts(aws):
    customer = add_customer(TENANT, a_customer("ada@example.com"))
    CUSTOMERS.replace(TENANT, replace(customer, first_name="Ada B."))
    with pytest.raises(Conflict):
        CUSTOMERS.replace(TENANT, replace(customer, first_name="Ada C."))
    assert CUSTOMERS.get(TENANT, customer.id).first_name == "Ada B."


def test_removing_an_email_removes_the_record_from_the_index(aws):
    customer = add_customer(TENANT, a_customer("gone@example.com"))
    CUSTOMERS.replace(TENANT, replace(customer, email=None))
    assert CUSTOMERS.find_by_email(TENANT, "gone@example.com") == []
    index = config.catalog_table().query(
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :pk",
        ExpressionAttributeValues={":pk": f"T#{TENANT}#EMAIL#gone@example.com"},
    )
    assert index["Items"] == []


def test_a_deleted_customer_is_not_found_by_email(aws):
    customer = add_customer(TENANT, a_customer("ada@example.com"))
    CUSTOMERS.delete(TENANT, customer.id)
    assert CUSTOMERS.find_by_email(TENANT, "ada@example.com") == []


# ---- API keys -------------------------------------------------------------------------------------


def test_api_key_lookup_listing_and_revocation(aws):
    secret = "ck_a-test-secret"
    API_KEYS.create(ApiKey(TENANT, "k1", "agent", "front desk", hash_secret(secret)))
    API_KEYS.create(ApiKey(TENANT, "k2", "public", "widget", hash_secret("ck_other")))
    found = API_KEYS.find_by_hash(hash_secret(secret))
    assert (found.tenant_id, found.id, found.role, found.name) == (
        TENANT,
        "k1",
        "agent",
        "front desk",
    )
    principal = Authenticator().authenticate({"x-api-key": secret}, writes=False)
    assert (principal.tenant_id, principal.role, principal.by) == (TENANT, "agent", "key:k1:front desk")
    assert {(k.id, k.role) for k in API_KEYS.list_for(TENANT)} == {("k1", "agent"), ("k2", "public")}
    assert API_KEYS.list_for(OTHER) == []

    API_KEYS.delete(TENANT, "k1")
    assert API_KEYS.find_by_hash(hash_secret(secret)) is None
    assert [k.id for k in API_KEYS.list_for(TENANT)] == ["k2"]
    assert API_KEYS.find_by_hash(hash_secret("ck_other")).id == "k2"


def test_unknown_api_key_finds_nothing(aws):
    assert API_KEYS.find_by_hash(hash_secret("ck_never_issued")) is None


def test_revoking_a_missing_or_foreign_key_is_not_found(aws):
    API_KEYS.create(ApiKey(TENANT, "k1", "admin", "admin", hash_secret("ck_admin")))
    with pytest.raises(ApiKeyNotFound):
        API_KEYS.delete(TENANT, "missing")
    with pytest.raises(ApiKeyNotFound):
        API_KEYS.delete(OTHER, "k1")
    assert API_KEYS.find_by_hash(hash_secret("ck_admin")).id == "k1"


def test_an_api_key_is_never_overwritten(aws):
    API_KEYS.create(ApiKey(TENANT, "k1", "public", "widget", hash_secret("ck_same")))
    with pytest.raises(ClientError):
        API_KEYS.create(ApiKey(OTHER, "k9", "admin", "hijack", hash_secret("ck_same")))
    found = API_KEYS.find_by_hash(hash_secret("ck_same"))
    assert (found.tenant_id, found.role) == (TENANT, "public")
    assert API_KEYS.list_for(OTHER) == []
