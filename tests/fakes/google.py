"""Google OAuth 2.0 and Calendar v3 (events of each account's primary calendar), as a local fake.

Event bodies that we send are validated against the Event schema of the discovery document that
google-api-python-client ships, with unknown properties refused.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import secrets
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

import googleapiclient
import jsonschema

from tests.fakes.server import FakeServer, Reply, Request

PREFIX = "/calendar/v3/calendars/primary/events"


@cache
def event_validator() -> jsonschema.Draft4Validator:
    path = Path(googleapiclient.__file__).parent / "discovery_cache/documents/calendar.v3.json"
    schemas = json.loads(path.read_text())["schemas"]

    def convert(node):
        if isinstance(node, dict):
            out = {k: convert(v) for k, v in node.items() if k not in ("annotations", "id", "description")}
            if "properties" in node:  # property names are data, not schema keywords
                out["properties"] = {name: convert(sub) for name, sub in node["properties"].items()}
            if "$ref" in out:
                return {"$ref": f"#/definitions/{out['$ref']}"}
            if out.get("type") == "any":
                out.pop("type")
            if out.get("format") in ("int64", "uint64", "byte", "google-datetime", "date", "date-time"):
                out.pop("format")
            if "properties" in out:
                out.setdefault("additionalProperties", False)
            return out
        if isinstance(node, list):
            return [convert(v) for v in node]
        return node

    definitions = {name: convert(schema) for name, schema in schemas.items()}
    return jsonschema.Draft4Validator({"$ref": "#/definitions/Event", "definitions": definitions})


def schema_errors(body: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.path))}: {e.message}" for e in event_validator().iter_errors(body)]


def _error(code: int, message: str, reason: str, status: str | None = None) -> Reply:
    error = {
        "code": code,
        "message": message,
        "errors": [{"message": message, "domain": "global", "reason": reason}],
    }
    if status:
        error["status"] = status
    return Reply(code, {"error": error})


def _instant(value: dict, zone_default: str = "UTC") -> datetime:
    if "dateTime" in value:
        return datetime.fromisoformat(value["dateTime"].replace("Z", "+00:00"))
    return datetime.combine(date.fromisoformat(value["date"]), datetime.min.time(), tzinfo=UTC)


def _rfc(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeGoogle(FakeServer):
    CLIENT_ID, CLIENT_SECRET = "google-client-id.apps.googleusercontent.com", "google-client-secret"

    def __init__(self, cert, key, account: str = "agent@gmail.example", time_zone: str = "Europe/Paris"):
        super().__init__(cert, key)
        self.account, self.time_zone = account, time_zone
        self.deny_consent = False
        self.codes: dict[str, dict] = {}
        self.refresh_tokens: dict[str, bool] = {}  # token -> still valid
        self.access_tokens: dict[str, datetime] = {}
        self.access_ttl = timedelta(hours=1)
        self.events: dict[str, dict] = {}
        self.seq = 0
        self.oldest_sync = 0  # sync tokens before this are gone (410)
        self.invalid_bodies: list[tuple[str, list[str]]] = []
        self.token_requests = 0

    # ---- environment for the code under test --------------------------------------------------------

    def env(self) -> dict[str, str]:
        return {
            "GOOGLE_CLIENT_ID": self.CLIENT_ID,
            "GOOGLE_CLIENT_SECRET": self.CLIENT_SECRET,
            "GOOGLE_AUTH_URL": f"{self.url}/o/oauth2/v2/auth",
            "GOOGLE_TOKEN_URL": f"{self.url}/token",
            "GOOGLE_API_BASE": f"{self.url}/calendar/v3",
            "GOOGLE_REVOKE_URL": f"{self.url}/revoke",
            "GOOGLE_USERINFO_URL": f"{self.url}/v1/userinfo",
        }

    # ---- what a person does at Google ---------------------------------------------------------------

    def revoke_all(self) -> None:
        with self.lock:
            self.refresh_tokens = dict.fromkeys(self.refresh_tokens, False)
            self.access_tokens.clear()

    def expire_access_tokens(self) -> None:
        with self.lock:
            self.access_tokens.clear()

    def _touch(self, event: dict) -> None:
        self.seq += 1
        event["_seq"] = self.seq
        event["updated"] = _rfc(datetime.now(UTC))
        event["etag"] = f'"{self.seq}"'

    def add_event(self, start: datetime, end: datetime | None = None, **fields) -> str:
        """An event the owner adds; all-day with `all_day=True` (start/end are then dates)."""
        with self.lock:
            event_id = fields.pop("id", None) or secrets.token_hex(10)
            all_day = fields.pop("all_day", False)
            if all_day:
                span = {"start": {"date": start.date().isoformat()}, "end": {"date": end.date().isoformat()}}
            else:
                span = {"start": {"dateTime": _rfc(start)}, "end": {"dateTime": _rfc(end)}}
            event = {
                "kind": "calendar#event",
                "id": event_id,
                "status": "confirmed",
                "summary": "busy",
                **span,
            }
            event.update(fields)
            self._touch(event)
            self.events[event_id] = event
            return event_id

    def move_event(self, event_id: str, start: datetime, end: datetime) -> None:
        with self.lock:
            event = self.events[event_id]
            event["start"], event["end"] = {"dateTime": _rfc(start)}, {"dateTime": _rfc(end)}
            self._touch(event)

    def delete_event(self, event_id: str) -> None:
        with self.lock:
            self.events[event_id]["status"] = "cancelled"
            self._touch(self.events[event_id])

    def invalidate_sync_tokens(self) -> None:
        with self.lock:
            self.oldest_sync = self.seq + 1

    def live_events(self) -> list[dict]:
        with self.lock:
            return [copy.deepcopy(e) for e in self.events.values() if e["status"] != "cancelled"]

    def ours(self) -> list[dict]:
        return [e for e in self.live_events() if "creneau_appointment_id" in _private(e)]

    # ---- HTTP ------------------------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        path = request.path
        if path == "/o/oauth2/v2/auth" and request.method == "GET":
            return self._authorize(request)
        if path == "/token" and request.method == "POST":
            return self._token(request)
        if path == "/revoke" and request.method == "POST":
            token = request.form().get("token") or request.query.get("token")
            if token in self.refresh_tokens:
                self.refresh_tokens[token] = False
                return Reply(200, {})
            return Reply(400, {"error": "invalid_token", "error_description": "Token expired or revoked"})
        if path == "/v1/userinfo":
            if not self._authorized(request):
                return Reply(401, {"error": "invalid_request", "error_description": "Invalid Credentials"})
            return Reply(200, {"sub": "1234567890", "email": self.account, "email_verified": True})
        if path.startswith(PREFIX):
            if not self._authorized(request):
                return _error(
                    401, "Request had invalid authentication credentials.", "authError", "UNAUTHENTICATED"
                )
            return self._calendar(request, path[len(PREFIX) :].strip("/"))
        return _error(404, "Not Found", "notFound")

    def _authorized(self, request: Request) -> bool:
        expiry = self.access_tokens.get(request.bearer or "")
        return expiry is not None and expiry > datetime.now(UTC)

    def _authorize(self, request: Request) -> Reply:
        q = request.query
        required = ("client_id", "redirect_uri", "response_type", "scope", "state", "code_challenge")
        if any(not q.get(name) for name in required) or q["client_id"] != self.CLIENT_ID:
            return Reply(400, "Error 400: invalid_request", {"Content-Type": "text/html"})
        scopes = set(q["scope"].split())
        wanted = {
            "https://www.googleapis.com/auth/calendar.events",
            "https://www.googleapis.com/auth/calendar.freebusy",
        }
        if not wanted <= scopes or q.get("access_type") != "offline" or q.get("prompt") != "consent":
            return Reply(400, "Error 400: invalid_scope or not offline", {"Content-Type": "text/html"})
        if q.get("code_challenge_method") != "S256":
            return Reply(400, "Error 400: PKCE S256 required", {"Content-Type": "text/html"})
        if self.deny_consent:
            params = {"error": "access_denied", "state": q["state"]}
        else:
            code = "4/" + secrets.token_urlsafe(24)
            self.codes[code] = {
                "redirect_uri": q["redirect_uri"],
                "challenge": q["code_challenge"],
                "scope": q["scope"],
            }
            params = {"code": code, "state": q["state"], "scope": q["scope"]}
        return Reply(302, None, {"Location": f"{q['redirect_uri']}?{urlencode(params)}"})

    def _token(self, request: Request) -> Reply:
        self.token_requests += 1
        form = request.form()
        if form.get("client_id") != self.CLIENT_ID or form.get("client_secret") != self.CLIENT_SECRET:
            return Reply(401, {"error": "invalid_client", "error_description": "Unauthorized"})
        grant = form.get("grant_type")
        if grant == "authorization_code":
            issued = self.codes.pop(form.get("code", ""), None)
            if issued is None or issued["redirect_uri"] != form.get("redirect_uri"):
                return Reply(400, {"error": "invalid_grant", "error_description": "Bad Request"})
            verifier = form.get("code_verifier", "")
            challenge = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
            )
            if challenge != issued["challenge"]:
                return Reply(400, {"error": "invalid_grant", "error_description": "Invalid code verifier."})
            refresh = "1//" + secrets.token_urlsafe(32)
            self.refresh_tokens[refresh] = True
            return Reply(200, {**self._access(), "refresh_token": refresh, "scope": issued["scope"]})
        if grant == "refresh_token":
            if not self.refresh_tokens.get(form.get("refresh_token", ""), False):
                return Reply(
                    400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
                )
            return Reply(200, {**self._access(), "scope": "https://www.googleapis.com/auth/calendar.events"})
        return Reply(
            400, {"error": "unsupported_grant_type", "error_description": f"Invalid grant_type: {grant}"}
        )

    def _access(self) -> dict:
        token = "ya29." + secrets.token_urlsafe(32)
        self.access_tokens[token] = datetime.now(UTC) + self.access_ttl
        return {
            "access_token": token,
            "expires_in": int(self.access_ttl.total_seconds()),
            "token_type": "Bearer",
        }

    # ---- events ------------------------------------------------------------------------------------

    def _calendar(self, request: Request, event_id: str) -> Reply:
        method = request.method
        if not event_id and method == "GET":
            return self._list(request)
        if not event_id and method == "POST":
            return self._insert(request)
        event = self.events.get(event_id)
        if method == "GET":
            return Reply(200, _public(event)) if event else _error(404, "Not Found", "notFound")
        if method == "PATCH":
            if event is None:
                return _error(404, "Not Found", "notFound")
            body = request.json()
            errors = schema_errors(body)
            if errors:
                self.invalid_bodies.append(("PATCH", errors))
                return _error(400, f"Invalid value: {errors[0]}", "invalid")
            if "id" in body and body["id"] != event_id:
                return _error(400, "Invalid value for: id", "invalid")
            event.update(copy.deepcopy(body))
            self._conference(event, request)
            self._touch(event)
            return Reply(200, _public(event))
        if method == "DELETE":
            if event is None:
                return _error(404, "Not Found", "notFound")
            if event["status"] == "cancelled":
                return _error(410, "Resource has been deleted", "deleted")
            event["status"] = "cancelled"
            self._touch(event)
            return Reply(204)
        return _error(405, "Method Not Allowed", "httpMethodNotAllowed")

    def _insert(self, request: Request) -> Reply:
        body = request.json()
        errors = schema_errors(body)
        if errors or "start" not in body or "end" not in body:
            self.invalid_bodies.append(("POST", errors or ["start/end missing"]))
            return _error(400, f"Invalid value: {(errors or ['Missing time'])[0]}", "invalid")
        event_id = body.get("id") or secrets.token_hex(10)
        if not (5 <= len(event_id) <= 1024) or set(event_id) - set("0123456789abcdefghijklmnopqrstuv"):
            return _error(400, "Invalid resource id value.", "invalid")
        if event_id in self.events:  # deleted ones too: Google keeps the id taken
            return _error(409, "The requested identifier already exists.", "duplicate")
        event = {"kind": "calendar#event", "status": "confirmed", **copy.deepcopy(body), "id": event_id}
        self._conference(event, request)
        self._touch(event)
        self.events[event_id] = event
        return Reply(200, _public(event))

    @staticmethod
    def _conference(event: dict, request: Request) -> None:
        create = (event.get("conferenceData") or {}).get("createRequest")
        if create and request.query.get("conferenceDataVersion") == "1" and "hangoutLink" not in event:
            link = f"https://meet.google.com/{secrets.token_hex(3)}-{secrets.token_hex(2)}"
            event["hangoutLink"] = link
            event["conferenceData"] = {
                "createRequest": {**create, "status": {"statusCode": "success"}},
                "entryPoints": [{"entryPointType": "video", "uri": link}],
                "conferenceSolution": {"key": {"type": "hangoutsMeet"}, "name": "Google Meet"},
            }
        event["_send_updates"] = request.query.get("sendUpdates", "false")

    def _list(self, request: Request) -> Reply:
        q = request.query
        if "syncToken" in q and ({"timeMin", "timeMax", "orderBy", "q"} & q.keys()):
            return _error(400, "Sync token cannot be used with these parameters.", "invalid")
        page_size = min(int(q.get("maxResults", 250)), 2500)
        offset = int(q.get("pageToken", "0") or 0)
        since = None
        if "syncToken" in q:
            since = int(q["syncToken"].removeprefix("sync-"))
            if since < self.oldest_sync:
                return _error(
                    410, "Sync token is no longer valid, a full sync is required.", "fullSyncRequired"
                )
        items = []
        for event in sorted(self.events.values(), key=lambda e: e["_seq"]):
            if since is not None:
                if event["_seq"] <= since:
                    continue
            elif event["status"] == "cancelled":
                continue
            for instance in self._instances(event) if q.get("singleEvents") == "true" else [event]:
                if since is None and not self._overlaps(instance, q):
                    continue
                items.append(_public(instance))
        page = items[offset : offset + page_size]
        answer = {
            "kind": "calendar#events",
            "summary": self.account,
            "timeZone": self.time_zone,
            "items": page,
        }
        if offset + page_size < len(items):
            answer["nextPageToken"] = str(offset + page_size)
        else:
            answer["nextSyncToken"] = f"sync-{self.seq}"
        return Reply(200, answer)

    @staticmethod
    def _overlaps(event: dict, q: dict) -> bool:
        start, end = _instant(event["start"]), _instant(event["end"])
        low = datetime.fromisoformat(q["timeMin"].replace("Z", "+00:00")) if "timeMin" in q else None
        high = datetime.fromisoformat(q["timeMax"].replace("Z", "+00:00")) if "timeMax" in q else None
        return (low is None or end > low) and (high is None or start < high)

    @staticmethod
    def _instances(event: dict) -> list[dict]:
        """RRULE:FREQ=DAILY|WEEKLY;COUNT=n expanded into instances, as singleEvents=true does."""
        rules = [r for r in event.get("recurrence", []) if r.startswith("RRULE:")]
        if not rules:
            return [event]
        parts = dict(p.split("=") for p in rules[0][6:].split(";"))
        step = timedelta(days=7 if parts["FREQ"] == "WEEKLY" else 1)
        start, end = _instant(event["start"]), _instant(event["end"])
        out = []
        for n in range(int(parts.get("COUNT", 10))):
            s, e = start + n * step, end + n * step
            instance = {k: v for k, v in event.items() if k != "recurrence"}
            instance.update(
                id=f"{event['id']}_{s.strftime('%Y%m%dT%H%M%SZ')}",
                recurringEventId=event["id"],
                start={"dateTime": _rfc(s)},
                end={"dateTime": _rfc(e)},
                originalStartTime={"dateTime": _rfc(s)},
            )
            out.append(instance)
        return out


def _private(event: dict) -> dict:
    return (event.get("extendedProperties") or {}).get("private") or {}


def _public(event: dict) -> dict:
    return {k: copy.deepcopy(v) for k, v in event.items() if not k.startswith("_")}
