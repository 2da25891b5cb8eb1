"""Pieces every data-access module shares: keys, documents, cursors, conditional failures."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from creneau.errors import Conflict, ValidationFailed
from creneau.security import Unsealed, seal, unseal

# Items keep the resource as a JSON document in `doc` (no float/Decimal surprises) and copy
# the few attributes that conditions and filters need next to it.
DOC = "doc"
CURSOR_PURPOSE = "cursor"


def tenant_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}"


def put_new(table_name: str, item: dict[str, Any]) -> dict[str, Any]:
    """A transaction item that stores `item` only where nothing is stored yet under its key."""
    return {"Put": {"TableName": table_name, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}}


def to_doc(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"), sort_keys=True, default=_jsonable)


def from_doc(item: dict[str, Any]) -> dict[str, Any]:
    return json.loads(item[DOC])


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == int(value) else float(value)
    raise TypeError(f"cannot store {type(value).__name__}")


def encode_cursor(last_key: dict[str, Any] | None, tenant_id: str, listing: str) -> str | None:
    """An opaque cursor: the start key sealed (encrypted, then MACed with the tenant and the listing),
    so a client reads no table key and a cursor only works where it was given."""
    if not last_key:
        return None
    raw = json.dumps(last_key, separators=(",", ":"), default=_jsonable).encode()
    return seal(raw, CURSOR_PURPOSE, f"{tenant_id}\n{listing}")


def decode_cursor(
    cursor: str | None, tenant_id: str, listing: str, expected: dict[str, str]
) -> dict[str, Any] | None:
    """The start key of a cursor this API gave for this tenant's `listing`; anything else is 422 naming
    `cursor`. The key is checked again against `expected` (names, prefixes), in case of a key leak."""
    if not cursor:
        return None
    refused = ValidationFailed.field("cursor", "cursor is not one this API gave for this listing")
    try:
        key = json.loads(unseal(cursor, CURSOR_PURPOSE, f"{tenant_id}\n{listing}"))
    except (Unsealed, ValueError) as exc:
        raise refused from exc
    if not isinstance(key, dict) or set(key) != set(expected):
        raise refused
    if not all(isinstance(value, str) and value.startswith(expected[name]) for name, value in key.items()):
        raise refused
    return key


def paginate(
    query: Callable[..., dict[str, Any]],
    params: dict[str, Any],
    key_names: tuple[str, ...],
    limit: int,
    cursor: dict[str, Any] | None,
    keep: Callable[[dict[str, Any]], bool] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Collect up to `limit` kept items across DynamoDB pages; the cursor resumes after the last one.

    Filtering happens here rather than in a FilterExpression so that a page is never short while
    more matching items exist.
    """
    items: list[dict[str, Any]] = []
    start_key = cursor
    while True:
        page_params = dict(params, Limit=limit + 1 if keep is None else 200)
        if start_key:
            page_params["ExclusiveStartKey"] = start_key
        page = query(**page_params)
        for item in page.get("Items", []):
            if keep is not None and not keep(item):
                continue
            if len(items) == limit:
                return items, {name: items[-1][name] for name in key_names}
            items.append(item)
        start_key = page.get("LastEvaluatedKey")
        if not start_key:
            return items, None


INDEX_KEYS = ("pk", "sk", "gsi1pk", "gsi1sk")  # what a cursor over gsi1 resumes from


def index_page(
    query: Callable[..., dict[str, Any]],
    listing: str,
    tenant_id: str,
    condition: Any,
    expected: dict[str, str],
    limit: int,
    cursor: str | None,
    keep: Callable[[dict[str, Any]], bool] | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of a tenant's `listing` over gsi1 and the cursor of the next (see decode_cursor for
    `expected`)."""
    start = decode_cursor(cursor, tenant_id, listing, expected)
    params = {"IndexName": "gsi1", "KeyConditionExpression": condition}
    items, last = paginate(query, params, INDEX_KEYS, limit, start, keep=keep)
    return items, encode_cursor(last, tenant_id, listing)


def query_all(query: Callable[..., dict[str, Any]], params: dict[str, Any]) -> Iterator[dict[str, Any]]:
    start_key = None
    while True:
        page = query(**(dict(params, ExclusiveStartKey=start_key) if start_key else params))
        yield from page.get("Items", [])
        start_key = page.get("LastEvaluatedKey")
        if not start_key:
            return


def put_over_version(table: Any, item: dict[str, Any], version_read: int, changed: str) -> None:
    """Write `item` (carrying version_read + 1) only over the version read: a concurrent change in
    between is a Conflict saying `changed`."""
    from botocore.exceptions import ClientError

    try:
        table.put_item(
            Item=item,
            ConditionExpression="version = :read",
            ExpressionAttributeValues={":read": version_read},
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise Conflict(changed) from error
        raise
