"""Change events in-process on moto: the bookings stream -> events -> SNS -> SQS -> notifications (SES)
and webhooks, driven by the local stack's own pollers, drainers and schedule firer (one step at a time).

Faults: a queue message delivered twice, SES refusing one message of a batch, a stream batch
replayed, a malformed message: nothing lost, nothing doubled, the poison message in the DLQ.
"""

from __future__ import annotations

import email
import json
import os
import threading
from datetime import UTC, datetime, timedelta
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import icalendar
import pytest

ROOT = Path(__file__).resolve().parents[2]
MONDAY = datetime.now(UTC).date() + timedelta(days=14 - datetime.now(UTC).weekday())  # a Monday, 1-2 weeks on


class Pipeline:
    """The template's messaging in moto and the local stack's event loop parts, stepped by hand."""

    def __init__(self, session, invoke_fn, env: dict[str, str]) -> None:
        import dataclasses

        from devstack.eventbus import QueueDrainer, ScheduleFirer, StreamPoller, create_messaging
        from devstack.template import Template

        self.template = Template(ROOT / "template.yaml")
        self.urls = create_messaging(self.template, session)
        self.functions = {
            name: dataclasses.replace(spec, env={**spec.env, **env})
            for name, spec in self.template.functions().items()
        }
        self.invocations: list[tuple[str, dict, object]] = []

        def recorded(spec, event):
            ok, result = invoke_fn(spec, event)
            self.invocations.append((spec.name, event, result))
            return ok, result

        self.invoke = recorded
        t = self.template
        self.pollers = [
            StreamPoller(self.functions[n], t.resolve(p), recorded, session)
            for n, p in t.event_sources("DynamoDB")
        ]
        self.drainers = {
            n: QueueDrainer(self.functions[n], t.resolve(p), recorded, session, self.urls)
            for n, p in t.event_sources("SQS")
        }
        self.clock_offset = 0.0
        self.firer = ScheduleFirer(self.functions, recorded, session, self.urls, clock=self._clock)
        self.sqs = session.client("sqs")
        self.scheduler = session.client("scheduler")

    def _clock(self) -> float:
        return datetime.now(UTC).timestamp() + self.clock_offset

    def url(self, logical_id: str) -> str:
        return self.template.bound[logical_id]

    def settle(self, rounds: int = 30) -> None:
        """Step every poller and drainer until a whole round finds nothing to do."""
        for _ in range(rounds):
            work = sum(p.step() for p in self.pollers) + sum(d.step() for d in self.drainers.values())
            if not work:
                return
        raise AssertionError("the event loop never went quiet")

    def stream_events(self) -> list[dict]:
        return [event for name, event, _ in self.invocations if name == "EventsFunction"]


@pytest.fixture
def pipeline(aws, monkeypatch):
    import boto3

    from devstack import lambda_runtime

    monkeypatch.setenv("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")
    env = {"MANAGE_TOKEN_SECRET": "test-secret", "WEBHOOKS_ALLOW_PRIVATE": "1", "WEBHOOK_RETRY_DELAYS": "0,0"}
    monkeypatch.setenv("MANAGE_TOKEN_SECRET", env["MANAGE_TOKEN_SECRET"])
    # The runtime gives each invocation its function's environment in this very process, as a
    # worker does; what the last one set must not reach the tests that run here next.
    before = dict(os.environ)
    yield Pipeline(boto3.DEFAULT_SESSION, lambda_runtime.invoke, env)
    os.environ.clear()
    os.environ.update(before)


def sent_emails() -> list[email.message.EmailMessage]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    raw = ses_backends[DEFAULT_ACCOUNT_ID]["eu-west-3"].sent_messages
    return [email.message_from_string(m.raw_data, policy=policy.default) for m in raw]


def emails_to(address: str) -> list[email.message.EmailMessage]:
    return [m for m in sent_emails() if m["To"] == address]


def invitation_of(message) -> icalendar.Calendar:
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    return icalendar.Calendar.from_ical(part.get_content())


def verify_sender(address_or_domain: str) -> None:
    import boto3

    boto3.DEFAULT_SESSION.client("sesv2").create_email_identity(EmailIdentity=address_or_domain)


