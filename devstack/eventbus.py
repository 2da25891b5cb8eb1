"""The local stack's event machinery, read from template.yaml: what Lambda's event source mappings,
SNS, SQS redrive and EventBridge Scheduler do in AWS.

- `create_messaging` makes the template's queues (dead-letter queues and redrive included), topics,
  subscriptions, SES identities and schedule groups in moto, and binds their local URLs and ARNs into
  the template so that functions' environments resolve to them.
- `EventLoop` then runs, each in its own thread:
  - one stream poller per DynamoDB event source: reads the table's stream (moto serves it), applies the
    event's FilterCriteria, invokes the function with a stream batch and, on reported item failures,
    retries from the first failed record (up to MaximumRetryAttempts), as Lambda does;
  - one drainer per SQS event source: receives up to BatchSize messages, invokes the function with an
    SQS batch event, deletes what succeeded; failed messages come back after the queue's visibility
    timeout and moto moves them to the dead-letter queue after maxReceiveCount receives;
  - a schedule firer: moto stores EventBridge Scheduler schedules but never fires them, so due
    one-time `at(...)` schedules are delivered to their target (an SQS queue or a function) here,
    then deleted when their ActionAfterCompletion says so.
  A failing function or a moto hiccup is logged and never stops a loop.

Every poll is a short one: the moto server handles one request at a time, so a long poll would stall
every other client of it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from devstack.lambda_runtime import ACCOUNT_ID, REGION, FunctionSpec, local_name
from devstack.template import Template

Invoke = Callable[[FunctionSpec, dict], tuple[bool, object]]
# The pause after an empty poll grows from the first to the second; any request the gateway runs and
# any work a loop did wakes every loop at once. An idle stack then costs moto a few requests a
# second, not dozens (several stacks idle side by side in the tests).
IDLE_POLL_S = (0.05, 2.0)


def _log(text: str) -> None:
    print(f"[devstack] {text}", file=sys.stderr, flush=True)


# ---- resources --------------------------------------------------------------------------------


def _ordered_queues(template: Template) -> list[tuple[str, dict]]:
    """Dead-letter queues first: a queue's redrive policy names its DLQ's ARN."""
    queues = template.unresolved("AWS::SQS::Queue")
    return sorted(queues.items(), key=lambda item: "RedrivePolicy" in item[1])


def create_messaging(template: Template, session) -> dict[str, str]:
    """Create the template's messaging resources in moto; returns {queue ARN: queue URL}."""
    sqs, sns = session.client("sqs"), session.client("sns")
    urls: dict[str, str] = {}
    for logical_id, raw in _ordered_queues(template):
        props = template.resolve(raw)
        attributes = {
            k: str(props[k])
            for k in (
                "VisibilityTimeout",
                "MessageRetentionPeriod",
                "DelaySeconds",
                "ReceiveMessageWaitTimeSeconds",
            )
            if k in props
        }
        if "RedrivePolicy" in props:
            attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
        name = props.get("QueueName") or local_name(logical_id)
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        template.bind({logical_id: url, f"{logical_id}.Arn": arn, f"{logical_id}.QueueName": name})
        template.bind({f"{logical_id}.QueueUrl": url})
        urls[arn] = url
    for logical_id, raw in template.unresolved("AWS::SNS::Topic").items():
        name = template.resolve(raw).get("TopicName") or local_name(logical_id)
        arn = sns.create_topic(Name=name)["TopicArn"]
        template.bind({logical_id: arn, f"{logical_id}.TopicArn": arn, f"{logical_id}.TopicName": name})
    for raw in template.unresolved("AWS::SNS::Subscription").values():
        props = template.resolve(raw)
        attributes = (
            {"RawMessageDelivery": "true"} if props.get("RawMessageDelivery") in (True, "true") else {}
        )
        if "FilterPolicy" in props:
            attributes["FilterPolicy"] = json.dumps(props["FilterPolicy"])
        sns.subscribe(
            TopicArn=props["TopicArn"],
            Protocol=props["Protocol"],
            Endpoint=props["Endpoint"],
            Attributes=attributes,
        )
    for raw in template.unresolved("AWS::SES::EmailIdentity").values():
        session.client("sesv2").create_email_identity(EmailIdentity=template.resolve(raw)["EmailIdentity"])
    for logical_id, raw in template.unresolved("AWS::Scheduler::ScheduleGroup").items():
        name = template.resolve(raw).get("Name") or local_name(logical_id)
        session.client("scheduler").create_schedule_group(Name=name)
        template.bind({logical_id: name})
    for logical_id in template.unresolved("AWS::IAM::Role"):
        template.bind({f"{logical_id}.Arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{local_name(logical_id)}"})
    dynamodb = session.client("dynamodb")
    for logical_id, props in template.unresolved("AWS::DynamoDB::Table").items():
        if "StreamSpecification" in props:
            table = dynamodb.describe_table(TableName=local_name(logical_id))["Table"]
            template.bind({f"{logical_id}.StreamArn": table["LatestStreamArn"]})
    return urls


