"""DynamoDB in memory, for unit tests of logic and repositories without moto: tables that answer
get_item and query and take single writes (put_item, update_item, delete_item, each refused with
ConditionalCheckFailedException when its condition fails), and a client whose transact_write_items
checks each item's condition and applies the writes all or nothing, refusing the way DynamoDB does
(TransactionCanceledException with one cancellation reason per item).

Only the expression grammar Creneau writes is understood (comparisons, AND/OR/NOT, parentheses,
attribute_exists/attribute_not_exists/begins_with, SET with + and if_not_exists, REMOVE, nested
paths); anything else raises NotImplementedError, so a new expression cannot pass unchecked.
`contend_next` makes the next transaction meet a concurrent one (TransactionConflict), as a storm would.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

_TOKEN = re.compile(r"\s*(<=|>=|<>|[=<>(),+\-]|:[\w]+|[#\w][\w#.\[\]]*)")
_MISSING = object()


class InMemoryTable:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict] = {}

    def get_item(self, Key: dict, ConsistentRead: bool = False) -> dict:  # noqa: N803 (boto3's names)
        item = self.items.get((Key["pk"], Key["sk"]))
        return {"Item": copy.deepcopy(item)} if item else {}

    def put(self, item: dict) -> None:
        """What a committed Put of `item` leaves in the table."""
        self.items[(item["pk"], item["sk"])] = copy.deepcopy(item)

    def update(self, key: dict, request: dict[str, Any]) -> None:
        """What a committed Update leaves: its UpdateExpression applied to the item (a new one if none)."""
        item = copy.deepcopy(self.items.get((key["pk"], key["sk"])) or dict(key))
        _Expression(request["UpdateExpression"], request).update(item)
        self.put(item)

    def delete(self, key: dict) -> None:
        """What a committed Delete leaves."""
        self.items.pop((key["pk"], key["sk"]), None)

    def put_item(self, Item: dict, ConditionExpression: str | None = None, **params: Any) -> dict:  # noqa: N803
        self._check(Item, ConditionExpression, params, "PutItem")
        self.put(Item)
        return {}

    def update_item(self, Key: dict, ConditionExpression: str | None = None, **params: Any) -> dict:  # noqa: N803
        self._check(Key, ConditionExpression, params, "UpdateItem")
        self.update(Key, params)
        return {}

    def delete_item(self, Key: dict, ConditionExpression: str | None = None, **params: Any) -> dict:  # noqa: N803
        self._check(Key, ConditionExpression, params, "DeleteItem")
        self.delete(Key)
        return {}

    def holds(self, key: dict, condition: str | None, request: dict[str, Any]) -> bool:
        """Whether a write's condition holds on the item stored under `key` (or on none)."""
        if condition is None:
            return True
        return _Expression(condition, request).condition(self.items.get((key["pk"], key["sk"])) or {})

    def _check(self, key: dict, condition: str | None, params: dict[str, Any], operation: str) -> None:
        """A single write's condition, refused as DynamoDB refuses it."""
        if not self.holds(key, condition, params):
            error = {"Code": "ConditionalCheckFailedException", "Message": "The conditional request failed"}
            raise ClientError({"Error": error}, operation)

    def query(self, KeyConditionExpression: Any, IndexName: str | None = None, **params: Any) -> dict:  # noqa: N803
        """Every item the key condition selects, in sort-key order, in one page (no Limit here)."""
        values = params.get("ExpressionAttributeValues", {})
        sort_key = "gsi1sk" if IndexName == "gsi1" else "sk"
        start = params.get("ExclusiveStartKey")
        found = [
            copy.deepcopy(item)
            for item in self.items.values()
            if (IndexName is None or "gsi1pk" in item) and _key_matches(KeyConditionExpression, values, item)
        ]
        found.sort(key=lambda item: item[sort_key])
        if start is not None:
            found = [item for item in found if item[sort_key] > start[sort_key]]
        return {"Items": found}


