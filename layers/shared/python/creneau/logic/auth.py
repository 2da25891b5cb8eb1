"""Who is calling: an API key names one tenant and one role."""

from __future__ import annotations

from dataclasses import dataclass

from creneau.dal import api_keys
from creneau.errors import Forbidden, NotAuthenticated
from creneau.security import hash_secret

RANKS = {"public": 0, "agent": 1, "admin": 2}


@dataclass(frozen=True)
class Principal:
    tenant_id: str
    role: str
    key_id: str

    def at_least(self, role: str) -> bool:
        return RANKS[self.role] >= RANKS[role]


def authenticate(api_key: str | None) -> Principal:
    if not api_key:
        raise NotAuthenticated("missing X-Api-Key header")
    record = api_keys.find_by_hash(hash_secret(api_key))
    if record is None:
        raise NotAuthenticated("unknown or revoked API key")
    return Principal(tenant_id=record["tenant_id"], role=record["role"], key_id=record["id"])


def authorize(principal: Principal, role: str) -> None:
    if not principal.at_least(role):
        raise Forbidden(f"this needs a key with the {role} role; yours is {principal.role}")
