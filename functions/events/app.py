"""The bookings table's stream -> one change event per committed appointment change -> the SNS
topic, and the reminder schedules each change implies (docs/events.md)."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from creneau import config
from creneau.dal.store import DYNAMODB as STORE
from creneau.logic import events
from creneau.observability import instrumented, logger

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
settings = config.require(
    "events_topic_arn", "reminder_schedule_group", "reminder_target_arn", "reminder_role_arn"
)
topic = events.SnsTopic(boto3.client("sns"), settings.events_topic_arn)
reminders = events.SchedulerReminders(
    boto3.client("scheduler"),
    group=settings.reminder_schedule_group,
    target_arn=settings.reminder_target_arn,
    role_arn=settings.reminder_role_arn,
)


def record_handler(record: DynamoDBRecord, minutes) -> None:
    change = events.change_of(record.raw_event)
    if change is None:
        return
    event = events.handle_change(change, topic, reminders, minutes, datetime.now(UTC))
    if event:
        logger.info("published", extra={"event_id": event["id"], "type": event["type"]})


@instrumented()
def lambda_handler(event, context):
    minutes = events.settings_reminders(STORE.settings.get)  # settings read once per tenant per batch
    return process_partial_response(
        event=event,
        record_handler=lambda record: record_handler(record, minutes),
        processor=processor,
        context=context,
    )
