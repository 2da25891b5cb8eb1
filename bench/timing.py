"""Medians of interleaved repetitions: A and B alternate, so drift hits both sides alike.

Each run is timed twice: wall time (what a caller waits, moto's work included) and this process's
CPU time (our Python and boto3's client side only: moto runs in another process). On a shared
machine, CPU time is far less disturbed by the neighbours.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Samples:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    @property
    def median_wall(self) -> float:
        return statistics.median(self.wall)

    @property
    def median_cpu(self) -> float:
        return statistics.median(self.cpu)


class Stopwatch:
    """`with Stopwatch() as watch: ...` then watch.wall and watch.cpu, in seconds."""

    def __enter__(self) -> Stopwatch:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu


def interleaved(
    sides: dict[str, Callable[[], object]], repetitions: int, warmup: int = 1
) -> dict[str, Samples]:
    """Each side's runs, alternating sides within every repetition (warm-up runs dropped)."""
    samples = {name: Samples() for name in sides}
    for round_index in range(warmup + repetitions):
        for name, run in sides.items():
            with Stopwatch() as watch:
                run()
            if round_index >= warmup:
                samples[name].wall.append(watch.wall)
                samples[name].cpu.append(watch.cpu)
    return samples


def median(values: list[float]) -> float:
    return statistics.median(values)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def ratio(value: float, baseline: float) -> str:
    return f"{value / baseline:.2f}" if baseline > 0 else "n/a"
