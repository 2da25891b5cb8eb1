"""Validation a user expects, over HTTP: each mistake is a 422 that names its field, in plain words."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import assert_error, at, build_shop, created, future_weekday

pytestmark = pytest.mark.xdist_group("e2e")


def fields_of(reply) -> list[str]:
    return [d["field"] for d in assert_error(reply, 422, "validation-error")["details"]]


def test_service_shapes(api, new_tenant):
    admin = api(new_tenant()["admin_key"])
    odd = admin.post("/v1/services", json={"name": "Odd", "duration_minutes": 7})
    assert fields_of(odd) == ["duration_minutes"]
    assert fields_of(
        admin.post("/v1/services", json={"name": "S", "duration_minutes": 10, "active": "yes"})
    ) == ["active"]
    bad_bound = {"key": "n", "label": "N", "type": "choice", "options": ["a"], "max": 3}
    body = {"name": "S", "duration_minutes": 10, "fields": [bad_bound]}
    assert fields_of(admin.post("/v1/services", json=body)) == ["fields.0"]


def test_booking_mistakes_are_named(api, new_tenant):
    shop = build_shop(api, new_tenant)
    children = {"key": "children", "label": "Children", "type": "number", "min": 0, "max": 6}
    cut = shop.services["cut"]["id"]
    assert shop.admin.patch(f"/v1/services/{cut}", json={"fields": [children]}).status_code == 200
    start = at(future_weekday(), "10:00")
    person = {"first_name": "Ada", "last_name": "Lovelace"}
    twice = shop.book(service_ids=[cut, cut], start=start, customer=person)
    assert fields_of(twice) == ["service_ids"]
    nameless = shop.book(service_id=cut, start=start, customer={"first_name": " ", "last_name": ""})
    assert fields_of(nameless) == ["customer.last_name"]
    too_many = shop.book(service_id=cut, start=start, customer=person, fields={"children": 9})
    error = assert_error(too_many, 422, "validation-error")
    assert error["details"] == [{"field": "fields.children", "message": "must be at most 6"}]
    booked = created(
        shop.book(service_id=cut, start=start, customer={**person, "phone": ""}, fields={"children": 2})
    )
    assert booked["customer"]["email"] is None and booked["customer"]["phone"] is None


def test_settings_booleans_are_booleans(api, new_tenant):
    admin = api(new_tenant()["admin_key"])
    assert fields_of(admin.patch("/v1/settings", json={"auto_confirm": "false"})) == ["auto_confirm"]
    assert admin.get("/v1/settings").json()["auto_confirm"] is False
