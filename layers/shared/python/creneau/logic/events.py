"""The events function's work: a stream record of the bookings table -> one change event -> SNS,
and the reminder schedules the change implies.

The outside services (the topic, EventBridge Scheduler) are passed in behind small interfaces, so
this is tested with fakes as well as with moto.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from creneau.dal.settings import TenantSettings
from creneau.domain import events as domain

APPOINTMENT_PREFIX = "APPT#"


class Topic(Protocol):
    def publish(self, event: dict[str, Any]) -> None: ...


class Reminders(Protocol):
    def names(self, prefix: str) -> set[str]: ...

    def put(self, name: str, at_epoch: float, message: dict[str, Any]) -> None: ...

    def delete(self, name: str) -> None: ...


# ---- decoding a stream record ---------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    tenant_id: str
    previous: dict[str, Any] | None
    current: dict[str, Any]
    version: int


def _public(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if not k.startswith("_")}


def _image(image: dict[str, Any] | None) -> tuple[dict[str, Any], int] | None:
    """(the appointment document, its version) from a stream image in DynamoDB JSON."""
    if not image or "doc" not in image:
        return None
    return json.loads(image["doc"]["S"]), int(image["version"]["N"])


def change_of(record: dict[str, Any]) -> Change | None:
    """The appointment change a stream record carries; None for anything else (a removal, a claim
    that passed the filter). A record that cannot be read raises: it is reported as failed."""
    data = record["dynamodb"]
    keys = data["Keys"]
    if not keys["sk"]["S"].startswith(APPOINTMENT_PREFIX) or record.get("eventName") == "REMOVE":
        return None
    current = _image(data.get("NewImage"))
    if current is None:
        return None
    previous = _image(data.get("OldImage"))
    tenant_id = keys["pk"]["S"].removeprefix("T#")
    doc, version = current
    return Change(tenant_id, _public(previous[0]) if previous else None, _public(doc), version)


# ---- the change's consequences --------------------------------------------------------------------


def epoch_of(instant: str) -> float:
    return datetime.fromisoformat(instant.replace("Z", "+00:00")).timestamp()


def handle_change(
    change: Change,
    topic: Topic,
    reminders: Reminders,
    reminder_minutes: Callable[[str], list[int]],
    now: datetime,
) -> dict[str, Any] | None:
    """Publish the change's event and bring the appointment's reminder schedules in line with it.
    Safe to repeat: the event id is the same, and schedules are written by name."""
    event = domain.change_event(change.tenant_id, change.previous, change.current, change.version)
    if event is None:
        return None
    topic.publish(event)
    sync_reminders(event, reminders, reminder_minutes, now)
    return event


def sync_reminders(
    event: dict[str, Any], reminders: Reminders, reminder_minutes: Callable[[str], list[int]], now: datetime
) -> None:
    appointment = event["appointment"]
    kind = event["type"]
    if kind == domain.STATUS_CHANGED and appointment["status"] in domain.REMINDED:
        return  # a confirmation: the reminders set at booking still hold
    wanted: dict[str, tuple[int, float]] = {}
    if appointment["status"] in domain.REMINDED:
        minutes = reminder_minutes(event["tenant_id"])
        wanted = domain.reminders_due(appointment, minutes, now.timestamp(), epoch_of(appointment["start"]))
    # A new appointment has no schedules yet: no need to list them.
    existing = set() if kind == domain.CREATED else reminders.names(f"rem-{appointment['id']}-")
    for name in existing - set(wanted):
        reminders.delete(name)
    for name, (minutes, at) in wanted.items():
        reminders.put(name, at, _reminder_message(event, minutes))


def _reminder_message(event: dict[str, Any], minutes: int) -> dict[str, Any]:
    appointment = event["appointment"]
    return {
        "id": domain.reminder_id(appointment["id"], minutes, event["version"]),
        "type": domain.REMINDER,
        "tenant_id": event["tenant_id"],
        "appointment_id": appointment["id"],
        "minutes_before": minutes,
        "start": appointment["start"],
    }


# ---- AWS implementations --------------------------------------------------------------------------


class SnsTopic:
    def __init__(self, client, topic_arn: str) -> None:
        self.client, self.topic_arn = client, topic_arn

    def publish(self, event: dict[str, Any]) -> None:
        self.client.publish(
            TopicArn=self.topic_arn,
            Message=json.dumps(event, separators=(",", ":"), ensure_ascii=False),
            MessageAttributes={
                "type": {"DataType": "String", "StringValue": event["type"]},
                "tenant_id": {"DataType": "String", "StringValue": event["tenant_id"]},
            },
        )


class SchedulerReminders:
    """One-time EventBridge Scheduler schedules that send the reminder message to the notifier's queue."""

    def __init__(self, client, group: str, target_arn: str, role_arn: str) -> None:
        self.client, self.group, self.target_arn, self.role_arn = client, group, target_arn, role_arn

    def names(self, prefix: str) -> set[str]:
        found: set[str] = set()
        for page in self.client.get_paginator("list_schedules").paginate(
            GroupName=self.group, NamePrefix=prefix
        ):
            found |= {s["Name"] for s in page.get("Schedules", []) if s["Name"].startswith(prefix)}
        return found

    def put(self, name: str, at_epoch: float, message: dict[str, Any]) -> None:
        at = datetime.fromtimestamp(at_epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        params = {
            "Name": name,
            "GroupName": self.group,
            "ScheduleExpression": f"at({at})",
            "ScheduleExpressionTimezone": "UTC",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": {"Arn": self.target_arn, "RoleArn": self.role_arn, "Input": json.dumps(message)},
            "ActionAfterCompletion": "DELETE",
        }
        try:
            self.client.create_schedule(**params)
        except self.client.exceptions.ConflictException:
            self.client.update_schedule(**params)  # moved: the same name, a new time and message

    def delete(self, name: str) -> None:
        # Already fired (and deleted) or never made: the goal is reached either way.
        with contextlib.suppress(self.client.exceptions.ResourceNotFoundException):
            self.client.delete_schedule(Name=name, GroupName=self.group)


def settings_reminders(read_settings: Callable[[str], TenantSettings]) -> Callable[[str], list[int]]:
    """reminder_minutes_before per tenant, read once per tenant per batch."""
    cache: dict[str, list[int]] = {}

    def minutes(tenant_id: str) -> list[int]:
        if tenant_id not in cache:
            cache[tenant_id] = list(read_settings(tenant_id).reminder_minutes_before)
        return cache[tenant_id]

    return minutes
