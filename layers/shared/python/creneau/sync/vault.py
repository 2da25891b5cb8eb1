"""Tokens encrypted at rest: KMS envelope encryption.

Each write asks KMS for a fresh data key (GenerateDataKey, AES-256) under TOKENS_KEY_ID, encrypts
the tokens with AES-GCM locally and keeps only the KMS-encrypted data key beside the ciphertext.
The encryption context binds a blob to its tenant and connection: a blob copied onto another
connection does not decrypt. Plaintext tokens never leave memory, and are never logged.
"""

from __future__ import annotations

import json
import os
import struct
from functools import cache
from typing import Any

from creneau import config

_VERSION = 1


@cache
def _kms():
    import boto3

    return boto3.client("kms")


def _context(tenant_id: str, connection_id: str) -> dict[str, str]:
    return {"tenant_id": tenant_id, "connection_id": connection_id, "purpose": "calendar-tokens"}


def seal(tokens: dict[str, Any], tenant_id: str, connection_id: str) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    context = _context(tenant_id, connection_id)
    key = _kms().generate_data_key(
        KeyId=config.require("tokens_key_id").tokens_key_id, KeySpec="AES_256", EncryptionContext=context
    )
    nonce = os.urandom(12)
    aad = json.dumps(context, sort_keys=True).encode()
    sealed = AESGCM(key["Plaintext"]).encrypt(nonce, json.dumps(tokens).encode(), aad)
    wrapped = key["CiphertextBlob"]
    return struct.pack(">BH", _VERSION, len(wrapped)) + wrapped + nonce + sealed


def unseal(blob: bytes, tenant_id: str, connection_id: str) -> dict[str, Any]:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    version, size = struct.unpack(">BH", blob[:3])
    if version != _VERSION:
        raise ValueError(f"unknown token blob version {version}")
    wrapped, nonce, sealed = blob[3 : 3 + size], blob[3 + size : 15 + size], blob[15 + size :]
    context = _context(tenant_id, connection_id)
    key = _kms().decrypt(CiphertextBlob=wrapped, EncryptionContext=context)["Plaintext"]
    aad = json.dumps(context, sort_keys=True).encode()
    return json.loads(AESGCM(key).decrypt(nonce, sealed, aad))


def reset() -> None:
    _kms.cache_clear()