class InMemoryDynamo:
    """The tables of one test by name, and the client that commits transactions over them."""

    def __init__(self, *names: str) -> None:
        self.tables = {name: InMemoryTable() for name in names}
        self.committed: list[list[dict[str, Any]]] = []  # each committed transaction's items
        self._contend = 0

    def table(self, name: str) -> Callable[[], InMemoryTable]:
        return lambda: self.tables[name]

    def contend_next(self, times: int = 1) -> None:
        """The next `times` transactions are cancelled by a concurrent one touching their items."""
        self._contend += times

    def transact_write_items(self, TransactItems: list[dict[str, Any]]) -> dict:  # noqa: N803
        if self._contend:
            self._contend -= 1
            _cancel([{"Code": "TransactionConflict"}] * len(TransactItems))
        reasons = [
            {"Code": "None"} if self._allowed(op) else {"Code": "ConditionalCheckFailed"}
            for op in TransactItems
        ]
        if any(reason["Code"] != "None" for reason in reasons):
            _cancel(reasons)
        for operation in TransactItems:
            self._apply(operation)
        self.committed.append(copy.deepcopy(TransactItems))
        return {}

    def _allowed(self, operation: dict[str, Any]) -> bool:
        ((_kind, request),) = operation.items()
        key = request.get("Key") or request["Item"]
        return self.tables[request["TableName"]].holds(key, request.get("ConditionExpression"), request)

    def _apply(self, operation: dict[str, Any]) -> None:
        ((kind, request),) = operation.items()
        table = self.tables[request["TableName"]]
        if kind == "Put":
            table.put(request["Item"])
        elif kind == "Delete":
            table.delete(request["Key"])
        elif kind == "Update":
            table.update(request["Key"], request)
        elif kind != "ConditionCheck":
            raise NotImplementedError(kind)


