"""Customer records ("fiches"): one person may have several in a tenant."""

from __future__ import annotations

from typing import Annotated, TypeVar

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator

from creneau.models.common import Email, Id, JsonObject, Page, Patch, Strict

T = TypeVar("T")


def _blank_is_absent(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


# An email or phone that is not given reads null, never "".
Absent = Annotated[T | None, BeforeValidator(_blank_is_absent)]
Phone = Annotated[str, Field(max_length=50)]


class CustomerFields(Strict):
    first_name: str = Field("", max_length=200)
    last_name: str = Field("", max_length=200, validate_default=True)
    email: Absent[Email] = None
    phone: Absent[Phone] = None
    extra: JsonObject = {}

    @field_validator("last_name")
    @classmethod
    def _named(cls, last_name: str, info: ValidationInfo) -> str:
        if not last_name and not info.data.get("first_name"):
            raise ValueError("a customer needs a first or a last name")
        return last_name


class CustomerPatch(Patch):
    first_name: str | None = Field(None, max_length=200)
    last_name: str | None = Field(None, max_length=200)
    email: Absent[Email] = None
    phone: Absent[Phone] = None
    extra: JsonObject | None = None


class Customer(CustomerFields):
    id: Id


class CustomerPage(Page):
    items: list[Customer]
