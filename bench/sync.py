"""6. Calendar sync: one run for N changed appointments and M busy events, against the HTTPS fakes
of Google Calendar and Microsoft Graph (tests/fakes), per provider.

Measured: the time of the run (the scheduled handler, in this process, through devstack's Lambda
runtime), the provider requests it made (per appointment), and its DynamoDB requests. Then the same
run again with nothing changed: what a quiet five-minute tick costs.
"""

from __future__ import annotations

import dataclasses
import os
import ssl
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bench import setup
from bench.stack import CallRecorder, Stack

HOURS = setup.week(setup.WEEKDAYS, [("07:00", "21:00")])
SCHEDULE = {
    "version": "0",
    "id": "bench",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "detail": {},
}


def _sizes(quick: bool) -> tuple[int, int]:
    return (10, 20) if quick else (200, 500)


def run(stack: Stack, recorder: CallRecorder, quick: bool, emit) -> None:
    import boto3

    from devstack.kms import create_keys
    from tests.fakes.google import FakeGoogle
    from tests.fakes.microsoft import FakeMicrosoft
    from tests.fakes.tls import make_certificates

    create_keys(boto3.client("kms"), stack.template)
    appointments, busy = _sizes(quick)
    with tempfile.TemporaryDirectory() as directory:
        ca, cert, key = make_certificates(Path(directory))
        for fake_class, provider in ((FakeGoogle, "google"), (FakeMicrosoft, "outlook")):
            fake = fake_class(cert, key).start()
            try:
                env = {**fake.env(), "SSL_CERT_FILE": str(ca), "REQUESTS_CA_BUNDLE": str(ca)}
                spec = stack.functions["SyncFunction"]
                stack.functions["SyncFunction"] = dataclasses.replace(spec, env={**spec.env, **env})
                os.environ.update(env)  # the bench's own TLS client (the consent)
                _measure(stack, recorder, fake, provider, str(ca), appointments, busy, emit)
            finally:
                fake.stop()


def _measure(stack, recorder, fake, provider, ca, appointments, busy, emit) -> None:
    import httpx

    calendar = {"name": "Agent", "weekly_hours": HOURS, "slot_step_minutes": 60, "horizon_days": 365}
    tenant = setup.make_tenant(stack, f"Sync bench {provider}", [calendar])
    calendar_id = tenant.calendars[0]["id"]
    options = {"add_attendees": True, "include_pending": True, "block_busy_times": True}
    path = f"/v1/calendars/{calendar_id}/connections"
    new = stack.call("POST", path, tenant.admin, expect=201, body={"provider": provider, "options": options})
    location = httpx.get(new.body["authorization_url"], verify=ssl.create_default_context(cafile=ca))
    query = {k: v[0] for k, v in parse_qs(urlsplit(location.headers["location"]).query).items()}
    answer = _raw(stack, *stack.event("GET", f"/v1/oauth/{provider}/callback", query=query))
    if answer["statusCode"] != 200:
        raise RuntimeError(f"{provider} consent failed: {answer['body']}")

    starts = list(setup.starts_on_grid(setup.tomorrow(), 365, HOURS, 60))
    setup.book_directly(tenant, calendar_id, starts[:appointments])
    for n in range(busy):  # one hour each, 20 minutes off the bookings' grid, over the next months
        start = starts[appointments + n] + timedelta(minutes=20)
        fake.add_event(start, start + timedelta(hours=1))

    for label in ("first run", "quiet run"):
        before = fake.count()
        with recorder.recording() as calls:
            started = time.monotonic()
            reply = _raw(stack, "SyncFunction", SCHEDULE)
            elapsed = time.monotonic() - started
        requests = fake.count() - before
        per = f", {requests / appointments:.2f} per appointment" if label == "first run" else ""
        emit(
            f"sync {provider} {label}, {appointments} changed appointments + {busy} busy events: "
            f"{elapsed:.2f} s, {requests} provider requests{per}, {len(calls)} DynamoDB requests "
            f"(handler answered {reply})"
        )
    mine = len(fake.ours())
    if mine != appointments:
        raise RuntimeError(f"{provider}: {mine} events for {appointments} appointments")
    connection = stack.call("GET", path, tenant.admin, expect=200).body["items"][0]
    stack.call("DELETE", f"{path}/{connection['id']}", tenant.admin, expect=204)  # out of the next runs


def _raw(stack: Stack, function: str, event: dict):
    from devstack.lambda_runtime import invoke

    ok, result = invoke(stack.functions[function], event)
    if not ok:
        raise RuntimeError(result)
    return result
