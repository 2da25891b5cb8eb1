"""3. Cold import of each handler module vs importing boto3 and Powertools' event handler alone.

Each sample is a fresh interpreter timing only the import statement (CPU time, interpreter start-up
excluded); the targets take turns, run after run, and the median is kept. When a handler is over the
goal, `python -X importtime` shows what it imports beyond the baseline, attributed to our module that
pulled it in. A handler that does not import boto3 at init looks cheap here, but its first request
pays for boto3 instead (and in Lambda, init runs with more CPU than invocations): that is flagged.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from bench import timing

ROOT = Path(__file__).resolve().parent.parent
GOAL = 1.3
BASELINE = "import boto3\nimport aws_lambda_powertools.event_handler"
# The floor of any handler that validates requests with Powertools: a resolver with validation on
# loads pydantic-core and Powertools' OpenAPI layer at init.
FLOOR = BASELINE + "\naws_lambda_powertools.event_handler.APIGatewayHttpResolver(enable_validation=True)"
# CPU time of the import (user + system): file reads are cached after the first run, and on a shared
# machine wall time would mostly measure the neighbours.
PROBE = "import sys, time\nsys.path.insert(0, {code_dir!r})\nstarted = time.process_time()\n{statement}\n"
PROBE += "print(time.process_time() - started, int('boto3' in sys.modules))\n"


def handler_dirs() -> dict[str, Path]:
    return {path.parent.name: path.parent for path in sorted((ROOT / "functions").glob("*/app.py"))}


def _env(function: str) -> dict[str, str]:
    """The function's environment as template.yaml gives it, with fake credentials; no endpoint."""
    from devstack.cli import aws_env
    from devstack.template import Template

    # Bytecode on both sides: pip compiled the libraries at install, so the warm-up compiles ours
    # (a machine may set PYTHONDONTWRITEBYTECODE, which would compile ours from source every run).
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "POWERTOOLS_")) and k != "PYTHONDONTWRITEBYTECODE"
    }
    env.update({k: v for k, v in aws_env("http://127.0.0.1:1").items() if k != "AWS_ENDPOINT_URL"})
    template = Template(ROOT / "template.yaml")
    env.update(template.global_env())
    for spec in template.functions().values():
        if Path(spec.code_dir).resolve() == (ROOT / "functions" / function).resolve():
            env.update(spec.env)
    return env


def _sample(code_dir: Path, statement: str, env: dict[str, str], flags: tuple[str, ...] = ()):
    code = PROBE.format(code_dir=str(code_dir), statement=statement)
    command = [sys.executable, *flags, "-c", code]
    result = subprocess.run(command, env=env, capture_output=True, text=True, cwd=code_dir, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"importing in {code_dir.name} failed:\n{result.stderr[-2000:]}")
    return result


def measure(runs: int, warmup: int = 1) -> tuple[dict[str, float], set[str]]:
    """(median import seconds of each handler, "functions/<name>/app.py", and of "baseline";
    the handlers whose import leaves boto3 unimported)."""
    targets = {"baseline": (ROOT, BASELINE, _env("catalog")), "floor": (ROOT, FLOOR, _env("catalog"))}
    for name, code_dir in handler_dirs().items():
        targets[f"functions/{name}/app.py"] = (code_dir, "import app", _env(name))
    samples: dict[str, list[float]] = defaultdict(list)
    without_boto3: set[str] = set()
    for run in range(warmup + runs):  # warm-up runs fill the file cache and write .pyc files
        for name, (code_dir, statement, env) in targets.items():
            seconds, has_boto3 = _sample(code_dir, statement, env).stdout.strip().splitlines()[-1].split()
            if run >= warmup:
                samples[name].append(float(seconds))
            if has_boto3 == "0":
                without_boto3.add(name)
    return {name: timing.median(values) for name, values in samples.items()}, without_boto3


# ---- -X importtime -----------------------------------------------------------------------------


