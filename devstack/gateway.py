"""The local HTTP API: a threading HTTP server that routes each request to a handler in the pool.

Requests are served concurrently (one thread each) and run concurrently across worker processes,
so races behave as they would behind API Gateway and Lambda.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from devstack import apigw, routes
from devstack.lambda_runtime import FunctionSpec
from devstack.pool import LambdaPool

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class BodyRefused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code = status, code


class Gateway(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # API Gateway takes bursts; socketserver's default backlog of 5 resets them

    def __init__(
        self,
        address: tuple[str, int],
        route_table: list[routes.Route],
        functions: dict[str, FunctionSpec],
        pool: LambdaPool,
        cors: dict | None,
    ) -> None:
        super().__init__(address, GatewayHandler)
        self.route_table, self.functions, self.pool, self.cors = route_table, functions, pool, cors
        # The event loop's wake-up, when it runs: after a request that may have written (a read never
        # does, by the API's contract), so that its stream records are handled at once.
        self.after_write: Callable[[], None] = lambda: None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


class GatewayHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so clients reuse connections
    # Headers and body are two writes: with Nagle on, the body waits for the client's delayed ACK
    # of the headers (~40 ms on every small answer). API Gateway has no such stall.
    disable_nagle_algorithm = True
    server: Gateway

    def _handle(self) -> None:
        started = time.monotonic()
        raw_path, _, raw_query = self.path.partition("?")
        try:
            body = self._read_body()
        except BodyRefused as refused:
            self.close_connection = True  # what is left of the body cannot be framed: drop it
            self._send(*apigw.error_response(refused.status, refused.code, str(refused)))
            return
        headers = list(self.headers.items())
        lower = {k.lower(): v for k, v in headers}
        cors, target = self.server.cors, "-"
        if cors and apigw.is_preflight(self.command, lower):
            self._send(204, apigw.preflight_headers(cors, lower), b"")
            return
        found = routes.match(self.server.route_table, self.command, raw_path)
        if found is None:
            status, out_headers, data = apigw.error_response(
                404, "not-found", f"no route for {self.command} {raw_path}", [{"method": self.command}]
            )
        else:
            route, params = found
            target = route.function
            event = apigw.build_event(
                self.command, raw_path, raw_query, headers, body, route, params, self.client_address[0]
            )
            status, out_headers, data = self._invoke(self.server.functions[route.function], event)
        if cors and not apigw.decided_by_origin(out_headers):
            # API Gateway replaces the integration's CORS headers with its own. Where the application
            # answered per tenant (Vary: Origin), its answer wins here; the README ("Deploy") says how
            # the deployed API's AllowedOrigins parameter keeps the two consistent.
            out_headers = [(k, v) for k, v in out_headers if not k.lower().startswith("access-control-")]
            out_headers += apigw.response_cors_headers(cors, lower)
        self._send(status, out_headers, data)
        elapsed_ms = (time.monotonic() - started) * 1000
        print(f"{self.command} {self.path} -> {status} {target} {elapsed_ms:.0f} ms", file=sys.stderr)

    def _invoke(self, function: FunctionSpec, event: dict) -> tuple[int, apigw.Headers, bytes]:
        ok, result = self.server.pool.invoke(function, event)
        if self.command not in READ_METHODS:
            self.server.after_write()
        if not ok:
            return apigw.error_response(502, "internal", str(result), [{"function": function.name}])
        try:
            return apigw.to_http_response(result)
        except (ValueError, TypeError) as exc:  # e.g. a statusCode that is not a number
            message = f"malformed response from {function.name}: {exc}"
            return apigw.error_response(502, "internal", message, [{"function": function.name}])

    def _read_body(self) -> bytes:
        """The request body, framed by Content-Length or chunked, at most API Gateway's 10 MB."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunks()
        declared = self.headers.get("Content-Length")
        if declared is None:
            return b""
        if not declared.strip().isdigit():
            raise BodyRefused(400, "bad-request", f"Content-Length {declared!r} is not a number of bytes")
        length = int(declared)
        if length > MAX_BODY_BYTES:
            raise BodyRefused(413, "payload-too-large", f"a body holds at most {MAX_BODY_BYTES} bytes")
        return self.rfile.read(length)

    def _read_chunks(self) -> bytes:
        body = b""
        while True:
            size_line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                raise BodyRefused(400, "bad-request", "malformed chunked body") from None
            if size == 0:
                while self.rfile.readline(1024).strip():  # trailers, up to the blank line
                    pass
                return body
            if len(body) + size > MAX_BODY_BYTES:
                raise BodyRefused(413, "payload-too-large", f"a body holds at most {MAX_BODY_BYTES} bytes")
            body += self.rfile.read(size)
            self.rfile.readline(1024)  # the CRLF after the chunk

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (a bad request line, headers too long...) in the error shape."""
        self.close_connection = True
        if not str(getattr(self, "request_version", "")).startswith("HTTP/1."):
            self.request_version = "HTTP/1.0"  # else http.server answers as HTTP/0.9: no status line
        message = message or explain or HTTPStatus(code).phrase
        if code >= 500:  # 505 for HTTP/2.0 on the request line: the client's mistake, not ours
            code = 400
        name = HTTPStatus(code).phrase.lower().replace(" ", "-")
        self._send(*apigw.error_response(code, name, message))

    def __getattr__(self, name: str):
        """Every method reaches the routes (TRACE or an unknown one is then a 404 in the error shape),
        as behind API Gateway, rather than http.server's HTML 501."""
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def _send(self, status: int, headers: apigw.Headers, data: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def log_request(self, code="-", size="-") -> None:
        pass  # _handle logs one line with the function and the duration
