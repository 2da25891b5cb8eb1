"""Fuzzing the local stack from openapi.json (schemathesis): valid and invalid requests on every
operation, derandomized and bounded; no answer is a 5xx, and every error is in the error shape."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES_PER_OPERATION = 12  # with the coverage phase's boundary cases: ~60 s for 34 operations, idle

pytestmark = pytest.mark.xdist_group("e2e")

schema = schemathesis.openapi.from_path(ROOT / "openapi.json")
schema.config.phases.update(phases=["examples", "coverage", "fuzzing"])
schema.config.generation.update(modes=["positive", "negative"], max_examples=EXAMPLES_PER_OPERATION)

SEEN: dict[str, int] = {"requests": 0}


@pytest.fixture(scope="module")
def fuzz_key(stack) -> str:
    """The admin key of a tenant of its own: the fuzzer may change anything it can reach."""
    cmd = [sys.executable, "-m", "creneau.cli", "tenant", "create", "--name", "Fuzz", "--json"]
    done = subprocess.run(
        cmd, cwd=ROOT, env={**os.environ, **stack["env"]}, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["admin_key"]


def check_answer(response) -> None:
    assert response.status_code < 500, f"{response.status_code}: {response.text[:500]}"
    content_type = str(response.headers.get("content-type") or response.headers.get("Content-Type") or "")
    if "/v1/oauth/" in str(response.request.url) and "text/html" in content_type:
        return  # the OAuth callback is a page a person's browser lands on: its refusals are HTML
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"}, body
        error = body["error"]
        assert set(error) == {"code", "message", "details"}, body
        assert isinstance(error["code"], str) and isinstance(error["message"], str), body
        assert isinstance(error["details"], list), body


@schema.parametrize()
@settings(
    derandomize=True,
    deadline=None,
    database=None,
    max_examples=EXAMPLES_PER_OPERATION,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_error_and_every_error_in_shape(case, stack, fuzz_key):
    response = case.call(base_url=stack["api_url"], headers={"X-Api-Key": fuzz_key}, timeout=60)
    SEEN["requests"] += 1
    check_answer(response)


@pytest.fixture(scope="module", autouse=True)
def _report_requests():
    yield
    print(f"\nfuzz: {SEEN['requests']} requests over {len(list(schema.get_all_operations()))} operations")
