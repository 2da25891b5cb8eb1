"""Change events and fired reminders from the notifications queue -> emails with an .ics (SES v2),
once per recipient (API.md, "Events")."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from creneau.logic.once import Once
from creneau.notify.directory import TableDirectory
from creneau.notify.mail import SesMailer
from creneau.notify.notifier import MalformedMessage, Notifier
from creneau.security import manage_token

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS)
once = Once()
notifier = Notifier(
    mailer=SesMailer(
        boto3.client("sesv2"),
        configuration_set=os.environ.get("SES_CONFIGURATION_SET") or None,
        outbox=os.environ.get("LOCAL_OUTBOX_DIR") or None,
    ),
    directory=TableDirectory(),
    once=once,
    manage_token=manage_token,
    default_sender=os.environ["DEFAULT_EMAIL_FROM"],
    now=lambda: datetime.now(UTC),
)


def record_handler(record: SQSRecord) -> None:
    try:
        message = json.loads(record.body)
    except ValueError as error:
        raise MalformedMessage("the message body is not JSON") from error
    sent = notifier.handle(message)
    logger.info(
        "handled", extra={"message_id": record.message_id, "event_id": message.get("id"), "sent": sent}
    )


@logger.inject_lambda_context
def lambda_handler(event, context):
    once.register(context)
    notifier.directory = TableDirectory()  # catalog reads shared by this batch only
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
