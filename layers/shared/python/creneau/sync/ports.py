"""What the sync logic needs from a calendar provider and its identity service, and nothing more."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


class ProviderError(Exception):
    """A provider call that failed; `code` is stable (shown in last_error), `message` is for people."""

    code = "provider-error"

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class Throttled(ProviderError):
    """The provider asked us to wait longer than this run can: try again after `retry_after` s."""

    code = "throttled"

    def __init__(self, message: str, retry_after: float):
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(ProviderError):
    """5xx or no answer, still so after the bounded retries: try again on a later run."""

    code = "provider-unavailable"


class GrantRevoked(ProviderError):
    """invalid_grant: the owner revoked access or the grant expired. Only a reconnect helps."""

    code = "invalid_grant"


class Rejected(ProviderError):
    """The provider refused this one request (4xx): retrying the same request would not help."""

    code = "provider-rejected"


@dataclass(frozen=True)
class Attendee:
    email: str
    name: str


@dataclass(frozen=True)
class EventSpec:
    """One appointment as a provider event, in neutral terms."""

    appointment_id: str
    title: str
    description: str
    start: datetime
    end: datetime
    timezone: str
    tentative: bool
    attendees: tuple[Attendee, ...] = ()
    guests_can_see_other_guests: bool = False
    send_invitations: bool = False
    online_meeting: bool = False


@dataclass(frozen=True)
class RemoteBusy:
    """A provider event that blocks time (already filtered: busy, not declined, not one of ours)."""

    id: str
    start: datetime
    end: datetime


@dataclass
class BusyListing:
    """What a pull found. `full`: `busy` is the whole calendar in the window (forget what was known);
    else `busy` and `removed` are changes since `state` (a sync token)."""

    busy: list[RemoteBusy]
    removed: list[str] = field(default_factory=list)
    full: bool = True
    state: dict[str, Any] = field(default_factory=dict)


class CalendarProvider(Protocol):
    def upsert(self, spec: EventSpec, remote_id: str | None) -> tuple[str, bool]:
        """Create or update the event of `spec.appointment_id`; (remote id, created). Never makes a
        second event for one appointment, however often it is retried."""

    def delete(self, appointment_id: str, remote_id: str | None, notify: bool) -> None:
        """Remove the event; one already gone counts as done."""

    def busy(self, start: datetime, end: datetime, state: dict[str, Any] | None) -> BusyListing: ...

    def revoke(self) -> None:
        """Best effort: give the grant back to the provider."""


@dataclass(frozen=True)
class Grant:
    account: str  # the account's email
    tokens: dict[str, Any]  # provider-specific; stored encrypted, never logged


class OAuthFlow(Protocol):
    configured: bool

    def start(self, redirect_uri: str, state: str) -> tuple[str, dict[str, Any]]:
        """(authorization URL, what `finish` needs back: PKCE verifier, msal flow)."""

    def finish(self, redirect_uri: str, pending: dict[str, Any], query: dict[str, str]) -> Grant: ...
