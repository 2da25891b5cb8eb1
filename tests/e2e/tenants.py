"""New tenants for end-to-end tests, made as an operator makes them: `creneau tenant create --json`
against the stack's tables.

One interpreter per stack runs the command's `main` for every tenant a test asks for: the same code
and arguments as the command line, without an interpreter start and boto3's imports (about 0.9 s of
CPU) for each of the suite's tenants. Started on first use, it ends with the test session (or when
its stdin closes)."""

from __future__ import annotations

import atexit
import json
import os
import select
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 60  # for one tenant, as the command line was given

_RUNNER = """
import contextlib, io, json, sys
from creneau import cli
for line in sys.stdin:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(json.loads(line))
        except SystemExit as exit:
            code = exit.code
    print(json.dumps({"code": code, "out": out.getvalue(), "err": err.getvalue()}), flush=True)
"""


class TenantCommand:
    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _RUNNER],
            cwd=ROOT,
            env={**os.environ, **env},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lock = threading.Lock()

    def run(self, *argv: str) -> tuple[int, str, str]:
        """(exit code, stdout, stderr) of `creneau <argv>`."""
        with self.lock:
            self.process.stdin.write(json.dumps(list(argv)) + "\n")
            self.process.stdin.flush()
            # One line answers each command: wait for it, but not forever.
            answered, _, _ = select.select([self.process.stdout], [], [], TIMEOUT_S)
            if not answered:
                self.process.kill()
                raise TimeoutError(f"creneau {' '.join(argv)} did not answer within {TIMEOUT_S} s")
            line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the tenant command runner exited with {self.process.wait()}")
        done = json.loads(line)
        return done["code"], done["out"], done["err"]

    def close(self) -> None:
        self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


_commands: dict[str, TenantCommand] = {}


def create_tenant(stack_env: dict[str, str], name: str) -> dict:
    """{"tenant_id", "admin_key"} of a new tenant in the stack whose environment is `stack_env`."""
    key = json.dumps(stack_env, sort_keys=True)
    if key not in _commands:
        _commands[key] = TenantCommand(stack_env)
    code, out, err = _commands[key].run("tenant", "create", "--name", name, "--json")
    assert code == 0, f"creneau tenant create --name {name!r} failed ({code}):\n{out}\n{err}"
    return json.loads(out)


@atexit.register
def _close_all() -> None:
    for command in _commands.values():
        command.close()
