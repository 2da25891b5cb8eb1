"""The bookings table's stream -> one change event per committed appointment change -> the SNS
topic, and the reminder schedules each change implies (API.md, "Events")."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from creneau.logic import events, tenants

logger = Logger()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
topic = events.SnsTopic(boto3.client("sns"), os.environ["EVENTS_TOPIC_ARN"])
reminders = events.SchedulerReminders(
    boto3.client("scheduler"),
    group=os.environ["REMINDER_SCHEDULE_GROUP"],
    target_arn=os.environ["REMINDER_TARGET_ARN"],
    role_arn=os.environ["REMINDER_ROLE_ARN"],
)


def record_handler(record: DynamoDBRecord, minutes) -> None:
    change = events.change_of(record.raw_event)
    if change is None:
        return
    event = events.handle_change(change, topic, reminders, minutes, datetime.now(UTC))
    if event:
        logger.info("published", extra={"event_id": event["id"], "type": event["type"]})


@logger.inject_lambda_context
def lambda_handler(event, context):
    minutes = events.settings_reminders(tenants.get_settings)  # settings read once per tenant per batch
    return process_partial_response(
        event=event,
        record_handler=lambda record: record_handler(record, minutes),
        processor=processor,
        context=context,
    )
