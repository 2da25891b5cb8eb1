"""Optimistic concurrency: re-read and try again while another writer keeps winning, for a while.

Each attempt re-reads its records, so it judges the request against the latest state; jittered
backoff spreads contending writers out. The deadline stays well inside the function's timeout.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator

DEADLINE_SECONDS = 8.0  # the functions time out at 10 s (template.yaml)
MAX_ATTEMPTS = 40


def attempts(deadline_seconds: float = DEADLINE_SECONDS, max_attempts: int = MAX_ATTEMPTS) -> Iterator[int]:
    started = time.monotonic()
    for attempt in range(max_attempts):
        if attempt:
            if time.monotonic() - started > deadline_seconds:
                return
            time.sleep(random.uniform(0, min(0.25, 0.01 * 2**attempt)))
        yield attempt
