"""Customer records ("fiches"): one person may have several in a tenant."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from creneau.models.common import Email, Id, Page, Strict


class CustomerFields(Strict):
    first_name: str = Field("", max_length=200)
    last_name: str = Field("", max_length=200)
    email: Email | None = None
    phone: str = Field("", max_length=50)
    extra: dict[str, Any] = {}


class CustomerPatch(Strict):
    first_name: str | None = Field(None, max_length=200)
    last_name: str | None = Field(None, max_length=200)
    email: Email | None = None
    phone: str | None = Field(None, max_length=50)
    extra: dict[str, Any] | None = None


class Customer(CustomerFields):
    id: Id


class CustomerPage(Page):
    items: list[Customer]
