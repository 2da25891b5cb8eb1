"""A tenant's records of one kind, stored as documents under the tenant's partition.

Every write is conditional: create never overwrites, update and delete only touch what exists, and
update carries the version it read so two concurrent edits cannot silently lose one another.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any, ClassVar, Generic, Self, TypeVar

from botocore.exceptions import ClientError

from creneau import config
from creneau.dal.base import (
    DOC,
    decode_cursor,
    encode_cursor,
    from_doc,
    paginate,
    query_all,
    tenant_pk,
    to_doc,
)
from creneau.errors import Conflict, CreneauError


class VersionedRecord:
    """A frozen dataclass whose fields, but its `version` (of the item read; 0 before it is stored)
    and its `STORED` ones, are what the API shows. `to_doc()` is the document its item keeps (the
    version lives beside it), `from_doc` reads it back. `STORED` maps a field the API never shows to
    the `_`-prefixed key the document keeps it under (a calendar's claim time zone, a webhook's
    secret)."""

    version: int
    STORED: ClassVar[dict[str, str]] = {}

    def public(self) -> dict[str, Any]:
        hidden = {"version", *self.STORED}
        return {k: v for k, v in dataclasses.asdict(self).items() if k not in hidden}

    def to_doc(self) -> dict[str, Any]:
        return {**self.public(), **{key: getattr(self, name) for name, key in self.STORED.items()}}

    def changed(self, **fields: Any) -> Self:
        return dataclasses.replace(self, **fields)

    @classmethod
    def from_doc(cls, doc: dict[str, Any], version: int = 0) -> Self:
        keys = {key: name for name, key in cls.STORED.items()}
        return cls(**{keys.get(k, k): v for k, v in doc.items()}, version=version)


KEY_NAMES = ("pk", "sk")
DocFilter = Callable[[dict[str, Any]], bool] | None  # which stored items a page keeps
DocPage = tuple[list[dict[str, Any]], str | None]  # a page of items and the cursor of the next


class TenantRecords:
    def __init__(
        self, kind: str, missing: type[CreneauError], table: Callable[[], Any] = config.catalog_table
    ):
        self.kind = kind
        self.missing = missing
        self.table = table

    def key(self, tenant_id: str, record_id: str) -> dict[str, str]:
        return {"pk": tenant_pk(tenant_id), "sk": f"{self.kind}#{record_id}"}

    def not_found(self, record_id: str) -> CreneauError:
        return self.missing(f"no {self.kind.lower()} {record_id}")

    # The items as stored.

    def find_item(self, tenant_id: str, record_id: str) -> dict[str, Any] | None:
        return self.table().get_item(Key=self.key(tenant_id, record_id), ConsistentRead=True).get("Item")

    def list_items(self, tenant_id: str) -> Iterator[dict[str, Any]]:
        return query_all(self.table().query, self._list_params(tenant_id))

    def page_items(self, tenant_id: str, limit: int, cursor: str | None, keep: DocFilter = None) -> DocPage:
        expected = {"pk": tenant_pk(tenant_id), "sk": f"{self.kind}#"}
        start = decode_cursor(cursor, tenant_id, self.kind, expected)
        items, last = paginate(
            self.table().query, self._list_params(tenant_id), KEY_NAMES, limit, start, keep
        )
        return items, encode_cursor(last, tenant_id, self.kind)

    def create(self, tenant_id: str, doc: dict[str, Any], attributes: dict[str, Any] | None = None) -> None:
        self.table().put_item(
            Item=self.item(tenant_id, doc, version=1, attributes=attributes),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def item(
        self, tenant_id: str, doc: dict[str, Any], version: int, attributes: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        present = {k: v for k, v in (attributes or {}).items() if v is not None}
        return {**self.key(tenant_id, doc["id"]), **present, DOC: to_doc(doc), "version": version}

    def replace(
        self, tenant_id: str, doc: dict[str, Any], version: int, attributes: dict[str, Any] | None = None
    ) -> None:
        """Write `doc` over the version read; a concurrent change in between is a Conflict.

        An update, not a put: attributes kept beside the document (counters) survive. An attribute
        given as None is removed.
        """
        attributes = attributes or {}
        names = {f"#a{i}": name for i, name in enumerate(attributes)}
        sets = ["#doc = :doc", "version = :next"] + [
            f"{alias} = :a{alias[2:]}" for alias, name in names.items() if attributes[name] is not None
        ]
        removes = [alias for alias, name in names.items() if attributes[name] is None]
        values = {":doc": to_doc(doc), ":next": version + 1, ":read": version}
        values |= {
            f":a{alias[2:]}": attributes[name]
            for alias, name in names.items()
            if attributes[name] is not None
        }
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        try:
            self.table().update_item(
                Key=self.key(tenant_id, doc["id"]),
                UpdateExpression=expression,
                ConditionExpression="version = :read",
                ExpressionAttributeNames={"#doc": DOC, **names},
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise Conflict(f"this {self.kind.lower()} changed meanwhile; read it again") from error
            raise

    def delete(self, tenant_id: str, record_id: str) -> None:
        try:
            self.table().delete_item(
                Key=self.key(tenant_id, record_id), ConditionExpression="attribute_exists(pk)"
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise self.not_found(record_id) from error
            raise

    def _list_params(self, tenant_id: str) -> dict[str, Any]:
        return {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :kind)",
            "ExpressionAttributeValues": {":pk": tenant_pk(tenant_id), ":kind": f"{self.kind}#"},
            "ConsistentRead": True,
        }


def version_of(item: dict[str, Any]) -> int:
    return int(item.get("version", 1))


R = TypeVar("R", bound=VersionedRecord)


class TypedRecords(Generic[R]):
    """One kind of a tenant's records, read and written as typed records: `read(doc, version)` builds
    a record, its `to_doc()` is the document an item keeps, its `version` the version read that a
    replace is conditioned on. `attributes(tenant_id, record)` are kept beside the document (an
    index's keys)."""

    def __init__(
        self,
        records: TenantRecords,
        read: Callable[[dict[str, Any], int], R],
        attributes: Callable[[str, R], dict[str, Any]] | None = None,
    ) -> None:
        self.records, self.read = records, read
        self.attributes = attributes or (lambda _tenant_id, _record: {})

    def find(self, tenant_id: str, record_id: str) -> R | None:
        item = self.records.find_item(tenant_id, record_id)
        return self._record(item) if item else None

    def get(self, tenant_id: str, record_id: str) -> R:
        record = self.find(tenant_id, record_id)
        if record is None:
            raise self.not_found(record_id)
        return record

    def list_all(self, tenant_id: str) -> list[R]:
        return [self._record(item) for item in self.records.list_items(tenant_id)]

    def list_page(
        self, tenant_id: str, limit: int, cursor: str | None, keep: Callable[[R], bool] | None = None
    ) -> tuple[list[R], str | None]:
        kept = (lambda item: keep(self._record(item))) if keep else None
        items, next_cursor = self.records.page_items(tenant_id, limit, cursor, kept)
        return [self._record(item) for item in items], next_cursor

    def create(self, tenant_id: str, record: R) -> None:
        self.records.create(tenant_id, record.to_doc(), self.attributes(tenant_id, record))

    def replace(self, tenant_id: str, record: R) -> None:
        """Over `record.version`, the version read; a concurrent change in between is a Conflict."""
        attributes = self.attributes(tenant_id, record)
        self.records.replace(tenant_id, record.to_doc(), record.version, attributes)

    def delete(self, tenant_id: str, record_id: str) -> None:
        self.records.delete(tenant_id, record_id)

    def not_found(self, record_id: str) -> CreneauError:
        return self.records.not_found(record_id)

    def _record(self, item: dict[str, Any]) -> R:
        return self.read(from_doc(item), version_of(item))
