"""Pure availability engine: opening hours, exceptions and busy periods -> bookable slots.

No I/O and no clock: ``now`` is always a parameter.

Conventions
-----------
* Every :class:`Interval` is half-open ``[start, end)`` made of aware datetimes (any time zone); they are
  compared as instants. Intervals with ``end <= start`` are empty and ignored.
* Opening hours are wall-clock ranges of the calendar's IANA time zone. A local date's range becomes an
  interval of instants with :mod:`zoneinfo` (``datetime.combine(date, wall, tzinfo=zone)``), never by
  adding 24 h to an instant:

  - an ambiguous wall time (fall back) always resolves to its first occurrence (``fold=0``);
  - a range boundary inside a DST gap (spring forward) resolves to the first instant after the gap;
  - an end of ``time(0)`` means midnight at the start of the next local date (24:00).

* Candidate slot starts are wall-clock times: range start, +step, +2 step... while before the range end.
  Each is resolved with ``fold=0``; a candidate inside a DST gap does not exist and is skipped, never
  shifted.
* All returned datetimes are UTC (``tzinfo=timezone.utc``).

Cost is O(days x ranges + candidates + (busy + exceptions) log(busy + exceptions)) per calendar: busy periods
and exceptions are merged once, then swept with a moving index against the time-ordered candidates.

Speed: instants are integer microseconds since the epoch inside the engine. A local date whose UTC offset is
the same all around it (every date but those next to a DST change) is expanded with integer arithmetic: wall
time minus the offset, candidates as a ``range``. A date near an offset change goes through zoneinfo, wall
time by wall time, as described above. Datetimes are built only for the slots returned.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "CalendarAvailability",
    "Interval",
    "ServiceShape",
    "Slot",
    "WallRange",
    "compute_slots",
    "opening_intervals",
]

_ONE_DAY = timedelta(days=1)
_MIDNIGHT = time(0)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = _EPOCH.toordinal()
_MICROSECOND = timedelta(microseconds=1)
_DAY_US = 86_400_000_000
_HOUR_US = 3_600_000_000
# A date is expanded with one offset when the offset is the same at every sample from 27 h before its
# midnight to 27 h after its end (UTC offsets stay within 24 h). Samples 12 h apart see every change: tzdata
# has no two offset changes less than four days apart (the closest, 95 h, Africa/Freetown in 1939), so a
# change can't hide between two samples by being undone before the next one.
_SAMPLE_US = 12 * _HOUR_US
_MARGIN_US = 27 * _HOUR_US


@dataclass(frozen=True, slots=True)
class Interval:
    """Half-open interval ``[start, end)`` of aware datetimes (any time zone; compared as instants)."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class WallRange:
    """Opening hours in the calendar's local wall clock; ``end == time(0)`` means 24:00."""

    start: time
    end: time


@dataclass(frozen=True, slots=True)
class CalendarAvailability:
    calendar_id: str
    timezone: str  # IANA name
    weekly_hours: Mapping[int, Sequence[WallRange]]  # 0=Monday .. 6=Sunday; missing key = closed
    exceptions: Sequence[Interval] = ()  # closed periods (holidays, absences); they win over openings
    busy: Sequence[Interval] = ()  # appointments and live locks WITH their buffers, external busy blocks
    slot_step_minutes: int = 15
    min_notice_minutes: int = 60
    horizon_days: int = 60
    # One-off extra opening times (a Saturday morning), added to the weekly hours. Each is a range of its
    # own: candidates at its start + k * step (instants: no wall clock to resolve), the service inside it.
    openings: Sequence[Interval] = ()
    # Group sessions of the requested service already held on this calendar. Their spans are NOT in
    # `busy`: a session is busy for every other start, and joinable at its own start while seats last.
    sessions: Sequence[GroupSession] = ()


@dataclass(frozen=True, slots=True)
class GroupSession:
    start: datetime
    span: Interval  # the time it occupies, buffers included
    seats_left: int


@dataclass(frozen=True, slots=True)
class ServiceShape:
    duration_minutes: int
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    capacity: int = 1  # customers one slot holds (a group session when above 1)


