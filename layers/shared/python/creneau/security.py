"""Secrets: API keys are random, shown once and stored only as hashes; manage tokens are never
stored at all, but derived from the appointment under a deployment secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid

from creneau import config

MANAGE_TOKEN_SECRET = "MANAGE_TOKEN_SECRET"  # environment variable (template.yaml: a generated secret)


def new_id() -> str:
    return uuid.uuid4().hex


def new_secret(prefix: str) -> str:
    # 192 bits from the OS CSPRNG; the prefix tells a person what they are holding.
    return f"{prefix}_{secrets.token_urlsafe(24)}"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_lock_code() -> str:
    return secrets.token_urlsafe(24)  # 192 bits, within the 16..128 chars of A-Za-z0-9_-


def manage_token(tenant_id: str, appointment_id: str) -> str:
    """The customer's token for one appointment: HMAC-SHA256 of tenant and appointment ids under
    MANAGE_TOKEN_SECRET, base64url. Derived again whenever needed, so no table holds it."""
    secret = config.settings().manage_token_secret
    if not secret:  # a deployment without the secret must not hand out guessable tokens
        raise RuntimeError(f"{MANAGE_TOKEN_SECRET} is not set")
    message = f"{tenant_id}\n{appointment_id}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return "mt_" + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def is_manage_token(token: str, tenant_id: str, appointment_id: str) -> bool:
    return hmac.compare_digest(token.encode(), manage_token(tenant_id, appointment_id).encode())


# ---- sealed tokens (cursors): encrypt-then-MAC under keys derived from the deployment secret -------

_NONCE, _TAG = 16, 16


class Unsealed(ValueError):
    """A sealed token that this deployment did not make for this context."""


def derived_key(purpose: str) -> bytes:
    """One key per purpose from the deployment secret (HMAC as the KDF), so no two uses share a key."""
    secret = config.settings().manage_token_secret
    if not secret:
        raise RuntimeError(f"{MANAGE_TOKEN_SECRET} is not set")
    return hmac.new(secret.encode(), f"creneau/{purpose}".encode(), hashlib.sha256).digest()


def _xor_stream(key: bytes, nonce: bytes, data: bytes) -> bytes:
    # HMAC-SHA256 in counter mode as the keystream: a PRF from the standard library, no extra dependency.
    blocks = range(len(data) // 32 + 1)
    stream = b"".join(hmac.new(key, nonce + i.to_bytes(4, "big"), hashlib.sha256).digest() for i in blocks)
    return bytes(a ^ b for a, b in zip(data, stream, strict=False))


def _tag(purpose: str, context: str, nonce: bytes, cipher: bytes) -> bytes:
    message = context.encode() + b"\0" + nonce + cipher
    return hmac.new(derived_key(f"{purpose}/mac"), message, hashlib.sha256).digest()[:_TAG]


def seal(plain: bytes, purpose: str, context: str) -> str:
    """`plain` encrypted (unreadable) and MACed together with `context` (not sent: a token made for one
    context fails in every other), base64url."""
    nonce = secrets.token_bytes(_NONCE)
    cipher = _xor_stream(derived_key(f"{purpose}/enc"), nonce, plain)
    sealed = nonce + cipher + _tag(purpose, context, nonce, cipher)
    return base64.urlsafe_b64encode(sealed).decode().rstrip("=")


def unseal(token: str, purpose: str, context: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, TypeError) as exc:
        raise Unsealed("not base64url") from exc
    if len(raw) < _NONCE + _TAG:
        raise Unsealed("too short")
    nonce, cipher, tag = raw[:_NONCE], raw[_NONCE:-_TAG], raw[-_TAG:]
    if not hmac.compare_digest(tag, _tag(purpose, context, nonce, cipher)):  # before decrypting anything
        raise Unsealed("not made for this context")
    return _xor_stream(derived_key(f"{purpose}/enc"), nonce, cipher)
