"""Change events and fired reminders from the notifications queue -> emails with an .ics (SES v2),
once per recipient (docs/events.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from creneau import config
from creneau.dal.store import DYNAMODB as STORE
from creneau.logic.once import Once
from creneau.notify.directory import TableDirectory
from creneau.notify.mail import SesMailer
from creneau.notify.notifier import MalformedMessage, Notifier
from creneau.observability import instrumented, logger
from creneau.security import manage_token

processor = BatchProcessor(event_type=EventType.SQS)
settings = config.require("default_email_from", "manage_token_secret")
once = Once()
notifier = Notifier(
    mailer=SesMailer(
        boto3.client("sesv2"),
        configuration_set=settings.ses_configuration_set,
        outbox=settings.outbox_dir,
    ),
    directory=TableDirectory(STORE),
    once=once,
    manage_token=manage_token,
    default_sender=settings.default_email_from,
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


@instrumented()
def lambda_handler(event, context):
    once.register(context)
    notifier.directory = TableDirectory(STORE)  # catalog reads shared by this batch only
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