@pytest.fixture
def shop(invoke, tenant):
    """A 30-minute service on a calendar open every day around the clock, with an agent address."""

    def admin(method, path, body):
        reply = invoke("catalog", method, path, path, body, key=tenant.admin)
        assert reply.status < 300, reply.text
        return reply.json()

    service = admin("POST", "/v1/services", {"name": "Coupe", "duration_minutes": 30})
    day = [{"start": "00:00", "end": "24:00"}]
    calendar = admin(
        "POST",
        "/v1/calendars",
        {
            "name": "Alice",
            "timezone": "Europe/Paris",
            "service_ids": [service["id"]],
            "weekly_hours": {d: day for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
            "min_notice_minutes": 0,
            "notify_email": "alice@salon.example",
        },
    )
    verify_sender("salon.example")
    admin(
        "PATCH",
        "/v1/settings",
        {
            "email_from": "rdv@salon.example",
            "manage_url_template": "https://salon.example/rdv?appointment={appointment_id}&token={manage_token}",
            "reminder_minutes_before": [60],
        },
    )
    return {"tenant": tenant, "service": service["id"], "calendar": calendar["id"], "admin": admin}


def book(invoke, shop, start: str, customer_email: str) -> dict:
    body = {
        "service_id": shop["service"],
        "calendar_id": shop["calendar"],
        "start": start,
        "customer": {"first_name": "Camille", "last_name": "Durand", "email": customer_email},
    }
    reply = invoke(
        "appointments", "POST", "/v1/appointments", "/v1/appointments", body, key=shop["tenant"].agent
    )
    assert reply.status == 201, reply.text
    return reply.json()


def act(invoke, shop, appointment_id: str, what: str, body: dict) -> dict:
    path = f"/v1/appointments/{appointment_id}/{what}"
    reply = invoke(
        "appointments", "POST", f"/v1/appointments/{{id}}/{what}", path, body, key=shop["tenant"].agent
    )
    assert reply.status == 200, reply.text
    return reply.json()


def at(hour: int, day_offset: int = 0) -> str:
    return f"{(MONDAY + timedelta(days=day_offset)).isoformat()}T{hour:02d}:00:00Z"


# ---- the whole chain ----------------------------------------------------------------------------


def test_each_change_sends_one_email_per_recipient_with_one_growing_invitation(pipeline, invoke, shop):
    appointment = book(invoke, shop, at(9), "camille@example.com")
    pipeline.settle()
    act(invoke, shop, appointment["id"], "status", {"status": "CONFIRMED"})
    pipeline.settle()
    act(invoke, shop, appointment["id"], "reschedule", {"start": at(10)})
    pipeline.settle()
    act(invoke, shop, appointment["id"], "status", {"status": "CANCELLED"})
    pipeline.settle()

    customer, agent = emails_to("camille@example.com"), emails_to("alice@salon.example")
    assert len(customer) == len(agent) == 4
    for messages in (customer, agent):
        invitations = [invitation_of(m) for m in messages]
        events = [c.walk("VEVENT")[0] for c in invitations]
        assert {str(e["UID"]) for e in events} == {f"{appointment['id']}@creneau"}
        sequences = [int(e["SEQUENCE"]) for e in events]
        assert sequences == sorted(set(sequences)), sequences
        assert [str(c["METHOD"]) for c in invitations] == ["REQUEST", "REQUEST", "REQUEST", "CANCEL"]
        assert events[2].decoded("DTSTART") == datetime.fromisoformat(at(10))
    assert "token=mt_" in customer[0].get_body(("plain",)).get_content()
    assert "token=" not in customer[3].get_body(("plain",)).get_content()  # no link to cancel a cancelled one
    assert all(m["From"].addresses[0].addr_spec == "rdv@salon.example" for m in customer)


def test_a_message_delivered_twice_sends_each_email_once(pipeline, invoke, shop):
    book(invoke, shop, at(9), "twice@example.com")
    pipeline.settle()
    (event,) = [e for e in pipeline.invocations if e[0] == "NotificationsFunction"][:1]
    assert len(emails_to("twice@example.com")) == 1
    ok, result = pipeline.invoke(pipeline.functions["NotificationsFunction"], event[1])  # redelivered
    assert ok and result == {"batchItemFailures": []}
    assert len(emails_to("twice@example.com")) == 1
    assert len(emails_to("alice@salon.example")) == 1


def test_ses_refusing_one_message_of_a_batch_delays_only_that_one(pipeline, invoke, shop, make_tenant):
    # Another tenant whose sender SES has not verified: SES refuses its emails, and only those.
    other = make_tenant(name="Autre salon")
    admin = lambda m, p, b: invoke("catalog", m, p, p, b, key=other.admin).json()  # noqa: E731
    service = admin("POST", "/v1/services", {"name": "Coupe", "duration_minutes": 30})
    day = [{"start": "00:00", "end": "24:00"}]
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    calendar = admin(
        "POST",
        "/v1/calendars",
        {
            "name": "Bob",
            "timezone": "UTC",
            "service_ids": [service["id"]],
            "weekly_hours": dict.fromkeys(days, day),
        },
    )
    admin("PATCH", "/v1/settings", {"email_from": "rdv@unverified.example"})
    refused_shop = {"tenant": other, "service": service["id"], "calendar": calendar["id"]}
    book(invoke, shop, at(9), "fine@example.com")
    book(invoke, refused_shop, at(9), "refused@example.com")
    for poller in pipeline.pollers:
        poller.step()
    drainer = pipeline.drainers["NotificationsFunction"]
    drainer.step()  # one batch with both messages
    (name, batch, result) = pipeline.invocations[-1]
    assert name == "NotificationsFunction" and len(batch["Records"]) == 2
    bodies = {r["messageId"]: json.loads(r["body"])["tenant_id"] for r in batch["Records"]}
    assert [bodies[f["itemIdentifier"]] for f in result["batchItemFailures"]] == [other.id]
    assert len(emails_to("fine@example.com")) == 1 and emails_to("refused@example.com") == []

    verify_sender("unverified.example")  # the operator fixes SES; the same batch comes again
    pipeline.invoke(pipeline.functions["NotificationsFunction"], batch)
    assert len(emails_to("fine@example.com")) == 1
    assert len(emails_to("refused@example.com")) == 1


def test_a_replayed_stream_batch_publishes_the_same_events_and_sends_nothing_twice(pipeline, invoke, shop):
    appointment = book(invoke, shop, at(9), "replay@example.com")
    act(invoke, shop, appointment["id"], "reschedule", {"start": at(11)})
    pipeline.settle()
    batches = pipeline.stream_events()
    assert batches
    before = len(sent_emails())
    for batch in batches:  # the stream hands the same records again (a retried invocation)
        ok, result = pipeline.invoke(pipeline.functions["EventsFunction"], batch)
        assert ok and result == {"batchItemFailures": []}
    pipeline.settle()
    assert len(sent_emails()) == before
    assert len(emails_to("replay@example.com")) == 2  # invitation and update, once each
    schedules = pipeline.scheduler.list_schedules()["Schedules"]
    assert [s["Name"] for s in schedules] == [f"rem-{appointment['id']}-60"]


def test_a_malformed_message_ends_in_the_dead_letter_queue_without_blocking_the_others(
    pipeline, invoke, shop
):
    queue = pipeline.url("NotificationsQueue")
    # Failures come back at once here rather than after the queue's visibility timeout.
    pipeline.sqs.set_queue_attributes(QueueUrl=queue, Attributes={"VisibilityTimeout": "0"})
    pipeline.sqs.send_message(QueueUrl=queue, MessageBody="{not json")
    pipeline.sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"type": "appointment.created"}))
    book(invoke, shop, at(9), "unblocked@example.com")
    for _ in range(12):
        pipeline.settle()
    assert len(emails_to("unblocked@example.com")) == 1
    dead = pipeline.sqs.receive_message(
        QueueUrl=pipeline.url("NotificationsDeadLetterQueue"), MaxNumberOfMessages=10
    )
    assert sorted(m["Body"] for m in dead["Messages"]) == sorted(
        ["{not json", json.dumps({"type": "appointment.created"})]
    )
    remaining = pipeline.sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)
    assert remaining.get("Messages", []) == []


