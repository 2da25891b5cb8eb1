"""Calendar connections and what their sync keeps: OAuth states, pushed events, the outbox.

Catalog table, under the tenant:
- `CONNECTION#<calendar_id>`: one per calendar (a create is conditioned on none existing). The
  document holds status, options, account, sync state; the sealed tokens sit beside it with their
  own `token_version`, so a token refresh and an options edit never overwrite each other. gsi1
  (`SYNC#CONNECTIONS`) lists every connection for the scheduled run.
- `PUSHED#<connection_id>#<appointment_id>`: the provider event of an appointment and the digest of
  what was last written (kept across a reconnect, so nothing is pushed twice).
- `OUTBOX#<connection_id>#<appointment_id>`: a change not yet pushed; deleted only once pushed, and
  only if no newer change was queued meanwhile.
Outside the tenant: `OAUTHSTATE#<nonce>`, single-use (a conditional delete), expiring with its
`expires_at`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from creneau import config
from creneau.clock import epoch
from creneau.dal.base import DOC, from_doc, query_all, tenant_pk, to_doc
from creneau.errors import Conflict, ConnectionExists, ConnectionNotFound

CONNECTIONS_INDEX = "SYNC#CONNECTIONS"


def _failed_condition(error: ClientError) -> bool:
    return error.response["Error"]["Code"] == "ConditionalCheckFailedException"


_DOC_FIELDS = (
    "id",
    "calendar_id",
    "provider",
    "status",
    "account",
    "options",
    "last_sync_at",
    "last_error",
    "sync_state",
    "throttled_until",
)
_PUBLIC = _DOC_FIELDS[:8]  # what the API shows; the sync state and throttling are the run's own


@dataclass(frozen=True)
class ConnectionRecord:
    """A calendar's connection to Google or Outlook. The document holds the fields up to
    `throttled_until`; the sealed tokens and their own version sit beside it in the item."""

    id: str
    calendar_id: str
    provider: str
    status: str  # pending, connected, needs_reconnect
    options: dict[str, Any]
    account: str | None = None  # the connected account's email
    last_sync_at: str | None = None
    last_error: dict[str, Any] | None = None
    sync_state: dict[str, Any] | None = None  # the provider's incremental pull state
    throttled_until: str | None = None
    tenant_id: str = ""
    version: int = 0  # of the document read; 0 before it is stored
    tokens: bytes | None = None  # sealed (sync/vault.py)
    token_version: int = 0

    def changed(self, **fields: Any) -> ConnectionRecord:
        return dataclasses.replace(self, **fields)

    def public(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _PUBLIC}

    def to_doc(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _DOC_FIELDS}


def _key(tenant_id: str, calendar_id: str) -> dict[str, str]:
    return {"pk": tenant_pk(tenant_id), "sk": f"CONNECTION#{calendar_id}"}


def _record(item: dict[str, Any]) -> ConnectionRecord:
    doc = from_doc(item)
    return ConnectionRecord(
        **{name: doc.get(name) for name in _DOC_FIELDS if name in doc},
        tenant_id=item["tenant_id"],
        version=int(item["version"]),
        tokens=bytes(item["tokens"]) if "tokens" in item else None,
        token_version=int(item.get("token_version", 0)),
    )


def _state_key(nonce: str) -> dict[str, str]:
    return {"pk": f"OAUTHSTATE#{nonce}", "sk": "STATE"}


def _pushed_key(tenant_id: str, connection_id: str, appointment_id: str) -> dict[str, str]:
    return {"pk": tenant_pk(tenant_id), "sk": f"PUSHED#{connection_id}#{appointment_id}"}


def _outbox_key(tenant_id: str, connection_id: str, appointment_id: str) -> dict[str, str]:
    return {"pk": tenant_pk(tenant_id), "sk": f"OUTBOX#{connection_id}#{appointment_id}"}


@dataclass(frozen=True)
class ConnectionRepository:
    """Connections, OAuth states, pushed events and the outbox, in `table` (the catalog table)."""

    table: Callable[[], Any] = config.catalog_table

    def create(self, connection: ConnectionRecord) -> None:
        tenant_id, calendar_id = connection.tenant_id, connection.calendar_id
        try:
            self.table().put_item(
                Item={
                    **_key(tenant_id, calendar_id),
                    "gsi1pk": CONNECTIONS_INDEX,
                    "gsi1sk": f"{tenant_id}#{calendar_id}",
                    "tenant_id": tenant_id,
                    "connection_id": connection.id,
                    "version": 1,
                    DOC: to_doc(connection.to_doc()),
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if _failed_condition(error):
                raise ConnectionExists("this calendar already has a connection; delete it first") from error
            raise

    def find(self, tenant_id: str, calendar_id: str) -> ConnectionRecord | None:
        item = self.table().get_item(Key=_key(tenant_id, calendar_id), ConsistentRead=True).get("Item")
        return _record(item) if item else None

    def get(self, tenant_id: str, calendar_id: str, connection_id: str | None = None) -> ConnectionRecord:
        found = self.find(tenant_id, calendar_id)
        if found is None or (connection_id is not None and found.id != connection_id):
            raise ConnectionNotFound(
                f"no connection {connection_id or ''} on calendar {calendar_id!r}".strip()
            )
        return found

    def reread(self, connection: ConnectionRecord) -> ConnectionRecord:
        """The connection as stored now (after a concurrent change)."""
        return self.get(connection.tenant_id, connection.calendar_id, connection.id)

    def replace(self, connection: ConnectionRecord) -> ConnectionRecord:
        """Write the document over the version read (tokens untouched); returns it with its new version."""
        try:
            self.table().update_item(
                Key=_key(connection.tenant_id, connection.calendar_id),
                UpdateExpression="SET #doc = :doc, version = :next",
                ConditionExpression="version = :read",
                ExpressionAttributeNames={"#doc": DOC},
                ExpressionAttributeValues={
                    ":doc": to_doc(connection.to_doc()),
                    ":next": connection.version + 1,
                    ":read": connection.version,
                },
            )
        except ClientError as error:
            if _failed_condition(error):
                raise Conflict("this connection changed meanwhile; read it again") from error
            raise
        return connection.changed(version=connection.version + 1)

    def save_tokens(self, connection: ConnectionRecord, sealed: bytes) -> ConnectionRecord:
        """Store new sealed tokens only over the token version read: of two concurrent refreshes, the
        second learns it lost (Conflict) and re-reads the winner's tokens instead of dropping them."""
        try:
            self.table().update_item(
                Key=_key(connection.tenant_id, connection.calendar_id),
                UpdateExpression="SET tokens = :tokens, token_version = :next",
                ConditionExpression="attribute_exists(pk) AND #doc_id = :id AND "
                "(attribute_not_exists(token_version) OR token_version = :read)",
                ExpressionAttributeNames={"#doc_id": "connection_id"},
                ExpressionAttributeValues={
                    ":tokens": sealed,
                    ":next": connection.token_version + 1,
                    ":read": connection.token_version,
                    ":id": connection.id,
                },
            )
        except ClientError as error:
            if _failed_condition(error):
                raise Conflict("the tokens were refreshed meanwhile") from error
            raise
        return connection.changed(tokens=sealed, token_version=connection.token_version + 1)

    def delete(self, tenant_id: str, calendar_id: str) -> None:
        self.table().delete_item(Key=_key(tenant_id, calendar_id))

    def all_connections(self) -> list[ConnectionRecord]:
        """Every tenant's connections (gsi1; eventually consistent, fine for a schedule)."""
        params = {"IndexName": "gsi1", "KeyConditionExpression": Key("gsi1pk").eq(CONNECTIONS_INDEX)}
        return [_record(item) for item in query_all(self.table().query, params)]

    # ---- OAuth states ----------------------------------------------------------------------------

    def put_state(self, nonce: str, record: dict[str, Any], expires_at: int) -> None:
        self.table().put_item(
            Item={**_state_key(nonce), DOC: to_doc(record), "expires_at": expires_at},
            ConditionExpression="attribute_not_exists(pk)",
        )

    def take_state(self, nonce: str, now: datetime) -> dict[str, Any] | None:
        """The state's record, deleted in the same step; None if unknown, used or expired."""
        try:
            old = self.table().delete_item(
                Key=_state_key(nonce),
                ConditionExpression="attribute_exists(pk) AND expires_at > :now",
                ExpressionAttributeValues={":now": epoch(now)},
                ReturnValues="ALL_OLD",
            )
        except ClientError as error:
            if _failed_condition(error):
                return None
            raise
        return from_doc(old["Attributes"])

    # ---- pushed events and the outbox ------------------------------------------------------------

    def pushed_all(self, tenant_id: str, connection_id: str) -> dict[str, dict[str, Any]]:
        params = {
            "KeyConditionExpression": Key("pk").eq(tenant_pk(tenant_id))
            & Key("sk").begins_with(f"PUSHED#{connection_id}#"),
            "ConsistentRead": True,
        }
        found = {}
        for item in query_all(self.table().query, params):
            doc = from_doc(item)
            found[doc["appointment_id"]] = doc
        return found

    def put_pushed(self, tenant_id: str, connection_id: str, doc: dict[str, Any]) -> None:
        self.table().put_item(
            Item={**_pushed_key(tenant_id, connection_id, doc["appointment_id"]), DOC: to_doc(doc)}
        )

    def enqueue(self, tenant_id: str, connection_id: str, appointment_id: str, ticket: str, at: str) -> None:
        """Queue (or re-queue) an appointment for push; `ticket` identifies this very change."""
        self.table().put_item(
            Item={
                **_outbox_key(tenant_id, connection_id, appointment_id),
                "appointment_id": appointment_id,
                "ticket": ticket,
                "queued_at": at,
            }
        )

    def outbox(self, tenant_id: str, connection_id: str) -> dict[str, str]:
        """appointment id -> ticket of what is queued for the connection."""
        params = {
            "KeyConditionExpression": Key("pk").eq(tenant_pk(tenant_id))
            & Key("sk").begins_with(f"OUTBOX#{connection_id}#"),
            "ConsistentRead": True,
        }
        return {i["appointment_id"]: i["ticket"] for i in query_all(self.table().query, params)}

    def dequeue(self, tenant_id: str, connection_id: str, appointment_id: str, ticket: str) -> None:
        """Done with the change `ticket`; a newer change queued meanwhile stays queued."""
        try:
            self.table().delete_item(
                Key=_outbox_key(tenant_id, connection_id, appointment_id),
                ConditionExpression=Attr("ticket").eq(ticket),
            )
        except ClientError as error:
            if not _failed_condition(error):
                raise

    def drop_connection_records(self, tenant_id: str, connection_id: str) -> None:
        """The outbox and the pushed-event map of a deleted connection."""
        table = self.table()
        with table.batch_writer() as batch:
            for prefix in ("OUTBOX", "PUSHED"):
                params = {
                    "KeyConditionExpression": Key("pk").eq(tenant_pk(tenant_id))
                    & Key("sk").begins_with(f"{prefix}#{connection_id}#"),
                    "ProjectionExpression": "pk, sk",
                }
                for item in query_all(table.query, params):
                    batch.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
