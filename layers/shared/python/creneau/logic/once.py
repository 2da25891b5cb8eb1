"""At most once per key, across redeliveries and retries: Powertools idempotency records in the
idempotency table. A key that completed is skipped; a key still in progress elsewhere raises (the
message is then retried later); work that raised leaves no record, so it is tried again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from creneau.config import table_name

# Longer than any redelivery: SQS keeps a message 4 days, webhook retries last about a day.
RETENTION_SECONDS = 8 * 24 * 3600


def _run(delivery: dict[str, str], work: Callable[[], None]) -> bool:
    work()
    return True


class Once:
    def __init__(self, lambda_context: Any = None) -> None:
        from aws_lambda_powertools.utilities.idempotency import (
            DynamoDBPersistenceLayer,
            IdempotencyConfig,
            idempotent_function,
        )

        store = DynamoDBPersistenceLayer(table_name=table_name("IDEMPOTENCY_TABLE"), expiry_attr="expires_at")
        self.config = IdempotencyConfig(event_key_jmespath="key", expires_after_seconds=RETENTION_SECONDS)
        self._run = idempotent_function(
            data_keyword_argument="delivery", persistence_store=store, config=self.config
        )(_run)
        if lambda_context is not None:
            self.config.register_lambda_context(lambda_context)

    def register(self, lambda_context: Any) -> None:
        """An in-progress record then expires with the invocation that wrote it (a crash is retried)."""
        self.config.register_lambda_context(lambda_context)

    def __call__(self, key: str, work: Callable[[], None]) -> None:
        self._run(delivery={"key": key}, work=work)
