"""`python -m bench [--quick] [--only SECTION ...]`: one plain-text line per measurement.

Sections, in output order: slots (GET /v1/slots vs its bare reads), booking (POST /v1/appointments vs
its bare DynamoDB work), lock (lock-then-book vs direct booking), cold-import (handler modules vs
boto3 + Powertools' event handler), first-answer (import + first request of each handler in a fresh
process against moto), engine (compute_slots alone, by days and calendars), moto-memory (the local
moto server's RSS after 10,000 and 50,000 requests of a mixed day), events (change events per
second end to end on the local stack, booking throughput with and without them),
sync (a calendar sync run against the provider fakes: time and requests per appointment).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import sys
import time

SECTIONS = (
    "slots",
    "booking",
    "lock",
    "cold-import",
    "first-answer",
    "engine",
    "moto-memory",
    "events",
    "sync",
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes and few repetitions (smoke test)")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, help="run only these sections")
    return parser.parse_args(argv)


def _print(text: str) -> None:
    print(text, flush=True)


def header(quick: bool) -> None:
    from importlib.metadata import version

    _print(
        f"creneau bench ({'quick' if quick else 'full'}): {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()} ({platform.python_implementation()}), {platform.machine()}"
    )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    _print(f"  load average {load} at start (a busy machine stretches every figure; CPU ones least)")
    libraries = ("boto3", "aws-lambda-powertools", "pydantic", "moto")
    versions = ", ".join(f"{name} {version(name)}" for name in libraries)
    _print(f"  {versions}; moto serves one request at a time")


@contextlib.contextmanager
def _stack():
    from bench.stack import CallRecorder, running_stack

    with running_stack() as stack:
        from creneau import config

        yield stack, CallRecorder(config.client())  # the handlers' client


class Sections:
    """Times each section, for the footer (where a slow run spent its time)."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}

    @contextlib.contextmanager
    def timed(self, name: str):
        started = time.monotonic()
        try:
            yield
        finally:
            self.spent[name] = time.monotonic() - started

    def footer(self) -> str:
        parts = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in self.spent.items())
        return f"bench done in {sum(self.spent.values()):.0f} s ({parts})"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wanted = set(args.only or SECTIONS)
    sections = Sections()
    header(args.quick)

    # Each group on its own fresh moto server: moto's transactions slow down as tables grow.
    if "slots" in wanted:
        from bench import slots

        with sections.timed("slots"), _stack() as (stack, recorder):
            slots.run(stack, recorder, args.quick, _print)

    if wanted & {"booking", "lock"}:
        from bench import booking

        with _stack() as (stack, recorder):
            if "booking" in wanted:
                with sections.timed("booking"):
                    booking.run_throughput(stack, recorder, args.quick, _print)
            if "lock" in wanted:
                with sections.timed("lock-then-book"):
                    booking.run_lock_then_book(stack, recorder, args.quick, _print)

    if "cold-import" in wanted:
        from bench import cold_import

        with sections.timed("cold import"):
            cold_import.run(args.quick, _print)

    if "first-answer" in wanted:
        from bench import first_answer

        with sections.timed("first answer"):
            first_answer.run(args.quick, _print)

    if "engine" in wanted:
        from bench import engine

        with sections.timed("engine"):
            engine.run(args.quick, _print)

    if "moto-memory" in wanted:
        from bench import moto_memory

        with sections.timed("moto memory"):
            moto_memory.run(args.quick, _print)

    if "events" in wanted:
        from bench import events

        with sections.timed("events"):
            events.run(args.quick, _print)

    if "sync" in wanted:
        from bench import sync

        with sections.timed("sync"), _stack() as (stack, recorder):
            sync.run(stack, recorder, args.quick, _print)

    _print(sections.footer())
    return 0


if __name__ == "__main__":
    sys.exit(main())
