"""Shapes of calendar connections and sync runs (docs/calendar-sync.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from creneau.models.common import Instant, Model, Page, Patch, Strict

Provider = Literal["google", "outlook"]
ConnectionStatus = Literal["pending", "connected", "needs_reconnect", "disconnected"]

DEFAULT_TITLE = "%service_name% - %customer_full_name%"
DEFAULT_DESCRIPTION = "%customer_full_name%\n%customer_email%\n%customer_phone%\n\n%comments%"


class ConnectionOptions(Strict):
    title_template: str = Field(DEFAULT_TITLE, max_length=1000)
    description_template: str = Field(DEFAULT_DESCRIPTION, max_length=8000)
    include_pending: bool = False
    add_attendees: bool = False
    guests_can_see_other_guests: bool = False
    send_invitations: bool = False
    block_busy_times: bool = True
    include_buffers: bool = False
    online_meeting: bool = False


class OptionsPatch(Patch):
    title_template: str | None = Field(None, max_length=1000)
    description_template: str | None = Field(None, max_length=8000)
    include_pending: bool | None = None
    add_attendees: bool | None = None
    guests_can_see_other_guests: bool | None = None
    send_invitations: bool | None = None
    block_busy_times: bool | None = None
    include_buffers: bool | None = None
    online_meeting: bool | None = None


class ConnectionIn(Strict):
    provider: Provider
    options: ConnectionOptions = Field(default_factory=ConnectionOptions)


class ConnectionPatch(Strict):
    options: OptionsPatch


class SyncError(Model):
    code: str = Field(
        description="stable: throttled, provider-unavailable, provider-rejected, invalid_grant..."
    )
    message: str = Field(description="for people: what the provider answered")
    at: Instant | None = Field(None, description="when it happened (a connection's last error)")
    appointment_id: str | None = Field(
        None, description="the appointment the provider refused (a sync report)"
    )


class Connection(Model):
    id: str
    calendar_id: str
    provider: Provider
    status: ConnectionStatus
    account: str | None = Field(None, description="the connected account's email")
    options: ConnectionOptions
    last_sync_at: Instant | None = None
    last_error: SyncError | None = None


class NewConnection(Model):
    id: str
    provider: Provider
    status: ConnectionStatus
    authorization_url: str


class ConnectionPage(Page):
    items: list[Connection]


class SyncReport(Model):
    pushed: int = Field(description="events created at the provider")
    updated: int
    deleted: int
    busy_blocks: int = Field(description="busy blocks now held from the provider's calendar")
    pending: int = Field(description="changes still queued (e.g. the provider asked to wait)")
    errors: list[SyncError]
