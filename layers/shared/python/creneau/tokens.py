"""Cognito JWTs, verified by the application itself: the signature against the pool's JWKS, then the
issuer, the app client, the token use and the expiry.

The same code runs behind API Gateway and in the local stack (moto's cognito-idp); only the
configuration differs: COGNITO_ISSUER, COGNITO_CLIENT_ID and, when the keys are not served at
`<issuer>/.well-known/jwks.json`, COGNITO_JWKS_URL.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import jwt

from creneau import config
from creneau.errors import CreneauError, NotAuthenticated

# Cognito signs with RS256 only. Naming it is what refuses `alg: none`, and HS256 signed with the
# JWKS public key as an HMAC secret, and every other algorithm.
ALGORITHMS = ["RS256"]
TOKEN_USES = ("id", "access")
REQUIRED_CLAIMS = ["exp", "iat", "iss", "sub", "token_use"]
LEEWAY_S = 5  # clock skew between Cognito and the function


class SignInUnavailable(CreneauError):
    """The pool's keys cannot be read: not the caller's fault, so not a 401."""


@dataclass(frozen=True)
class TokenClaims:
    user_id: str  # the Cognito `sub`
    token_use: str  # id | access
    tenant_id: str | None  # `custom:tenant_id` (ID tokens only: access tokens carry no custom attribute)
    groups: tuple[str, ...]


def _fetch_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=5) as response:  # the URL comes from the configuration
        return json.load(response)


class Jwks:
    """The pool's signing keys, fetched once per execution environment and fetched again when a token
    names a key id we do not know (Cognito rotates keys): at most once per `min_refresh_s`, so tokens
    with made-up key ids cannot make every request fetch."""

    def __init__(
        self,
        url: str,
        fetch: Callable[[str], dict[str, Any]] = _fetch_json,
        clock: Callable[[], float] = time.monotonic,
        min_refresh_s: float = 30,
    ) -> None:
        self.url, self._fetch, self._clock, self.min_refresh_s = url, fetch, clock, min_refresh_s
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    def key(self, kid: str) -> jwt.PyJWK | None:
        with self._lock:
            if kid not in self._keys and self._may_refresh():
                self._refresh()
            return self._keys.get(kid)

    def _may_refresh(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at >= self.min_refresh_s

    def _refresh(self) -> None:
        try:
            document = self._fetch(self.url)
            keys = jwt.PyJWKSet.from_dict(document).keys
        except Exception as error:
            raise SignInUnavailable("the sign-in keys could not be read; try again shortly") from error
        self._fetched_at = self._clock()
        self._keys = {key.key_id: key for key in keys if key.key_id}


class TokenVerifier:
    def __init__(self, issuer: str, client_id: str, jwks: Jwks, leeway_s: float = LEEWAY_S) -> None:
        self.issuer, self.client_id, self.jwks, self.leeway_s = issuer, client_id, jwks, leeway_s

    def verify(self, token: str) -> TokenClaims:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as error:
            raise NotAuthenticated("the bearer token is not a JWT") from error
        if header.get("alg") not in ALGORITHMS:
            raise NotAuthenticated("the bearer token is not signed with RS256")
        key = self.jwks.key(str(header.get("kid")))
        if key is None:
            raise NotAuthenticated("the bearer token is not signed by this user pool")
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=ALGORITHMS,
                issuer=self.issuer,
                leeway=self.leeway_s,
                options={"require": REQUIRED_CLAIMS, "verify_aud": False},  # checked below, per token use
            )
        except jwt.ExpiredSignatureError as error:
            raise NotAuthenticated("the bearer token has expired; sign in again") from error
        except jwt.InvalidTokenError as error:
            raise NotAuthenticated(f"the bearer token is not valid: {error}") from error
        return self._claims(claims)

    def _claims(self, claims: dict[str, Any]) -> TokenClaims:
        use = claims["token_use"]
        if use not in TOKEN_USES:
            raise NotAuthenticated("the bearer token is neither an ID nor an access token")
        client = claims.get("aud") if use == "id" else claims.get("client_id")
        if client != self.client_id:
            raise NotAuthenticated("the bearer token was issued to another app client")
        groups = claims.get("cognito:groups") or []
        return TokenClaims(
            user_id=str(claims["sub"]),
            token_use=use,
            tenant_id=claims.get("custom:tenant_id") if use == "id" else None,
            groups=tuple(str(g) for g in groups),
        )


@cache
def verifier() -> TokenVerifier:
    """The verifier of this execution environment, from its configuration (kept for its JWKS cache)."""
    settings = config.settings()
    issuer, client_id = settings.cognito_issuer, settings.cognito_client_id
    if not issuer or not client_id:
        raise NotAuthenticated("sign-in is not configured here (COGNITO_ISSUER, COGNITO_CLIENT_ID)")
    url = settings.cognito_jwks_url or f"{issuer.rstrip('/')}/.well-known/jwks.json"
    return TokenVerifier(issuer, client_id, Jwks(url))
