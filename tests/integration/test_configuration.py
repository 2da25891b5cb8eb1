"""One configuration, validated at each handler's import: a missing or malformed variable fails the
cold start naming it (not a 500 on the first request), in a fresh interpreter as Lambda starts one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.template import Template

ROOT = Path(__file__).resolve().parents[2]
SPECS = {Path(spec.code_dir).name: spec for spec in Template(ROOT / "template.yaml").functions().values()}
IMPORT_APP = "import sys; sys.path.insert(0, '.'); import app; print('imported')"


def start(function: str, drop: tuple[str, ...] = (), **changed: str) -> subprocess.CompletedProcess:
    """Import functions/<function>/app.py with its template environment, less `drop`, plus `changed`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(SPECS[function].env)
    env.update({"AWS_DEFAULT_REGION": "eu-west-3", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"})
    for name in drop:
        env.pop(name, None)
    env.update(changed)
    return subprocess.run(
        [sys.executable, "-c", IMPORT_APP],
        cwd=ROOT / "functions" / function,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def init_error(done: subprocess.CompletedProcess) -> str:
    assert done.returncode != 0 and "imported" not in done.stdout, done.stdout
    return done.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("function", sorted(SPECS))
def test_every_handler_starts_with_the_environment_the_template_gives_it(function):
    done = start(function)
    assert done.returncode == 0 and "imported" in done.stdout, done.stderr[-2000:]


@pytest.mark.parametrize(
    ("function", "variable"),
    [
        ("slots", "CATALOG_TABLE"),
        ("appointments", "BOOKINGS_TABLE"),
        ("notifications", "IDEMPOTENCY_TABLE"),
        ("events", "EVENTS_TOPIC_ARN"),
        ("webhooks", "WEBHOOKS_QUEUE_URL"),
        ("users", "COGNITO_USER_POOL_ID"),
        ("appointments", "MANAGE_TOKEN_SECRET"),
    ],
)
def test_a_missing_variable_fails_the_handlers_init_naming_it(function, variable):
    line = init_error(start(function, drop=(variable,)))
    assert line == f"creneau.config.ConfigurationError: environment variable {variable} is not set"


def test_an_empty_table_variable_counts_as_missing():
    line = init_error(start("locks", BOOKINGS_TABLE=""))
    assert line.endswith("environment variable BOOKINGS_TABLE is not set")


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("WEBHOOK_RETRY_DELAYS", "10,soon", "must be seconds separated by commas, e.g. 10,60,300"),
        ("WEBHOOKS_ALLOW_PRIVATE", "yes", "must be 1 (allowed) or 0 or empty (refused)"),
    ],
)
def test_a_malformed_variable_fails_the_handlers_init_naming_it(variable, value, reason):
    line = init_error(start("webhooks", **{variable: value}))
    assert (
        line == f"creneau.config.ConfigurationError: environment variable {variable} is malformed: {reason}"
    )
