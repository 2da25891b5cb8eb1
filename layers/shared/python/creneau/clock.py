"""Time is injected: domain code receives `now`, never reads it from a global."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    def __init__(self, at: datetime):
        self.at = at

    def now(self) -> datetime:
        return self.at


def epoch(at: datetime) -> int:
    return int(at.timestamp())


def epoch_after(at: datetime, seconds: int) -> int:
    """Whole epoch seconds no earlier than `at + seconds` (a hold lasts at least that long)."""
    return math.ceil(at.timestamp()) + seconds


def to_utc(at: datetime) -> datetime:
    return at.astimezone(UTC)


def iso(at: datetime) -> str:
    """RFC 3339 in UTC with Z, as every response gives instants."""
    return to_utc(at).strftime("%Y-%m-%dT%H:%M:%SZ")
