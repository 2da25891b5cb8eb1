"""All-or-nothing writes whose failures say which item refused, so logic can name the reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from creneau import config

MAX_ITEMS = 100  # DynamoDB's limit for one TransactWriteItems


class TransactionFailed(Exception):
    """`refused` holds the tags of the items whose condition failed; `contended` is set when
    DynamoDB cancelled because another transaction was writing the same items at that moment."""

    def __init__(self, refused: set[str], contended: bool):
        super().__init__(f"transaction cancelled: refused={sorted(refused)} contended={contended}")
        self.refused = refused
        self.contended = contended


class Transaction:
    """Tagged items committed together; `client` is the DynamoDB client that commits them."""

    def __init__(self, client: Callable[[], Any] = config.client) -> None:
        self._client = client
        self._items: list[dict[str, Any]] = []
        self._tags: list[str] = []

    def add(self, tag: str, operation: str, **request: Any) -> Transaction:
        self._items.append({operation: request})
        self._tags.append(tag)
        return self

    def extend(self, tag: str, items: list[dict[str, Any]]) -> Transaction:
        for item in items:
            ((operation, request),) = item.items()
            self.add(tag, operation, **request)
        return self

    def commit(self) -> None:
        if len(self._items) > MAX_ITEMS:  # catalog validation keeps bookings far below this
            raise ValueError(f"a transaction of {len(self._items)} items exceeds DynamoDB's {MAX_ITEMS}")
        try:
            self._client().transact_write_items(TransactItems=self._items)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = [r.get("Code", "None") for r in error.response.get("CancellationReasons", [])]
            refused = {
                tag
                for tag, code in zip(self._tags, reasons, strict=False)
                if code == "ConditionalCheckFailed"
            }
            raise TransactionFailed(refused, contended="TransactionConflict" in reasons) from error
