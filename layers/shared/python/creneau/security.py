"""Secrets: API keys and manage tokens are random, shown once, and stored only as hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid


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
