"""A connection's tokens: unsealed on use, sealed again only when they changed, written under the
token version read so two concurrent refreshes never lose a refresh token."""

from __future__ import annotations

from typing import Any

from creneau.dal.connections import ConnectionRecord, ConnectionRepository
from creneau.errors import Conflict
from creneau.sync import vault


class TokenStore:
    def __init__(self, connection: ConnectionRecord, connections: ConnectionRepository) -> None:
        self.connection, self.connections = connection, connections

    @property
    def _ids(self) -> tuple[str, str]:
        return self.connection.tenant_id, self.connection.id

    def load(self) -> dict[str, Any]:
        if not self.connection.tokens:
            return {}
        return vault.unseal(self.connection.tokens, *self._ids)

    def save(self, tokens: dict[str, Any]) -> dict[str, Any] | None:
        """Store `tokens`; None if saved, else the tokens another run stored first (use those)."""
        try:
            self.connection = self.connections.save_tokens(self.connection, vault.seal(tokens, *self._ids))
            return None
        except Conflict:
            self.connection = self.connections.reread(self.connection)
            return self.load()
