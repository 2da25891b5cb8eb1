"""Google: OAuth 2.0 (authorization code with PKCE, offline access) and Calendar v3 over REST.

Refresh goes through google-auth's Credentials. Every URL comes from the configuration
(GOOGLE_AUTH_URL, GOOGLE_TOKEN_URL, GOOGLE_API_BASE, GOOGLE_REVOKE_URL, GOOGLE_USERINFO_URL).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import google.auth.exceptions
import google.auth.transport.requests
import google.oauth2.credentials
import httpx
import requests
from provider_http import Transport
from token_store import TokenStore

from creneau import config
from creneau.domain.days import local_midnight
from creneau.sync.ports import (
    BusyListing,
    EventSpec,
    Grant,
    GrantRevoked,
    ProviderError,
    Rejected,
    RemoteBusy,
    Unavailable,
)

SCOPES = (
    "openid",
    "email",
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/calendar.freebusy",
)
OURS = "creneau_appointment_id"  # private extended property on the events we write
THROTTLING_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}
PAGE_SIZE = 250


def _env(name: str, default: str) -> str:
    return getattr(config.settings(), name.lower()) or default


def auth_url() -> str:
    return _env("GOOGLE_AUTH_URL", "https://accounts.google.com/o/oauth2/v2/auth")


def token_url() -> str:
    return _env("GOOGLE_TOKEN_URL", "https://oauth2.googleapis.com/token")


def api_base() -> str:
    return _env("GOOGLE_API_BASE", "https://www.googleapis.com/calendar/v3").rstrip("/")


def event_id(appointment_id: str) -> str:
    """Deterministic: base32hex (0-9a-v) of the appointment id, so a retried insert is a 409."""
    return base64.b32hexencode(appointment_id.encode()).decode().lower().rstrip("=")


def _reasons(response: httpx.Response) -> set[str]:
    try:
        errors = response.json().get("error", {}).get("errors", [])
    except ValueError:
        return set()
    return {e.get("reason", "") for e in errors if isinstance(e, dict)}


def is_throttling(response: httpx.Response) -> bool:
    return response.status_code == 403 and bool(_reasons(response) & THROTTLING_REASONS)


def _message(response: httpx.Response) -> str:
    try:
        error = response.json().get("error")
    except ValueError:
        return f"Google answered {response.status_code}"
    if isinstance(error, dict):
        return f"Google answered {response.status_code}: {error.get('message', '')}".strip()
    return f"Google answered {response.status_code}: {error}"


class GoogleFlow:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    @property
    def client_id(self) -> str:
        return config.settings().google_client_id or ""

    @property
    def client_secret(self) -> str:
        return config.settings().google_client_secret or ""

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret)

    def start(self, redirect_uri: str, state: str) -> tuple[str, dict[str, Any]]:
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
        params = {
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": " ".join(SCOPES),
            "access_type": "offline",
            "prompt": "consent",
            "include_granted_scopes": "true",
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        return f"{auth_url()}?{urlencode(params, quote_via=quote)}", {"code_verifier": verifier}

    def finish(self, redirect_uri: str, pending: dict[str, Any], query: dict[str, str]) -> Grant:
        answer = self.transport.request(
            "POST",
            token_url(),
            data={
                "grant_type": "authorization_code",
                "code": query["code"],
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "redirect_uri": redirect_uri,
                "code_verifier": pending["code_verifier"],
            },
        )
        if answer.status_code != 200:
            raise ProviderError(_oauth_error(answer))
        tokens = answer.json()
        if not tokens.get("refresh_token"):
            raise ProviderError("Google gave no refresh token (offline access was not granted)")
        userinfo = self.transport.request(
            "GET",
            _env("GOOGLE_USERINFO_URL", "https://openidconnect.googleapis.com/v1/userinfo"),
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
        )
        account = userinfo.json().get("email", "") if userinfo.status_code == 200 else ""
        expiry = datetime.now(UTC) + timedelta(seconds=int(tokens.get("expires_in", 3600)))
        return Grant(
            account=account,
            tokens={
                "access_token": tokens["access_token"],
                "refresh_token": tokens["refresh_token"],
                "expiry": expiry.isoformat(),
                "scopes": tokens.get("scope", " ".join(SCOPES)).split(),
            },
        )


def _oauth_error(answer: httpx.Response) -> str:
    try:
        body = answer.json()
    except ValueError:
        return f"the token endpoint answered {answer.status_code}"
    return f"{body.get('error', answer.status_code)}: {body.get('error_description', '')}".strip(": ")


class GoogleCalendar:
    """The connected account's primary calendar."""

    def __init__(self, tokens: TokenStore, transport: Transport, session: requests.Session) -> None:
        self.store = tokens
        self.transport = transport
        self.session = session
        self.base = f"{api_base()}/calendars/primary/events"
        self._credentials: google.oauth2.credentials.Credentials | None = None

    # ---- tokens --------------------------------------------------------------------------------------

    def _token(self) -> str:
        if self._credentials is None:
            self._credentials = self._from(self.store.load())
        if not self._credentials.valid:
            self._refresh()
        return self._credentials.token

    def _from(self, tokens: dict[str, Any]) -> google.oauth2.credentials.Credentials:
        expiry = datetime.fromisoformat(tokens["expiry"]).astimezone(UTC).replace(tzinfo=None)
        return google.oauth2.credentials.Credentials(
            token=tokens.get("access_token"),
            refresh_token=tokens["refresh_token"],
            token_uri=token_url(),
            client_id=config.settings().google_client_id,
            client_secret=config.settings().google_client_secret,
            scopes=tokens.get("scopes"),
            expiry=expiry,
        )

    def _refresh(self) -> None:
        credentials = self._credentials
        try:
            credentials.refresh(google.auth.transport.requests.Request(self.session))
        except google.auth.exceptions.RefreshError as error:
            text = str(error.args[0]) if error.args else str(error)
            if "invalid_grant" in text:
                raise GrantRevoked(
                    f"Google refused the refresh token ({text}); reconnect the calendar"
                ) from error
            raise Unavailable(f"Google's token endpoint failed: {text}") from error
        except google.auth.exceptions.TransportError as error:
            raise Unavailable(f"Google's token endpoint did not answer: {error}") from error
        tokens = {
            "access_token": credentials.token,
            "refresh_token": credentials.refresh_token,
            "expiry": credentials.expiry.replace(tzinfo=UTC).isoformat(),
            "scopes": list(credentials.scopes or []),
        }
        newer = self.store.save(tokens)
        if newer is not None:  # another run refreshed first: its tokens are the current ones
            self._credentials = self._from(newer)

    def _call(self, method: str, url: str, **options) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self._token()}", **options.pop("headers", {})}
        response = self.transport.request(method, url, headers=headers, **options)
        if response.status_code == 401:  # expired early or revoked: refresh once, then judge
            self._refresh()
            headers["Authorization"] = f"Bearer {self._credentials.token}"
            response = self.transport.request(method, url, headers=headers, **options)
        return response

    # ---- push --------------------------------------------------------------------------------------

    def upsert(self, spec: EventSpec, remote_id: str | None) -> tuple[str, bool]:
        gid = event_id(spec.appointment_id)
        params = {"conferenceDataVersion": "1", "sendUpdates": "all" if spec.send_invitations else "none"}
        body = event_body(spec)
        if remote_id:
            answer = self._call("PATCH", f"{self.base}/{gid}", params=params, json=_patch_body(body))
            if answer.status_code == 200:
                return gid, False
            if answer.status_code not in (404, 410):
                raise Rejected(_message(answer))
        answer = self._call("POST", self.base, params=params, json=body)
        if answer.status_code == 200:
            return gid, True
        if answer.status_code == 409:  # it exists (an earlier try went through): make it match
            answer = self._call("PATCH", f"{self.base}/{gid}", params=params, json=_patch_body(body))
            if answer.status_code == 200:
                return gid, False
        raise Rejected(_message(answer))

    def delete(self, appointment_id: str, remote_id: str | None, notify: bool) -> None:
        gid = remote_id or event_id(appointment_id)
        params = {"sendUpdates": "all" if notify else "none"}
        answer = self._call("DELETE", f"{self.base}/{gid}", params=params)
        if answer.status_code not in (200, 204, 404, 410):
            raise Rejected(_message(answer))

    # ---- pull --------------------------------------------------------------------------------------

    def busy(self, start: datetime, end: datetime, state: dict[str, Any] | None) -> BusyListing:
        if state and state.get("sync_token"):
            listing = self._list({"syncToken": state["sync_token"]}, full=False)
            if listing is not None:
                return listing
        full = {"timeMin": _rfc3339(start), "timeMax": _rfc3339(end)}
        listing = self._list(full, full=True)
        if listing is None:
            raise Rejected("Google refused a full listing with 410")
        return listing

    def _list(self, params: dict[str, str], full: bool) -> BusyListing | None:
        """Every page; None when Google says the sync token is no longer valid (410)."""
        listing = BusyListing(busy=[], removed=[], full=full)
        page_token = None
        while True:
            query = {**params, "singleEvents": "true", "maxResults": str(PAGE_SIZE)}
            if page_token:
                query["pageToken"] = page_token
            answer = self._call("GET", self.base, params=query)
            if answer.status_code == 410:
                return None
            if answer.status_code != 200:
                raise Rejected(_message(answer))
            page = answer.json()
            zone = ZoneInfo(page.get("timeZone") or "UTC")
            for item in page.get("items", []):
                span = blocking_span(item, zone)
                if span is None:
                    listing.removed.append(item["id"])
                else:
                    listing.busy.append(RemoteBusy(item["id"], *span))
            page_token = page.get("nextPageToken")
            if not page_token:
                listing.state = {"sync_token": page.get("nextSyncToken")} if page.get("nextSyncToken") else {}
                return listing

    def revoke(self) -> None:
        tokens = self.store.load()
        if tokens.get("refresh_token"):
            self.transport.request(
                "POST",
                _env("GOOGLE_REVOKE_URL", "https://oauth2.googleapis.com/revoke"),
                data={"token": tokens["refresh_token"]},
            )