# ---- event filtering (the subset of EventBridge patterns Lambda filters use) ----------------------


def matches(pattern: Any, value: Any) -> bool:
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(
            k in value and matches(p, value[k]) for k, p in pattern.items()
        )
    if isinstance(pattern, list):
        return any(_matches_one(option, value) for option in pattern)
    return pattern == value


def _matches_one(option: Any, value: Any) -> bool:
    if isinstance(option, dict):
        if "prefix" in option:
            return isinstance(value, str) and value.startswith(option["prefix"])
        if "anything-but" in option:
            excluded = option["anything-but"]
            return value not in (excluded if isinstance(excluded, list) else [excluded])
        if "exists" in option:
            return (value is not None) == option["exists"]
        return matches(option, value)
    return option == value


def passes(filters: list[dict], record: dict) -> bool:
    """A record passes when there is no filter, or any filter's pattern matches it."""
    return not filters or any(matches(json.loads(f["Pattern"]), record) for f in filters)


def failed_ids(result: object) -> list[str] | None:
    """The item identifiers a batch response reports as failed; None when it reported none."""
    if isinstance(result, dict) and result.get("batchItemFailures"):
        return [f["itemIdentifier"] for f in result["batchItemFailures"]]
    return None


# ---- the loops --------------------------------------------------------------------------------


class _Loop:
    """A thread that calls `step` until stopped; an empty step waits a little longer each time."""

    def __init__(
        self, name: str, step: Callable[[], int], stop: threading.Event, worked: Callable[[], None]
    ) -> None:
        self.name, self.step, self.stop, self.worked = name, step, stop, worked
        self.wake = threading.Event()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        idle = IDLE_POLL_S[0]
        while not self.stop.is_set():
            try:
                worked = self.step()
            except Exception:  # moto restarting, a malformed record...: log, keep polling
                _log(f"{self.name} failed:\n{traceback.format_exc()}")
                worked = 0
            if worked:
                idle = IDLE_POLL_S[0]
                self.worked()  # what it produced is the next loop's input: no need to wait for it
                continue
            self.wake.wait(idle)
            idle = IDLE_POLL_S[0] if self.wake.is_set() else min(idle * 2, IDLE_POLL_S[1])
            self.wake.clear()


