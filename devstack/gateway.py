"""The local HTTP API: a threading HTTP server that routes each request to a handler in the pool.

Requests are served concurrently (one thread each) and run concurrently across worker processes,
so races behave as they would behind API Gateway and Lambda.
"""

from __future__ import annotations

import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from devstack import apigw, routes
from devstack.lambda_runtime import FunctionSpec
from devstack.pool import LambdaPool


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

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


class GatewayHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so clients reuse connections
    server: Gateway

    def _handle(self) -> None:
        started = time.monotonic()
        raw_path, _, raw_query = self.path.partition("?")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = list(self.headers.items())
        lower = {k.lower(): v for k, v in headers}
        cors, target = self.server.cors, "-"
        if cors and apigw.is_preflight(self.command, lower):
            self._send(204, apigw.preflight_headers(cors, lower), b"")
            return
        found = routes.match(self.server.route_table, self.command, raw_path)
        if found is None:
            status, out_headers, data = apigw.error_response(
                404, "not-found", f"no route for {self.command} {raw_path}"
            )
        else:
            route, params = found
            target = route.function
            event = apigw.build_event(
                self.command, raw_path, raw_query, headers, body, route, params, self.client_address[0]
            )
            status, out_headers, data = self._invoke(self.server.functions[route.function], event)
        if cors:  # API Gateway replaces the integration's CORS headers with its own
            out_headers = [(k, v) for k, v in out_headers if not k.lower().startswith("access-control-")]
            out_headers += apigw.response_cors_headers(cors, lower)
        self._send(status, out_headers, data)
        elapsed_ms = (time.monotonic() - started) * 1000
        print(f"{self.command} {self.path} -> {status} {target} {elapsed_ms:.0f} ms", file=sys.stderr)

    def _invoke(self, function: FunctionSpec, event: dict) -> tuple[int, apigw.Headers, bytes]:
        ok, result = self.server.pool.invoke(function, event)
        if not ok:
            return apigw.error_response(502, "internal", str(result))
        try:
            return apigw.to_http_response(result)
        except (ValueError, TypeError) as exc:  # e.g. a statusCode that is not a number
            return apigw.error_response(502, "internal", f"malformed response from {function.name}: {exc}")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

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
