"""What the handlers tell operators: JSON log lines carrying the API Gateway request id, and EMF counts
of bookings, refusals by reason, lock conversions, idempotent replays and contention retries. These
are the real lines Powertools prints (to stdout, as Lambda ships them to CloudWatch)."""

from __future__ import annotations

import io
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from creneau import observability
from creneau.clock import FixedClock

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2031, 6, 2, 8, 0, tzinfo=UTC)  # a Monday; every handler below reads this clock


def sample(name: str) -> dict:
    return json.loads((ROOT / "events" / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture
def log_lines():
    """The JSON lines the functions' logger writes during the test."""
    handler = observability.logger.registered_handler
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    handler.setStream(previous)


def emf_counts(stdout: str) -> Counter:
    """(metric, reason or None) -> total, from the EMF documents printed on stdout."""
    counts: Counter = Counter()
    for line in stdout.splitlines():
        if not line.startswith("{") or '"_aws"' not in line:
            continue
        document = json.loads(line)
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "Creneau"
        for metric in directive["Metrics"]:
            values = document[metric["Name"]]
            total = sum(values) if isinstance(values, list) else values
            counts[metric["Name"], document.get("reason")] += int(total)
    return counts


@pytest.fixture
def shop(invoke, tenant, handler_clock):
    """A 30-minute service on a calendar open around the clock, every handler at NOW."""
    handler_clock(FixedClock(NOW), "slots", "locks", "appointments")

    def admin(path: str, body: dict) -> dict:
        reply = invoke("catalog", "POST", path, path, body, key=tenant.admin)
        assert reply.status == 201, reply.text
        return reply.json()

    service = admin("/v1/services", {"name": "Coupe", "duration_minutes": 30})
    day = [{"start": "00:00", "end": "24:00"}]
    admin(
        "/v1/calendars",
        {
            "name": "Alice",
            "timezone": "UTC",
            "service_ids": [service["id"]],
            "weekly_hours": {d: day for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
            "min_notice_minutes": 0,
        },
    )
    return {"service": service["id"], "tenant": tenant}


def at(hours: int) -> str:
    return (NOW + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def book(invoke, shop, start: str, headers: dict | None = None, **extra):
    body = {"service_id": shop["service"], "start": start, "customer": {"first_name": "Ada"}, **extra}
    path = "/v1/appointments"
    return invoke("appointments", "POST", path, path, body, key=shop["tenant"].agent, headers=headers)


def test_a_handlers_log_line_carries_the_api_gateway_request_id(call_function, log_lines):
    answer = call_function("slots", sample("slots"))  # its key belongs to no tenant: 401
    assert answer["statusCode"] == 401
    (line,) = [line for line in log_lines() if line["message"] == "answered"]
    assert line["correlation_id"] == sample("slots")["requestContext"]["requestId"] == "sample-SlotsFunction"
    assert (line["route"], line["status"], line["level"]) == ("GET /v1/slots", 401, "INFO")
    assert line["function_name"] == "creneau-SlotsFunction" and line["cold_start"] in (True, False)


def test_every_http_function_logs_with_the_request_id(call_function, log_lines, monkeypatch):
    monkeypatch.setenv("WEBHOOKS_QUEUE_URL", "https://sqs.eu-west-3.amazonaws.com/123456789012/hooks")
    for name in ("catalog", "slots", "locks", "appointments", "users", "webhooks", "sync"):
        event = sample(name)
        call_function(name, event)
        found = [line for line in log_lines() if line.get("route") == event["routeKey"]]
        assert found and found[-1]["correlation_id"] == event["requestContext"]["requestId"], name


def test_a_booking_emits_the_bookings_metric_in_emf(invoke, shop, capsys):
    capsys.readouterr()
    assert book(invoke, shop, at(2)).status == 201
    assert emf_counts(capsys.readouterr().out) == Counter({("BookingsMade", None): 1})


def test_a_refusal_is_counted_by_its_reason(invoke, shop, capsys):
    assert book(invoke, shop, at(3)).status == 201
    capsys.readouterr()
    refused = book(invoke, shop, at(3))
    assert refused.status == 409 and refused.error["details"][0]["reason"] == "taken"
    assert emf_counts(capsys.readouterr().out) == Counter({("Refusals", "taken"): 1})


def test_a_booking_of_a_lock_counts_a_lock_conversion(invoke, shop, capsys):
    body = {"service_id": shop["service"], "start": at(4)}
    held = invoke("locks", "POST", "/v1/locks", "/v1/locks", body, key=shop["tenant"].public)
    assert held.status == 201, held.text
    capsys.readouterr()
    assert book(invoke, shop, at(4), lock_code=held.json()["lock_code"]).status == 201
    counts = emf_counts(capsys.readouterr().out)
    assert counts == Counter({("BookingsMade", None): 1, ("LockConversions", None): 1})


def test_a_replayed_idempotent_booking_counts_a_replay_not_a_booking(invoke, shop, capsys):
    key = {"Idempotency-Key": "replay-me-0001"}
    first = book(invoke, shop, at(5), headers=key)
    capsys.readouterr()
    again = book(invoke, shop, at(5), headers=key)
    assert again.status == first.status == 201 and again.json()["id"] == first.json()["id"]
    assert emf_counts(capsys.readouterr().out) == Counter({("IdempotentReplays", None): 1})


def test_each_retry_after_contention_is_counted(capsys):
    from creneau.logic import retry

    capsys.readouterr()
    assert list(retry.attempts(max_attempts=3)) == [0, 1, 2]
    observability.metrics.flush_metrics()
    assert emf_counts(capsys.readouterr().out) == Counter({("ContentionRetries", None): 2})


def test_disabled_metrics_print_nothing_however_many_are_counted(monkeypatch, capsys):
    """The local stack disables metrics to keep its terminal readable: not even the line Powertools
    prints by itself at a metric's 100th value, or a refusal's own line, may reach it."""
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    capsys.readouterr()
    for _booking in range(250):
        observability.booked(lock_converted=True)
    observability.refused("slot-unavailable", [{"reason": "taken"}])
    observability.metrics.flush_metrics()
    assert capsys.readouterr().out == ""

    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    observability.booked(lock_converted=False)
    observability.metrics.flush_metrics()
    # Only this count: none of the disabled ones was kept for later.
    assert emf_counts(capsys.readouterr().out) == Counter({("BookingsMade", None): 1})
