"""Cold start: what each handler loads at init, and the layer's bytecode.

Each function's app module is imported in a fresh interpreter, with the environment template.yaml gives
it: the provider libraries of other features (calendar sync, Microsoft and Google sign-in, HTTP clients,
JWT) must stay out of the functions that do not use them, since every module imported at init is paid at
each cold start (and kept in each SnapStart snapshot).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.template import Template

ROOT = Path(__file__).resolve().parents[1]
LAYER = ROOT / "layers" / "shared" / "python"
PROVIDER_MODULES = ("icalendar", "msal", "google.auth", "google.oauth2", "googleapiclient", "httpx", "jwt")
# Function folder -> the provider modules it needs at init. The sync function's provider modules are
# siblings of app.py, loaded with it (the runtime offers no later import of them), and SnapStart keeps
# them in its snapshot.
NEEDED: dict[str, set[str]] = {
    "sync": {"msal", "google.auth", "google.oauth2", "httpx"},
    "notifications": {"icalendar"},  # every message it handles builds an .ics
}
MODULES_AFTER_IMPORT = (
    "import json, sys\nsys.path.insert(0, '.')\nimport app\nprint(json.dumps(sorted(sys.modules)))"
)


def _function_envs() -> dict[str, dict[str, str]]:
    template = Template(ROOT / "template.yaml")
    envs = {}
    for spec in template.functions().values():
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(spec.env)
        env.update(
            {"AWS_DEFAULT_REGION": "eu-west-3", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
        )
        envs[Path(spec.code_dir).name] = env
    return envs


FUNCTION_ENVS = _function_envs()


def _is_provider(module: str, provider: str) -> bool:
    return module == provider or module.startswith(provider + ".")


@pytest.mark.parametrize("function", sorted(FUNCTION_ENVS))
def test_handler_imports_no_provider_library_it_does_not_need(function: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", MODULES_AFTER_IMPORT],
        cwd=ROOT / "functions" / function,
        env=FUNCTION_ENVS[function],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.splitlines()[-1])
    assert "app" in loaded and "creneau" in loaded
    allowed = NEEDED.get(function, set())
    unexpected = sorted(
        module
        for module in loaded
        for provider in PROVIDER_MODULES
        if provider not in allowed and _is_provider(module, provider)
    )
    assert not unexpected, f"functions/{function} imports at init: {unexpected}"


def test_layer_compile_step_ships_bytecode_used_without_the_source(tmp_path: Path) -> None:
    """The layer build's compile step (layers/shared/python/Makefile), run with this interpreter on a copy of
    the package: every module gets an unchecked-hash .pyc, which Python then uses even when the source
    changed, as on Lambda's read-only /opt where nothing can be compiled and cached."""
    target = tmp_path / "python"
    shutil.copytree(LAYER / "creneau", target / "creneau", ignore=shutil.ignore_patterns("__pycache__"))
    version = "{}.{}".format(*sys.version_info[:2])
    done = subprocess.run(
        ["make", "-s", "-C", str(LAYER), "compile", f"TARGET={target}", f"PYTHON={sys.executable}"]
        + [f"PYTHON_VERSION={version}"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr

    sources = sorted(target.rglob("*.py"))
    assert len(sources) > 20
    for source in sources:
        compiled = source.parent / "__pycache__" / f"{source.stem}.{sys.implementation.cache_tag}.pyc"
        assert compiled.is_file(), f"no bytecode for {source.relative_to(target)}"
        flags = int.from_bytes(compiled.read_bytes()[4:8], "little")
        assert flags == 0b01, f"{compiled.name}: not an unchecked hash-based .pyc (flags {flags:#b})"

    # Change a module's source after the build: the shipped bytecode is still what runs.
    (target / "creneau" / "domain" / "units.py").write_text("raise ImportError('the source was compiled')\n")
    probe = "import sys; sys.path.insert(0, sys.argv[1]); import creneau.domain.units as u; print(u.__name__)"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTHONPATH", None)
    ran = subprocess.run(
        [sys.executable, "-I", "-c", probe, str(target)], capture_output=True, text=True, env=env, timeout=60
    )
    assert ran.returncode == 0 and ran.stdout.strip() == "creneau.domain.units", ran.stderr
