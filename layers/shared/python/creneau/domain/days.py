"""The local days a caller asks about (`from` and `to`, both included), checked in one place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from creneau.domain.availability import Interval
from creneau.errors import ValidationFailed

MAX_DAYS = 92  # a quarter: what one answer may cover (slots, group sessions)


@dataclass(frozen=True)
class LocalDays:
    first: date
    last: date

    def __post_init__(self) -> None:
        _check_order(self.first, self.last)
        if (self.last - self.first).days + 1 > MAX_DAYS:
            raise ValidationFailed.field("to", f"at most {MAX_DAYS} days at once")

    def window(self, zone: ZoneInfo) -> Interval:
        """From the first day's midnight to the midnight after the last, in `zone`: a day that
        changes the clock is 23 or 25 hours long."""
        return Interval(local_midnight(self.first, zone), local_midnight(self.last + timedelta(days=1), zone))


@dataclass(frozen=True)
class OpenDays:
    """Local days with either end left open: a listing that pages has no longest range."""

    first: date | None = None
    last: date | None = None

    def __post_init__(self) -> None:
        if self.first and self.last:
            _check_order(self.first, self.last)

    def bounds(self, zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
        """The first day's midnight and the midnight after the last, None for an open end."""
        start = local_midnight(self.first, zone) if self.first else None
        end = local_midnight(self.last + timedelta(days=1), zone) if self.last else None
        return start, end


def _check_order(first: date, last: date) -> None:
    if last < first:
        raise ValidationFailed.field("to", "must not be before from")


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)
