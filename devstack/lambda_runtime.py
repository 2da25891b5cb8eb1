"""What runs inside each worker process: one Lambda execution environment.

A worker runs one invocation at a time (the pool guarantees it), like Lambda. That matters: Powertools'
resolver keeps the current event on the router class, so two invocations in one process would mix up.
Only the standard library is imported here at module level: workers start fast.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

REGION = "eu-west-3"
ACCOUNT_ID = "123456789012"


def local_name(logical_id: str) -> str:
    """The local name of a template resource (a table, a function): creneau-<LogicalId>."""
    return f"creneau-{logical_id}"


@dataclass(frozen=True)
class FunctionSpec:
    name: str  # logical id in template.yaml
    code_dir: str
    handler: str = "app.lambda_handler"
    env: Mapping[str, str] = field(default_factory=dict)
    timeout_s: float = 3
    memory_mb: int = 128

    @property
    def function_name(self) -> str:
        return local_name(self.name)


class LambdaContext:
    """The attributes of the Lambda context object that Powertools and handlers read."""

    def __init__(self, spec: FunctionSpec) -> None:
        self.function_name = spec.function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = spec.memory_mb
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{spec.function_name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{spec.function_name}"
        self.log_stream_name = f"local/{os.getpid()}"
        self._deadline = time.monotonic() + spec.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


_BASE_ENV = dict(os.environ)
_applied_env: set[str] = set()
_handlers: dict[str, Callable] = {}


def init_worker() -> None:
    # Ctrl-C reaches the whole process group; the parent decides when workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """Never outlive the stack, even if it is killed with SIGKILL (the pool cannot tell us then)."""
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


# What every handler imports, whatever its function: the libraries and the shared layer's core. None
# of these reads a function's own variables at import (handlers validate theirs when they are
# imported, under their function's environment, as in Lambda), so they can be loaded before.
COMMON_IMPORTS = (
    "boto3",
    "botocore.session",
    "pydantic",
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.logging",
    "aws_lambda_powertools.metrics",
    "aws_lambda_powertools.tracing",
    "creneau.http",
    "creneau.models.booking",
    "creneau.models.catalog",
)


def warm() -> int:
    """Start the process and pay the common imports once, before the first request."""
    for module in COMMON_IMPORTS:
        with contextlib.suppress(ImportError):
            importlib.import_module(module)
    return os.getpid()


def _apply_env(env: Mapping[str, str]) -> None:
    """Give this invocation its function's environment, undoing the previous function's extras."""
    global _applied_env
    for key in _applied_env - env.keys():
        if key in _BASE_ENV:
            os.environ[key] = _BASE_ENV[key]
        else:
            os.environ.pop(key, None)
    os.environ.update(env)
    _applied_env = set(env)


def _load(spec: FunctionSpec) -> Callable:
    if spec.name in _handlers:
        return _handlers[spec.name]
    module_path, func_name = spec.handler.rsplit(".", 1)
    file = Path(spec.code_dir, *module_path.split(".")).with_suffix(".py")
    unique = f"_creneau_function_{spec.name}"  # every function has an app.py: never share a module
    before = set(sys.modules)
    sys.path.insert(0, spec.code_dir)
    try:
        module_spec = importlib.util.spec_from_file_location(unique, file)
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[unique] = module
        try:
            module_spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[unique]
            raise
    finally:
        sys.path.remove(spec.code_dir)
        # Sibling modules of app.py (a models.py, say) must not shadow another function's namesakes.
        prefix = os.path.join(spec.code_dir, "")
        for name in set(sys.modules) - before - {unique}:
            if (getattr(sys.modules[name], "__file__", None) or "").startswith(prefix):
                del sys.modules[name]
    _handlers[spec.name] = getattr(module, func_name)
    return _handlers[spec.name]


def invoke(spec: FunctionSpec, event: dict) -> tuple[bool, object]:
    """(True, handler result) or (False, message); tracebacks go to stderr, the worker stays usable."""
    _apply_env(spec.env)
    try:
        handler = _load(spec)
    except Exception as exc:
        traceback.print_exc()
        return False, f"handler of {spec.name} cannot be imported: {type(exc).__name__}: {exc}"
    context = LambdaContext(spec)
    started = time.monotonic()
    try:
        return True, handler(event, context)
    except Exception as exc:
        print(f"[{spec.name}] request {context.aws_request_id} failed:", file=sys.stderr)
        traceback.print_exc()
        return False, f"{spec.name} raised {type(exc).__name__}: {exc}"
    finally:
        elapsed = time.monotonic() - started
        if elapsed > spec.timeout_s:  # Lambda would have killed it: make it visible
            print(f"[{spec.name}] took {elapsed:.1f} s, over its {spec.timeout_s} s timeout", file=sys.stderr)