@dataclass(frozen=True, slots=True)
class Slot:
    start: datetime  # UTC
    end: datetime  # start + duration (service time, no buffers), UTC
    calendar_ids: tuple[str, ...]  # sorted
    seats_left: int | None = None  # group services: the most seats one of `calendar_ids` has left


# --------------------------------------------------------------------------------------------------------
# Validation and normalisation helpers
# --------------------------------------------------------------------------------------------------------


def _require_aware(value: datetime, what: str) -> None:
    if not isinstance(value, datetime):
        raise ValueError(f"{what} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {value!r}")


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _plus(value: datetime, delta: timedelta) -> datetime:
    """``value + delta`` clamped to the representable range (huge horizons must not overflow)."""
    try:
        return value + delta
    except OverflowError:
        return datetime.max.replace(tzinfo=UTC) if delta > timedelta(0) else datetime.min.replace(tzinfo=UTC)


def _utc_instant(value: datetime, what: str) -> datetime:
    if value.tzinfo is UTC:  # fast path: the common case, and necessarily aware
        return value
    _require_aware(value, what)
    return value.astimezone(UTC)


def _micros(instant: datetime) -> int:
    """An aware datetime as integer microseconds since the epoch (exact: datetimes have microseconds)."""
    return (instant - _EPOCH) // _MICROSECOND


def _time_micros(value: time) -> int:
    return ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond


def _merged_utc(
    intervals: Iterable[Interval], what: str, low: datetime, high: datetime
) -> list[tuple[datetime, datetime]]:
    """Sort and merge the intervals meeting ``[low, high)`` into disjoint UTC pairs (empty ones are dropped).

    Merging does not change the covered set, so "intersects some interval" == "intersects the union".
    """
    pairs: list[tuple[datetime, datetime]] = []
    for interval in intervals:
        start, end = _utc_instant(interval.start, what), _utc_instant(interval.end, what)
        if start < end and end > low and start < high:
            pairs.append((start, end))
    pairs.sort()
    merged: list[tuple[datetime, datetime]] = []
    for start, end in pairs:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _naive_time(value: time) -> time:
    return value.replace(tzinfo=None, fold=0)


def _weekly_ranges(weekly_hours: Mapping[int, Sequence[WallRange]]) -> list[list[tuple[time, time]]]:
    """Weekday (0..6) -> sorted wall ranges. Unknown weekday keys are ignored."""
    table: list[list[tuple[time, time]]] = [[] for _ in range(7)]
    for weekday, ranges in weekly_hours.items():
        if isinstance(weekday, int) and 0 <= weekday <= 6:
            table[weekday] = sorted({(_naive_time(r.start), _naive_time(r.end)) for r in ranges})
    return table


@dataclass(frozen=True, slots=True)
class _Range:
    """One wall range on one local date, resolved to instants."""

    wall_start: datetime  # naive local wall clock
    wall_end: datetime  # naive local wall clock (next date 00:00 for a 24:00 end)
    start: datetime  # UTC
    end: datetime  # UTC


