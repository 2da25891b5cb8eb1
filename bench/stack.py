"""The local stack, in-process: devstack's one-request-at-a-time moto server and tables, and the
handlers invoked as Lambda would (devstack's event builder, Lambda context and runtime)."""

from __future__ import annotations

import contextlib
import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Reply:
    status: int
    body: Any


class Stack:
    """Routes requests as template.yaml says and runs the handlers in this process, one at a time."""

    def __init__(self, moto_url: str) -> None:
        import boto3

        from devstack.cli import aws_env
        from devstack.tables import create_tables
        from devstack.template import Template

        self.template = Template(ROOT / "template.yaml")
        os.environ.pop("AWS_PROFILE", None)
        os.environ.update({**aws_env(moto_url), **self.template.global_env()})
        from creneau import config

        config.reset()  # a previous stack's server is gone: new clients, new endpoint
        self.client = boto3.client("dynamodb")  # the bare baseline's client: no resource layer
        self.tables = create_tables(self.client, self.template)
        self.routes = self.template.routes()
        self.functions = self.template.functions()

    def event(
        self,
        method: str,
        path: str,
        key: str | None = None,
        body: Any = None,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[str, dict]:
        """(function logical id, API Gateway v2 event) for a request, built by devstack's gateway code."""
        from devstack.apigw import build_event
        from devstack.routes import match

        route, params = match(self.routes, method, path)
        sent = [("host", "bench.local"), ("user-agent", "creneau-bench")]
        if key is not None:
            sent.append(("x-api-key", key))
        data = b""
        if body is not None:
            data = json.dumps(body).encode()
            sent.append(("content-type", "application/json"))
        sent += list((headers or {}).items())
        return route.function, build_event(method, path, urlencode(query or {}), sent, data, route, params)

    def invoke(self, function: str, event: dict) -> Reply:
        """One invocation through devstack's Lambda runtime (function env, context, handler cache)."""
        from devstack.lambda_runtime import invoke

        ok, result = invoke(self.functions[function], event)
        if not ok:
            raise RuntimeError(result)
        text = result.get("body") or ""
        return Reply(int(result["statusCode"]), json.loads(text) if text else None)

    def call(self, method: str, path: str, key: str | None = None, expect: int | None = None, **kw) -> Reply:
        reply = self.invoke(*self.event(method, path, key, **kw))
        if expect is not None and reply.status != expect:
            raise RuntimeError(f"{method} {path} -> {reply.status} (expected {expect}): {reply.body}")
        return reply


@contextlib.contextmanager
def running_stack() -> Iterator[Stack]:
    from devstack.moto_server import MotoServer

    with MotoServer() as moto:
        yield Stack(moto.url)


class CallRecorder:
    """Records the DynamoDB requests a boto3 client sends (operation and wire body), while enabled."""

    def __init__(self, client) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.enabled = False
        self.client = client
        client.meta.events.register("before-call.dynamodb", self._record, unique_id=f"bench-{id(self)}")

    def close(self) -> None:
        self.client.meta.events.unregister("before-call.dynamodb", unique_id=f"bench-{id(self)}")

    def _record(self, model, params, **_kwargs) -> None:
        if self.enabled:
            body = params.get("body") or b"{}"
            self.calls.append((model.name, json.loads(body)))

    @contextlib.contextmanager
    def recording(self) -> Iterator[list[tuple[str, dict]]]:
        self.calls, self.enabled = [], True
        try:
            yield self.calls
        finally:
            self.enabled = False


def describe_call(operation: str, body: dict) -> str:
    """A short stable label of a request: its operation and the key or key condition it targets."""
    if operation in ("GetItem", "PutItem", "DeleteItem", "UpdateItem"):
        key = body.get("Key") or body.get("Item") or {}
        parts = [next(iter(key[name].values())) for name in ("pk", "sk") if name in key]
        return f"{operation} {'|'.join(str(p) for p in parts)}"
    if operation == "Query":  # by its values: expression texts differ between boto3 layers
        values = body.get("ExpressionAttributeValues", {})
        shown = " ".join(sorted(str(next(iter(v.values()))) for v in values.values()))
        return f"Query {body.get('IndexName', body.get('TableName'))} {shown}"
    if operation == "TransactWriteItems":
        return f"TransactWriteItems x{len(body.get('TransactItems', []))}"
    return operation


def recorded(client, work: Callable[[], object]) -> list[tuple[str, dict]]:
    """The requests `client` sends while `work()` runs."""
    recorder = CallRecorder(client)
    try:
        with recorder.recording() as calls:
            work()
        return calls
    finally:
        recorder.close()


def call_differences(handler_calls: list, bare_calls: list) -> str:
    """ "; handler-only: ...; bare-only: ..." for requests one side sent and the other did not."""
    handler = Counter(describe_call(*c) for c in handler_calls)
    bare = Counter(describe_call(*c) for c in bare_calls)
    text = ""
    for label, difference in (("handler-only", handler - bare), ("bare-only", bare - handler)):
        if difference:
            text += f"; {label}: " + ", ".join(c if n == 1 else f"{c} x{n}" for c, n in difference.items())
    return text


def typed(item: dict) -> dict:
    """A key or item as the low-level client sends it: {"pk": "x"} -> {"pk": {"S": "x"}}."""
    from boto3.dynamodb.types import TypeSerializer

    serializer = TypeSerializer()
    return {name: serializer.serialize(value) for name, value in item.items()}
