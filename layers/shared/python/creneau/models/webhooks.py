"""Shapes of webhooks and their deliveries (docs/events.md, "Webhooks")."""

from __future__ import annotations

from pydantic import Field

from creneau.models.common import Id, Model, Page, Strict


class WebhookIn(Strict):
    url: str = Field(min_length=1, max_length=2048, description="https, to a public address")
    events: list[str] = Field(min_length=1, description='event types, or ["*"] for every one')
    description: str = Field("", max_length=500)


class Webhook(Model):
    id: Id
    url: str
    events: list[str]
    description: str = ""
    created_at: str


class NewWebhook(Webhook):
    secret: str = Field(description="signs every delivery; shown once")


class WebhookPage(Page):
    items: list[Webhook]


class Delivery(Model):
    event_id: str
    type: str
    attempt: int = Field(description="counts from 1")
    status_code: int | None = Field(description="the endpoint's HTTP status; null when it did not answer")
    at: str
    ok: bool
    error: str | None = None
    next_attempt_at: str | None = Field(None, description="when the next retry is due, if any")
    final: bool = Field(False, description="no further attempt will be made")


class DeliveryPage(Page):
    items: list[Delivery]
