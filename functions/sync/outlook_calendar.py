"""Microsoft: identity through msal (auth-code flow with PKCE, refresh from its token cache) and
Outlook calendars through Microsoft Graph REST. URLs from MS_AUTHORITY and GRAPH_API_BASE."""

from __future__ import annotations

import hashlib
import warnings
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
import msal
import requests
from provider_http import Transport
from token_store import TokenStore

from creneau import config
from creneau.domain.days import local_midnight
from creneau.sync import ports  # the port both providers implement, by its module's name

DEFAULT_AUTHORITY = "https://login.microsoftonline.com/common"
SCOPES = ["Calendars.ReadWrite", "User.Read"]  # msal adds offline_access, openid and profile itself
# A single-value extended property in our own namespace carries the appointment id.
PROPERTY_ID = "String {8d6f2c0e-5b1a-4c52-9a63-3f0d6f1c2b7e} Name creneauAppointmentId"
BLOCKING = {"busy", "tentative", "oof"}
_http_cache: dict = {}  # msal's discovery answers, kept per execution environment
# The callback is a GET by contract (docs/calendar-sync.md): the code comes back in the query.
warnings.filterwarnings("ignore", "response_mode='form_post' is recommended")


def authority() -> str:
    return config.settings().ms_authority or DEFAULT_AUTHORITY


def graph_base() -> str:
    return (config.settings().graph_api_base or "https://graph.microsoft.com/v1.0").rstrip("/")


def application(session: requests.Session, cache: msal.SerializableTokenCache | None = None):
    custom = authority().rstrip("/") != DEFAULT_AUTHORITY
    return msal.ConfidentialClientApplication(
        config.settings().ms_client_id or "",
        client_credential=config.settings().ms_client_secret or "",
        authority=authority(),
        instance_discovery=False if custom else None,  # nothing outside the configuration is called
        token_cache=cache,
        http_client=session,
        http_cache=_http_cache,
    )


def _revoked(result: dict[str, Any]) -> bool:
    return result.get("error") in ("invalid_grant", "interaction_required")


class MicrosoftFlow:
    def __init__(self, session: requests.Session) -> None:
        self.session = session

    @property
    def configured(self) -> bool:
        settings = config.settings()
        return bool(settings.ms_client_id and settings.ms_client_secret)

    def start(self, redirect_uri: str, state: str) -> tuple[str, dict[str, Any]]:
        flow = application(self.session).initiate_auth_code_flow(
            SCOPES, redirect_uri=redirect_uri, state=state
        )
        return flow["auth_uri"], flow

    def finish(self, redirect_uri: str, pending: dict[str, Any], query: dict[str, str]) -> ports.Grant:
        cache = msal.SerializableTokenCache()
        app = application(self.session, cache)
        try:
            result = app.acquire_token_by_auth_code_flow(pending, dict(query))
        except ValueError as error:  # state mismatch and the like
            raise ports.ProviderError(
                f"the authorization answer does not match its request: {error}"
            ) from error
        if "error" in result:
            raise ports.ProviderError(f"{result['error']}: {result.get('error_description', '')}")
        claims = result.get("id_token_claims") or {}
        accounts = app.get_accounts()
        return ports.Grant(
            account=claims.get("preferred_username") or claims.get("email") or "",
            tokens={
                "cache": cache.serialize(),
                "home_account_id": accounts[0]["home_account_id"] if accounts else None,
            },
        )


def _message(response: httpx.Response) -> str:
    try:
        error = response.json().get("error", {})
        said = f"{error.get('code', '')} {error.get('message', '')}".strip()
        return f"Graph answered {response.status_code}: {said}"
    except (ValueError, AttributeError):
        return f"Graph answered {response.status_code}"


