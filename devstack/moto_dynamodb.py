"""Three fixes to moto's DynamoDB for a local server that must hold a long day (moto 5.2.x).

1. `DynamoDBBackend.transact_write_items` deep-copies every table a transaction names, once per
   item, to roll back a failed transaction by swapping the copies in: the cost of each transaction
   grows with the tables. Replaced here by an undo log of the items the transaction touches: before
   each write, a copy of that one item (or "absent"); on failure, those items are put back in reverse
   order and the stream records the writes appended are dropped. Same checks, same errors, same
   per-item cancellation reasons as moto's own, which this function otherwise follows line by line.
2. Every moto model instance is appended to its class's `instances_tracked` list for moto's
   dashboard and never let go: each copy above, and each item any write ever replaced, stayed in
   memory for good (23.7 GB after ~4,000 requests). Tracking is turned off for DynamoDB's models
   (the dashboard then lists no DynamoDB items; nothing here reads it).
3. A Query on a table's own key sorts and scans every item of the table (`all_items()`) to keep
   those of one partition, then sorts that partition and sizes each item up to the range asked:
   each booking's reads slowed down as the day went on (a calendar's claims are one partition).
   Each partition now keeps its sort keys in order, and a query is shown only the slice of its
   partition that the key condition selects (moto still applies that condition, the sort, limits
   and pages itself). Queries on an index still scan, as moto keeps no index.
4. DynamoDB Streams keeps every shard iterator it ever gave (and tracks each one, as in 2.): the
   local event loop asks for two per poll, so an idle stack grew by the hour. Iterators now expire
   15 minutes after they are given, as real ones do.

Transactions stay serialized because the server handles one request at a time (moto_server.py).
"""

from __future__ import annotations

import bisect
import copy
import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any

_installed = False


class _Untracked(list):
    """An `instances_tracked` that keeps nothing."""

    def append(self, _instance: Any) -> None:
        pass


def install() -> None:
    global _installed
    if _installed:
        return
    import moto.dynamodb.models.table  # noqa: F401  (registers the table's model classes)
    import moto.dynamodbstreams.models as streams
    from moto.core.model_instances import model_data
    from moto.dynamodb import models

    for service in ("dynamodb", "dynamodbstreams"):
        for model in model_data[service].values():
            model.instances_tracked = _Untracked()
    streams.DynamoDBStreamsBackend.__init__ = _expiring_iterators(streams.DynamoDBStreamsBackend.__init__)
    models.DynamoDBBackend.transact_write_items = transact_write_items
    table_class = moto.dynamodb.models.table.Table
    table_class.__init__ = _sorted_partitions(table_class.__init__)
    table_class.query = _one_partition(table_class.query)
    _installed = True


class _Partition(dict):
    """One partition's items by sort key, the keys also kept in order (bisect), so that a range
    condition finds its slice without sorting the partition."""

    def __init__(self) -> None:
        super().__init__()
        self.order: list[Any] = []

    def __setitem__(self, key: Any, item: Any) -> None:
        if key not in self:
            bisect.insort(self.order, key)
        super().__setitem__(key, item)

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(key)
        self._unorder(key)

    def pop(self, key: Any, *default: Any) -> Any:
        if key in self:
            self._unorder(key)
        return super().pop(key, *default)

    def __deepcopy__(self, memo: dict) -> _Partition:  # moto's backups copy whole tables
        copied = _Partition()
        for key, item in self.items():
            copied[copy.deepcopy(key, memo)] = copy.deepcopy(item, memo)
        return copied

    def _unorder(self, key: Any) -> None:
        del self.order[bisect.bisect_left(self.order, key)]

    def selected(self, comparison: str | None, bounds: list[Any]) -> list[Any]:
        """The items a key condition can select, in key order (a superset is fine: moto filters)."""
        order, op = self.order, (comparison or "").upper()
        if op in ("=", "EQ"):
            keys = [bounds[0]] if bounds[0] in self else []
        elif op in ("<", "LT"):
            keys = order[: bisect.bisect_left(order, bounds[0])]
        elif op in ("<=", "LE"):
            keys = order[: bisect.bisect_right(order, bounds[0])]
        elif op in (">", "GT"):
            keys = order[bisect.bisect_right(order, bounds[0]) :]
        elif op in (">=", "GE"):
            keys = order[bisect.bisect_left(order, bounds[0]) :]
        elif op == "BETWEEN":
            keys = order[bisect.bisect_left(order, bounds[0]) : bisect.bisect_right(order, bounds[1])]
        elif op == "BEGINS_WITH":
            keys = self._prefixed(bounds[0])
        else:
            keys = order
        return [self[key] for key in keys]

    def _prefixed(self, prefix: Any) -> list[Any]:
        keys, at = [], bisect.bisect_left(self.order, prefix)
        while at < len(self.order) and self.order[at].cast_value.startswith(prefix.cast_value):
            keys.append(self.order[at])
            at += 1
        return keys


