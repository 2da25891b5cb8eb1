"""Accounts: the people of a tenant who sign in (docs/accounts.md).

Cognito holds the sign-in: email, password, the group that is the role, `custom:tenant_id`. The user
record (dal/user_repository.py) holds what every request checks in one read: tenant, role,
calendars, status, name. Cognito sits behind `Directory`, so these use cases run against a fake as well.

Writes go to the place that makes them effective first: a disable reaches the record (which the
API checks) before Cognito, an enable reaches Cognito before the record.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any, Protocol

from creneau.clock import iso
from creneau.dal.store import Store
from creneau.dal.user_repository import UserRecord
from creneau.errors import Conflict, ValidationFailed
from creneau.models.users import UserIn, UserPatch


class Directory(Protocol):
    """The user pool, as the use cases need it. Ids are the pool's user ids (`sub`)."""

    def create(self, email: str, name: str, tenant_id: str, role: str) -> str:
        """Create the user in `role`'s group and send the invitation; returns the user id.
        Raises UserExists when the email is taken in the pool."""

    def set_role(self, user_id: str, old: str, new: str) -> None: ...

    def set_name(self, user_id: str, name: str) -> None: ...

    def set_enabled(self, user_id: str, enabled: bool) -> None: ...

    def has_signed_in(self, user_id: str) -> bool:
        """True once the user has chosen their own password (no longer FORCE_CHANGE_PASSWORD)."""

    def delete(self, user_id: str) -> None:
        """Remove the user; a user already gone is no error."""


def create(
    store: Store, tenant_id: str, request: UserIn, directory: Directory, now: datetime
) -> dict[str, Any]:
    calendar_ids = _checked_calendars(store, tenant_id, request.role, request.calendar_ids)
    user_id = directory.create(request.email, request.name, tenant_id, request.role)
    user = UserRecord(
        id=user_id,
        tenant_id=tenant_id,
        email=request.email.lower(),
        name=request.name,
        role=request.role,
        calendar_ids=calendar_ids,
        status="invited",
        created_at=iso(now),
        updated_at=iso(now),
    )
    try:
        store.users.create(user)
    except Exception:
        directory.delete(user_id)  # no pool user without its record
        raise
    return user.public()


def get(store: Store, tenant_id: str, user_id: str, directory: Directory) -> dict[str, Any]:
    return _with_current_status(store, store.users.get(tenant_id, user_id), directory).public()


def list_page(
    store: Store, tenant_id: str, limit: int, cursor: str | None, directory: Directory
) -> dict[str, Any]:
    records, next_cursor = store.users.list_page(tenant_id, limit, cursor)
    current = [_with_current_status(store, user, directory) for user in records]
    return {"items": [user.public() for user in current], "next_cursor": next_cursor}


def update(
    store: Store, tenant_id: str, user_id: str, patch: UserPatch, directory: Directory, now: datetime
) -> dict[str, Any]:
    # Only calendar_ids means something as null (every calendar); a null name, role or status changes nothing.
    changes = {k: v for k, v in patch.changes().items() if v is not None or k == "calendar_ids"}
    current = store.users.get(tenant_id, user_id)
    edits = {k: v for k, v in changes.items() if k != "status"}
    updated = current.changed(**edits, updated_at=iso(now))
    if updated.role == "admin":
        updated = updated.changed(calendar_ids=None)  # an admin acts on every calendar
    if "calendar_ids" in changes:
        checked = _checked_calendars(store, tenant_id, updated.role, changes["calendar_ids"])
        updated = updated.changed(calendar_ids=checked)
    if changes.get("status") == "disabled":
        updated = updated.changed(status="disabled")
        store.users.replace(updated)  # refused by the API from now on
        directory.set_enabled(user_id, False)  # and no new sign-in
        _copy_to_directory(current, updated, directory)
        return updated.public()
    if changes.get("status") == "active" and current.status == "disabled":
        directory.set_enabled(user_id, True)
        updated = updated.changed(status="active" if directory.has_signed_in(user_id) else "invited")
    # Should the record's write lose a race, the pool may hold the new role alone: the API uses the
    # lower of the two roles, so that never grants more than the record says.
    _copy_to_directory(current, updated, directory)
    store.users.replace(updated)
    return updated.public()


def _copy_to_directory(current: UserRecord, updated: UserRecord, directory: Directory) -> None:
    if updated.role != current.role:
        directory.set_role(current.id, current.role, updated.role)
    if updated.name != current.name:
        directory.set_name(current.id, updated.name)


def delete(store: Store, tenant_id: str, user_id: str, directory: Directory) -> None:
    store.users.get(tenant_id, user_id)  # another tenant's user is not found
    directory.delete(user_id)
    store.users.delete(user_id)


def _checked_calendars(
    store: Store, tenant_id: str, role: str, calendar_ids: list[str] | None
) -> list[str] | None:
    if calendar_ids is None:
        return None
    if role == "admin":
        raise ValidationFailed.field("calendar_ids", "an admin acts on every calendar: leave it out")
    unknown = [cid for cid in calendar_ids if store.calendars.find(tenant_id, cid) is None]
    if unknown:
        raise ValidationFailed.field("calendar_ids", f"no such calendars: {', '.join(unknown)}")
    return sorted(set(calendar_ids))


def _with_current_status(store: Store, user: UserRecord, directory: Directory) -> UserRecord:
    """An invited user becomes active once they have chosen their password (Cognito knows, the
    record learns it when next read)."""
    if user.status != "invited" or not directory.has_signed_in(user.id):
        return user
    active = user.changed(status="active")
    with contextlib.suppress(Conflict):  # changed meanwhile: this answer stands, the next read records it
        store.users.replace(active)
    return active