# ---- reminders --------------------------------------------------------------------------------


def test_reminders_are_scheduled_moved_and_deleted_and_fire_once(pipeline, invoke, shop):
    appointment = book(invoke, shop, at(9), "reminded@example.com")
    pipeline.settle()
    name = f"rem-{appointment['id']}-60"
    schedule = pipeline.scheduler.get_schedule(Name=name, GroupName=pipeline.url("ReminderScheduleGroup"))
    assert schedule["ScheduleExpression"] == f"at({at(8)[:-1]})"
    assert schedule["ActionAfterCompletion"] == "DELETE"

    act(invoke, shop, appointment["id"], "reschedule", {"start": at(15)})
    pipeline.settle()
    moved = pipeline.scheduler.get_schedule(Name=name, GroupName=pipeline.url("ReminderScheduleGroup"))
    assert moved["ScheduleExpression"] == f"at({at(14)[:-1]})"

    pipeline.clock_offset = datetime.fromisoformat(at(14)).timestamp() - datetime.now(UTC).timestamp() + 1
    assert pipeline.firer.step() == 1
    pipeline.settle()
    reminders = [m for m in emails_to("reminded@example.com") if "Rappel" in m["Subject"]]
    assert len(reminders) == 1
    assert str(invitation_of(reminders[0]).walk("VEVENT")[0]["UID"]) == f"{appointment['id']}@creneau"
    assert not any("Rappel" in m["Subject"] for m in emails_to("alice@salon.example"))  # the customer's
    assert pipeline.scheduler.list_schedules()["Schedules"] == []  # fired, then deleted
    assert pipeline.firer.step() == 0


