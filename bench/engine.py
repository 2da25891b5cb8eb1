"""4. The availability engine alone (pure, no I/O): cost per candidate slot, and compute_slots by days and
calendars.

Per candidate slot: one calendar open Monday to Friday 09:00-12:00 and 13:30-17:30 (Europe/Paris), 15-minute
steps, over 90 days (crossing the March DST change), with 0, 100, 1000 and 5000 busy intervals; a candidate
is a step-aligned wall start inside a range (whether or not the service fits or the time is free).

Calendars open Monday to Friday 09:00-12:00 and 13:30-17:30 and Saturday morning (Europe/Paris),
15-minute steps, five busy intervals a day each (varied per calendar), a 30-minute service with 10
minutes after. The window starts on a Monday in January 2027; the 90-day one crosses the March DST
change. Growth is linear when the cost per (day x calendar) stays roughly constant. Timed in CPU
time of this process: pure computation, and the machine may be shared.
"""

from __future__ import annotations

import gc
import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bench import timing

ZONE_NAME = "Europe/Paris"
FIRST_DAY = datetime(2027, 1, 4, tzinfo=ZoneInfo(ZONE_NAME))  # a Monday
BUSY_PER_DAY = 5
SUPERLINEAR = 1.5  # cost per day-calendar growing more than this with size is not linear
PER_CANDIDATE_DAYS = 90
BUSY_COUNTS = (0, 100, 1000, 5000)
PER_CANDIDATE_GOAL_US = 4.0  # with no busy time


