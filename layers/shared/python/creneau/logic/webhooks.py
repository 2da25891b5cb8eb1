"""Webhooks (docs/events.md, "Webhooks"): registrations with a secret shown once, signed deliveries retried
with backoff for about a day, and a deliveries log per webhook.

A delivery attempt is identified by (event, webhook, attempt number) and runs at most once
(`once`), so a redelivered queue message never calls an endpoint twice for the same attempt; a failed
attempt queues the next one (through `later`), so a failing endpoint delays only its own deliveries.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from creneau import config
from creneau.clock import epoch, iso
from creneau.dal.webhook_repository import DELIVERY_RETENTION_DAYS, WebhookRecord, WebhookRepository
from creneau.domain.events import TYPES
from creneau.errors import ValidationFailed
from creneau.netguard import AddressRefused, resolve_checked
from creneau.security import new_id

# docs/events.md: about 10 s, 1 min, 5 min, 30 min, 2 h, 6 h, 12 h after the first try (24 h in all).
DEFAULT_RETRY_DELAYS = (10, 60, 300, 1800, 7200, 21600, 43200)
TIMEOUT_SECONDS = 10.0
SIGNATURE_HEADER = "X-Creneau-Signature"


def retry_delays() -> tuple[int, ...]:
    """WEBHOOK_RETRY_DELAYS (seconds, comma-separated) shortens the schedule for local tests."""
    return config.settings().webhook_retry_delays or DEFAULT_RETRY_DELAYS


# ---- registration -----------------------------------------------------------------------------


def register(
    repository: WebhookRepository,
    tenant_id: str,
    url: str,
    events: list[str],
    description: str,
    now: datetime,
) -> dict:
    unknown = [e for e in events if e != "*" and e not in TYPES]
    if unknown:
        raise ValidationFailed.field(
            "events", f"unknown event type(s) {', '.join(unknown)}; known: {', '.join(TYPES)} or *"
        )
    try:
        resolve_checked(url)
    except AddressRefused as refused:
        raise ValidationFailed.field("url", str(refused)) from refused
    secret = "whsec_" + secrets.token_urlsafe(32)
    webhook = WebhookRecord(
        id=new_id(),
        url=url,
        events=sorted(set(events)),
        description=description,
        created_at=iso(now),
        secret=secret,  # needed to sign; never shown again
    )
    repository.registrations.create(tenant_id, webhook)
    return {**webhook.public(), "secret": secret}


def list_all(repository: WebhookRepository, tenant_id: str) -> list[dict]:
    return [webhook.public() for webhook in repository.registrations.list_all(tenant_id)]


def delete(repository: WebhookRepository, tenant_id: str, webhook_id: str) -> None:
    repository.registrations.delete(tenant_id, webhook_id)


def deliveries(
    repository: WebhookRepository,
    tenant_id: str,
    webhook_id: str,
    limit: int,
    cursor: str | None,
    now: datetime,
) -> dict:
    repository.registrations.get(tenant_id, webhook_id)  # 404 for an unknown (or another tenant's) webhook
    items, next_cursor = repository.deliveries_page(tenant_id, webhook_id, epoch(now), limit, cursor)
    return {"items": items, "next_cursor": next_cursor}


# ---- signing ----------------------------------------------------------------------------------


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes) -> bool:
    """What a receiver does (documented for integrators; the tests use it as a receiver would)."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
    except (ValueError, KeyError):
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), header)


# ---- delivering -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class Poster(Protocol):
    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Answer: ...


Later = Callable[[dict[str, Any], int], None]  # (message, delay seconds): queue a message for later
Once = Callable[[str, Callable[[], None]], None]


