"""Locks: pre-reserve a slot under a lock_code while a form is filled (docs/api.md, "Locks")."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths

from creneau.dal.store import DYNAMODB as STORE
from creneau.errors import (
    CalendarNotFound,
    Conflict,
    Forbidden,
    LockNotFound,
    ServiceNotFound,
    SlotUnavailable,
)
from creneau.http import AGENT, PUBLIC, Api
from creneau.logic import locks
from creneau.models.booking import LockIn, LockOut
from creneau.models.common import Key
from creneau.observability import instrumented

api = Api()
Code = Annotated[Key, Path()]


@api.post(
    "/v1/locks",
    role=PUBLIC,
    status_code=201,
    summary="Hold a slot while a form is filled (or move a hold)",
    errors=(
        ServiceNotFound,
        CalendarNotFound,
        SlotUnavailable,
        Conflict,
    ),
)
def create_lock(body: LockIn) -> LockOut:
    if body.bypass_notice and not api.principal().at_least(AGENT):
        raise Forbidden("bypass_notice needs an agent or admin key")
    return locks.hold(STORE, api.tenant_id, body, api.now(), api.principal().calendar_ids)


@api.get("/v1/locks/{lock_code}", role=PUBLIC, summary="Read a hold", errors=(LockNotFound,))
def get_lock(lock_code: Code) -> LockOut:
    return locks.get(STORE, api.tenant_id, lock_code, api.now(), api.principal().calendar_ids)


@api.delete("/v1/locks/{lock_code}", role=PUBLIC, summary="Release a hold", errors=(LockNotFound,))
def delete_lock(lock_code: Code):
    locks.release(STORE, api.tenant_id, lock_code, api.now(), api.principal().calendar_ids)
    return api.no_content()


@instrumented(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event, context):
    return api.handle(event, context)
