"""Change events end to end on the local stack: the bookings stream -> events -> SNS -> SQS ->
emails in the outbox (through moto's SES) and webhooks delivered over HTTP to a receiver on loopback.

The stack runs with WEBHOOKS_ALLOW_PRIVATE=1 (the receiver is on 127.0.0.1) and a short retry
schedule, so a retried delivery takes a second rather than the deployed 10 s, 1 min...
"""

from __future__ import annotations

import email
import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import icalendar
import pytest
from helpers import ZONE_NAME, at, build_shop, created, future_weekday, instant

pytestmark = pytest.mark.xdist_group("e2e-long")  # its own worker: the suite's time on 2 cores

DEADLINE_S = 300  # generous: a loaded machine must pass
SENDER_DOMAIN = "mairie.example"


@pytest.fixture(scope="module")
def events_stack(start_stack) -> dict:
    running = start_stack(env={"WEBHOOKS_ALLOW_PRIVATE": "1", "WEBHOOK_RETRY_DELAYS": "1,1,1,1"})
    info = running.info
    # The operator verifies the tenants' sender domain in SES (moto's, here).
    ses = boto3.client(
        "sesv2",
        endpoint_url=info["moto_url"],
        region_name="eu-west-3",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    ses.create_email_identity(EmailIdentity=SENDER_DOMAIN)
    yield info
    running.stop()  # not left polling while the rest of the suite runs


@pytest.fixture
def events_api(events_stack):
    import httpx

    clients: list[httpx.Client] = []

    def client(key: str | None = None) -> httpx.Client:
        headers = {"X-Api-Key": key} if key else {}
        clients.append(httpx.Client(base_url=events_stack["api_url"], headers=headers, timeout=60))
        return clients[-1]

    yield client
    for c in clients:
        c.close()


@pytest.fixture
def events_tenant(events_stack):
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]

    def create() -> dict:
        cmd = [sys.executable, "-m", "creneau.cli", "tenant", "create", "--name", "Mairie de Test", "--json"]
        env = {**os.environ, **events_stack["env"]}
        done = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    return create


def shop_for(events_api, events_tenant, locale: str, calendars=("Guichet",), notify=True, **settings):
    tag = uuid.uuid4().hex[:8]
    shop = build_shop(
        events_api,
        events_tenant,
        services={"passeport": (30, 0, 0)},
        calendars=calendars,
        settings={
            "locale": locale,
            "email_from": f"rdv@{SENDER_DOMAIN}",
            "manage_url_template": "https://mairie.example/rdv?appointment={appointment_id}&token={manage_token}",
            **settings,
        },
    )
    for calendar in shop.calendars.values() if notify else ():
        reply = shop.admin.patch(
            f"/v1/calendars/{calendar['id']}", json={"notify_email": f"agent-{tag}@example.org"}
        )
        assert reply.status_code == 200, reply.text
    return shop, tag


# ---- reading the outbox -----------------------------------------------------------------------


def outbox(info: dict) -> list[email.message.EmailMessage]:
    folder = Path(info["outbox"])
    if not folder.exists():
        return []
    return [
        email.message_from_bytes(path.read_bytes(), policy=policy.default)
        for path in sorted(folder.glob("*.eml"))
    ]


def wait_for(condition, what: str, deadline_s: float = DEADLINE_S):
    deadline = time.monotonic() + deadline_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def mail_to(info: dict, address: str, count: int) -> list[email.message.EmailMessage]:
    """Wait until `address` has `count` emails; then exactly that many."""
    found = wait_for(
        lambda: (m := [x for x in outbox(info) if x["To"] == address]) and len(m) >= count and m, address
    )
    assert len(found) == count, [m["Subject"] for m in found]
    return found