def event_body(spec: EventSpec) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": event_id(spec.appointment_id),
        "summary": spec.title,
        "description": spec.description,
        "start": {"dateTime": _rfc3339(spec.start), "timeZone": spec.timezone},
        "end": {"dateTime": _rfc3339(spec.end), "timeZone": spec.timezone},
        "status": "tentative" if spec.tentative else "confirmed",
        "transparency": "opaque",
        "attendees": [{"email": a.email, "displayName": a.name} for a in spec.attendees],
        "guestsCanSeeOtherGuests": spec.guests_can_see_other_guests,
        "guestsCanInviteOthers": False,
        "extendedProperties": {"private": {OURS: spec.appointment_id}},
    }
    if spec.online_meeting:
        body["conferenceData"] = {
            "createRequest": {
                "requestId": f"creneau-{spec.appointment_id}",
                "conferenceSolutionKey": {"type": "hangoutsMeet"},
            }
        }
    return body


def _patch_body(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "id"}


def _rfc3339(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def blocking_span(item: dict[str, Any], zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    """The time a listed event blocks, or None (cancelled, free, declined, working location, ours)."""
    if item.get("status") == "cancelled" or item.get("transparency") == "transparent":
        return None
    if item.get("eventType") in ("workingLocation", "birthday"):
        return None
    if OURS in (item.get("extendedProperties", {}).get("private") or {}):
        return None
    if any(a.get("self") and a.get("responseStatus") == "declined" for a in item.get("attendees", [])):
        return None
    start, end = item.get("start", {}), item.get("end", {})
    if "dateTime" in start:
        return (
            datetime.fromisoformat(start["dateTime"].replace("Z", "+00:00")),
            datetime.fromisoformat(end["dateTime"].replace("Z", "+00:00")),
        )
    if "date" in start:  # all day: midnight to midnight in the provider calendar's zone
        first, last = date.fromisoformat(start["date"]), date.fromisoformat(end["date"])
        return local_midnight(first, zone), local_midnight(last, zone)
    return None
