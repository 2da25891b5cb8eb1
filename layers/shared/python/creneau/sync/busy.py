"""Busy times from a provider -> external occupancy blocks (pure).

Overlapping busy events are merged first (fewer items, same blocked time), then cut into pieces no
longer than the slots query looks back (MAX_UNITS_PER_BOOKING units of the calendar), so a block
that began before a slots window is still seen.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from creneau.domain.units import MAX_UNITS_PER_BOOKING


def merged(intervals: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    out: list[tuple[datetime, datetime]] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def pieces(
    intervals: Iterable[tuple[datetime, datetime]],
    unit_minutes: int,
    window: tuple[datetime, datetime],
) -> list[tuple[datetime, datetime]]:
    """Merged intervals clipped to `window`, each cut into pieces of at most the look-back."""
    longest = timedelta(minutes=MAX_UNITS_PER_BOOKING * unit_minutes)
    out = []
    for start, end in merged(intervals):
        start, end = max(start, window[0]), min(end, window[1])
        while start < end:
            out.append((start, min(end, start + longest)))
            start = out[-1][1]
    return out
