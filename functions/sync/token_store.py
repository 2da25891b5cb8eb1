"""A connection's tokens: unsealed on use, sealed again only when they changed, written under the
token version read so two concurrent refreshes never lose a refresh token."""

from __future__ import annotations

from typing import Any

from creneau.dal import connections
from creneau.errors import Conflict
from creneau.sync import vault


class TokenStore:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc

    @property
    def _ids(self) -> tuple[str, str]:
        return self.doc["_tenant_id"], self.doc["id"]

    def load(self) -> dict[str, Any]:
        if not self.doc.get("_tokens"):
            return {}
        return vault.unseal(self.doc["_tokens"], *self._ids)

    def save(self, tokens: dict[str, Any]) -> dict[str, Any] | None:
        """Store `tokens`; None if saved, else the tokens another run stored first (use those)."""
        try:
            self.doc = connections.save_tokens(self.doc, vault.seal(tokens, *self._ids))
            return None
        except Conflict:
            self.doc = connections.get(self.doc["_tenant_id"], self.doc["calendar_id"], self.doc["id"])
            return self.load()
