"""Accounts: people of a tenant who sign in with Cognito (docs/accounts.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from creneau.models.common import Email, Id, Model, Page, Patch, Strict

UserRole = Literal["agent", "admin"]
UserStatus = Literal["invited", "active", "disabled"]
CalendarIds = Annotated[
    list[Id],
    Field(min_length=1, max_length=100, description="the calendars a limited agent acts on; null: every one"),
]


class UserIn(Strict):
    email: Email
    name: str = Field(min_length=1, max_length=200)
    role: UserRole
    calendar_ids: CalendarIds | None = None


class UserPatch(Patch):
    name: str | None = Field(None, min_length=1, max_length=200)
    role: UserRole | None = None
    calendar_ids: CalendarIds | None = None
    status: Literal["active", "disabled"] | None = None


class User(Model):
    id: Id
    email: str
    name: str
    role: UserRole
    calendar_ids: list[str] | None
    status: UserStatus = Field(description="invited until the first sign-in with a chosen password")
    created_at: str
    updated_at: str


class UserPage(Page):
    items: list[User]
