"""Secrets: API keys are random, shown once and stored only as hashes; manage tokens are never
stored at all, but derived from the appointment under a deployment secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import uuid

MANAGE_TOKEN_SECRET = "MANAGE_TOKEN_SECRET"  # environment variable (template.yaml: a generated secret)


def new_id() -> str:
    return uuid.uuid4().hex


def new_secret(prefix: str) -> str:
    # 192 bits from the OS CSPRNG; the prefix tells a person what they are holding.
    return f"{prefix}_{secrets.token_urlsafe(24)}"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def same_secret(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)


def new_lock_code() -> str:
    return secrets.token_urlsafe(24)  # 192 bits, within the 16..128 chars of A-Za-z0-9_-


def manage_token(tenant_id: str, appointment_id: str) -> str:
    """The customer's token for one appointment: HMAC-SHA256 of tenant and appointment ids under
    MANAGE_TOKEN_SECRET, base64url. Derived again whenever needed, so no table holds it."""
    secret = os.environ.get(MANAGE_TOKEN_SECRET)
    if not secret:  # a deployment without the secret must not hand out guessable tokens
        raise RuntimeError(f"{MANAGE_TOKEN_SECRET} is not set")
    message = f"{tenant_id}\n{appointment_id}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return "mt_" + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def is_manage_token(token: str, tenant_id: str, appointment_id: str) -> bool:
    return hmac.compare_digest(token.encode(), manage_token(tenant_id, appointment_id).encode())