class _Zone:
    """Wall clock <-> instant conversions for one IANA zone, memoised for the duration of one call."""

    __slots__ = ("zone", "_existing", "_boundary", "_range_starts", "_samples", "_day_offsets")

    def __init__(self, name: str) -> None:
        self.zone = ZoneInfo(name)
        self._existing: dict[datetime, datetime | None] = {}
        self._boundary: dict[datetime, datetime] = {}
        self._range_starts: dict[tuple[datetime, datetime, timedelta, timedelta], tuple[datetime, ...]] = {}
        self._samples: dict[int, int] = {}
        self._day_offsets: dict[int, int | None] = {}

    def day_offset(self, ordinal: int) -> int | None:
        """The UTC offset (microseconds) of every wall time of the local date ``ordinal`` (00:00 to 24:00),
        or ``None`` when the offset changes near that date (or the date is at the edge of datetime's range).
        """
        try:
            return self._day_offsets[ordinal]
        except KeyError:
            pass
        midnight = (ordinal - _EPOCH_ORDINAL) * _DAY_US
        first = (midnight - _MARGIN_US) // _SAMPLE_US
        last = -(-(midnight + _DAY_US + _MARGIN_US) // _SAMPLE_US)
        try:
            offsets = {self._sample(index) for index in range(first, last + 1)}
        except OverflowError:
            offsets = set()
        result = self._day_offsets[ordinal] = offsets.pop() if len(offsets) == 1 else None
        return result

    def _sample(self, index: int) -> int:
        try:
            return self._samples[index]
        except KeyError:
            pass
        instant = _EPOCH + timedelta(microseconds=index * _SAMPLE_US)
        result = self._samples[index] = instant.astimezone(self.zone).utcoffset() // _MICROSECOND
        return result

    def existing(self, wall: datetime) -> datetime | None:
        """UTC instant of a naive wall time with ``fold=0``, or ``None`` when it falls in a DST gap."""
        try:
            return self._existing[wall]
        except KeyError:
            pass
        instant = wall.replace(tzinfo=self.zone, fold=0).astimezone(UTC)
        # A nonexistent wall time does not come back equal after a round trip through UTC.
        result = instant if instant.astimezone(self.zone).replace(tzinfo=None) == wall else None
        self._existing[wall] = result
        return result

    def boundary(self, wall: datetime) -> datetime:
        """UTC instant of a range boundary: ``fold=0``; inside a DST gap, the first instant after the gap."""
        instant = self.existing(wall)
        if instant is not None:
            return instant
        try:
            return self._boundary[wall]
        except KeyError:
            pass
        result = self._gap_end(wall)
        self._boundary[wall] = result
        return result

    def _gap_end(self, wall: datetime) -> datetime:
        # PEP 495: inside a gap, fold=0 uses the offset before the transition (instant after it) and
        # fold=1 the offset after it (instant before it). The transition instant -- whose wall time is the
        # end of the gap -- lies in (before, after]; find it by bisection on microseconds.
        after = wall.replace(tzinfo=self.zone, fold=0).astimezone(UTC)
        before = wall.replace(tzinfo=self.zone, fold=1).astimezone(UTC)
        if before >= after:  # defensive: not a gap after all
            return after
        offset_before = before.astimezone(self.zone).utcoffset()
        low, high = 0, (after - before) // timedelta(microseconds=1)
        while high - low > 1:
            middle = (low + high) // 2
            if (before + timedelta(microseconds=middle)).astimezone(self.zone).utcoffset() == offset_before:
                low = middle
            else:
                high = middle
        return before + timedelta(microseconds=high)

    def range_starts(self, opening: _Range, step: timedelta, duration: timedelta) -> tuple[datetime, ...]:
        """UTC starts of the step-aligned wall candidates of a range whose service fits inside the range.

        Memoised: calendars sharing a zone and opening hours resolve each wall time only once.
        """
        key = (opening.wall_start, opening.wall_end, step, duration)
        try:
            return self._range_starts[key]
        except KeyError:
            pass
        starts = []
        latest = opening.end - duration
        wall = opening.wall_start
        while wall < opening.wall_end:
            start = self.existing(wall)  # None: the wall time is in a DST gap, skip it (never shift)
            if start is not None and opening.start <= start <= latest:
                starts.append(start)
            wall += step
        result = self._range_starts[key] = tuple(starts)
        return result

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()


def _local_dates(zone: _Zone, first: datetime, last: datetime) -> Iterator[date]:
    """Every local date that can touch ``[first, last]``, plus one extra day each side."""
    day = zone.local_date(first) - _ONE_DAY
    stop = zone.local_date(last) + _ONE_DAY
    while day <= stop:
        yield day
        day += _ONE_DAY


def _day_ranges(zone: _Zone, ranges: list[tuple[time, time]], day: date) -> Iterator[_Range]:
    for start_time, end_time in ranges:
        wall_start = datetime.combine(day, start_time)
        end_day = day + _ONE_DAY if end_time == _MIDNIGHT else day
        wall_end = datetime.combine(end_day, end_time)
        if wall_start >= wall_end:
            continue  # malformed range (end before start): nothing is open
        start, end = zone.boundary(wall_start), zone.boundary(wall_end)
        if start < end:  # a range entirely inside a DST gap is empty
            yield _Range(wall_start, wall_end, start, end)


def _ranges(
    zone: _Zone, table: list[list[tuple[time, time]]], first: datetime, last: datetime
) -> Iterator[_Range]:
    for day in _local_dates(zone, first, last):
        yield from _day_ranges(zone, table[day.weekday()], day)


def opening_intervals(calendar: CalendarAvailability, window: Interval) -> list[Interval]:
    """The calendar's weekly opening hours and one-off openings as UTC instants, clipped to ``window``.

    One interval per wall range and local date, and per one-off opening (adjacent ranges are not merged;
    exceptions and busy periods are not applied), sorted by (start, end); empty intervals are dropped.
    """
    _require_aware(window.start, "window.start")
    _require_aware(window.end, "window.end")
    low, high = _to_utc(window.start), _to_utc(window.end)
    if low >= high:
        return []
    zone = _Zone(calendar.timezone)
    result = []
    for opening in _ranges(zone, _weekly_ranges(calendar.weekly_hours), low, high):
        start, end = max(opening.start, low), min(opening.end, high)
        if start < end:
            result.append(Interval(start, end))
    for opening in calendar.openings:
        start = max(_utc_instant(opening.start, "opening"), low)
        end = min(_utc_instant(opening.end, "opening"), high)
        if start < end:
            result.append(Interval(start, end))
    result.sort(key=lambda interval: (interval.start, interval.end))
    return result


def _calendar_slot_starts(
    calendar: CalendarAvailability,
    zone: _Zone,
    service: ServiceShape,
    window_start: datetime,
    window_end: datetime,
    now: datetime,
) -> list[int]:
    """Sorted UTC start instants (microseconds since the epoch) of the slots this calendar alone can take."""
    low = max(window_start, _plus(now, timedelta(minutes=calendar.min_notice_minutes)))
    high = min(window_end, _plus(now, timedelta(days=calendar.horizon_days)))
    duration = timedelta(minutes=service.duration_minutes)
    step = timedelta(minutes=calendar.slot_step_minutes)

    # Only the exceptions and busy periods that can meet a slot starting in [low, high) matter (all of them
    # are validated, though).
    before = timedelta(minutes=service.buffer_before_minutes)
    after = timedelta(minutes=service.buffer_after_minutes)
    last_end = _plus(high, duration)
    exceptions = _merged_utc(calendar.exceptions, "exception", low, last_end)
    busy = _merged_utc(
        calendar.busy,
        "busy",
        _plus(low, min(-before, timedelta(0))),
        _plus(last_end, max(after, timedelta(0))),
    )
    if low >= high:
        return []
    starts = _candidates(_weekly_ranges(calendar.weekly_hours), zone, duration, step, low, high)
    if calendar.openings:  # checked first: calendars without openings keep the fast path untouched
        starts = sorted({*starts, *_opening_starts(calendar.openings, duration, step, low, high)})
    if not starts or not (exceptions or busy):
        return starts
    return _sweep(
        starts,
        duration // _MICROSECOND,
        [(_micros(start), _micros(end)) for start, end in exceptions],
        before // _MICROSECOND,
        after // _MICROSECOND,
        [(_micros(start), _micros(end)) for start, end in busy],
    )


def _candidates(
    table: list[list[tuple[time, time]]],
    zone: _Zone,
    duration: timedelta,
    step: timedelta,
    low: datetime,
    high: datetime,
) -> list[int]:
    """Sorted distinct UTC starts (microseconds) in ``[low, high)`` of the step-aligned wall candidates of
    each range, fold=0, gaps skipped, whose service fits inside the range."""
    low_us, high_us = _micros(low), _micros(high)
    duration_us, step_us = duration // _MICROSECOND, step // _MICROSECOND
    table_us = [[(_time_micros(a), _time_micros(b) or _DAY_US) for a, b in ranges] for ranges in table]
    starts: list[int] = []
    for day in _local_dates(zone, low, high):
        weekday = day.weekday()
        if not table[weekday]:
            continue
        offset = zone.day_offset(day.toordinal())
        if offset is None:  # an offset change is near: resolve each wall time with zoneinfo
            starts.extend(_zone_day_starts(zone, table[weekday], day, duration, step, low, high))
            continue
        midnight = (day.toordinal() - _EPOCH_ORDINAL) * _DAY_US - offset  # the instant of local 00:00
        for start, end in table_us[weekday]:
            if start >= end:
                continue  # malformed range (end before start): nothing is open
            first = midnight + start
            latest = min(midnight + end - duration_us, high_us - 1)
            if first < low_us:
                first += -(-(low_us - first) // step_us) * step_us
            if first <= latest:
                starts.extend(range(first, latest + 1, step_us))
    return sorted(set(starts))  # overlapping ranges may yield the same candidate twice


def _opening_starts(
    openings: Iterable[Interval], duration: timedelta, step: timedelta, low: datetime, high: datetime
) -> Iterator[int]:
    """UTC starts (microseconds) in ``[low, high)`` of each one-off opening's candidates: its start, +step,
    +2 step... whose service ends within the opening."""
    low_us, high_us = _micros(low), _micros(high)
    duration_us, step_us = duration // _MICROSECOND, step // _MICROSECOND
    for opening in openings:
        first = _micros(_utc_instant(opening.start, "opening"))
        latest = min(_micros(_utc_instant(opening.end, "opening")) - duration_us, high_us - 1)
        if first < low_us:
            first += -(-(low_us - first) // step_us) * step_us
        if first <= latest:
            yield from range(first, latest + 1, step_us)


def _zone_day_starts(
    zone: _Zone,
    ranges: list[tuple[time, time]],
    day: date,
    duration: timedelta,
    step: timedelta,
    low: datetime,
    high: datetime,
) -> Iterator[int]:
    for opening in _day_ranges(zone, ranges, day):
        if opening.end > low and opening.start < high:
            for start in zone.range_starts(opening, step, duration):
                if low <= start < high:
                    yield _micros(start)


def _sweep(
    starts: list[int],
    duration: int,
    exceptions: list[tuple[int, int]],
    before: int,
    after: int,
    busy: list[tuple[int, int]],
) -> list[int]:
    """The time-ordered candidates whose service meets no exception and whose buffered span meets no busy
    period (all in microseconds; exceptions and busy periods merged, disjoint and sorted)."""
    exception_count, busy_count = len(exceptions), len(busy)
    kept: list[int] = []
    next_exception = next_busy = 0
    for start in starts:
        end = start + duration
        # Intervals ending at or before this query's start can't meet it nor any later (later-starting) one;
        # the first remaining one is the earliest-starting (merged intervals are disjoint and sorted).
        while next_exception < exception_count and exceptions[next_exception][1] <= start:
            next_exception += 1
        if next_exception < exception_count and exceptions[next_exception][0] < end:
            continue
        padded_start, padded_end = start - before, end + after
        while next_busy < busy_count and busy[next_busy][1] <= padded_start:
            next_busy += 1
        if next_busy < busy_count and busy[next_busy][0] < padded_end:
            continue
        kept.append(start)
    return kept


def compute_slots(
    calendars: Sequence[CalendarAvailability],
    service: ServiceShape,
    window: Interval,
    now: datetime,
    seats: int = 1,
) -> list[Slot]:
    """Bookable slots of ``service`` in ``window`` across ``calendars``, as seen at instant ``now``.

    A slot ``[s, s + duration)`` is kept for a calendar when it lies inside one opening range of that
    calendar, meets none of its exceptions, ``[s - buffer_before, end + buffer_after)`` meets none of its
    busy periods, ``now + min_notice <= s < now + horizon_days`` and ``window.start <= s < window.end``.
    Slots with the same (start, end) are merged and list every calendar able to take them (sorted ids).
    The result is sorted by (start, end), in UTC, and independent of the order of the inputs.

    A group service (``capacity`` above 1, or calendars holding ``sessions``) offers ``seats`` places:
    each slot says how many it has left; a session is joinable at its own start only.
    """
    if service.duration_minutes <= 0:
        raise ValueError(f"duration_minutes must be > 0, got {service.duration_minutes}")
    for calendar in calendars:
        if calendar.slot_step_minutes <= 0:
            raise ValueError(
                f"slot_step_minutes must be > 0, got {calendar.slot_step_minutes} "
                f"for calendar {calendar.calendar_id!r}"
            )
    _require_aware(window.start, "window.start")
    _require_aware(window.end, "window.end")
    _require_aware(now, "now")
    window_start, window_end, now_utc = _to_utc(window.start), _to_utc(window.end), _to_utc(now)

    zones: dict[str, _Zone] = {}
    for calendar in calendars:
        if calendar.timezone not in zones:
            zones[calendar.timezone] = _Zone(calendar.timezone)
    duration = timedelta(minutes=service.duration_minutes)
    if service.capacity > 1 or any(calendar.sessions for calendar in calendars):
        seated = [
            (
                calendar.calendar_id,
                _seated_starts(
                    calendar, zones[calendar.timezone], service, seats, window_start, window_end, now_utc
                ),
            )
            for calendar in calendars
        ]
        return _group_slots(seated, duration)
    per_calendar = [
        (
            calendar.calendar_id,
            _calendar_slot_starts(
                calendar, zones[calendar.timezone], service, window_start, window_end, now_utc
            ),
        )
        for calendar in calendars
    ]
    return _slots(per_calendar, duration)


def _seated_starts(
    calendar: CalendarAvailability,
    zone: _Zone,
    service: ServiceShape,
    seats: int,
    window_start: datetime,
    window_end: datetime,
    now: datetime,
) -> dict[int, int]:
    """Start (microseconds) -> seats left, for a group service: free time offers the whole capacity;
    a session offers what it has left at its own start (when that is still a slot with the other
    sessions as busy time), and is busy time for every other start. Fewer seats than asked: no slot."""
    spans = [session.span for session in calendar.sessions]
    free_time = replace(calendar, busy=[*calendar.busy, *spans], sessions=())
    found: dict[int, int] = {}
    if seats <= service.capacity:
        found = dict.fromkeys(
            _calendar_slot_starts(free_time, zone, service, window_start, window_end, now), service.capacity
        )
    for index, session in enumerate(calendar.sessions):
        start = _to_utc(session.start)
        if session.seats_left < seats or not window_start <= start < window_end:
            continue
        others = replace(calendar, busy=[*calendar.busy, *spans[:index], *spans[index + 1 :]], sessions=())
        just_then = _plus(start, timedelta(microseconds=1))
        if _calendar_slot_starts(others, zone, service, start, just_then, now):
            found[_micros(start)] = session.seats_left
    return found


def _group_slots(seated: list[tuple[str, dict[int, int]]], duration: timedelta) -> list[Slot]:
    takers: dict[int, dict[str, int]] = {}
    for calendar_id, starts in seated:
        for start, seats_left in starts.items():
            takers.setdefault(start, {})[calendar_id] = seats_left
    ordered = sorted(takers)
    return [
        Slot(start, start + duration, tuple(sorted(takers[micros])), max(takers[micros].values()))
        for micros, start in zip(ordered, _datetimes(ordered), strict=True)
    ]


def _slots(per_calendar: list[tuple[str, list[int]]], duration: timedelta) -> list[Slot]:
    """Merge the calendars' sorted starts into slots. Every slot has the same duration, so ordering by start
    is ordering by (start, end)."""
    if len(per_calendar) == 1:
        calendar_id, starts = per_calendar[0]
        ids = (calendar_id,)
        return [Slot(start, start + duration, ids) for start in _datetimes(starts)]
    takers: dict[int, set[str]] = {}
    for calendar_id, starts in per_calendar:
        for start in starts:
            takers.setdefault(start, set()).add(calendar_id)
    ordered = sorted(takers)
    return [
        Slot(start, start + duration, tuple(sorted(takers[micros])))
        for micros, start in zip(ordered, _datetimes(ordered), strict=True)
    ]


def _datetimes(instants: list[int]) -> Iterator[datetime]:
    """UTC datetimes of sorted microsecond instants. Consecutive instants a step apart (the common case)
    cost one addition each rather than a new timedelta."""
    previous_us = previous = None
    gap_us, gap = 0, timedelta(0)
    for micros in instants:
        if previous is None:
            current = _EPOCH + timedelta(microseconds=micros)
        else:
            if micros - previous_us != gap_us:
                gap_us = micros - previous_us
                gap = timedelta(microseconds=gap_us)
            current = previous + gap
        yield current
        previous_us, previous = micros, current
