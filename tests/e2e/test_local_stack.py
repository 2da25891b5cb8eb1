"""The local stack as a user starts it: the info file means "ready", a port in use is one clear line."""

from __future__ import annotations

import socket
import subprocess
import sys

import httpx

from tests.e2e.conftest import ROOT, START_TIMEOUT_S


def test_the_info_file_appears_once_every_demo_key_answers(stack):
    with httpx.Client(base_url=stack["api_url"], timeout=30) as client:
        for role, key in stack["keys"].items():
            reply = client.get("/v1/settings", headers={"X-Api-Key": key})  # first try, no retry
            assert reply.status_code == 200, (role, reply.text)
            assert reply.json()["name"] == "Mairie de Démo"


def test_a_port_in_use_is_one_line_and_a_failure(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        info = tmp_path / "info.json"
        cmd = [sys.executable, "-m", "devstack", "--port", str(port), "--workers", "1", "--no-seed"]
        done = subprocess.run(
            [*cmd, "--info-file", str(info)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_S,
        )
    output = (done.stdout + done.stderr).strip()
    assert done.returncode != 0, output
    assert "Traceback" not in output, output
    lines = [line for line in output.splitlines() if line.strip()]
    advice = 'stop what holds it, or choose another with make run ARGS="--port N"'
    assert lines == [f"[devstack] port {port} on 127.0.0.1 is in use: {advice}"], output
    assert not info.exists()
