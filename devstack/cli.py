"""`python -m devstack`: moto, tables, the handler pool, the HTTP gateway, schedules, the demo tenant."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import errno
import json
import os
import signal
import threading
import time
from pathlib import Path

from devstack.lambda_runtime import REGION

ROOT = Path(__file__).resolve().parent.parent
# Template parameters the local stack sets: its tests sign in with USER_PASSWORD_AUTH (boto3 has no SRP).
LOCAL_PARAMETERS = {"AllowPasswordAuth": "true"}

# The configuration (docs/operations.md): taken from this process's environment for every function,
# so one stack can talk to the real providers or to local fakes.
CONFIGURATION = (
    "GOOGLE_CLIENT_ID",
    "GOOGLE_CLIENT_SECRET",
    "GOOGLE_AUTH_URL",
    "GOOGLE_TOKEN_URL",
    "GOOGLE_API_BASE",
    "MS_CLIENT_ID",
    "MS_CLIENT_SECRET",
    "MS_AUTHORITY",
    "GRAPH_API_BASE",
    "GOOGLE_REVOKE_URL",
    "GOOGLE_USERINFO_URL",
    "OAUTH_REDIRECT_BASE",
    "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE",
    "WEBHOOKS_ALLOW_PRIVATE",
    "WEBHOOK_RETRY_DELAYS",  # shortened by tests; the deployed default is docs/events.md's
)


def configuration_env(environ=os.environ) -> dict[str, str]:
    return {name: environ[name] for name in CONFIGURATION if name in environ}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=3000, help="HTTP API port (0: any free port)")
    p.add_argument("--moto-port", type=int, default=0, help="moto server port (0: any free port)")
    p.add_argument(
        "--web-port", type=int, help="web pages port (default: 3080 with the default API port, else any)"
    )
    p.add_argument("--info-file", type=Path, default=Path(".local/info.json"))
    p.add_argument("--template", type=Path, default=ROOT / "template.yaml")
    p.add_argument("--workers", type=int, default=8, help="execution environments (worker processes)")
    p.add_argument("--no-seed", action="store_true", help="do not create the demo tenant")
    p.add_argument("--schedule-every", type=float, metavar="SECONDS", help="run every schedule this often")
    p.add_argument(
        "--outbox", type=Path, help="where sent emails are written as .eml (default: beside the info file)"
    )
    p.add_argument(
        "--no-events",
        action="store_true",
        help="do not poll the stream nor drain the queues (the bench's baseline without change events)",
    )
    return p.parse_args(argv)


def aws_env(moto_url: str) -> dict[str, str]:
    return {
        # moto serves DynamoDB streams only when botocore does not route by account id.
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }


def write_atomically(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)  # readers never see a half-written file


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _stop_with_parent(parent: int) -> None:
    """`make run` stopped by a signal to make alone (not to the process group) must not leave the
    stack running: when the parent is gone, stop as cleanly as on Ctrl-C."""
    while os.getppid() == parent:
        time.sleep(1)
    os.kill(os.getpid(), signal.SIGTERM)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Explicit: a shell starts background jobs with SIGINT ignored, and SIGTERM should stop as cleanly.
    signal.signal(signal.SIGINT, _raise_interrupt)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    threading.Thread(target=_stop_with_parent, args=(os.getppid(),), daemon=True).start()
    started = time.monotonic()
    args.info_file.unlink(missing_ok=True)  # the file exists only while a ready stack runs
    try:
        with contextlib.ExitStack() as stack:
            return _run(args, stack, started)
    except KeyboardInterrupt:
        print("\n[devstack] stopped")
        return 0


def _run(args: argparse.Namespace, stack: contextlib.ExitStack, started: float) -> int:

    import boto3  # imported here: `python -m devstack --help` stays instant

    from devstack.cognito import create_user_pools
    from devstack.eventbus import EventLoop, create_messaging
    from devstack.gateway import Gateway
    from devstack.kms import create_keys
    from devstack.moto_server import MotoServer
    from devstack.pool import LambdaPool
    from devstack.scheduler import Scheduler
    from devstack.seed import SeedError, seed_demo, seed_users, wait_until_answered
    from devstack.tables import create_tables
    from devstack.template import Template, local_observability

    template = Template(args.template, LOCAL_PARAMETERS)
    moto = stack.enter_context(MotoServer(args.moto_port))
    os.environ.update(aws_env(moto.url))
    tables = create_tables(boto3.client("dynamodb"), template)
    create_keys(boto3.client("kms"), template)
    cognito = create_user_pools(boto3.client("cognito-idp"), template, moto.url)
    queue_urls = create_messaging(template, boto3.Session())
    # Every email the stack would send, as .eml (the notifications' and the users' invitations).
    outbox = (args.outbox or args.info_file.resolve().parent / "outbox").resolve()
    outbox.mkdir(parents=True, exist_ok=True)
    # Before the pool exists: spawned workers inherit this environment, and so does creneau here.
    env = {**aws_env(moto.url), **template.global_env(), **local_observability(), "OUTBOX_DIR": str(outbox)}
    if cognito is not None:
        env["COGNITO_JWKS_URL"] = cognito.jwks_url  # the only difference from AWS (see devstack/cognito.py)
    os.environ.update(env)
    local_env = configuration_env()
    functions = {
        name: dataclasses.replace(spec, env={**spec.env, **local_env})
        for name, spec in template.functions().items()
    }
    pool = LambdaPool(args.workers)
    stack.callback(pool.shutdown)
    pool.warm()

    try:
        gateway = Gateway((args.host, args.port), template.routes(), functions, pool, template.cors())
    except OSError as exc:  # most often a port in use: one line a person can act on, not a traceback
        reason = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be opened ({exc.strerror})"
        print(
            f"[devstack] port {args.port} on {args.host} {reason}: stop what holds it, or choose "
            'another with make run ARGS="--port N"',
            flush=True,
        )
        return 1
    threading.Thread(target=gateway.serve_forever, name="gateway", daemon=True).start()
    stack.callback(gateway.server_close)
    stack.callback(gateway.shutdown)

    if not args.no_events:
        events = EventLoop(template, functions, pool.invoke, boto3.Session(), queue_urls)
        events.start()
        stack.callback(events.stop)
        gateway.after_write = events.wake_streams

    scheduler = Scheduler(template.schedules(), functions, pool, args.schedule_every)
    scheduler.start()
    stack.callback(scheduler.stop)

    tenant_id, keys, demo_users = None, {}, {}
    try:
        if not args.no_seed:
            tenant_id, keys = seed_demo(gateway.url)
            if cognito is not None:
                demo_users = seed_users(gateway.url, keys["admin"], boto3.client("cognito-idp"), cognito)
        wait_until_answered(gateway.url, keys)  # the info file promises a stack that answers
    except SeedError as exc:
        print(f"[devstack] seeding the demo tenant failed:\n{exc}")
        return 1

    info = {
        "api_url": gateway.url,
        "keys": keys,
        "users": demo_users,
        "outbox": str(outbox),
        "cognito": cognito.info() if cognito is not None else None,
        "tenant_id": tenant_id,
        "moto_url": moto.url,
        "moto_pid": moto.process.pid,
        "tables": tables,
        "queues": {arn.rsplit(":", 1)[-1]: url for arn, url in queue_urls.items()},
        "env": env,
    }
    info["web"] = _serve_web(args, stack, info)
    write_atomically(args.info_file, info)
    stack.callback(args.info_file.unlink, missing_ok=True)
    _print_banner(info, args.info_file, time.monotonic() - started)
    code = moto.process.wait()  # until Ctrl-C / SIGTERM, or moto's death
    # Without moto every request would answer 500 while the stack looks alive: stop, and say why.
    print(f"[devstack] the moto server (pid {moto.process.pid}) died, exit code {code}: stopping", flush=True)
    return 1


def _serve_web(args: argparse.Namespace, stack: contextlib.ExitStack, info: dict) -> dict:
    """Serve web/ on its own port (another origin than the API, as when deployed); their URLs."""
    from devstack.web import WebServer, generated_files

    port = args.web_port if args.web_port is not None else (3080 if args.port == 3000 else 0)
    files = generated_files(info["api_url"], info["keys"].get("public"), info.get("cognito"))
    server = WebServer((args.host, port), files)
    threading.Thread(target=server.serve_forever, name="web", daemon=True).start()
    stack.callback(server.server_close)
    stack.callback(server.shutdown)
    return {
        "widget_demo": f"{server.url}/widget/demo.html",
        "agenda": f"{server.url}/agenda/index.html",
        "widget_script": f"{server.url}/widget/{server.version}/creneau-widget.js",
    }


def _print_banner(info: dict, info_file: Path, elapsed: float) -> None:
    lines = [f"Creneau local stack ready in {elapsed:.1f} s", f"  API       {info['api_url']}"]
    lines += [f"  {role:<9} X-Api-Key: {key}" for role, key in info["keys"].items()]
    lines += [f"  widget    {info['web']['widget_demo']}", f"  agenda    {info['web']['agenda']}"]
    lines += [f"  {role:<9} sign in: {u['email']} / {u['password']}" for role, u in info["users"].items()]
    lines += [f"  moto      {info['moto_url']}", f"  info      {info_file}", "  Ctrl-C to stop"]
    print("\n".join(lines), flush=True)
