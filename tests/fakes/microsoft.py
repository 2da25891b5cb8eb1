"""Microsoft identity platform (v2.0 endpoints msal uses) and Graph /me/events, as a local fake."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from tests.fakes.server import FakeServer, Reply, Request

TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"
_VALUE = re.compile(r"ep/value eq '([^']*)'")


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _graph_error(status: int, code: str, message: str) -> Reply:
    return Reply(
        status, {"error": {"code": code, "message": message, "innerError": {"request-id": str(uuid.uuid4())}}}
    )


def _aad_error(error: str, description: str, codes: list[int]) -> Reply:
    return Reply(
        400,
        {
            "error": error,
            "error_description": description,
            "error_codes": codes,
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ"),
            "trace_id": str(uuid.uuid4()),
            "correlation_id": str(uuid.uuid4()),
        },
    )


def _graph_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000")


def _graph_day(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT00:00:00.0000000")


def _parse(value: dict) -> datetime:
    head = value["dateTime"].split(".")[0]
    assert value.get("timeZone", "UTC") == "UTC", "the fake only stores UTC"
    return datetime.fromisoformat(head).replace(tzinfo=UTC)


class FakeMicrosoft(FakeServer):
    CLIENT_ID, CLIENT_SECRET = "3f1b7c2e-0d7a-4c8e-9b4a-1a2b3c4d5e6f", "ms-client-secret"

    def __init__(self, cert, key, account: str = "agent@contoso.example"):
        super().__init__(cert, key)
        self.account = account
        self.codes: dict[str, dict] = {}
        self.refresh_tokens: dict[str, bool] = {}
        self.access_tokens: dict[str, datetime] = {}
        self.access_ttl = timedelta(hours=1)
        self.events: dict[str, dict] = {}
        self.transactions: dict[str, str] = {}
        self.cancelled: list[str] = []
        self.token_requests = 0

    def env(self) -> dict[str, str]:
        return {
            "MS_CLIENT_ID": self.CLIENT_ID,
            "MS_CLIENT_SECRET": self.CLIENT_SECRET,
            "MS_AUTHORITY": f"{self.url}/common",
            "GRAPH_API_BASE": f"{self.url}/v1.0",
        }

    # ---- what a person does in Outlook ---------------------------------------------------------------

    def revoke_all(self) -> None:
        with self.lock:
            self.refresh_tokens = dict.fromkeys(self.refresh_tokens, False)
            self.access_tokens.clear()

    def add_event(self, start: datetime, end: datetime, show_as: str = "busy", **fields) -> str:
        """An event the owner adds; all-day with `all_day=True`: Graph then answers the days' midnights
        as they are, labelled with the zone the request prefers (UTC here), not converted instants."""
        all_day = fields.pop("all_day", False)
        at = _graph_day if all_day else _graph_time
        with self.lock:
            event_id = "AAMk" + secrets.token_urlsafe(16)
            self.events[event_id] = {
                "id": event_id,
                "subject": fields.pop("subject", "busy"),
                "start": {"dateTime": at(start), "timeZone": "UTC"},
                "end": {"dateTime": at(end), "timeZone": "UTC"},
                "showAs": show_as,
                "isAllDay": all_day,
                "isCancelled": False,
                "type": "singleInstance",
                "responseStatus": {"response": "organizer"},
                **fields,
            }
            return event_id

    def move_event(self, event_id: str, start: datetime, end: datetime) -> None:
        with self.lock:
            self.events[event_id]["start"]["dateTime"] = _graph_time(start)
            self.events[event_id]["end"]["dateTime"] = _graph_time(end)

    def delete_event(self, event_id: str) -> None:
        with self.lock:
            self.events.pop(event_id)

    def ours(self) -> list[dict]:
        with self.lock:
            return [copy.deepcopy(e) for e in self.events.values() if e.get("singleValueExtendedProperties")]

    # ---- HTTP ------------------------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        path = request.path
        if path == "/common/v2.0/.well-known/openid-configuration":
            return Reply(
                200,
                {
                    "authorization_endpoint": f"{self.url}/common/oauth2/v2.0/authorize",
                    "token_endpoint": f"{self.url}/common/oauth2/v2.0/token",
                    "issuer": f"{self.url}/{{tenantid}}/v2.0",
                    "jwks_uri": f"{self.url}/common/discovery/v2.0/keys",
                    "response_types_supported": ["code", "id_token", "code id_token"],
                },
            )
        if path == "/common/oauth2/v2.0/authorize":
            return self._authorize(request)
        if path == "/common/oauth2/v2.0/token" and request.method == "POST":
            return self._token(request)
        if path.startswith("/v1.0/"):
            expiry = self.access_tokens.get(request.bearer or "")
            if expiry is None or expiry <= datetime.now(UTC):
                return _graph_error(
                    401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid."
                )
            return self._graph(request, path[len("/v1.0") :])
        return _graph_error(404, "UnknownError", "")

    def _authorize(self, request: Request) -> Reply:
        q = request.query
        scopes = set(q.get("scope", "").split())
        if q.get("client_id") != self.CLIENT_ID or not {"offline_access", "Calendars.ReadWrite"} <= scopes:
            return Reply(400, "AADSTS650053: scope or client invalid", {"Content-Type": "text/html"})
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            return Reply(400, "AADSTS501491: PKCE required", {"Content-Type": "text/html"})
        code = "M." + secrets.token_urlsafe(24)
        self.codes[code] = {
            "redirect_uri": q["redirect_uri"],
            "challenge": q["code_challenge"],
            "nonce": q.get("nonce"),
            "scope": q["scope"],
        }
        params = {"code": code, "state": q["state"], "session_state": str(uuid.uuid4())}
        return Reply(302, None, {"Location": f"{q['redirect_uri']}?{urlencode(params)}"})

    def _token(self, request: Request) -> Reply:
        self.token_requests += 1
        form = request.form()
        if form.get("client_id") != self.CLIENT_ID or form.get("client_secret") != self.CLIENT_SECRET:
            return _aad_error("invalid_client", "AADSTS7000215: Invalid client secret provided.", [7000215])
        grant = form.get("grant_type")
        if grant == "authorization_code":
            issued = self.codes.pop(form.get("code", ""), None)
            if issued is None or issued["redirect_uri"] != form.get("redirect_uri"):
                return _aad_error(
                    "invalid_grant", "AADSTS70008: The provided authorization code is expired.", [70008]
                )
            verifier = form.get("code_verifier", "")
            challenge = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
            )
            if challenge != issued["challenge"]:
                return _aad_error(
                    "invalid_grant", "AADSTS501481: The Code_Verifier does not match.", [501481]
                )
            return Reply(200, self._tokens(issued.get("nonce"), issued["scope"]))
        if grant == "refresh_token":
            if not self.refresh_tokens.get(form.get("refresh_token", ""), False):
                return _aad_error(
                    "invalid_grant",
                    "AADSTS50173: The provided grant has expired due to it being revoked, "
                    "a fresh auth token is needed.",
                    [50173],
                )
            return Reply(200, self._tokens(None, form.get("scope", "")))
        return _aad_error("unsupported_grant_type", f"AADSTS70003: grant type {grant} not supported", [70003])

    def _tokens(self, nonce: str | None, scope: str) -> dict:
        now = int(time.time())
        claims = {
            "aud": self.CLIENT_ID,
            "iss": f"{self.url}/{TENANT}/v2.0",
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "oid": "00000000-0000-0000-66f3-3332eca7ea81",
            "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
            "tid": TENANT,
            "preferred_username": self.account,
            "name": "Agent",
            "ver": "2.0",
        }
        if nonce:
            claims["nonce"] = nonce
        access, refresh = "eyJ0." + secrets.token_urlsafe(32), "0.A" + secrets.token_urlsafe(40)
        self.access_tokens[access] = datetime.now(UTC) + self.access_ttl
        self.refresh_tokens[refresh] = True
        return {
            "token_type": "Bearer",
            "scope": " ".join(s for s in scope.split() if s not in ("offline_access", "openid", "profile")),
            "expires_in": int(self.access_ttl.total_seconds()),
            "ext_expires_in": int(self.access_ttl.total_seconds()),
            "access_token": access,
            "refresh_token": refresh,
            "id_token": f"{_b64({'typ': 'JWT', 'alg': 'RS256'})}.{_b64(claims)}.c2lnbmF0dXJl",
            "client_info": _b64({"uid": claims["oid"], "utid": TENANT}),
        }

    # ---- Graph ------------------------------------------------------------------------------------

    def _graph(self, request: Request, path: str) -> Reply:
        method = request.method
        if path == "/me":
            return Reply(200, {"mail": self.account, "userPrincipalName": self.account})
        if path == "/me/events" and method == "GET":
            wanted = _VALUE.search(request.query.get("$filter", ""))
            value = [
                {"id": e["id"]}
                for e in self.events.values()
                if wanted
                and any(p["value"] == wanted.group(1) for p in e.get("singleValueExtendedProperties", []))
            ]
            return Reply(
                200, {"@odata.context": f"{self.url}/v1.0/$metadata#users('me')/events(id)", "value": value}
            )
        if path == "/me/events" and method == "POST":
            return self._create(request.json())
        if path == "/me/calendarView" and method == "GET":
            return self._view(request)
        match = re.fullmatch(r"/me/events/([^/]+)(/cancel)?", path)
        if not match:
            return _graph_error(400, "BadRequest", f"Resource not found for the segment '{path}'.")
        event = self.events.get(match.group(1))
        if event is None:
            return _graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        if match.group(2) and method == "POST":
            self.cancelled.append(event["id"])
            del self.events[event["id"]]
            return Reply(202)
        if method == "PATCH":
            body = request.json()
            problem = self._invalid(body)
            if problem:
                return _graph_error(400, "ErrorInvalidRequest", problem)
            event.update(copy.deepcopy(body))
            self._teams(event)
            return Reply(200, copy.deepcopy(event))
        if method == "DELETE":
            del self.events[event["id"]]
            return Reply(204)
        return _graph_error(405, "ErrorInvalidRequest", "method not allowed")

    @staticmethod
    def _invalid(body: dict) -> str | None:
        for side in ("start", "end"):
            if side in body and not {"dateTime", "timeZone"} <= set(body[side]):
                return f"{side} needs dateTime and timeZone"
        if body.get("showAs") not in (
            None,
            "free",
            "tentative",
            "busy",
            "oof",
            "workingElsewhere",
            "unknown",
        ):
            return "showAs is not valid"
        return None

    def _create(self, body: dict) -> Reply:
        problem = self._invalid(body) or (
            None if "start" in body and "end" in body else "start and end needed"
        )
        if problem:
            return _graph_error(400, "ErrorInvalidRequest", problem)
        transaction = body.get("transactionId")
        if transaction and transaction in self.transactions and self.transactions[transaction] in self.events:
            return Reply(201, copy.deepcopy(self.events[self.transactions[transaction]]))
        event_id = "AAMk" + secrets.token_urlsafe(16)
        event = {
            "id": event_id,
            "isAllDay": False,
            "isCancelled": False,
            "type": "singleInstance",
            "responseStatus": {"response": "organizer"},
            **copy.deepcopy(body),
        }
        self._teams(event)
        self.events[event_id] = event
        if transaction:
            self.transactions[transaction] = event_id
        return Reply(201, copy.deepcopy(event))

    @staticmethod
    def _teams(event: dict) -> None:
        if event.get("isOnlineMeeting") and event.get("onlineMeetingProvider") == "teamsForBusiness":
            event.setdefault(
                "onlineMeeting",
                {"joinUrl": f"https://teams.microsoft.com/l/meetup-join/{secrets.token_hex(8)}"},
            )
        elif not event.get("isOnlineMeeting"):
            event.pop("onlineMeeting", None)

    def _view(self, request: Request) -> Reply:
        q = request.query
        if "startDateTime" not in q or "endDateTime" not in q:
            return _graph_error(
                400,
                "ErrorInvalidParameter",
                "This request requires a time window specified by the query string parameters "
                "StartDateTime and EndDateTime.",
            )
        low = datetime.fromisoformat(q["startDateTime"].replace("Z", "")).replace(tzinfo=UTC)
        high = datetime.fromisoformat(q["endDateTime"].replace("Z", "")).replace(tzinfo=UTC)
        top, skip = int(q.get("$top", 10)), int(q.get("$skip", 0))
        expand = "singleValueExtendedProperties" in q.get("$expand", "")
        found = []
        for event in sorted(self.events.values(), key=lambda e: e["start"]["dateTime"]):
            for instance in self._instances(event):
                if _parse(instance["end"]) > low and _parse(instance["start"]) < high:
                    shown = {
                        k: v for k, v in instance.items() if k != "singleValueExtendedProperties" or expand
                    }
                    found.append(copy.deepcopy(shown))
        page = found[skip : skip + top]
        answer = {"@odata.context": f"{self.url}/v1.0/$metadata#users('me')/calendarView", "value": page}
        if skip + top < len(found):
            answer["@odata.nextLink"] = f"{self.url}/v1.0/me/calendarView?" + urlencode(
                {**{k: v for k, v in q.items() if k != "$skip"}, "$skip": skip + top}
            )
        return Reply(200, answer)

    @staticmethod
    def _instances(event: dict) -> list[dict]:
        recurrence = event.get("recurrence")
        if not recurrence:
            return [event]
        step = timedelta(days=7 if recurrence["pattern"]["type"] == "weekly" else 1)
        out = []
        for n in range(recurrence["range"].get("numberOfOccurrences", 10)):
            instance = {k: v for k, v in event.items() if k != "recurrence"}
            instance["id"] = f"{event['id']}_{n}"
            instance["type"] = "occurrence"
            instance["seriesMasterId"] = event["id"]
            instance["start"] = {
                "dateTime": _graph_time(_parse(event["start"]) + n * step),
                "timeZone": "UTC",
            }
            instance["end"] = {"dateTime": _graph_time(_parse(event["end"]) + n * step), "timeZone": "UTC"}
            out.append(instance)
        return out