def invitation(message) -> icalendar.Calendar:
    (part,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return icalendar.Calendar.from_ical(part.get_content())


def text(message) -> str:
    return message.get_body(("plain",)).get_content()


# ---- emails -----------------------------------------------------------------------------------

GREETING = {"fr": "Bonjour", "en": "Hello"}


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_book_confirm_reschedule_cancel_send_one_email_per_change_per_recipient(
    events_stack, events_api, events_tenant, locale
):
    shop, tag = shop_for(events_api, events_tenant, locale)
    customer, agent = f"camille-{tag}@example.com", f"agent-{tag}@example.org"
    day = future_weekday()
    body = {
        "service_id": shop.services["passeport"]["id"],
        "start": at(day, "10:00"),
        "customer": {"first_name": "Camille", "last_name": "Durand", "email": customer},
    }
    appointment = created(shop.agent.post("/v1/appointments", json=body))
    mail_to(events_stack, customer, 1)
    path = f"/v1/appointments/{appointment['id']}"
    assert shop.agent.post(f"{path}/status", json={"status": "CONFIRMED"}).status_code == 200
    mail_to(events_stack, customer, 2)
    moved = shop.agent.post(f"{path}/reschedule", json={"start": at(day, "14:30")})
    assert moved.status_code == 200, moved.text
    mail_to(events_stack, customer, 3)
    assert shop.agent.post(f"{path}/status", json={"status": "CANCELLED"}).status_code == 200

    for address in (customer, agent):
        messages = mail_to(events_stack, address, 4)
        calendars = [invitation(m) for m in messages]
        vevents = [c.walk("VEVENT")[0] for c in calendars]
        assert {str(v["UID"]) for v in vevents} == {f"{appointment['id']}@creneau"}
        sequences = [int(v["SEQUENCE"]) for v in vevents]
        assert all(a < b for a, b in zip(sequences, sequences[1:], strict=False)), sequences
        assert [str(c["METHOD"]) for c in calendars] == ["REQUEST", "REQUEST", "REQUEST", "CANCEL"]
        assert vevents[0].decoded("DTSTART") == instant(appointment["start"])
        assert vevents[2].decoded("DTSTART") == instant(moved.json()["start"])
        assert str(vevents[0]["ORGANIZER"]) == f"mailto:rdv@{SENDER_DOMAIN}"
        assert str(vevents[0]["ATTENDEE"]) == f"mailto:{customer}"
        for message in messages:
            assert message.get_body(("html",)) is not None
            assert f"({ZONE_NAME})" in text(message)  # local time, zone named
    customer_texts = [text(m) for m in mail_to(events_stack, customer, 4)]
    assert all(t.startswith(GREETING[locale]) for t in customer_texts)
    assert all("token=mt_" in t for t in customer_texts[:3]) and "token=" not in customer_texts[3]
    assert not any("token=" in text(m) for m in mail_to(events_stack, agent, 4))  # agents get no manage link

    # The link's token is the one the API checks: the customer can read the appointment with it.
    token = re.search(r"token=(mt_[A-Za-z0-9_-]+)", customer_texts[0]).group(1)
    assert shop.public.get(path, params={"manage_token": token}).status_code == 200
    assert shop.public.get(f"{path}/ics", params={"manage_token": token}).status_code == 200

    ics = shop.agent.get(f"{path}/ics")
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    served = icalendar.Calendar.from_ical(ics.text)
    assert str(served["METHOD"]) == "CANCEL"
    assert int(served.walk("VEVENT")[0]["SEQUENCE"]) == sequences[-1]


# ---- webhooks ---------------------------------------------------------------------------------


class Receiver(ThreadingHTTPServer):
    """A webhook endpoint on loopback: answers `script` statuses in turn, then 200."""

    daemon_threads = True

    def __init__(self, script: list[int]) -> None:
        super().__init__(("127.0.0.1", 0), _ReceiverHandler)
        self.script = list(script)
        self.requests: list[tuple[dict, bytes, int]] = []
        self.lock = threading.Lock()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/creneau"

    def accepted(self) -> list[dict]:
        with self.lock:
            return [json.loads(body) for _, body, status in self.requests if status == 200]


class _ReceiverHandler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with self.server.lock:
            status = self.server.script.pop(0) if self.server.script else 200
            self.server.requests.append((dict(self.headers), body, status))
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def valid_signature(secret: str, header: str, body: bytes) -> bool:
    """As an integrator checks it (docs/events.md): HMAC-SHA256 of "<t>.<body>" under the secret."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    expected = hmac.new(secret.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


@pytest.fixture
def receiver():
    servers: list[Receiver] = []

    def start(script: list[int]) -> Receiver:
        servers.append(Receiver(script))
        return servers[-1]

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_webhooks_are_signed_retried_after_failures_and_logged(
    events_stack, events_api, events_tenant, receiver
):
    shop, tag = shop_for(events_api, events_tenant, "en")
    endpoint = receiver([500, 500])
    hook = created(
        shop.admin.post("/v1/webhooks", json={"url": endpoint.url, "events": ["*"], "description": "crm"})
    )
    assert hook["secret"].startswith("whsec_")
    assert "secret" not in shop.admin.get("/v1/webhooks").json()["items"][0]
    day = future_weekday()
    body = {
        "service_id": shop.services["passeport"]["id"],
        "start": at(day, "11:00"),
        "customer": {"first_name": "Jo"},
    }
    appointment = created(shop.agent.post("/v1/appointments", json=body))
    first = wait_for(lambda: endpoint.accepted(), "the first event to be accepted")
    path = f"/v1/appointments/{appointment['id']}"
    assert shop.agent.post(f"{path}/status", json={"status": "CONFIRMED"}).status_code == 200
    accepted = wait_for(lambda: a if len(a := endpoint.accepted()) >= 2 else None, "the second event")

    assert [e["type"] for e in accepted] == ["appointment.created", "appointment.status_changed"]
    assert first[0]["appointment"]["id"] == appointment["id"] and first[0]["previous"] is None
    assert (
        accepted[1]["previous"]["status"] == "PENDING" and accepted[1]["appointment"]["status"] == "CONFIRMED"
    )
    assert len({e["id"] for e in accepted}) == 2
    requests = endpoint.requests
    assert [status for _, _, status in requests] == [500, 500, 200, 200]
    for headers, raw, _ in requests:
        assert valid_signature(hook["secret"], headers["X-Creneau-Signature"], raw)
    assert [json.loads(raw)["id"] for _, raw, _ in requests[:3]] == [accepted[0]["id"]] * 3

    log = shop.admin.get(f"/v1/webhooks/{hook['id']}/deliveries").json()["items"]
    created_log = sorted((d for d in log if d["event_id"] == accepted[0]["id"]), key=lambda d: d["attempt"])
    assert [(d["attempt"], d["status_code"], d["ok"]) for d in created_log] == [
        (1, 500, False),
        (2, 500, False),
        (3, 200, True),
    ]
    assert created_log[0]["next_attempt_at"] and created_log[2]["final"]
    assert shop.admin.delete(f"/v1/webhooks/{hook['id']}").status_code == 204


# ---- a storm ----------------------------------------------------------------------------------

STORM_CLIENTS = 25


def storm(base_url: str, key: str, bodies: list[dict]):
    """Every booking from its own client, STORM_CLIENTS at a time, the first ones released together.
    Long timeouts: the event loop shares the one-request-at-a-time moto server with the bookings."""
    import httpx

    gate = threading.Barrier(min(STORM_CLIENTS, len(bodies)) + 1, timeout=300)

    def send(index: int, body: dict):
        with httpx.Client(base_url=base_url, headers={"X-Api-Key": key}, timeout=600) as client:
            if index < STORM_CLIENTS:
                gate.wait()
            return client.post("/v1/appointments", json=body)

    with ThreadPoolExecutor(STORM_CLIENTS) as pool:
        futures = [pool.submit(send, i, body) for i, body in enumerate(bodies)]
        gate.wait()
        return [future.result() for future in futures]


def test_a_storm_of_100_bookings_makes_100_events_and_100_customer_emails(
    events_stack, events_api, events_tenant, receiver
):
    calendars = ("A", "B", "C", "D", "E")
    # No agent copies and no reminders: the storm is about creation events and invitations.
    shop, tag = shop_for(
        events_api, events_tenant, "fr", calendars=calendars, notify=False, reminder_minutes_before=[]
    )
    endpoint = receiver([])
    created(shop.admin.post("/v1/webhooks", json={"url": endpoint.url, "events": ["appointment.created"]}))
    service = shop.services["passeport"]["id"]
    starts = [
        at(future_weekday(skip=d), f"{h:02d}:{m:02d}")
        for d in range(2)
        for h in range(9, 18)
        for m in (0, 30)
    ]
    slots = [(calendar["id"], start) for calendar in shop.calendars.values() for start in starts][:100]
    assert len(slots) == 100
    bodies = [
        {
            "service_id": service,
            "calendar_id": calendar_id,
            "start": start,
            "customer": {"first_name": "N", "last_name": str(i), "email": f"storm-{tag}-{i}@example.com"},
        }
        for i, (calendar_id, start) in enumerate(slots)
    ]
    replies = storm(events_stack["api_url"], shop.keys["public"], bodies)
    assert [r.status_code for r in replies] == [201] * 100, [r.text for r in replies if r.status_code != 201]

    def customer_emails():
        return [m for m in outbox(events_stack) if m["To"].startswith(f"storm-{tag}-")]

    wait_for(lambda: len(customer_emails()) >= 100, "100 customer emails")
    wait_for(lambda: len(endpoint.accepted()) >= 100, "100 creation events")
    recipients = Counter(m["To"] for m in customer_emails())
    assert len(recipients) == 100 and set(recipients.values()) == {1}
    events = endpoint.accepted()
    assert len(events) == 100 and len({e["id"] for e in events}) == 100
    assert {e["type"] for e in events} == {"appointment.created"}
    assert {e["appointment"]["id"] for e in events} == {r.json()["id"] for r in replies}
