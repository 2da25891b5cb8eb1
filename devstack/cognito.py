"""Create template.yaml's Cognito user pools, app clients and groups in the local moto server.

moto signs tokens with its own key (one for every pool) and serves it at `/<pool id>/.well-known/
jwks.json`; its tokens' issuer is the real form `https://cognito-idp.<region>.amazonaws.com/<pool id>`
(checked with moto 5.2.5), which is what template.yaml's COGNITO_ISSUER resolves to once the pool's
id is known. Only the JWKS URL differs from AWS: COGNITO_JWKS_URL points at moto.
"""

from __future__ import annotations

from dataclasses import dataclass

from devstack.lambda_runtime import REGION
from devstack.template import Template

_POOL_PROPERTIES = (
    "Policies",
    "Schema",
    "AutoVerifiedAttributes",
    "UsernameAttributes",
    "UsernameConfiguration",
    "AccountRecoverySetting",
    "AdminCreateUserConfig",
    "MfaConfiguration",
    "DeletionProtection",
)
_CLIENT_PROPERTIES = (
    "ClientName",
    "GenerateSecret",
    "ExplicitAuthFlows",
    "PreventUserExistenceErrors",
    "EnableTokenRevocation",
    "AccessTokenValidity",
    "IdTokenValidity",
    "RefreshTokenValidity",
    "TokenValidityUnits",
    "ReadAttributes",
    "WriteAttributes",
)


@dataclass(frozen=True)
class LocalPool:
    user_pool_id: str
    client_id: str
    endpoint: str  # the moto server

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{REGION}.amazonaws.com/{self.user_pool_id}"

    @property
    def jwks_url(self) -> str:
        return f"{self.endpoint}/{self.user_pool_id}/.well-known/jwks.json"

    def info(self) -> dict[str, str]:
        return {
            "endpoint": self.endpoint,
            "region": REGION,
            "user_pool_id": self.user_pool_id,
            "client_id": self.client_id,
            "issuer": self.issuer,
            "jwks_url": self.jwks_url,
        }


def create_user_pools(client, template: Template, endpoint: str) -> LocalPool | None:
    """Every pool, client and group of the template; their ids are recorded in `template.physical`
    so that !Ref and !Sub resolve to them. Returns the (first) pool and its (first) client."""
    for logical_id, props in template.of_type("AWS::Cognito::UserPool").items():
        kwargs = {key: props[key] for key in _POOL_PROPERTIES if key in props}
        pool = client.create_user_pool(PoolName=props.get("UserPoolName", logical_id), **kwargs)
        template.physical[logical_id] = pool["UserPool"]["Id"]
    for logical_id, props in template.of_type("AWS::Cognito::UserPoolClient").items():
        kwargs = {key: props[key] for key in _CLIENT_PROPERTIES if key in props}
        created = client.create_user_pool_client(UserPoolId=props["UserPoolId"], **kwargs)
        template.physical[logical_id] = created["UserPoolClient"]["ClientId"]
    for props in template.of_type("AWS::Cognito::UserPoolGroup").values():
        group = {key: props[key] for key in ("Description", "Precedence") if key in props}
        client.create_group(UserPoolId=props["UserPoolId"], GroupName=props["GroupName"], **group)
    pools = list(template.of_type("AWS::Cognito::UserPool"))
    clients = list(template.of_type("AWS::Cognito::UserPoolClient"))
    if not pools or not clients:
        return None
    return LocalPool(template.physical[pools[0]], template.physical[clients[0]], endpoint)