def _sorted_partitions(init: Any) -> Any:
    def table_init(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        if self.range_key_attr:
            self.items = defaultdict(_Partition)

    return table_init


ITERATOR_LIFETIME_S = 15 * 60  # a shard iterator's life in DynamoDB Streams


class ExpiringIterators(dict):
    """Shard iterators by id, each forgotten ITERATOR_LIFETIME_S after it was given."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.clock = clock
        self.given: deque[tuple[float, str]] = deque()

    def __setitem__(self, key: str, iterator: Any) -> None:
        now = self.clock()
        while self.given and self.given[0][0] < now - ITERATOR_LIFETIME_S:
            self.pop(self.given.popleft()[1], None)
        self.given.append((now, key))
        super().__setitem__(key, iterator)


def _expiring_iterators(init: Any) -> Any:
    def backend_init(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self.shard_iterators = ExpiringIterators()

    return backend_init


def _one_partition(query: Any) -> Any:
    """Table.query, shown only the slice of the queried partition its key condition selects, when it
    queries the table's own key."""

    def partition_query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        if index_name or hash_key is None:
            return query(self, hash_key, *args, **kwargs)
        comparison = args[0] if args else kwargs.get("range_comparison")
        bounds = args[1] if len(args) > 1 else kwargs.get("range_objs")
        bucket = self.items.get(hash_key)  # .get: the defaultdict must not grow an empty partition
        if bucket is None:
            items = []
        elif isinstance(bucket, _Partition):
            items = bucket.selected(comparison, bounds or [])
        else:
            items = [bucket]  # a table without a sort key: the partition is one item
        self.all_items = lambda: items  # query() filters these on the key condition and sorts them
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    return partition_query


class _UndoLog:
    """The prior state of each item a transaction wrote, to put back if it fails."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.entries: list[tuple[Any, Any, Any, Any]] = []  # (table, hash key, range key, item | None)
        self.stream_lengths: dict[str, tuple[list, int]] = {}

    def remember(self, table_name: str, key: dict[str, Any]) -> None:
        table = self.backend.get_table(table_name)
        hash_key, range_key = self.backend.get_keys_value(table, key)
        if table.stream_shard is not None and table_name not in self.stream_lengths:
            records = table.stream_shard.items
            self.stream_lengths[table_name] = (records, len(records))
        current = table.get_item(hash_key, range_key)
        # update_item changes the stored item in place: keep a copy of this one item, not the table.
        self.entries.append((table, hash_key, range_key, copy.deepcopy(current)))

    def roll_back(self) -> None:
        for table, hash_key, range_key, before in reversed(self.entries):
            if range_key is not None:
                if before is None:
                    table.items[hash_key].pop(range_key, None)
                else:
                    table.items[hash_key][range_key] = before
            elif before is None:
                table.items.pop(hash_key, None)
            else:
                table.items[hash_key] = before
        for table_name, (records, length) in self.stream_lengths.items():
            shard = self.backend.get_table(table_name).stream_shard
            if shard is not None and shard.items is records:  # still the list we measured
                del records[length:]
        self.entries.clear()


def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    from moto.dynamodb.exceptions import (
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )
    from moto.dynamodb.models import ConditionalCheckFailed, get_filter_expression

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    undo = _UndoLog(self)
    target_items: set[tuple[str, str]] = set()

    def check_unicity(table_name: str, key: dict[str, Any]) -> None:
        item = (str(table_name), str(dict(sorted(key.items()))))
        if item in target_items:
            raise MultipleTransactionsException()
        target_items.add(item)

    errors: list[tuple[str, str, dict[str, Any]] | tuple[None, None, None]] = []
    for item in transact_items:
        original_item: dict[str, Any] | None = None
        if len(list(item.keys())) > 1:
            raise TransactWriteSingleOpException
        try:
            op_type, op = next(iter(item.items()))
            if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                raise ValueError("Unsupported transaction operation")
            table_name = op["TableName"]
            condition_expression = op.get("ConditionExpression")
            names = op.get("ExpressionAttributeNames")
            values = op.get("ExpressionAttributeValues")
            on_failure = op.get("ReturnValuesOnConditionCheckFailure")
            if op_type == "Put":
                attrs = op["Item"]
                table = self.get_table(table_name)
                key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attrs[table.range_key_attr]
            else:
                key = op["Key"]
            check_unicity(table_name, key)

            current = self.get_item(table_name, key)
            if condition_expression is not None:
                condition_op = get_filter_expression(condition_expression, names, values)
                if not condition_op.expr(current):
                    if on_failure == "ALL_OLD" and current:
                        original_item = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=original_item)

            if op_type != "ConditionCheck":
                undo.remember(table_name, key)
            conditions = {
                "condition_expression": condition_expression,
                "expression_attribute_names": names,
                "expression_attribute_values": values,
            }
            if op_type == "Put":
                self.put_item(table_name, op["Item"], **conditions)
            elif op_type == "Delete":
                self.delete_item(table_name, key, **conditions)
            elif op_type == "Update":
                self.update_item(table_name, key, update_expression=op["UpdateExpression"], **conditions)
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            undo.roll_back()
            raise
        except ConditionalCheckFailed as e:
            errors.append(("ConditionalCheckFailed", str(e.message), original_item))  # type: ignore[arg-type]
        except Exception as e:  # as moto: any other failure cancels the transaction with its reason
            errors.append((type(e).__name__, str(e), original_item))  # type: ignore[arg-type]

    if any(code is not None for code, _, _ in errors):
        undo.roll_back()
        raise TransactionCanceledException(errors)