@dataclass
class Deliverer:
    webhooks: WebhookRepository
    poster: Poster
    later: Later
    once: Once
    now: Callable[[], datetime]

    def handle(self, message: dict[str, Any]) -> None:
        """An event from the topic (first attempts to every webhook that wants it), or a retry."""
        if "webhook_delivery" in message:
            self._retry(message)
        elif message.get("type") in TYPES and message.get("id") and message.get("tenant_id"):
            for webhook in self.webhooks.registrations.list_all(message["tenant_id"]):
                if webhook.wants(message["type"]):
                    self._attempt(message, webhook.id, 1)
        else:
            raise ValueError("the message is neither a change event nor a webhook retry")

    def _retry(self, message: dict[str, Any]) -> None:
        delivery, event = message["webhook_delivery"], message["event"]
        wait = int(delivery["not_before"] - self.now().timestamp())
        if wait > 0:  # SQS delays at most 15 min: longer waits hop through the queue
            self.later(message, min(wait, 900))
            return
        self._attempt(event, delivery["webhook_id"], int(delivery["attempt"]))

    def _attempt(self, event: dict[str, Any], webhook_id: str, attempt: int) -> None:
        self.once(f"{event['id']}|{webhook_id}|{attempt}", lambda: self._deliver(event, webhook_id, attempt))

    def _deliver(self, event: dict[str, Any], webhook_id: str, attempt: int) -> None:
        tenant_id = event["tenant_id"]
        webhook = self.webhooks.registrations.find(tenant_id, webhook_id)
        if webhook is None:
            return  # deleted meanwhile: nothing to deliver to
        body = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()
        now = self.now()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Creneau-Webhooks/1",
            SIGNATURE_HEADER: signature(webhook.secret, epoch(now), body),
            "X-Creneau-Event-Id": event["id"],
            "X-Creneau-Event-Type": event["type"],
            "X-Creneau-Delivery-Attempt": str(attempt),
        }
        answer = self.poster.post(webhook.url, body, headers)
        delays = retry_delays()
        retry_at = None
        if not answer.ok and attempt <= len(delays):
            retry_at = now.timestamp() + delays[attempt - 1]
        entry = {
            "event_id": event["id"],
            "type": event["type"],
            "attempt": attempt,
            "status_code": answer.status_code,
            "at": iso(now),
            "ok": answer.ok,
            "error": answer.error,
            "next_attempt_at": iso(datetime.fromtimestamp(retry_at, now.tzinfo)) if retry_at else None,
            "final": answer.ok or retry_at is None,
        }
        expires = epoch(now) + DELIVERY_RETENTION_DAYS * 86400
        self.webhooks.log_delivery(tenant_id, webhook_id, entry, expires)
        if retry_at is not None:
            retry = {
                "webhook_delivery": {
                    "webhook_id": webhook_id,
                    "attempt": attempt + 1,
                    "not_before": retry_at,
                },
                "event": event,
            }
            self.later(retry, min(delays[attempt - 1], 900))


class HttpPoster:
    """POST with httpx to the address that was checked; no redirects; 10 s timeout."""

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        import httpx  # only the webhooks function loads it

        from creneau.netguard import pinned

        try:
            address = resolve_checked(url)[0]
        except AddressRefused as refused:
            return Answer(None, str(refused))
        target, host, server_name = pinned(url, address)
        extensions = {"sni_hostname": server_name} if target.startswith("https") else {}
        # No proxy from the environment (it would defeat the address check); the CA bundle still
        # comes from SSL_CERT_FILE when set.
        verify = ssl.create_default_context(cafile=config.settings().ssl_cert_file)
        try:
            with httpx.Client(trust_env=False, verify=verify, timeout=TIMEOUT_SECONDS) as client:
                reply = client.request(
                    "POST",
                    target,
                    content=body,
                    headers={**headers, "Host": host},
                    follow_redirects=False,
                    extensions=extensions,
                )
        except httpx.TimeoutException:
            return Answer(None, f"no answer within {TIMEOUT_SECONDS:.0f} s")
        except httpx.HTTPError as error:
            return Answer(None, f"the request failed: {type(error).__name__}")
        return Answer(reply.status_code, None if reply.is_success else f"answered {reply.status_code}")
