"""Bearer tokens: what creneau/tokens.py accepts and refuses, with keys and a JWKS made here."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from creneau.errors import NotAuthenticated
from creneau.tokens import Jwks, SignInUnavailable, TokenVerifier

ISSUER = "https://cognito-idp.eu-west-3.amazonaws.com/eu-west-3_pool"
CLIENT = "backoffice-client"


def new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


POOL_KEY, OTHER_KEY, ROTATED_KEY = new_key(), new_key(), new_key()


def jwk(private_key, kid: str) -> dict:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private_key.public_key()))
    return {**public, "kid": kid, "alg": "RS256", "use": "sig"}


class FakeJwksEndpoint:
    def __init__(self, *keys: dict) -> None:
        self.keys, self.fetches = list(keys), 0

    def __call__(self, url: str) -> dict:
        self.fetches += 1
        return {"keys": self.keys}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def claims(**overrides) -> dict:
    now = int(time.time())
    base = {
        "iss": ISSUER,
        "sub": "user-1",
        "aud": CLIENT,
        "token_use": "id",
        "iat": now,
        "exp": now + 3600,
        "custom:tenant_id": "tenant-a",
        "cognito:groups": ["agent"],
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def access_claims(**overrides) -> dict:
    fields = {"aud": None, "client_id": CLIENT, "token_use": "access", "custom:tenant_id": None}
    return claims(**{**fields, **overrides})


def sign(payload: dict, key=POOL_KEY, kid: str = "k1", algorithm: str = "RS256") -> str:
    return jwt.encode(payload, key, algorithm=algorithm, headers={"kid": kid})


@pytest.fixture
def endpoint():
    return FakeJwksEndpoint(jwk(POOL_KEY, "k1"))


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def verifier(endpoint, clock):
    return TokenVerifier(ISSUER, CLIENT, Jwks("https://pool/jwks.json", endpoint, clock, min_refresh_s=30))


def refused(verifier, token: str) -> str:
    with pytest.raises(NotAuthenticated) as caught:
        verifier.verify(token)
    assert caught.value.status == 401
    return caught.value.message


def test_an_id_token_names_the_user_tenant_and_groups(verifier):
    found = verifier.verify(sign(claims()))
    assert (found.user_id, found.token_use, found.tenant_id, found.groups) == (
        "user-1",
        "id",
        "tenant-a",
        ("agent",),
    )


def test_an_access_token_carries_no_tenant(verifier):
    found = verifier.verify(sign(access_claims()))
    assert (found.token_use, found.tenant_id, found.groups) == ("access", None, ("agent",))


def test_a_token_signed_with_another_key_under_the_pools_kid_is_refused(verifier):
    refused(verifier, sign(claims(), key=OTHER_KEY))


def test_alg_none_is_refused(verifier):
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    unsigned = f"{part({'alg': 'none', 'kid': 'k1', 'typ': 'JWT'})}.{part(claims())}."
    assert "RS256" in refused(verifier, unsigned)


def test_hs256_signed_with_the_public_key_is_refused(verifier):
    public_pem = POOL_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    refused(verifier, _hs256(public_pem, claims()))


def _hs256(secret: bytes, payload: dict) -> str:
    """HS256 by hand: PyJWT itself refuses to use a PEM public key as an HMAC secret."""
    import hashlib
    import hmac

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    signing_input = f"{part({'alg': 'HS256', 'kid': 'k1', 'typ': 'JWT'})}.{part(payload)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).decode().rstrip('=')}"


def test_an_expired_token_is_refused(verifier):
    now = int(time.time())
    assert "expired" in refused(verifier, sign(claims(iat=now - 7200, exp=now - 3600)))


def test_a_tampered_token_is_refused(verifier):
    header, _payload, signature = sign(claims()).split(".")
    other = base64.urlsafe_b64encode(json.dumps(claims(**{"custom:tenant_id": "tenant-b"})).encode())
    refused(verifier, f"{header}.{other.decode().rstrip('=')}.{signature}")


def test_another_pools_token_is_refused(verifier):
    refused(verifier, sign(claims(iss="https://cognito-idp.eu-west-3.amazonaws.com/eu-west-3_other")))


def test_a_token_for_another_app_client_is_refused(verifier):
    assert "app client" in refused(verifier, sign(claims(aud="another-client")))
    assert "app client" in refused(verifier, sign(access_claims(client_id="another-client")))
    # An access token is checked on client_id, not aud: an aud alone does not make it ours.
    assert "app client" in refused(verifier, sign(access_claims(client_id=None, aud=CLIENT)))


def test_other_token_uses_and_missing_claims_are_refused(verifier):
    refused(verifier, sign(claims(token_use="refresh")))
    refused(verifier, sign(claims(exp=None)))
    refused(verifier, sign(claims(token_use=None)))
    refused(verifier, "not-a-jwt")


def test_keys_are_fetched_once_then_again_for_an_unknown_kid(verifier, endpoint, clock):
    verifier.verify(sign(claims()))
    verifier.verify(sign(claims()))
    assert endpoint.fetches == 1  # cached per execution environment

    endpoint.keys.append(jwk(ROTATED_KEY, "k2"))  # the pool rotates its keys
    clock.now += 31
    assert verifier.verify(sign(claims(), key=ROTATED_KEY, kid="k2")).user_id == "user-1"
    assert endpoint.fetches == 2


def test_made_up_kids_do_not_make_every_request_fetch(verifier, endpoint, clock):
    verifier.verify(sign(claims()))
    for n in range(5):
        refused(verifier, sign(claims(), key=OTHER_KEY, kid=f"made-up-{n}"))
    assert endpoint.fetches == 1
    clock.now += 30
    refused(verifier, sign(claims(), key=OTHER_KEY, kid="made-up-again"))
    assert endpoint.fetches == 2


def test_unreachable_keys_are_not_the_callers_fault(clock):
    def down(url: str) -> dict:
        raise OSError("connection refused")

    verifier = TokenVerifier(ISSUER, CLIENT, Jwks("https://pool/jwks.json", down, clock))
    with pytest.raises(SignInUnavailable) as caught:
        verifier.verify(sign(claims()))
    assert caught.value.status == 500
