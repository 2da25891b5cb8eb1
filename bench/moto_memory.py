"""6. The local moto server's memory (RSS) over a long day of mixed requests.

The handlers run in this process (bench.stack) against devstack's moto server; the workload mixes
what a day brings: bookings (direct and lock-then-book), slot listings, reads, cancellations. The
milestones count the DynamoDB requests moto served (each API request sends several), and the RSS
is read from /proc after each, beside what moto keeps: the items of every table and the records of
the bookings stream (DynamoDB keeps 24 hours of them; so does moto, and longer). Flat means: what
grows is the data kept, not copies of it, so the RSS per record kept stays level.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import boto3

from bench import setup
from bench.stack import Stack

MILESTONES = (10_000, 50_000)
QUICK_MILESTONES = (300, 800)
HOURS = setup.week(setup.WEEKDAYS, [("07:00", "21:00")])


def records_kept(client, streams) -> tuple[int, int]:
    """(items in every table, stream records), as moto holds them."""
    items = records = 0
    for name in client.list_tables()["TableNames"]:
        table = client.describe_table(TableName=name)["Table"]
        items += table["ItemCount"]
        if arn := table.get("LatestStreamArn"):
            shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
            kind = {"ShardIteratorType": "TRIM_HORIZON"}
            iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, **kind)["ShardIterator"]
            while page := streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]:
                records += len(page)
                after = {
                    "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
                    "SequenceNumber": page[-1]["dynamodb"]["SequenceNumber"],
                }
                iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, **after)["ShardIterator"]
    return items, records


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class Day:
    """One tenant's mixed traffic, one step at a time."""

    def __init__(self, stack: Stack) -> None:
        calendar = {"name": "Guichet", "weekly_hours": HOURS, "slot_step_minutes": 60, "horizon_days": 730}
        self.stack = stack
        self.tenant = setup.make_tenant(stack, "Long day", [calendar])
        self.calendar_id = self.tenant.calendars[0]["id"]
        self.starts = setup.starts_on_grid(setup.tomorrow(), 730, HOURS, 60)
        self.number = 0
        self.api_requests = 0

    def call(self, method: str, path: str, key: str, **kw):
        self.api_requests += 1
        return self.stack.call(method, path, key, **kw)

    def step(self) -> None:
        self.number += 1
        start = next(self.starts)
        public, admin = self.tenant.public, self.tenant.admin
        day = start.date().isoformat()
        query = {"service_id": self.tenant.service_id, "from": day, "to": day}
        self.call("GET", "/v1/slots", public, expect=200, query=query)
        body = {
            "service_id": self.tenant.service_id,
            "calendar_id": self.calendar_id,
            "start": start.isoformat(),
            "customer": setup.customer(self.number),
        }
        if self.number % 2:
            lock = {k: body[k] for k in ("service_id", "calendar_id", "start")}
            held = self.call("POST", "/v1/locks", public, expect=201, body=lock).body
            body["lock_code"] = held["lock_code"]
        booked = self.call("POST", "/v1/appointments", public, expect=201, body=body).body
        self.call("GET", f"/v1/appointments/{booked['id']}", admin, expect=200)
        if self.number % 3 == 0:
            path = f"/v1/appointments/{booked['id']}/status"
            self.call("POST", path, admin, expect=200, body={"status": "CANCELLED"})
        if self.number % 10 == 0:
            self.call("GET", "/v1/services", public, expect=200)


def run(quick: bool, out: Callable[[str], None]) -> None:
    from devstack.moto_server import MotoServer

    milestones = QUICK_MILESTONES if quick else MILESTONES
    with MotoServer() as moto:
        stack = Stack(moto.url)
        from creneau import config

        counted = 0

        def count(**_kwargs) -> None:
            nonlocal counted
            counted += 1

        # The handlers' client (Powertools' idempotency has its own, not counted: the true number of
        # requests moto served is somewhat higher than the one printed).
        config.client().meta.events.register("before-call.dynamodb", count, unique_id="bench-moto-memory")
        day = Day(stack)
        pid = moto.process.pid
        streams = boto3.client("dynamodbstreams")
        started, first = time.monotonic(), rss_mb(pid)
        out(f"moto memory: RSS {first:.0f} MB with one tenant set up")
        for milestone in milestones:
            while counted < milestone:
                day.step()
            elapsed, rss = time.monotonic() - started, rss_mb(pid)
            items, records = records_kept(stack.client, streams)
            out(
                f"moto memory after {counted:,} DynamoDB requests ({day.api_requests:,} API requests, "
                f"{day.number:,} bookings, {elapsed:.0f} s): RSS {rss:.0f} MB; moto keeps {items:,} items "
                f"and {records:,} stream records, {(rss - first) * 1024 / (items + records):.1f} KB "
                "of growth per record kept"
            )
        config.client().meta.events.unregister("before-call.dynamodb", unique_id="bench-moto-memory")
