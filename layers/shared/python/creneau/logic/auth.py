"""Who is calling: an API key, or a person signed in with Cognito, becomes one Principal.

Nothing below creneau/http.py knows which of the two it was: a Principal carries the tenant, the
role, the `by` label that history records, and the calendars a limited agent may act on.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from creneau.dal.api_keys import ApiKeyRepository
from creneau.dal.settings import SettingsRepository
from creneau.dal.user_repository import UserRecord, UserRepository
from creneau.domain.scope import CalendarScope
from creneau.errors import Forbidden, NotAuthenticated, OriginRefused
from creneau.security import hash_secret

RANKS = {"public": 0, "agent": 1, "admin": 2}
USER_ROLES = ("agent", "admin")
USER_RECORD_MAX_AGE_S = 60  # a disabled user's token works at most this long on reads


@dataclass(frozen=True)
class Principal:
    tenant_id: str
    role: str
    by: str  # "key:<id>:<name>" or "user:<id>:<name>"
    calendar_ids: CalendarScope = None  # None: every calendar of the tenant

    @property
    def caller(self) -> str:
        """Who, stably: `key:<id>` or `user:<id>` (a user's name may change; their id does not)."""
        kind, identifier, _name = self.by.split(":", 2)
        return f"{kind}:{identifier}"

    def at_least(self, role: str) -> bool:
        return RANKS[self.role] >= RANKS[role]


def authorize(principal: Principal, role: str) -> None:
    if not principal.at_least(role):
        raise Forbidden(f"this needs the {role} role; yours is {principal.role}")


def _role(groups: tuple[str, ...], recorded: str) -> str:
    """The role is the token's group; a demotion recorded since the token was issued applies at once
    (the lower of the two wins), a promotion with the next token."""
    granted = [g for g in groups if g in USER_ROLES]
    if len(granted) != 1:
        raise NotAuthenticated("this account has no role (it must be in exactly one group, agent or admin)")
    return min(granted[0], recorded, key=RANKS.__getitem__)


class UserRecords:
    """User records as the auth step reads them: cached per execution environment for at most
    `max_age_s`, bypassed by writes."""

    def __init__(
        self,
        find: Callable[[str], UserRecord | None],
        clock: Callable[[], float] = time.monotonic,
        max_age_s: float = USER_RECORD_MAX_AGE_S,
        size: int = 1000,
    ) -> None:
        self._find, self._clock, self.max_age_s, self.size = find, clock, max_age_s, size
        self._cache: OrderedDict[str, tuple[float, UserRecord | None]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, user_id: str, fresh: bool = False) -> UserRecord | None:
        now = self._clock()
        with self._lock:
            cached = self._cache.get(user_id)
        if cached is not None and not fresh and now - cached[0] < self.max_age_s:
            return cached[1]
        record = self._find(user_id)
        with self._lock:
            self._cache[user_id] = (now, record)
            self._cache.move_to_end(user_id)
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return record

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()


@dataclass(frozen=True)
class Authenticator:
    """The auth step of every route: reads keys by the hash of their secret, users through a short
    cache (one per execution environment: the Api builds one), settings for a public key's origins."""

    keys: ApiKeyRepository = field(default_factory=ApiKeyRepository)
    users: UserRecords = field(default_factory=lambda: UserRecords(UserRepository().find))
    settings: SettingsRepository = field(default_factory=SettingsRepository)

    def authenticate(self, headers: Mapping[str, str], writes: bool) -> Principal:
        """`headers` with lower-case names. `writes`: the request may change something, so a user's
        record is read afresh rather than from the cache."""
        api_key, authorization = headers.get("x-api-key"), headers.get("authorization")
        if api_key and authorization:
            raise NotAuthenticated("send either an X-Api-Key header or an Authorization header, not both")
        if authorization:
            return self._from_token(authorization, writes)
        if api_key:
            return self._from_key(api_key)
        raise NotAuthenticated("missing X-Api-Key header or Authorization: Bearer token")

    def _from_key(self, api_key: str) -> Principal:
        key = self.keys.find_by_hash(hash_secret(api_key))
        if key is None:
            raise NotAuthenticated("unknown or revoked API key")
        return Principal(tenant_id=key.tenant_id, role=key.role, by=key.by)

    def _from_token(self, authorization: str, writes: bool) -> Principal:
        from creneau.tokens import verifier  # PyJWT and cryptography: only for requests that bring a token

        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated("the Authorization header must read 'Bearer <token>'")
        claims = verifier().verify(token.strip())
        record = self.users.get(claims.user_id, fresh=writes)
        if record is None:
            raise NotAuthenticated("this account no longer exists")
        if record.status == "disabled":
            raise NotAuthenticated("this account is disabled")
        if claims.tenant_id is not None and claims.tenant_id != record.tenant_id:
            raise NotAuthenticated("the bearer token does not match its account")
        return Principal(
            tenant_id=record.tenant_id,
            role=_role(claims.groups, record.role),
            by=f"user:{record.id}:{record.name}",
            calendar_ids=frozenset(record.calendar_ids) if record.calendar_ids is not None else None,
        )

    def check_origin(self, principal: Principal, origin: str | None) -> str | None:
        """A public key used from a browser: its tenant's `allowed_origins`, when set, name the pages that
        may use it (a widget's key is public, so the key alone proves nothing). Returns the origin to allow
        in CORS, or None when the tenant leaves CORS to the API level."""
        if origin is None or principal.role != "public":
            return None
        allowed = self.settings.get(principal.tenant_id).allowed_origins
        if not allowed:
            return None
        if origin.lower() not in allowed:  # "null" (a sandboxed page, a file) is never listed
            raise OriginRefused(
                f"this public key may not be used from the origin {origin}", [{"origin": origin}]
            )
        return origin