def make_inputs(days: int, calendars: int):
    from creneau.domain.availability import CalendarAvailability, Interval, ServiceShape, WallRange

    day_hours = [WallRange(time(9), time(12)), WallRange(time(13, 30), time(17, 30))]
    weekly = {weekday: day_hours for weekday in range(5)} | {5: [WallRange(time(9), time(12))]}
    window = Interval(FIRST_DAY, FIRST_DAY + timedelta(days=days))
    result = []
    for number in range(calendars):
        draw = random.Random(number)
        busy = []
        for offset in range(days):
            day = FIRST_DAY + timedelta(days=offset)
            for minute in sorted(draw.sample(range(9 * 60, 17 * 60, 15), BUSY_PER_DAY)):
                start = day.replace(hour=minute // 60, minute=minute % 60)
                busy.append(Interval(start, start + timedelta(minutes=draw.choice((20, 30, 45, 60)))))
        result.append(
            CalendarAvailability(
                calendar_id=f"cal{number:03d}",
                timezone=ZONE_NAME,
                weekly_hours=weekly,
                busy=busy,
                slot_step_minutes=15,
                min_notice_minutes=60,
                horizon_days=365,
            )
        )
    service = ServiceShape(duration_minutes=30, buffer_after_minutes=10)
    now = (FIRST_DAY - timedelta(days=1)).astimezone(UTC)
    return result, service, window, now


def per_candidate_inputs(busy_count: int):
    """(compute_slots arguments, number of candidate slots) of the per-candidate measurement."""
    from creneau.domain.availability import CalendarAvailability, Interval, ServiceShape, WallRange

    day_hours = [WallRange(time(9), time(12)), WallRange(time(13, 30), time(17, 30))]
    weekly = {weekday: day_hours for weekday in range(5)}
    window = Interval(FIRST_DAY, FIRST_DAY + timedelta(days=PER_CANDIDATE_DAYS))
    draw = random.Random(busy_count)
    busy = []
    for _ in range(busy_count):  # anywhere in opening hours' span, any day (weekends too: they cost a sweep)
        day = FIRST_DAY + timedelta(days=draw.randrange(PER_CANDIDATE_DAYS))
        minute = draw.randrange(8 * 60, 18 * 60, 5)
        start = day.replace(hour=minute // 60, minute=minute % 60)
        busy.append(Interval(start, start + timedelta(minutes=draw.choice((10, 20, 30, 45, 60)))))
    step = 15
    calendar = CalendarAvailability(
        calendar_id="cal",
        timezone=ZONE_NAME,
        weekly_hours=weekly,
        busy=busy,
        slot_step_minutes=step,
        min_notice_minutes=0,
        horizon_days=365,
    )
    candidates = 0
    for offset in range(PER_CANDIDATE_DAYS):
        for wall_range in weekly.get((FIRST_DAY + timedelta(days=offset)).weekday(), ()):
            minutes = (wall_range.end.hour - wall_range.start.hour) * 60 + wall_range.end.minute
            candidates += -(-(minutes - wall_range.start.minute) // step)
    service = ServiceShape(duration_minutes=30, buffer_after_minutes=10)
    now = (FIRST_DAY - timedelta(days=1)).astimezone(UTC)
    return ([calendar], service, window, now), candidates


def run_per_candidate(quick: bool, print_line) -> None:
    from creneau.domain.availability import compute_slots

    counts = BUSY_COUNTS[:2] if quick else BUSY_COUNTS
    prepared = {count: per_candidate_inputs(count) for count in counts}
    sides = {count: (lambda inputs=inputs: compute_slots(*inputs)) for count, (inputs, _) in prepared.items()}
    samples = timing.interleaved(sides, 3 if quick else 15)
    figures = []
    for count, (_, candidates) in prepared.items():
        figures.append(f"{count} busy {samples[count].median_cpu * 1e6 / candidates:.2f}")
    candidates = prepared[0][1]
    print_line(
        f"engine per candidate slot, {PER_CANDIDATE_DAYS} days, Mon-Fri 2 ranges, {candidates} candidates: "
        f"CPU us {', '.join(figures)} (goal <= {PER_CANDIDATE_GOAL_US:g} with 0 busy)"
    )


def measure(cells: list[tuple[int, int]], repetitions: int) -> dict[tuple[int, int, bool], float]:
    """Median CPU seconds of one compute_slots call per (days, calendars, GC paused), every cell and
    mode taking turns in each repetition so that a drifting machine disturbs them all alike."""
    from creneau.domain.availability import compute_slots

    def call(inputs, gc_paused: bool) -> None:
        if gc_paused:
            gc.disable()
        try:
            compute_slots(*inputs)
        finally:
            gc.enable()

    sides = {}
    for days, calendars in cells:
        inputs = make_inputs(days, calendars)
        for paused in (False, True):
            sides[days, calendars, paused] = lambda inputs=inputs, paused=paused: call(inputs, paused)
    samples = timing.interleaved(sides, repetitions)
    return {key: value.median_cpu for key, value in samples.items()}


def run(quick: bool, print_line) -> None:
    if quick:
        day_counts, calendar_counts, repetitions = (7, 30), (1, 10), 2
    else:
        day_counts, calendar_counts, repetitions = (7, 30, 90), (1, 10, 50), 7
    run_per_candidate(quick, print_line)
    cells = [(d, c) for d in day_counts for c in calendar_counts]
    seconds = measure(cells, repetitions)
    per_unit = {(d, c): seconds[d, c, False] / (d * c) for d, c in cells}
    paused = {(d, c): seconds[d, c, True] / (d * c) for d, c in cells}
    print_line(
        f"engine compute_slots (pure, {BUSY_PER_DAY} busy intervals per calendar per day): "
        "CPU ms, and ms per (day x calendar) in brackets"
    )
    titles = [f"{c} calendar" + ("s" if c > 1 else "") for c in calendar_counts]
    print_line("  days " + "".join(f"{title:>22}" for title in titles))
    for days in day_counts:
        cells_text = [
            f"{seconds[days, c, False] * 1000:9.1f} [{per_unit[days, c] * 1000:.4f}]" for c in calendar_counts
        ]
        print_line(f"  {days:4d} " + "".join(f"{cell:>22}" for cell in cells_text))
    print_line(
        f"engine growth: {_growth(per_unit, day_counts, calendar_counts, 'days')}; "
        f"{_growth(per_unit, day_counts, calendar_counts, 'calendars')}"
    )
    # Python's cyclic GC runs during big calls and scans every live object: its share grows with the
    # heap, not with the engine's work. Measured without it, growth is the engine's own.
    print_line(
        f"engine growth with the cyclic GC paused: {_growth(paused, day_counts, calendar_counts, 'days')}; "
        f"{_growth(paused, day_counts, calendar_counts, 'calendars')}"
    )


def _growth(per_unit: dict, day_counts: tuple, calendar_counts: tuple, axis: str) -> str:
    """Cost per day-calendar at the largest size of `axis` over the next largest, for each size of the
    other axis (the smallest sizes carry fixed costs): about 1 is linear, below is better than linear."""
    if axis == "days":
        small, large = day_counts[-2:]
        factors = [per_unit[large, c] / per_unit[small, c] for c in calendar_counts]
    else:
        small, large = calendar_counts[-2:]
        factors = [per_unit[d, large] / per_unit[d, small] for d in day_counts]
    worst = max(factors)
    verdict = "linear" if worst <= SUPERLINEAR else "SUPERLINEAR"
    if verdict == "linear" and worst < 1 / SUPERLINEAR:
        verdict = "better than linear"
    shown = ", ".join(f"x{f:.2f}" for f in factors)
    return f"{verdict} in {axis} (cost per day-calendar {large} vs {small} {axis}: {shown})"
