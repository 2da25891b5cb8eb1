"""A moto server that handles ONE request at a time, in its own process.

Measured: moto's TransactWriteItems is not isolated under concurrent requests (several "winners" in
races on the same keys), while a single-threaded HTTP/1.0 werkzeug server gave exactly one winner every
time. Real DynamoDB transactions are serializable, so this is the only faithful local setup.

`python -m devstack.moto_server --port 0` prints the bound port on its first stdout line, and exits
when its stdin closes: it never outlives its parent, however the parent dies.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading

HOST = "127.0.0.1"


def serve(host: str, port: int) -> None:
    import logging

    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from moto.server import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    from devstack import moto_dynamodb

    moto_dynamodb.install()  # transactions that copy only what they touch; no model kept forever

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C hits the process group: the parent stops us
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    # What run_simple(..., threaded=False) builds (a BaseWSGIServer: one request at a time, HTTP/1.0),
    # created directly so that we can report the port the OS chose.
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(host, port, app, threaded=False, processes=1, request_handler=MotoRequestHandler)
    assert not server.multithread and not server.multiprocess
    print(server.port, flush=True)
    threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
    server.serve_forever()


class MotoServer:
    """Parent side: start the subprocess, know its URL, stop it."""

    def __init__(self, port: int = 0, host: str = HOST) -> None:
        self.host, self.port = host, port
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> MotoServer:
        cmd = [sys.executable, "-m", "devstack.moto_server", "--host", self.host, "--port", str(self.port)]
        # Importable wherever we were started from.
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
        }
        self.process = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
        )
        line = self.process.stdout.readline().strip()
        if not line.isdigit():
            self.stop()
            raise RuntimeError(f"the moto server did not start (it said {line!r})")
        self.port = int(line)
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdin.close()
        self.process.stdout.close()

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=HOST)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    serve(args.host, args.port)