def test_a_cancelled_appointment_gets_no_reminder_even_from_a_stale_schedule(pipeline, invoke, shop):
    appointment = book(invoke, shop, at(9), "cancelled@example.com")
    pipeline.settle()
    group = pipeline.url("ReminderScheduleGroup")
    stale = pipeline.scheduler.get_schedule(Name=f"rem-{appointment['id']}-60", GroupName=group)
    act(invoke, shop, appointment["id"], "status", {"status": "CANCELLED"})
    pipeline.settle()
    assert pipeline.scheduler.list_schedules()["Schedules"] == []
    # Had the schedule fired anyway (a race with the cancellation), its message sends nothing.
    pipeline.sqs.send_message(
        QueueUrl=pipeline.url("NotificationsQueue"), MessageBody=stale["Target"]["Input"]
    )
    pipeline.settle()
    subjects = [m["Subject"] for m in emails_to("cancelled@example.com")]
    assert len(subjects) == 2 and not any("Rappel" in s for s in subjects)


# ---- webhooks ---------------------------------------------------------------------------------


@pytest.fixture
def webhooks_env(pipeline, monkeypatch):
    """The webhooks function's environment as the template gives it (its queue's URL)."""
    monkeypatch.setenv("WEBHOOKS_QUEUE_URL", pipeline.url("WebhooksQueue"))


def test_a_private_address_is_refused_at_registration_unless_the_flag_is_set(
    webhooks_env, invoke, tenant, monkeypatch
):
    def register(url: str):
        body = {"url": url, "events": ["*"]}
        return invoke("webhooks", "POST", "/v1/webhooks", "/v1/webhooks", body, key=tenant.admin)

    monkeypatch.delenv("WEBHOOKS_ALLOW_PRIVATE", raising=False)
    for url in (
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.1.2.3/hook",
        "https://169.254.169.254/latest",
        "https://[::1]/hook",
        "http://93.184.215.14/hook",  # public, but not https
    ):
        reply = register(url)
        assert reply.status == 422, (url, reply.text)
        assert reply.error["details"][0]["field"] == "url"
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE", "1")
    reply = register("http://127.0.0.1:9/hook")
    assert reply.status == 201, reply.text
    assert reply.json()["secret"].startswith("whsec_")
    listed = invoke("webhooks", "GET", "/v1/webhooks", "/v1/webhooks", key=tenant.admin).json()["items"]
    assert [w["url"] for w in listed] == ["http://127.0.0.1:9/hook"] and "secret" not in listed[0]


def test_an_unknown_event_type_is_refused(webhooks_env, invoke, tenant):
    body = {"url": "https://example.com/hook", "events": ["appointment.exploded"]}
    reply = invoke("webhooks", "POST", "/v1/webhooks", "/v1/webhooks", body, key=tenant.admin)
    assert reply.status == 422 and reply.error["details"][0]["field"] == "events"


class _Endpoint(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        status = self.server.status
        self.server.seen.append((self.headers["X-Creneau-Signature"], body, status))
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def endpoints():
    servers = []

    def start(status: int) -> ThreadingHTTPServer:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Endpoint)
        server.status, server.seen = status, []
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_a_failing_endpoint_is_retried_then_marked_failed_without_delaying_another(
    pipeline, webhooks_env, invoke, shop, endpoints, monkeypatch
):
    from creneau.logic.webhooks import verify

    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE", "1")
    good, bad = endpoints(200), endpoints(503)
    hooks = {}
    for name, server in (("good", good), ("bad", bad)):
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        body = {"url": url, "events": ["appointment.created"]}
        reply = invoke("webhooks", "POST", "/v1/webhooks", "/v1/webhooks", body, key=shop["tenant"].admin)
        assert reply.status == 201, reply.text
        hooks[name] = reply.json()
    appointment = book(invoke, shop, at(9), "hooked@example.com")
    pipeline.settle()
    redelivered = [e for e in pipeline.invocations if e[0] == "WebhooksFunction"][0][1]
    pipeline.invoke(pipeline.functions["WebhooksFunction"], redelivered)  # the event message again
    pipeline.settle()

    assert len(good.seen) == 1 and len(bad.seen) == 3  # the first try and WEBHOOK_RETRY_DELAYS' two retries
    for server, hook in ((good, hooks["good"]), (bad, hooks["bad"])):
        for signature, body, _ in server.seen:
            assert verify(hook["secret"], signature, body)
            assert json.loads(body)["appointment"]["id"] == appointment["id"]
    log = invoke(
        "webhooks",
        "GET",
        "/v1/webhooks/{id}/deliveries",
        f"/v1/webhooks/{hooks['bad']['id']}/deliveries",
        key=shop["tenant"].admin,
    ).json()["items"]
    assert sorted((d["attempt"], d["status_code"], d["ok"], d["final"]) for d in log) == [
        (1, 503, False, False),
        (2, 503, False, False),
        (3, 503, False, True),
    ]
