"""Webhooks: registration routes (admin) and, from the webhooks queue, signed deliveries retried
with backoff (docs/events.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import boto3
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from creneau import config
from creneau.dal.webhook_repository import WebhookRepository
from creneau.errors import WebhookNotFound
from creneau.http import ADMIN, Api
from creneau.logic import webhooks
from creneau.logic.once import Once
from creneau.models.webhooks import DeliveryPage, NewWebhook, WebhookIn, WebhookPage
from creneau.observability import instrumented

api = Api()
processor = BatchProcessor(event_type=EventType.SQS)
once = Once()
sqs = boto3.client("sqs")
QUEUE_URL = config.require("webhooks_queue_url").webhooks_queue_url
WEBHOOKS = WebhookRepository()
Id = Annotated[str, Path()]


def _now() -> datetime:
    return datetime.now(UTC)


webhook_routes = api.resource("/v1/webhooks", ADMIN, ADMIN, missing=WebhookNotFound)


@webhook_routes.create("Register a webhook (its signing secret is shown once)")
def create_webhook(body: WebhookIn) -> NewWebhook:
    return webhooks.register(WEBHOOKS, api.tenant_id, body.url, body.events, body.description, _now())


@webhook_routes.collection("List the tenant's webhooks")
def list_webhooks() -> WebhookPage:
    return {"items": webhooks.list_all(WEBHOOKS, api.tenant_id), "next_cursor": None}


@webhook_routes.delete("Delete a webhook")
def delete_webhook(id: Id):
    webhooks.delete(WEBHOOKS, api.tenant_id, id)
    return api.no_content()


@webhook_routes.read("Recent delivery attempts of a webhook", part="deliveries")
def list_deliveries(
    id: Id, limit: Annotated[int, Query(ge=1, le=100)] = 50, cursor: Annotated[str | None, Query()] = None
) -> DeliveryPage:
    return webhooks.deliveries(WEBHOOKS, api.tenant_id, id, limit, cursor, _now())


def _later(message: dict, delay_seconds: int) -> None:
    sqs.send_message(QueueUrl=QUEUE_URL, MessageBody=json.dumps(message), DelaySeconds=max(0, delay_seconds))


deliverer = webhooks.Deliverer(WEBHOOKS, poster=webhooks.HttpPoster(), later=_later, once=once, now=_now)


def record_handler(record: SQSRecord) -> None:
    deliverer.handle(json.loads(record.body))


@instrumented(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event, context):
    if "Records" in event:  # from the queue
        once.register(context)
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    return api.handle(event, context)
