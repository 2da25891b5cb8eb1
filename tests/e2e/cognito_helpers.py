"""Helpers of the accounts tests: Cognito sign-in against the local stack's moto, invitations read
from its outbox, and people created through the API as an admin would."""

from __future__ import annotations

import email
import email.policy
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import boto3
import httpx
from helpers import created

NEW_PASSWORD = "Chosen-Passw0rd!"


def cognito(stack: dict):
    config = stack["cognito"]
    return boto3.client(
        "cognito-idp",
        endpoint_url=config["endpoint"],
        region_name=config["region"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def sign_in(stack: dict, username: str, password: str) -> dict:
    """InitiateAuth USER_PASSWORD_AUTH: {"IdToken", "AccessToken", "RefreshToken", ...}."""
    reply = cognito(stack).initiate_auth(
        ClientId=stack["cognito"]["client_id"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    assert "AuthenticationResult" in reply, reply
    return reply["AuthenticationResult"]


def invitation(stack: dict, address: str) -> email.message.EmailMessage:
    """The invitation written to the outbox for `address` (written before POST /v1/users answers)."""
    found = []
    for path in Path(stack["outbox"]).glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] == address:
            found.append(message)
    assert len(found) == 1, f"{len(found)} invitations to {address} in {stack['outbox']}"
    return found[0]


def temporary_password(message: email.message.EmailMessage) -> str:
    text = message.get_content()
    match = re.search(r"temporary password is (\S+)", text)
    assert match, text
    return match.group(1)


def first_sign_in(stack: dict, address: str, temporary: str, new_password: str = NEW_PASSWORD) -> dict:
    """Sign in with the invitation's password, answer NEW_PASSWORD_REQUIRED; the tokens."""
    client = cognito(stack)
    config = stack["cognito"]
    challenge = client.initiate_auth(
        ClientId=config["client_id"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": address, "PASSWORD": temporary},
    )
    assert challenge.get("ChallengeName") == "NEW_PASSWORD_REQUIRED", challenge
    answered = client.respond_to_auth_challenge(
        ClientId=config["client_id"],
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": address, "NEW_PASSWORD": new_password},
    )
    return answered["AuthenticationResult"]


@dataclass
class Person:
    user: dict  # as POST /v1/users answered
    tokens: dict  # IdToken, AccessToken, RefreshToken

    @property
    def id_token(self) -> str:
        return self.tokens["IdToken"]

    @property
    def access_token(self) -> str:
        return self.tokens["AccessToken"]


def unique_email(label: str = "agent") -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}@example.test"


def invite_and_sign_in(stack: dict, admin: httpx.Client, role: str = "agent", **fields) -> Person:
    """An admin creates the user; the user signs in with the invitation and chooses a password."""
    body = {
        "email": unique_email(role),
        "name": f"{role.title()} {uuid.uuid4().hex[:4]}",
        "role": role,
        **fields,
    }
    user = created(admin.post("/v1/users", json=body))
    tokens = first_sign_in(stack, body["email"], temporary_password(invitation(stack, body["email"])))
    return Person(user, tokens)


def bearer(api, token: str) -> httpx.Client:
    client = api()
    client.headers["Authorization"] = f"Bearer {token}"
    return client