class StreamPoller:
    """One DynamoDB event source: the stream's shards read in order, batches as Lambda sends them."""

    def __init__(self, spec: FunctionSpec, props: dict, invoke: Invoke, session) -> None:
        self.spec, self.invoke = spec, invoke
        self.arn = props["Stream"]
        self.batch = int(props.get("BatchSize", 100))
        self.filters = (props.get("FilterCriteria") or {}).get("Filters", [])
        self.max_retries = int(props.get("MaximumRetryAttempts", 10))
        self.client = session.client("dynamodbstreams")
        self.after: dict[str, str | None] = {}  # shard -> last sequence number handled
        self.retries: dict[str, int] = {}

    def step(self) -> int:
        shards = self.client.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"]
        return sum(self._shard(shard["ShardId"]) for shard in shards)

    def _iterator(self, shard: str) -> str:
        after = self.after.get(shard)
        if after is None:  # nothing handled yet: the table is as new as the stack
            kind = {"ShardIteratorType": "TRIM_HORIZON"}
        else:
            kind = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after}
        return self.client.get_shard_iterator(StreamArn=self.arn, ShardId=shard, **kind)["ShardIterator"]

    def _shard(self, shard: str) -> int:
        records = self.client.get_records(ShardIterator=self._iterator(shard), Limit=self.batch)["Records"]
        if not records:
            self.after.setdefault(shard, None)
            return 0
        kept = [stream_record(r, self.arn) for r in records if passes(self.filters, r)]
        handled = records
        if kept:
            ok, result = self.invoke(self.spec, {"Records": kept})
            failed = failed_ids(result) if ok else [kept[0]["dynamodb"]["SequenceNumber"]]
            if failed:
                handled = self._before_failure(shard, records, failed, result if not ok else None)
        if handled:
            self.after[shard] = handled[-1]["dynamodb"]["SequenceNumber"]
        return len(records)

    def _before_failure(self, shard: str, records: list, failed: list[str], error) -> list:
        """The records up to the first failure are done; the rest is retried, as Lambda does, until
        MaximumRetryAttempts, after which the batch is skipped (and logged)."""
        first = min(failed, key=int)
        self.retries[shard] = self.retries.get(shard, 0) + 1
        if self.retries[shard] > self.max_retries:
            _log(f"{self.spec.name}: stream records from {first} failed {self.max_retries} retries; skipped")
            self.retries[shard] = 0
            return records
        if error:
            _log(f"{self.spec.name} (stream batch): {error}")
        return [r for r in records if int(r["dynamodb"]["SequenceNumber"]) < int(first)]


def sqs_record(message: dict, queue_arn: str) -> dict:
    """A received SQS message as a record of the SQS event Lambda sends."""
    attributes = {
        k: str(v)
        for k, v in message.get("Attributes", {}).items()
        if k in ("ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp")
    }
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": attributes,
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value["DataType"],
            }
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


def stream_record(record: dict, stream_arn: str) -> dict:
    """A stream record as Lambda passes it (with its source)."""
    return {**record, "eventSourceARN": stream_arn, "awsRegion": REGION, "eventVersion": "1.1"}


class QueueDrainer:
    """One SQS event source: batches of messages in, successful ones deleted, failures left to come back
    after the queue's visibility timeout (or `retry_after_s` locally) and to reach its DLQ."""

    def __init__(
        self, spec: FunctionSpec, props: dict, invoke: Invoke, session, urls: dict[str, str]
    ) -> None:
        self.spec, self.invoke = spec, invoke
        self.arn = props["Queue"]
        self.url = urls[self.arn]
        self.batch = min(10, int(props.get("BatchSize", 10)))
        self.client = session.client("sqs")

    def step(self) -> int:
        messages = self.client.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=self.batch,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not messages:
            return 0
        ok, result = self.invoke(self.spec, {"Records": [sqs_record(m, self.arn) for m in messages]})
        if not ok:
            _log(f"{self.spec.name} (queue batch of {len(messages)}): {result}")
            return len(messages)  # all come back after the visibility timeout
        failed = set(failed_ids(result) or ())
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            entries = [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                for i, m in enumerate(done[start : start + 10])
            ]
            self.client.delete_message_batch(QueueUrl=self.url, Entries=entries)
        return len(messages)


def at_epoch(expression: str, zone: str | None) -> float | None:
    """The instant of a one-time `at(yyyy-mm-ddThh:mm:ss)` expression; None for rate/cron."""
    from zoneinfo import ZoneInfo

    if not expression.startswith("at(") or not expression.endswith(")"):
        return None
    local = datetime.fromisoformat(expression[3:-1])
    return local.replace(tzinfo=ZoneInfo(zone or "UTC")).timestamp()


