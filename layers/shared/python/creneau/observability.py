"""Logs, traces and counts, one Powertools instance of each per execution environment.

Every function logs JSON lines through `logger` (with the API Gateway request id as correlation id
on HTTP requests), traces through `tracer` (X-Ray; off locally: POWERTOOLS_TRACE_DISABLED) and counts
in EMF through `metrics`, flushed at the end of each invocation. The business counts are named here,
and emitted where the handlers meet the use cases (http.py, the appointments function, logic/retry.py).
"""

from __future__ import annotations

import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

NAMESPACE = "Creneau"
BOOKINGS = "BookingsMade"
REFUSALS = "Refusals"  # one dimension, `reason`: the 409's detail reason, else its error code
CONTENTION_RETRIES = "ContentionRetries"
LOCK_CONVERSIONS = "LockConversions"
IDEMPOTENT_REPLAYS = "IdempotentReplays"

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace=NAMESPACE)
# Most invocations count nothing (reads, most queue messages): that is no reason to warn.
warnings.filterwarnings("ignore", "No application metrics to publish")


def count(name: str, value: int = 1) -> None:
    # Disabled (the local stack) means not kept either: Powertools prints a metric's 100th value,
    # and every single_metric, whether metrics are disabled or not.
    if value and not is_metrics_disabled():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def booked(lock_converted: bool) -> None:
    count(BOOKINGS)
    if lock_converted:
        count(LOCK_CONVERSIONS)


def refused(code: str, details: list[dict]) -> None:
    """A 409: counted by reason, in its own EMF line (the reason is a dimension of this count only)."""
    if is_metrics_disabled():
        return
    reasons = {d["reason"] for d in details if isinstance(d, dict) and isinstance(d.get("reason"), str)}
    for reason in sorted(reasons) or [code]:
        with single_metric(name=REFUSALS, unit=MetricUnit.Count, value=1, namespace=NAMESPACE) as metric:
            metric.add_dimension(name="reason", value=reason)


def instrumented(correlation_id_path: str | None = None):
    """A function's Lambda entry point, observed: logs carry the invocation's context (and the
    correlation id found at `correlation_id_path`), a trace segment covers it (its answer is not
    recorded: it may hold personal data), and the counts are flushed as EMF when it returns."""

    def wrap(handler):
        handler = metrics.log_metrics(handler)
        handler = tracer.capture_lambda_handler(handler, capture_response=False)
        return logger.inject_lambda_context(handler, correlation_id_path=correlation_id_path)

    return wrap
