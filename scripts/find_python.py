"""`python3 -m scripts.find_python 3.12`: a directory holding a `python3.12` for `sam build`.

SAM builds each function with the runtime's interpreter (python3.12) found on PATH. This looks on
PATH, then in pyenv's versions, then asks uv, and prints the directory to put first on PATH; when
there is none it says in one line how to get one, and exits 1 (standard library only: it runs before
any virtual environment exists).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

SHIMS = Path(".local/python-shims")  # where a `python3.X` name is linked when the found file has another


def reports(interpreter: Path, version: str) -> bool:
    """The interpreter runs and is that major.minor version (a pyenv shim of another version is not)."""
    probe = "import sys; print('%d.%d' % sys.version_info[:2])"
    try:
        done = subprocess.run([str(interpreter), "-c", probe], capture_output=True, text=True, timeout=30)
    except OSError:
        return False
    return done.returncode == 0 and done.stdout.strip() == version


def candidates(version: str, env: dict[str, str]):
    name = f"python{version}"
    on_path = shutil.which(name, path=env.get("PATH", ""))
    if on_path:
        yield Path(on_path)
    root = Path(env.get("PYENV_ROOT") or Path(env.get("HOME", "~")).expanduser() / ".pyenv")
    yield from sorted((root / "versions").glob(f"{version}.*/bin/{name}"), reverse=True)
    uv = shutil.which("uv", path=env.get("PATH", ""))
    if uv:
        done = subprocess.run([uv, "python", "find", version], capture_output=True, text=True, timeout=60)
        if done.returncode == 0 and done.stdout.strip():
            yield Path(done.stdout.strip())


def find(version: str, env: dict[str, str], shims: Path = SHIMS) -> Path | None:
    """The directory to put first on PATH so that `python<version>` is that interpreter, or None."""
    name = f"python{version}"
    for interpreter in candidates(version, env):
        if not reports(interpreter, version):
            continue
        if interpreter.name == name:
            return interpreter.parent
        shims.mkdir(parents=True, exist_ok=True)  # uv may answer .../bin/python: link it as python3.X
        link = shims / name
        link.unlink(missing_ok=True)
        link.symlink_to(interpreter.resolve())
        return shims.resolve()
    return None


def main(argv: list[str] | None = None) -> int:
    version = (argv or sys.argv[1:] or ["3.12"])[0]
    found = find(version, dict(os.environ))
    if found is None:
        print(
            f"sam build needs python{version} on PATH and none was found (PATH, pyenv, uv): install one, "
            f"e.g. `uv python install {version}` or `pyenv install {version}`, then run make deploy again",
            file=sys.stderr,
        )
        return 1
    print(found)
    return 0


if __name__ == "__main__":
    sys.exit(main())
