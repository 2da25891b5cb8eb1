"""Busy time pulled from a provider: what the provider's calendar holds, and the blocks it becomes.

- Snapshot (bookings table, `EXTEVT#<tenant>#<connection>`, one item per remote event): needed for
  incremental pulls (a sync token says what changed, not what is).
- Blocks: occupancy records of the calendar (`OCC#<tenant>#<calendar>`, sorted by start) with the
  owner `EXT#<connection>`, which GET /v1/slots already subtracts. Each carries `expires_at` = its
  end: a past block is absent to every read, and TTL collects it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Key

from creneau import config
from creneau.clock import epoch, iso
from creneau.dal.base import query_all
from creneau.domain.units import MAX_UNITS_PER_BOOKING


def owner(connection_id: str) -> str:
    return f"EXT#{connection_id}"


def _snapshot_pk(tenant_id: str, connection_id: str) -> str:
    return f"EXTEVT#{tenant_id}#{connection_id}"


def _occ_pk(tenant_id: str, calendar_id: str) -> str:
    return f"OCC#{tenant_id}#{calendar_id}"


def _block_sk(connection_id: str, start: datetime, end: datetime) -> str:
    return f"{iso(start)}#{owner(connection_id)}#{iso(end)}"


@dataclass(frozen=True)
class ExternalBusy:
    """The snapshots and blocks of every connection, in `table` (the bookings table)."""

    table: Callable[[], Any] = config.bookings_table

    def snapshot(self, tenant_id: str, connection_id: str) -> dict[str, tuple[datetime, datetime]]:
        params = {"KeyConditionExpression": Key("pk").eq(_snapshot_pk(tenant_id, connection_id))}
        return {
            item["sk"]: (datetime.fromisoformat(item["start"]), datetime.fromisoformat(item["end"]))
            for item in query_all(self.table().query, params)
        }

    def save_snapshot(
        self,
        tenant_id: str,
        connection_id: str,
        changed: dict[str, tuple[datetime, datetime]],
        removed: set[str],
    ) -> None:
        pk = _snapshot_pk(tenant_id, connection_id)
        with self.table().batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
            for remote_id in removed - changed.keys():
                batch.delete_item(Key={"pk": pk, "sk": remote_id})
            for remote_id, (start, end) in changed.items():
                batch.put_item(Item={"pk": pk, "sk": remote_id, "start": iso(start), "end": iso(end)})

    def blocks(
        self, tenant_id: str, calendar_id: str, connection_id: str, since: datetime, unit_minutes: int
    ) -> set[str]:
        """Sort keys of the connection's blocks that may still matter (ending after `since`)."""
        from datetime import timedelta

        lookback = timedelta(minutes=MAX_UNITS_PER_BOOKING * unit_minutes)
        params = {
            "KeyConditionExpression": Key("pk").eq(_occ_pk(tenant_id, calendar_id))
            & Key("sk").gte(iso(since - lookback)),
            "ProjectionExpression": "sk, #o",
            "ExpressionAttributeNames": {"#o": "owner"},
        }
        mine = owner(connection_id)
        return {i["sk"] for i in query_all(self.table().query, params) if i["owner"] == mine}

    def replace_blocks(
        self,
        tenant_id: str,
        calendar_id: str,
        connection_id: str,
        current: set[str],
        wanted: list[tuple[datetime, datetime]],
    ) -> int:
        """Make the stored blocks exactly `wanted`: new ones put, gone ones deleted. Returns the count."""
        pk = _occ_pk(tenant_id, calendar_id)
        wanted_by_sk = {_block_sk(connection_id, start, end): (start, end) for start, end in wanted}
        with self.table().batch_writer() as batch:
            for sk in current - wanted_by_sk.keys():
                batch.delete_item(Key={"pk": pk, "sk": sk})
            for sk in wanted_by_sk.keys() - current:
                start, end = wanted_by_sk[sk]
                item: dict[str, Any] = {
                    "pk": pk,
                    "sk": sk,
                    "owner": owner(connection_id),
                    "occ_start": iso(start),
                    "occ_end": iso(end),
                    "expires_at": epoch(end),
                }
                batch.put_item(Item=item)
        return len(wanted_by_sk)

    def drop(
        self, tenant_id: str, calendar_id: str, connection_id: str, unit_minutes: int, now: datetime
    ) -> None:
        """A deleted connection's blocks and snapshot."""
        self.replace_blocks(
            tenant_id,
            calendar_id,
            connection_id,
            self.blocks(
                tenant_id,
                calendar_id,
                connection_id,
                datetime.fromisoformat("2000-01-01T00:00:00+00:00"),
                unit_minutes,
            ),
            [],
        )
        known = self.snapshot(tenant_id, connection_id)
        self.save_snapshot(tenant_id, connection_id, {}, set(known))
