"""6. Change events on the local stack: events per second through stream -> events -> SNS -> SQS ->
notifications -> SES (an email in the outbox), and booking throughput with the stream and its readers
running vs a stack that runs none of them (`--no-events`), as a ratio in the same run.

Both stacks are real `python -m devstack` processes (gateway, worker pool, one-request-at-a-time moto),
started fresh so neither inherits the other's tables. The events figure is end to end: from the first
booking's request to the last invitation written in the outbox. The booking figure is the same
concurrent burst of bookings on both stacks; with events on, the loops poll the same single-threaded
moto server the bookings use, which is the whole of the stream's cost on the request path locally
(in AWS the stream costs the request path nothing).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 8
START_TIMEOUT_S = 180


@contextlib.contextmanager
def local_stack(*extra: str) -> Iterator[dict]:
    """A devstack subprocess without the demo tenant; yields its info once ready; stopped on exit."""
    with tempfile.TemporaryDirectory(prefix="creneau-bench-") as workdir:
        info_file = Path(workdir) / "info.json"
        log = (Path(workdir) / "devstack.log").open("wb")
        cmd = [
            sys.executable,
            "-m",
            "devstack",
            "--port",
            "0",
            "--no-seed",
            "--info-file",
            str(info_file),
            *extra,
        ]
        process = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while not info_file.exists():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"devstack did not start:\n{Path(log.name).read_text()[-3000:]}")
                time.sleep(0.1)
            yield json.loads(info_file.read_text())
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()


def _shop(info: dict) -> tuple[str, str, str]:
    """(agent key, service id, calendar id) of a fresh tenant open every day around the clock."""
    import httpx

    cmd = [sys.executable, "-m", "creneau.cli", "tenant", "create", "--name", "Bench", "--json"]
    done = subprocess.run(
        cmd, cwd=ROOT, env={**os.environ, **info["env"]}, capture_output=True, text=True, check=True
    )
    admin_key = json.loads(done.stdout)["admin_key"]
    with httpx.Client(base_url=info["api_url"], headers={"X-Api-Key": admin_key}, timeout=60) as admin:
        agent = admin.post("/v1/api-keys", json={"role": "agent", "name": "bench"}).json()["key"]
        service = admin.post("/v1/services", json={"name": "Cut", "duration_minutes": 30}).json()["id"]
        day = [{"start": "00:00", "end": "24:00"}]
        days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        calendar = admin.post(
            "/v1/calendars",
            json={
                "name": "Chair",
                "timezone": "UTC",
                "service_ids": [service],
                "weekly_hours": dict.fromkeys(days, day),
                "min_notice_minutes": 0,
                "horizon_days": 730,
            },
        ).json()["id"]
    return agent, service, calendar


def _burst(info: dict, count: int, tag: str) -> float:
    """Book `count` distinct half-hours from CLIENTS concurrent clients; returns the elapsed seconds."""
    import httpx

    agent, service, calendar = _shop(info)
    first = (datetime.now(UTC) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    clients = [
        httpx.Client(base_url=info["api_url"], headers={"X-Api-Key": agent}, timeout=120)
        for _ in range(CLIENTS)
    ]

    def book(i: int) -> int:
        body = {
            "service_id": service,
            "calendar_id": calendar,
            "start": (first + timedelta(minutes=30 * i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "customer": {"first_name": "B", "last_name": str(i), "email": f"{tag}-{i}@example.com"},
        }
        return clients[i % CLIENTS].post("/v1/appointments", json=body).status_code

    started = time.monotonic()
    with ThreadPoolExecutor(CLIENTS) as pool:
        statuses = list(pool.map(book, range(count)))
    elapsed = time.monotonic() - started
    for client in clients:
        client.close()
    if statuses != [201] * count:
        raise RuntimeError(f"bookings failed: {sorted(set(statuses))}")
    return elapsed


def _emails(outbox: Path) -> int:
    return len(list(outbox.glob("*.eml"))) if outbox.exists() else 0


def run(quick: bool, emit: Callable[[str], None]) -> None:
    count = 12 if quick else 80
    with local_stack("--no-events") as info:
        bare_s = _burst(info, count, "bare")
    with local_stack() as info:
        started = time.monotonic()
        with_s = _burst(info, count, "evt")
        outbox = Path(info["outbox"])
        deadline = time.monotonic() + 300
        while _emails(outbox) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        drained_s = time.monotonic() - started
        sent = _emails(outbox)
    bare_rate, with_rate = count / bare_s, count / with_s
    emit(
        f"events x{count} bookings, stream -> SNS -> SQS -> email on the local stack: {sent} emails, "
        f"{sent / drained_s:.1f} events/s end to end (first request to last email {drained_s:.1f} s)"
    )
    emit(
        f"booking x{count} from {CLIENTS} clients on the local stack: with the stream and its readers "
        f"{with_rate:.1f} bookings/s, without {bare_rate:.1f}/s, ratio {with_rate / bare_rate:.2f} "
        "(goal >= 0.9: nothing added to the request path)"
    )
