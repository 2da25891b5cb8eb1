"""Run the template's scheduled functions (Schedule / ScheduleV2 events) on a timer, in the pool.

rate(...) expressions keep their period; cron(...) and at(...) run every minute (no cron engine
locally: the point is that the job runs). `--schedule-every` overrides every period.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import uuid
from datetime import UTC, datetime

from devstack.lambda_runtime import ACCOUNT_ID, REGION, FunctionSpec
from devstack.pool import LambdaPool
from devstack.template import Schedule

_RATE = re.compile(r"rate\(\s*(\d+)\s+(minute|hour|day)s?\s*\)")
_UNIT_S = {"minute": 60, "hour": 3600, "day": 86400}


def period_s(expression: str) -> float:
    m = _RATE.fullmatch(expression.strip())
    return int(m.group(1)) * _UNIT_S[m.group(2)] if m else 60.0


def scheduled_event(schedule: Schedule) -> dict:
    if schedule.input is not None:
        return json.loads(schedule.input)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/creneau-{schedule.function}"],
        "detail": {},
    }


class Scheduler:
    def __init__(
        self,
        schedules: list[Schedule],
        functions: dict[str, FunctionSpec],
        pool: LambdaPool,
        every_s: float | None = None,
    ) -> None:
        self._jobs = [(s, every_s or period_s(s.expression)) for s in schedules]
        self._functions, self._pool = functions, pool
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for schedule, period in self._jobs:
            thread = threading.Thread(target=self._run, args=(schedule, period), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _run(self, schedule: Schedule, period: float) -> None:
        while not self._stop.wait(period):
            ok, result = self._pool.invoke(self._functions[schedule.function], scheduled_event(schedule))
            if not ok:
                print(f"[devstack] schedule {schedule.function}: {result}", file=sys.stderr)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(1)
