"""3b. From import to the first answered request: each handler imported in a fresh interpreter, then invoked
once with a real request against a moto server, vs boto3 + Powertools' event handler answering one GetItem.

Cold import alone misses any cost a handler defers to its first request (boto3's client, a lazily built
model, a provider library imported on use): import + first invocation shows it. CPU time of the fresh
process (moto runs in another one); wall time beside it. The requests are reads, so every run sees the
same data.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

from bench import timing
from bench.cold_import import ROOT, _env, handler_dirs

# What runs in the fresh process: the event and the function spec come from a JSON file.
PROBE = """
import json, sys, time
sys.path.insert(0, {code_dir!r})
sys.path.append({root!r})
from devstack.lambda_runtime import FunctionSpec, LambdaContext
request = json.load(open({request!r}))
context = LambdaContext(FunctionSpec(name=request["function"], code_dir={code_dir!r}))
cpu, wall = time.process_time(), time.perf_counter()
{statement}
imported = time.process_time() - cpu
reply = handler(request["event"], context)
cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
expected = request["expect"]  # a status code, or a whole answer (a batch response)
assert (reply["statusCode"] if isinstance(expected, int) else reply) == expected, reply
print(imported, cpu, wall)
"""
HANDLER = "from app import lambda_handler as handler"
# The baseline: the smallest Powertools HTTP handler that reads one DynamoDB item.
BASELINE = """
import os
import boto3
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
resolver = APIGatewayHttpResolver()

@resolver.get("/v1/services")
def read_one():
    table = boto3.resource("dynamodb").Table(os.environ["CATALOG_TABLE"])
    return table.get_item(Key={"pk": "TENANT#none", "sk": "SETTINGS"}).get("Item") or {}

handler = resolver.resolve
"""


def _requests(stack, tenant) -> dict[str, tuple[str, dict, int]]:
    """Function folder -> (logical id, API Gateway event, expected status) of one read request."""
    from bench.setup import tomorrow

    first = tomorrow()
    last = first + timedelta(days=6)
    lock = stack.call(
        "POST",
        "/v1/locks",
        tenant.public,
        expect=201,
        body={"service_id": tenant.service_id, "start": f"{first + timedelta(days=7)}T10:00:00Z"},
    ).body
    reads = {
        "catalog": ("GET", "/v1/services", tenant.public, None),
        "slots": (
            "GET",
            "/v1/slots",
            tenant.public,
            {"service_id": tenant.service_id, "from": str(first), "to": str(last)},
        ),
        "locks": ("GET", f"/v1/locks/{lock['lock_code']}", tenant.public, None),
        "appointments": ("GET", "/v1/appointments", tenant.admin, None),
        "sync": ("GET", f"/v1/calendars/{tenant.calendars[0]['id']}/connections", tenant.admin, None),
        "webhooks": ("GET", "/v1/webhooks", tenant.admin, None),
        "users": ("GET", "/v1/users", tenant.admin, None),  # no user yet: no Cognito call, its client built
    }
    result = {}
    for name, (method, path, key, query) in reads.items():
        function, event = stack.event(method, path, key, query=query)
        result[name] = (function, event, 200)
    # The change-event functions answer their sample batches (a cancellation from the stream; an
    # invitation to send, for the bench's tenant) with no failed item.
    done = {"batchItemFailures": []}
    stream = json.loads((ROOT / "events" / "events.json").read_text())
    result["events"] = ("EventsFunction", stream, done)
    queued = json.loads((ROOT / "events" / "notifications.json").read_text())
    for record in queued["Records"]:
        event = json.loads(record["body"])
        record["body"] = json.dumps({**event, "tenant_id": tenant.id})
    result["notifications"] = ("NotificationsFunction", queued, done)
    return result


def _sample(code_dir: Path, statement: str, env: dict, request_file: str) -> tuple[float, float, float]:
    code = PROBE.format(code_dir=str(code_dir), root=str(ROOT), request=request_file, statement=statement)
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=code_dir, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"first answer in {code_dir.name} failed:\n{done.stderr[-2000:]}")
    imported, cpu, wall = done.stdout.strip().splitlines()[-1].split()
    return float(imported), float(cpu), float(wall)


def measure(runs: int, warmup: int = 1) -> dict[str, tuple[float, float, float]]:
    """Target -> median (import CPU s, import + first request CPU s, import + first request wall s)."""
    from bench.setup import make_tenant
    from bench.stack import running_stack

    samples: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    with running_stack() as stack, tempfile.TemporaryDirectory() as scratch:
        import os

        import boto3

        from devstack.eventbus import create_messaging
        from devstack.template import Template

        endpoint = {"AWS_ENDPOINT_URL": os.environ["AWS_ENDPOINT_URL"]}
        # The topic, queues, sender identity and schedule group, and the functions' environment
        # naming them (as the local stack gives it).
        bound = Template(ROOT / "template.yaml")
        create_messaging(bound, boto3.Session())
        bound_env = {Path(spec.code_dir).name: dict(spec.env) for spec in bound.functions().values()}
        tenant = make_tenant(stack, "First answer", [{"name": "Guichet", "weekly_hours": _hours()}])
        targets = {}
        requests = _requests(stack, tenant)
        baseline_event = requests["catalog"]
        for name, code_dir in {"baseline": ROOT, **handler_dirs()}.items():
            function, event, expect = baseline_event if name == "baseline" else requests[name]
            request_file = str(Path(scratch) / f"{name}.json")
            Path(request_file).write_text(
                json.dumps({"function": function, "event": event, "expect": expect})
            )
            statement = BASELINE if name == "baseline" else HANDLER
            env = {**_env("catalog" if name == "baseline" else name), **bound_env.get(name, {}), **endpoint}
            label = name if name == "baseline" else f"functions/{name}/app.py"
            targets[label] = (code_dir, statement, env, request_file)
        for run in range(warmup + runs):  # a warm-up run writes .pyc files and fills the file cache
            for label, (code_dir, statement, env, request_file) in targets.items():
                sample = _sample(code_dir, statement, env, request_file)
                if run >= warmup:
                    samples[label].append(sample)
    return {
        label: tuple(timing.median([s[i] for s in values]) for i in range(3))
        for label, values in samples.items()
    }


def _hours() -> dict:
    from bench.setup import week

    return week(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), [("08:00", "19:00")])


def run(quick: bool, print_line) -> None:
    medians = measure(runs=1, warmup=0) if quick else measure(runs=5)
    _, baseline, baseline_wall = medians.pop("baseline")
    print_line(
        f"first answer baseline, boto3 + powertools event_handler answering one GetItem: "
        f"{timing.ms(baseline)} ms CPU ({timing.ms(baseline_wall)} ms wall)"
    )
    for target, (imported, total, wall) in medians.items():
        print_line(
            f"first answer {target}: import {timing.ms(imported)} ms + first request "
            f"{timing.ms(total - imported)} ms = {timing.ms(total)} ms CPU ({timing.ms(wall)} ms wall), "
            f"baseline {timing.ms(baseline)} ms, ratio {timing.ratio(total, baseline)}"
        )
