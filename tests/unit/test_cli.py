"""`creneau tenant create`: a new tenant and its first admin key, printed once (moto in-process)."""

from __future__ import annotations

import json
import re

import pytest

from creneau import cli, config
from creneau.dal.store import DYNAMODB as STORE
from creneau.logic.auth import Authenticator


def run(capsys, *argv: str) -> str:
    assert cli.main(list(argv)) == 0
    return capsys.readouterr().out


def settings_items() -> list[dict]:
    items = config.catalog_table().scan()["Items"]
    return [item for item in items if item["sk"] == "SETTINGS"]


def test_prints_an_admin_key_of_a_new_tenant(aws, capsys):
    out = run(capsys, "tenant", "create", "--name", "Garage du Port")
    keys = re.findall(r"\bck_[A-Za-z0-9_-]{20,}", out)
    assert len(keys) == 1, out
    principal = Authenticator().authenticate({"x-api-key": keys[0]}, writes=False)
    assert principal.role == "admin"
    assert principal.tenant_id in out
    settings = STORE.settings.get(principal.tenant_id)
    assert (settings.name, settings.timezone, settings.locale) == (
        "Garage du Port",
        "Europe/Paris",
        "fr",
    )


def test_json_output(aws, capsys):
    out = run(
        capsys,
        "tenant",
        "create",
        "--name",
        "Clinique",
        "--timezone",
        "America/Montreal",
        "--locale",
        "en",
        "--json",
    )
    created = json.loads(out)
    assert set(created) == {"tenant_id", "admin_key"}
    principal = Authenticator().authenticate({"x-api-key": created["admin_key"]}, writes=False)
    assert (principal.tenant_id, principal.role) == (created["tenant_id"], "admin")
    settings = STORE.settings.get(created["tenant_id"])
    assert (settings.name, settings.timezone, settings.locale) == (
        "Clinique",
        "America/Montreal",
        "en",
    )


def test_each_run_makes_a_separate_tenant(aws, capsys):
    first = json.loads(run(capsys, "tenant", "create", "--name", "A", "--json"))
    second = json.loads(run(capsys, "tenant", "create", "--name", "A", "--json"))
    assert first["tenant_id"] != second["tenant_id"]
    assert first["admin_key"] != second["admin_key"]
    assert (
        Authenticator().authenticate({"x-api-key": second["admin_key"]}, writes=False).tenant_id
        == second["tenant_id"]
    )


def test_unknown_time_zone_is_refused_and_creates_nothing(aws, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["tenant", "create", "--name", "Nowhere", "--timezone", "Europe/Atlantis"])
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert "Europe/Atlantis" in captured.err
    assert "ck_" not in captured.out
    assert settings_items() == []


def test_a_name_is_required(aws, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["tenant", "create"])
    assert exited.value.code == 2
    assert "--name" in capsys.readouterr().err
    assert settings_items() == []


def test_a_missing_table_variable_is_one_line_naming_it(aws, capsys, monkeypatch):
    monkeypatch.delenv("BOOKINGS_TABLE")
    assert cli.main(["tenant", "create", "--name", "Garage du Port"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith("creneau: environment variable BOOKINGS_TABLE is not set"), line
    assert settings_items() == []  # nothing was written


def test_the_command_says_in_one_line_which_variable_is_missing_without_a_traceback():
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if not k.endswith("_TABLE")}
    env.update({"CATALOG_TABLE": "creneau-CatalogTable", "BOOKINGS_TABLE": "creneau-BookingsTable"})
    creneau = Path(sys.executable).parent / "creneau"
    done = subprocess.run(
        [creneau, "tenant", "create", "--name", "Mairie"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "creneau: environment variable IDEMPOTENCY_TABLE is not set (the stack's outputs name the three"
        " tables; see the README, Deploy)"
    ]


def test_without_a_region_the_command_says_so_in_one_line(monkeypatch, capsys):
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    for name in ("CATALOG_TABLE", "BOOKINGS_TABLE", "IDEMPOTENCY_TABLE"):
        monkeypatch.setenv(name, name.lower())
    config.reset()
    try:
        assert cli.main(["tenant", "create", "--name", "Mairie"]) == 2
    finally:
        config.reset()
    (line,) = capsys.readouterr().err.splitlines()
    assert line == "creneau: no AWS region: set AWS_REGION to the stack's (e.g. eu-west-3) or use a profile's"