def _cancel(reasons: list[dict[str, str]]) -> None:
    error = {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"}
    raise ClientError({"Error": error, "CancellationReasons": reasons}, "TransactWriteItems")


def _key_matches(condition: Any, values: dict[str, Any], item: dict) -> bool:
    if isinstance(condition, str):  # the string form: "pk = :pk AND begins_with(sk, :kind)"
        return _Expression(condition, {"ExpressionAttributeValues": values}).condition(item)
    expression = condition.get_expression()
    operator, operands = expression["operator"], expression["values"]
    if operator == "AND":
        return all(_key_matches(operand, values, item) for operand in operands)
    value = item.get(operands[0].name)
    if value is None:
        return False
    if operator == "=":
        return value == operands[1]
    if operator == "BETWEEN":
        return operands[1] <= value <= operands[2]
    if operator == "begins_with":
        return value.startswith(operands[1])
    raise NotImplementedError(operator)


class _Expression:
    """One condition or update expression of a request, read token by token."""

    def __init__(self, text: str, request: dict[str, Any]) -> None:
        self.tokens = _TOKEN.findall(text)
        if "".join(self.tokens) != re.sub(r"\s+", "", text):
            raise NotImplementedError(f"unreadable expression: {text}")
        self.names = request.get("ExpressionAttributeNames", {})
        self.values = request.get("ExpressionAttributeValues", {})
        self.position = 0

    # ---- conditions ------------------------------------------------------------------------------

    def condition(self, item: dict) -> bool:
        result = self._or(item)
        self._end()
        return result

    def _or(self, item: dict) -> bool:
        result = self._and(item)
        while self._accept("OR"):
            result = self._and(item) or result
        return result

    def _and(self, item: dict) -> bool:
        result = self._factor(item)
        while self._accept("AND"):
            result = self._factor(item) and result
        return result

    def _factor(self, item: dict) -> bool:
        if self._accept("NOT"):
            return not self._factor(item)
        if self._accept("("):
            result = self._or(item)
            self._expect(")")
            return result
        word = self._next()
        if word in ("attribute_exists", "attribute_not_exists", "begins_with"):
            self._expect("(")
            value = self._read(self._next(), item)
            prefix = self._comma_operand(item) if word == "begins_with" else None
            self._expect(")")
            if word == "begins_with":
                return isinstance(value, str) and value.startswith(prefix)
            return (value is not _MISSING) == (word == "attribute_exists")
        left = self._read(word, item)
        comparator = self._next()
        right = self._read(self._next(), item)
        return _compare(left, comparator, right)

    # ---- updates ---------------------------------------------------------------------------------

    def update(self, item: dict) -> None:
        while self.position < len(self.tokens):
            clause = self._next()
            if clause == "SET":
                self._sets(item)
            elif clause == "REMOVE":
                self._removes(item)
            else:
                raise NotImplementedError(f"update clause {clause}")

    def _sets(self, item: dict) -> None:
        while True:
            path = self._path(self._next())
            self._expect("=")
            value = self._value(item)
            if self._accept("+"):
                value = value + self._value(item)
            elif self._accept("-"):
                value = value - self._value(item)
            _assign(item, path, value)
            if not self._accept(","):
                return

    def _value(self, item: dict) -> Any:
        word = self._next()
        if word == "if_not_exists":
            self._expect("(")
            existing = self._read(self._next(), item)
            fallback = self._comma_operand(item)
            self._expect(")")
            return fallback if existing is _MISSING else existing
        value = self._read(word, item)
        if value is _MISSING:
            raise ValueError(f"{word} is not in the item (DynamoDB: ValidationException)")
        return value

    def _removes(self, item: dict) -> None:
        while True:
            *parents, last = self._path(self._next())
            holder = _walk(item, parents)
            if isinstance(holder, dict):
                holder.pop(last, None)
            if not self._accept(","):
                return

    # ---- tokens ----------------------------------------------------------------------------------

    def _read(self, word: str, item: dict) -> Any:
        if word.startswith(":"):
            return self.values[word]
        return _walk(item, self._path(word))

    def _path(self, word: str) -> list[str]:
        if "[" in word:
            raise NotImplementedError(f"list index in {word}")
        return [self.names[part] if part.startswith("#") else part for part in word.split(".")]

    def _comma_operand(self, item: dict) -> Any:
        self._expect(",")
        return self._read(self._next(), item)

    def _next(self) -> str:
        if self.position >= len(self.tokens):
            raise NotImplementedError("expression ended early")
        token = self.tokens[self.position]
        self.position += 1
        return token

    def _accept(self, token: str) -> bool:
        if self.position < len(self.tokens) and self.tokens[self.position].upper() == token:
            self.position += 1
            return True
        return False

    def _expect(self, token: str) -> None:
        if not self._accept(token):
            raise NotImplementedError(f"expected {token} at {self.tokens[self.position :]}")

    def _end(self) -> None:
        if self.position != len(self.tokens):
            raise NotImplementedError(f"unread: {self.tokens[self.position :]}")


def _walk(item: Any, path: list[str]) -> Any:
    for part in path:
        if not isinstance(item, dict) or part not in item:
            return _MISSING
        item = item[part]
    return item


def _assign(item: dict, path: list[str], value: Any) -> None:
    *parents, last = path
    holder = _walk(item, parents)
    if not isinstance(holder, dict):
        raise ValueError(f"{'.'.join(parents)} is not a map (DynamoDB: ValidationException)")
    holder[last] = value


def _compare(left: Any, comparator: str, right: Any) -> bool:
    if left is _MISSING or right is _MISSING:
        return False  # DynamoDB: a comparison with a missing attribute is false
    left, right = _number(left), _number(right)
    return {
        "=": left == right,
        "<>": left != right,
        "<": left < right,
        "<=": left <= right,
        ">": left > right,
        ">=": left >= right,
    }[comparator]


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, Decimal) and value == int(value) else value
