"""Accounts: the tenant's agents and admins who sign in with Cognito (docs/accounts.md)."""

from __future__ import annotations

from functools import cache
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths

from creneau import config
from creneau.cognito import CognitoDirectory, Outbox
from creneau.dal.store import DYNAMODB as STORE
from creneau.errors import UserExists, UserNotFound
from creneau.http import ADMIN, Api
from creneau.logic import users
from creneau.models.users import User, UserIn, UserPage, UserPatch
from creneau.observability import instrumented

config.require("cognito_user_pool_id")
api = Api()
Id = Annotated[str, Path()]


def directory() -> CognitoDirectory:
    settings = config.settings()  # read per request: tests point one process at several pools
    return _directory(settings.cognito_user_pool_id, settings.outbox_dir)


@cache
def _directory(pool_id: str, outbox: str | None) -> CognitoDirectory:
    """One client per execution environment (and per pool: tests point it at several)."""
    import boto3

    return CognitoDirectory(pool_id, boto3.client("cognito-idp"), Outbox(outbox) if outbox else None)


user_routes = api.resource("/v1/users", ADMIN, ADMIN, missing=UserNotFound)


@user_routes.create("Invite a person to sign in (agent or admin)", errors=(UserExists,))
def create_user(body: UserIn) -> User:
    return users.create(STORE, api.tenant_id, body, directory(), api.now())


@user_routes.collection("List the people who sign in")
def list_users(
    limit: Annotated[int, Query(ge=1, le=100)] = 50, cursor: Annotated[str | None, Query()] = None
) -> UserPage:
    return users.list_page(STORE, api.tenant_id, limit, cursor, directory())


@user_routes.read("Read a user")
def get_user(id: Id) -> User:
    return users.get(STORE, api.tenant_id, id, directory())


@user_routes.change("Change a user's role, name, calendars or access")
def patch_user(id: Id, body: UserPatch) -> User:
    return users.update(STORE, api.tenant_id, id, body, directory(), api.now())


@user_routes.delete("Delete a user (their sign-in goes too)")
def delete_user(id: Id):
    users.delete(STORE, api.tenant_id, id, directory())
    return api.no_content()


@instrumented(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event, context):
    return api.handle(event, context)