class OutlookCalendar:
    def __init__(self, tokens: TokenStore, transport: Transport, session: requests.Session) -> None:
        self.store = tokens
        self.transport = transport
        self.session = session
        self.base = graph_base()
        self._access: str | None = None

    # ---- tokens --------------------------------------------------------------------------------------

    def _token(self, force: bool = False) -> str:
        if self._access and not force:
            return self._access
        for _ in range(3):
            tokens = self.store.load()
            cache = msal.SerializableTokenCache()
            cache.deserialize(tokens["cache"])
            app = application(self.session, cache)
            wanted = tokens.get("home_account_id")
            accounts = [a for a in app.get_accounts() if wanted in (None, a.get("home_account_id"))]
            if not accounts:
                raise ports.GrantRevoked(
                    "no Microsoft account is left in the token cache; reconnect the calendar"
                )
            try:
                result = app.acquire_token_silent_with_error(SCOPES, account=accounts[0], force_refresh=force)
            except (requests.RequestException, ValueError) as error:
                raise ports.Unavailable(f"Microsoft's token endpoint failed: {error}") from error
            if result is None or _revoked(result):
                reason = (result or {}).get("error_description") or "the grant is no longer valid"
                raise ports.GrantRevoked(
                    f"Microsoft refused the refresh token ({reason}); reconnect the calendar"
                )
            if "access_token" not in result:
                raise ports.Unavailable(
                    f"Microsoft's token endpoint failed: {result.get('error', 'no token')}"
                )
            if not cache.has_state_changed or self.store.save({**tokens, "cache": cache.serialize()}) is None:
                self._access = result["access_token"]
                return self._access
            force = False  # another run refreshed first: read its cache and take its token
        raise ports.Unavailable("the Microsoft tokens kept changing under this run")

    def _call(self, method: str, path: str, **options) -> httpx.Response:
        url = path if path.startswith("https://") else f"{self.base}{path}"
        headers = {"Authorization": f"Bearer {self._token()}", **options.pop("headers", {})}
        response = self.transport.request(method, url, headers=headers, **options)
        if response.status_code == 401:
            headers["Authorization"] = f"Bearer {self._token(force=True)}"
            response = self.transport.request(method, url, headers=headers, **options)
        return response

    # ---- push --------------------------------------------------------------------------------------

    def _find(self, appointment_id: str) -> str | None:
        """Our event of this appointment, looked up by its extended property (never trust a create)."""
        flt = (
            "singleValueExtendedProperties/Any("
            f"ep: ep/id eq '{PROPERTY_ID}' and ep/value eq '{appointment_id}')"
        )
        answer = self._call("GET", "/me/events", params={"$filter": flt, "$select": "id"})
        if answer.status_code != 200:
            raise ports.Rejected(_message(answer))
        found = answer.json().get("value", [])
        return found[0]["id"] if found else None

    def upsert(self, spec: ports.EventSpec, remote_id: str | None) -> tuple[str, bool]:
        body = event_body(spec)
        for candidate in (remote_id, None):
            target = candidate or self._find(spec.appointment_id)
            if target is None:
                break
            answer = self._call("PATCH", f"/me/events/{quote(target)}", json=body)
            if answer.status_code == 200:
                return target, False
            if answer.status_code != 404:
                raise ports.Rejected(_message(answer))
            if candidate is None:
                break
        created = {**body, "transactionId": transaction_id(spec)}
        answer = self._call("POST", "/me/events", json=created)
        if answer.status_code in (200, 201):
            return answer.json()["id"], True
        raise ports.Rejected(_message(answer))

    def delete(self, appointment_id: str, remote_id: str | None, notify: bool) -> None:
        target = remote_id or self._find(appointment_id)
        if target is None:
            return
        if notify:  # attendees were invited: cancel, so they are told
            answer = self._call("POST", f"/me/events/{quote(target)}/cancel", json={"comment": ""})
        else:
            answer = self._call("DELETE", f"/me/events/{quote(target)}")
        if answer.status_code not in (200, 202, 204, 404, 410):
            raise ports.Rejected(_message(answer))

    # ---- pull --------------------------------------------------------------------------------------

    def busy(self, start: datetime, end: datetime, state: dict[str, Any] | None) -> ports.BusyListing:
        listing = ports.BusyListing(busy=[], full=True, state={})
        params: dict[str, str] | None = {
            "startDateTime": _utc(start),
            "endDateTime": _utc(end),
            "$top": "100",
            "$select": "id,showAs,isAllDay,isCancelled,start,end,responseStatus,type",
            "$expand": f"singleValueExtendedProperties($filter=id eq '{PROPERTY_ID}')",
        }
        url = "/me/calendarView"
        zone = ZoneInfo(state.get("timezone", "UTC")) if state else ZoneInfo("UTC")
        while url:
            answer = self._call("GET", url, params=params, headers={"Prefer": 'outlook.timezone="UTC"'})
            if answer.status_code != 200:
                raise ports.Rejected(_message(answer))
            page = answer.json()
            for item in page.get("value", []):
                span = blocking_span(item, zone)
                if span is not None:
                    listing.busy.append(ports.RemoteBusy(item["id"], *span))
            url, params = page.get("@odata.nextLink"), None
        return listing

    def revoke(self) -> None:
        """Graph has no revocation of one delegated grant; dropping our tokens is what is left."""


def transaction_id(spec: ports.EventSpec) -> str:
    """The same create retried carries the same id (Graph then makes no second event)."""
    return hashlib.sha256(f"{spec.appointment_id}|{spec.start.isoformat()}".encode()).hexdigest()[:32]


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def event_body(spec: ports.EventSpec) -> dict[str, Any]:
    body: dict[str, Any] = {
        "subject": spec.title,
        "body": {"contentType": "text", "content": spec.description},
        "start": {"dateTime": _utc(spec.start), "timeZone": "UTC"},
        "end": {"dateTime": _utc(spec.end), "timeZone": "UTC"},
        "showAs": "tentative" if spec.tentative else "busy",
        "attendees": [
            {"emailAddress": {"address": a.email, "name": a.name}, "type": "required"} for a in spec.attendees
        ],
        "hideAttendees": not spec.guests_can_see_other_guests,
        "isOnlineMeeting": spec.online_meeting,
        "singleValueExtendedProperties": [{"id": PROPERTY_ID, "value": spec.appointment_id}],
    }
    if spec.online_meeting:
        body["onlineMeetingProvider"] = "teamsForBusiness"
    return body


def _ours(item: dict[str, Any]) -> bool:
    return any(
        p.get("id", "").lower() == PROPERTY_ID.lower()
        for p in item.get("singleValueExtendedProperties") or []
    )


def blocking_span(item: dict[str, Any], zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    if item.get("isCancelled") or item.get("showAs") not in BLOCKING or _ours(item):
        return None
    if (item.get("responseStatus") or {}).get("response") == "declined":
        return None
    start, end = _parse(item["start"]["dateTime"]), _parse(item["end"]["dateTime"])
    if item.get("isAllDay"):  # a date, not an instant: its day in the calendar's zone
        return local_midnight(start.date(), zone), local_midnight(end.date(), zone)
    return start, end


def _parse(value: str) -> datetime:
    """Graph's `2026-03-17T09:30:00.0000000` (seven decimals, UTC as asked by Prefer)."""
    head, _, fraction = value.partition(".")
    return datetime.fromisoformat(head).replace(tzinfo=UTC)