class ScheduleFirer:
    """Delivers due one-time schedules to their target, as EventBridge Scheduler would."""

    def __init__(
        self,
        functions: dict[str, FunctionSpec],
        invoke: Invoke,
        session,
        urls: dict[str, str],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.functions, self.invoke, self.urls, self.clock = functions, invoke, urls, clock
        self.client = session.client("scheduler")
        self.sqs = session.client("sqs")
        self.known: dict[tuple[str, str], tuple[Any, dict]] = {}  # (group, name) -> (modified, details)

    def step(self) -> int:
        fired = 0
        seen = set()
        for page in self.client.get_paginator("list_schedules").paginate():
            for summary in page.get("Schedules", []):
                if summary.get("State") == "DISABLED":
                    continue
                key = (summary["GroupName"], summary["Name"])
                seen.add(key)
                details = self._details(key, summary.get("LastModificationDate"))
                due = at_epoch(details["ScheduleExpression"], details.get("ScheduleExpressionTimezone"))
                if due is not None and due <= self.clock():
                    self._fire(key, details)
                    fired += 1
        for key in set(self.known) - seen:
            del self.known[key]
        return fired

    def _details(self, key: tuple[str, str], modified) -> dict:
        cached = self.known.get(key)
        if cached is None or cached[0] != modified:
            details = self.client.get_schedule(GroupName=key[0], Name=key[1])
            self.known[key] = (modified, details)
        return self.known[key][1]

    def _fire(self, key: tuple[str, str], details: dict) -> None:
        target = details["Target"]
        payload = target.get("Input") or json.dumps({"id": str(uuid.uuid4()), "source": "aws.scheduler"})
        arn = target["Arn"]
        if arn in self.urls:
            self.sqs.send_message(QueueUrl=self.urls[arn], MessageBody=payload)
        else:
            function = next((f for f in self.functions.values() if arn.endswith(f":{f.function_name}")), None)
            if function is None:
                _log(f"schedule {key[1]}: no local target for {arn}")
            else:
                ok, result = self.invoke(function, json.loads(payload))
                if not ok:
                    _log(f"schedule {key[1]} -> {function.name}: {result}")
        if details.get("ActionAfterCompletion") == "DELETE":
            with contextlib.suppress(self.client.exceptions.ResourceNotFoundException):
                self.client.delete_schedule(GroupName=key[0], Name=key[1])
        else:
            self.client.update_schedule(
                **{
                    k: details[k]
                    for k in ("Name", "GroupName", "ScheduleExpression", "FlexibleTimeWindow", "Target")
                },
                State="DISABLED",
            )
        self.known.pop(key, None)


class EventLoop:
    """Every stream poller, queue drainer and the schedule firer of a template, as threads."""

    def __init__(
        self,
        template: Template,
        functions: dict[str, FunctionSpec],
        invoke: Invoke,
        session,
        urls: dict[str, str],
    ) -> None:
        self.pollers = [
            StreamPoller(functions[name], template.resolve(props), invoke, session)
            for name, props in template.event_sources("DynamoDB")
        ]
        self.drainers = [
            QueueDrainer(functions[name], template.resolve(props), invoke, session, urls)
            for name, props in template.event_sources("SQS")
        ]
        self.firer = ScheduleFirer(functions, invoke, session, urls)
        self._stop = threading.Event()
        self._loops: list[_Loop] = []
        self._stream_loops: list[_Loop] = []

    def start(self) -> None:
        self._stream_loops = [self._start(f"stream {p.spec.name}", p.step) for p in self.pollers]
        # Two pollers per queue, as Lambda runs several batches of a queue at once.
        for drainer in self.drainers:
            for n in (1, 2):
                self._start(f"queue {drainer.spec.name} #{n}", drainer.step)
        self._start("schedules", self.firer.step)

    def _start(self, name: str, step: Callable[[], int]) -> _Loop:
        loop = _Loop(name, step, self._stop, self.wake)
        loop.thread.start()
        self._loops.append(loop)
        return loop

    def wake(self) -> None:
        """A batch was handled: what it sent (messages, schedules) is every other loop's input."""
        for loop in self._loops:
            loop.wake.set()

    def wake_streams(self) -> None:
        """A request wrote: its records are on the streams. The queues and schedules are fed by the
        stream's functions, which wake them in turn; waking them here too would only add polls of
        moto to every request (a storm of bookings would then poll it more than it books)."""
        for loop in self._stream_loops:
            loop.wake.set()

    def stop(self) -> None:
        self._stop.set()
        self.wake()
        for loop in self._loops:
            loop.thread.join(5)
