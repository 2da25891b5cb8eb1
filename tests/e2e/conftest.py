"""Fixtures for end-to-end tests: the local stack (`python -m devstack`) run over HTTP."""

from __future__ import annotations

import functools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.e2e.tenants import create_tenant

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RunningStack:
    """A `python -m devstack` subprocess; `info` is its parsed info file once it is ready."""

    def __init__(self, workdir: Path, *extra: str, env: dict[str, str] | None = None) -> None:
        self.info_file = workdir / "info.json"
        self.log_file = workdir / "devstack.log"
        cmd = [sys.executable, "-m", "devstack", "--port", str(free_port()), "--moto-port", "0"]
        cmd += ["--info-file", str(self.info_file), *extra]
        with self.log_file.open("wb") as log:  # a file, not a pipe: a full pipe would block the stack
            self.process = subprocess.Popen(
                cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
            )
        self.info = self._wait_ready()

    def output(self) -> str:
        return self.log_file.read_text(errors="replace")

    def _wait_ready(self) -> dict:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.info_file.exists():
            if self.process.poll() is not None:
                pytest.fail(f"devstack exited with {self.process.returncode}:\n{self.output()}")
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"devstack not ready after {START_TIMEOUT_S} s:\n{self.output()}")
            time.sleep(0.1)
        return json.loads(self.info_file.read_text())

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


@pytest.fixture(scope="session")
def start_stack(tmp_path_factory):
    """Factory: start_stack(*extra_args, env=None) -> RunningStack (env: added to this process's
    environment for the stack); every stack started is stopped at the end."""
    started: list[RunningStack] = []

    def start(*extra: str, env: dict[str, str] | None = None) -> RunningStack:
        started.append(RunningStack(tmp_path_factory.mktemp("devstack"), *extra, env=env))
        return started[-1]

    yield start
    for running in started:
        running.stop()


@pytest.fixture(scope="session")
def stack(start_stack) -> dict:
    """The seeded stack's info: api_url, keys (admin, agent, public), tenant_id, moto_url, tables, env."""
    return start_stack().info


# Answered by API Gateway (or the local gateway) before any route: not a route's to document.
GATEWAY_STATUSES = {400, 413, 429, 502, 504}


@functools.cache
def documented_operations() -> list[tuple[re.Pattern, str, dict]]:
    """(path regex, path template, {method: documented statuses}) of openapi.json, literal paths first."""
    doc = json.loads((ROOT / "openapi.json").read_text())
    found = []
    for template, methods in doc["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")
        statuses = {method.upper(): set(spec["responses"]) for method, spec in methods.items()}
        found.append((pattern, template, statuses))
    return sorted(found, key=lambda entry: entry[1].count("{"))


def error_classes(status: int) -> list[str]:
    from creneau import errors

    classes = vars(errors).values()
    found = [c.__name__ for c in classes if isinstance(c, type) and getattr(c, "status", None) == status]
    return found or ["a CreneauError subclass with that status"]


def undocumented(responses: list[tuple[str, str, int]]) -> list[str]:
    """Each (method, path, status) a route answered that openapi.json does not list for it, saying
    exactly what to declare (gateway answers and paths without a route are not a route's)."""
    missing = set()
    for method, path, status in responses:
        for pattern, template, statuses in documented_operations():
            if pattern.match(path) and method in statuses:
                if str(status) not in statuses[method] and status not in GATEWAY_STATUSES:
                    missing.add(
                        f"{method} {template} answered {status}, which openapi.json does not list: add the "
                        f"error it raises ({' or '.join(error_classes(status))}) to errors=(...) of its "
                        f"route in functions/*/app.py, then `make openapi`"
                    )
                break
    return sorted(missing)


@pytest.fixture
def api(stack):
    """Factory: api(key=None, **httpx options) -> an httpx.Client on the stack's API URL.

    Every answer its clients receive is checked, after the test, against openapi.json: a status a
    route answers must be documented for that route."""
    clients: list[httpx.Client] = []
    responses: list[tuple[str, str, int]] = []

    def record(response: httpx.Response) -> None:
        responses.append((response.request.method, response.request.url.path, response.status_code))

    def client(key: str | None = None, **options) -> httpx.Client:
        headers = {"X-Api-Key": key} if key else {}
        hooks = options.pop("event_hooks", {})
        hooks = {**hooks, "response": [*hooks.get("response", []), record]}
        clients.append(
            httpx.Client(base_url=stack["api_url"], headers=headers, timeout=30, event_hooks=hooks, **options)
        )
        return clients[-1]

    yield client
    for c in clients:
        c.close()
    missing = undocumented(responses)
    assert not missing, "\n".join(missing)


@pytest.fixture
def new_tenant(stack):
    """Factory: new_tenant(name=None) -> {"tenant_id": ..., "admin_key": ...}, a fresh tenant in the stack."""

    def create(name: str | None = None) -> dict:
        return create_tenant(stack["env"], name or f"Test tenant {uuid.uuid4().hex[:8]}")

    return create
