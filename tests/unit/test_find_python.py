"""The deploy target's search for the python3.12 that `sam build` needs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from scripts.find_python import find

ROOT = Path(__file__).resolve().parents[2]


def fake_interpreter(path: Path, reports: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho {reports}\n")
    path.chmod(0o755)
    return path


def test_python312_on_path_is_used(tmp_path):
    fake_interpreter(tmp_path / "bin" / "python3.12", "3.12")
    env = {"PATH": str(tmp_path / "bin"), "HOME": str(tmp_path / "home")}
    assert find("3.12", env, tmp_path / "shims") == tmp_path / "bin"


def test_a_pyenv_version_is_found_when_path_has_none(tmp_path):
    fake_interpreter(tmp_path / "bin" / "python3.12", "3.11")  # a shim answering another version
    fake_interpreter(tmp_path / "pyenv" / "versions" / "3.12.7" / "bin" / "python3.12", "3.12")
    env = {"PATH": str(tmp_path / "bin"), "PYENV_ROOT": str(tmp_path / "pyenv")}
    assert find("3.12", env, tmp_path / "shims") == tmp_path / "pyenv" / "versions" / "3.12.7" / "bin"


def test_uv_answer_is_linked_under_the_name_sam_looks_for(tmp_path):
    interpreter = fake_interpreter(tmp_path / "uvpython" / "bin" / "python", "3.12")
    uv = tmp_path / "bin" / "uv"
    uv.parent.mkdir()
    uv.write_text(f"#!/bin/sh\necho {interpreter}\n")
    uv.chmod(0o755)
    env = {"PATH": str(tmp_path / "bin"), "HOME": str(tmp_path / "home")}
    shims = find("3.12", env, tmp_path / "shims")
    assert (shims / "python3.12").resolve() == interpreter


def test_none_found_says_how_to_get_one_in_one_line(tmp_path):
    env = {"PATH": str(tmp_path), "HOME": str(tmp_path), "PYENV_ROOT": str(tmp_path / "none")}
    cmd = [sys.executable, "-m", "scripts.find_python", "3.12"]
    done = subprocess.run(
        cmd, cwd=ROOT, env={**env, "PYTHONPATH": os.pathsep.join(sys.path)}, capture_output=True, text=True
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1
    assert "uv python install 3.12" in done.stderr
