"""Idempotency-Key: the same key and body give the first answer again; another body is a conflict.

Powertools' idempotency utility does the work (records in IdempotencyTable, keyed by tenant,
caller and key, with a hash of the body to detect a different request reusing the key). The caller
(the API key's id) is part of the key: two callers who happen to send the same key and body make
two requests, and neither ever receives the other's answer.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from creneau.config import table_name
from creneau.errors import IdempotencyConflict
from creneau.logic import retry

RETENTION_SECONDS = 24 * 3600
IN_PROGRESS_WAIT_SECONDS = 5.0


def _run(request: dict[str, Any], work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    return work()


@cache
def _idempotent_run() -> tuple[Callable[..., dict[str, Any]], Any]:
    # Imported on first use: only bookings carrying an Idempotency-Key pay for it at cold start.
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    store = DynamoDBPersistenceLayer(table_name=table_name("IDEMPOTENCY_TABLE"), expiry_attr="expires_at")
    config = IdempotencyConfig(
        event_key_jmespath="[tenant_id, caller, idempotency_key]",
        payload_validation_jmespath="body",
        expires_after_seconds=RETENTION_SECONDS,
    )
    run = idempotent_function(data_keyword_argument="request", persistence_store=store, config=config)(_run)
    return run, config


def once(
    tenant_id: str,
    caller: str,
    key: str | None,
    body: dict[str, Any],
    work: Callable[[], dict[str, Any]],
    lambda_context: Any,
) -> dict:
    if not key:
        return work()
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    request = {"tenant_id": tenant_id, "caller": caller, "idempotency_key": key, "body": body}
    run, config = _idempotent_run()
    config.register_lambda_context(lambda_context)  # lets an in-progress record expire with the invocation
    # A retry racing the first request waits for its answer rather than failing.
    for _attempt in retry.attempts(deadline_seconds=IN_PROGRESS_WAIT_SECONDS):
        try:
            return run(request=request, work=work)
        except IdempotencyValidationError as error:
            raise IdempotencyConflict(
                "this Idempotency-Key was already used with a different body"
            ) from error
        except IdempotencyAlreadyInProgressError:
            continue
    raise IdempotencyConflict("a request with this Idempotency-Key is still in progress; retry")
