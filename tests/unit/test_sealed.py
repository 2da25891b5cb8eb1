"""Sealed tokens (cursors): unreadable, bound to their context, keyed by the deployment secret."""

from __future__ import annotations

import base64

import pytest

from creneau.security import Unsealed, seal, unseal

PLAIN = b'{"pk":"T#tenant-1","sk":"SERVICE#abc"}'


@pytest.fixture(autouse=True)
def secret(monkeypatch):
    monkeypatch.setenv("MANAGE_TOKEN_SECRET", "a deployment secret")


def raw(token: str) -> bytes:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def test_round_trip_and_nothing_readable():
    token = seal(PLAIN, "cursor", "tenant-1\nSERVICE")
    assert unseal(token, "cursor", "tenant-1\nSERVICE") == PLAIN
    assert b"tenant-1" not in raw(token) and b"SERVICE" not in raw(token)
    assert seal(PLAIN, "cursor", "tenant-1\nSERVICE") != token  # a fresh nonce each time


@pytest.mark.parametrize(
    "purpose, context",
    [("cursor", "tenant-2\nSERVICE"), ("cursor", "tenant-1\nCALENDAR"), ("other", "tenant-1\nSERVICE")],
)
def test_another_context_or_purpose_is_refused(purpose, context):
    with pytest.raises(Unsealed):
        unseal(seal(PLAIN, "cursor", "tenant-1\nSERVICE"), purpose, context)


def test_any_changed_byte_is_refused():
    token = raw(seal(PLAIN, "cursor", "c"))
    for i in range(len(token)):
        changed = token[:i] + bytes([token[i] ^ 1]) + token[i + 1 :]
        with pytest.raises(Unsealed):
            unseal(base64.urlsafe_b64encode(changed).decode(), "cursor", "c")


def test_another_deployment_secret_is_refused(monkeypatch):
    token = seal(PLAIN, "cursor", "c")
    monkeypatch.setenv("MANAGE_TOKEN_SECRET", "another deployment")
    with pytest.raises(Unsealed):
        unseal(token, "cursor", "c")
