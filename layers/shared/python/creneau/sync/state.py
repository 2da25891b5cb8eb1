"""OAuth `state`: a random nonce signed with HMAC-SHA256, so a forged one is refused before any
lookup. Single use and expiry are enforced by the stored record (see dal.connections)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

STATE_TTL_SECONDS = 600


def _secret() -> bytes:
    from creneau import config

    secret = config.settings().oauth_state_secret
    if not secret:
        raise RuntimeError("OAUTH_STATE_SECRET is not set")
    return secret.encode()


def _mac(nonce: str) -> str:
    digest = hmac.new(_secret(), f"oauth-state:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def new_state() -> tuple[str, str]:
    """(nonce, state to send)."""
    nonce = secrets.token_urlsafe(24)
    return nonce, f"{nonce}.{_mac(nonce)}"


def verified_nonce(state: str | None) -> str | None:
    """The nonce of a state we signed, else None."""
    if not state or state.count(".") != 1:
        return None
    nonce, mac = state.split(".")
    return nonce if nonce and hmac.compare_digest(mac, _mac(nonce)) else None