@dataclass
class Node:
    name: str
    self_us: int
    cumulative_us: int
    children: list[Node] = field(default_factory=list)


def parse_importtime(stderr: str) -> list[Node]:
    """The import tree of `-X importtime` output (children are printed before their parent)."""
    pending: dict[int, list[Node]] = defaultdict(list)
    levels = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, label = line.split(":", 1)[1].split("|", 2)
        name = label.rstrip()
        level = (len(name) - len(name.lstrip())) // 2
        node = Node(name.strip(), int(self_us), int(cumulative_us), pending.pop(level + 1, []))
        pending[level].append(node)
        levels.append(level)
    return pending[min(levels)] if levels else []


def _ours(name: str) -> bool:
    return name == "app" or name == "creneau" or name.startswith("creneau.")


def attribute(roots: list[Node]) -> tuple[list[tuple[Node, str]], list[Node]]:
    """([(third-party subtree, our module that imported it)], [our modules]) of an import tree."""
    pulled: list[tuple[Node, str]] = []
    own: list[Node] = []

    def walk(node: Node, importer: str | None) -> None:
        if _ours(node.name):
            own.append(node)
            for child in node.children:
                walk(child, node.name)
        elif importer is not None:
            pulled.append((node, importer))

    for root in roots:
        walk(root, None)
    return sorted(pulled, key=lambda p: -p[0].cumulative_us), sorted(own, key=lambda n: -n.self_us)


def _ms(us: int) -> str:
    return f"{us / 1000:.0f} ms"


def importtime_finding(name: str) -> list[str]:
    """What functions/<name>/app.py imports once boto3 and the event handler are already loaded."""
    code_dir = handler_dirs()[name]
    statement = f"{BASELINE}\nimport app"
    result = _sample(code_dir, statement, _env(name), flags=("-X", "importtime"))
    roots = parse_importtime(result.stderr)
    app = next((root for root in roots if root.name == "app"), None)
    if app is None:
        return [f"  importtime functions/{name}/app.py: no 'app' entry found"]
    pulled, own = attribute([app])
    third_party = []
    for node, importer in pulled[:4]:
        inside = sorted(node.children, key=lambda n: -n.cumulative_us)[:2]
        detail = ", ".join(f"{c.name} {_ms(c.cumulative_us)}" for c in inside if c.cumulative_us >= 5000)
        third_party.append(
            f"{node.name} {_ms(node.cumulative_us)} via {importer}" + (f" [{detail}]" if detail else "")
        )
    return [
        f"  importtime functions/{name}/app.py, beyond the baseline: {_ms(app.cumulative_us)} "
        f"(-X importtime inflates); third-party: " + "; ".join(third_party),
        f"  importtime functions/{name}/app.py, our modules' own bodies {_ms(sum(n.self_us for n in own))}: "
        + ", ".join(f"{n.name} {_ms(n.self_us)}" for n in own[:5]),
    ]


def run(quick: bool, print_line) -> None:
    medians, without_boto3 = measure(runs=1, warmup=0) if quick else measure(runs=5)
    baseline, floor = medians.pop("baseline"), medians.pop("floor")
    print_line(
        f"cold import floor, boto3 + a validating Powertools resolver: {timing.ms(floor)} ms, "
        f"ratio {timing.ratio(floor, baseline)} to boto3 + powertools event_handler"
    )
    for target, seconds in medians.items():
        print_line(
            f"cold import {target}: {timing.ms(seconds)} ms, boto3 + powertools event_handler "
            f"{timing.ms(baseline)} ms, ratio {timing.ratio(seconds, baseline)} (goal <= {GOAL}); "
            f"above the floor {timing.ratio(seconds, floor)}"
        )
        if target in without_boto3:
            print_line(f"  ({target} does not import boto3 at init: its first request imports it instead)")
        if seconds / baseline > GOAL and not quick:
            for text in importtime_finding(target.split("/")[1]):
                print_line(text)
