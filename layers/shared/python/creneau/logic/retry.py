"""Optimistic concurrency: re-read and try again while another writer keeps winning.

Each attempt re-reads its records, so it judges the request against the latest state, and each
failed attempt means another writer's transaction committed: the retries are bounded by the
number of concurrent writers, not by time. Jittered backoff spreads contending writers out.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator

from creneau.observability import CONTENTION_RETRIES, count

MAX_ATTEMPTS = 50
# Drawn from the OS at each call: under SnapStart, every environment resumed from one snapshot would share
# the random module's state, so contending writers would back off in step.
_JITTER = random.SystemRandom()


def attempts(max_attempts: int = MAX_ATTEMPTS, deadline_seconds: float | None = None) -> Iterator[int]:
    """Attempt numbers, with a jittered pause before each retry; `deadline_seconds` bounds waiting
    for something that is not contention (another request still running)."""
    started = time.monotonic()
    for attempt in range(max_attempts):
        if attempt:
            if deadline_seconds is not None and time.monotonic() - started > deadline_seconds:
                return
            count(CONTENTION_RETRIES)
            time.sleep(_JITTER.uniform(0, min(0.25, 0.01 * 2**attempt)))
        yield attempt
