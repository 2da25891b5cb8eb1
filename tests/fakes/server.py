"""A threaded HTTPS server over one fake's `handle`, with scripted faults and a request log."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}

    @property
    def bearer(self) -> str | None:
        value = self.headers.get("authorization", "")
        return value[7:] if value.startswith("Bearer ") else None


@dataclass
class Reply:
    status: int
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Fault:
    """Answer `status` instead; with `after_commit`, do the work first (an answer lost on the way)."""

    status: int
    body: object = None
    retry_after: float | None = None
    after_commit: bool = False


FaultPlan = Callable[[Request], Fault | None]


class FakeServer:
    def __init__(self, cert: Path, key: Path) -> None:
        self.lock = threading.RLock()
        self.log: list[tuple[str, str]] = []
        self.fault_plan: FaultPlan | None = None
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                return

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                size = int(self.headers.get("content-length") or 0)
                request = Request(
                    self.command,
                    parts.path,
                    {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()},
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(size) if size else b"",
                )
                reply = fake.dispatch(request)
                data = b""
                if isinstance(reply.body, bytes | str):
                    data = reply.body.encode() if isinstance(reply.body, str) else reply.body
                elif reply.body is not None:
                    data = json.dumps(reply.body).encode()
                    reply.headers.setdefault("Content-Type", "application/json; charset=UTF-8")
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> FakeServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def dispatch(self, request: Request) -> Reply:
        with self.lock:
            self.log.append((request.method, request.path))
            fault = self.fault_plan(request) if self.fault_plan else None
            if fault is not None and not fault.after_commit:
                return self._fault(fault)
            reply = self.handle(request)
            return self._fault(fault) if fault is not None else reply

    @staticmethod
    def _fault(fault: Fault) -> Reply:
        headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
        return Reply(fault.status, fault.body, headers)

    def handle(self, request: Request) -> Reply:
        raise NotImplementedError

    def count(self, method: str | None = None, contains: str = "") -> int:
        with self.lock:
            return sum(1 for m, p in self.log if (method is None or m == method) and contains in p)
