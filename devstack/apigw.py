"""API Gateway HTTP API behaviour: request -> payload v2.0 event, handler result -> HTTP response, CORS.

Like HTTP APIs: rawPath and path parameters are URL-decoded, rawQueryString is not, the query string's
and headers' duplicate values are comma-joined, cookies move from the Cookie header to `cookies`.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qsl, unquote

from devstack.lambda_runtime import ACCOUNT_ID
from devstack.routes import Route

Headers = list[tuple[str, str]]


def build_event(
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Headers,
    body: bytes,
    route: Route,
    path_params: dict[str, str],
    source_ip: str = "127.0.0.1",
    request_id: str | None = None,
    now: float | None = None,
    scheme: str = "http",
) -> dict:
    now = time.time() if now is None else now
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        name = name.lower()
        if name == "cookie":
            cookies += [c.strip() for c in value.split(";") if c.strip()]
        else:
            joined[name] = f"{joined[name]},{value}" if name in joined else value
    query: dict[str, str] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        query[key] = f"{query[key]},{value}" if key in query else value
    path = unquote(raw_path)
    host = joined.get("host", "localhost")
    joined.setdefault("x-forwarded-proto", scheme)  # API Gateway says how the caller reached it
    event = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": joined,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": "local",
            "domainName": host,
            "domainPrefix": host.split(".")[0],
            "http": {
                "method": method.upper(),
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": joined.get("user-agent", ""),
            },
            "requestId": request_id or str(uuid.uuid4()),
            "routeKey": route.route_key,
            "stage": "$default",
            "time": datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if path_params:
        event["pathParameters"] = path_params
    if body:
        try:
            event["body"] = body.decode("utf-8")
        except UnicodeDecodeError:
            event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode("ascii"), True
    return event


def to_http_response(result: object) -> tuple[int, Headers, bytes]:
    """A handler's v2 result as (status, headers, body). Without statusCode, the result is a JSON body."""
    if not (isinstance(result, dict) and "statusCode" in result):
        return 200, [("Content-Type", "application/json")], json.dumps(result).encode()
    headers = [(k, str(v)) for k, v in (result.get("headers") or {}).items()]
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers += [(name, str(v)) for v in values]
    headers += [("Set-Cookie", c) for c in result.get("cookies") or []]
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    if not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return int(result["statusCode"]), headers, data


def error_response(
    status: int, code: str, message: str, details: list | None = None
) -> tuple[int, Headers, bytes]:
    """An answer of the gateway itself, in the API's error shape."""
    body = json.dumps({"error": {"code": code, "message": message, "details": details or []}}).encode()
    return status, [("Content-Type", "application/json")], body


# -- CORS, as the HttpApi CorsConfiguration makes API Gateway answer ---------------------------------------


def _allowed_origin(cors: dict, origin: str | None) -> str | None:
    origins = cors.get("AllowOrigins") or []
    if origin is None:
        return None
    if "*" in origins:
        return "*"
    return origin if origin in origins else None


def is_preflight(method: str, headers: dict[str, str]) -> bool:
    return method == "OPTIONS" and "origin" in headers and "access-control-request-method" in headers


def preflight_headers(cors: dict, headers: dict[str, str]) -> Headers:
    origin = _allowed_origin(cors, headers.get("origin"))
    if origin is None:
        return []
    out = [("Access-Control-Allow-Origin", origin)]
    if cors.get("AllowMethods"):
        out.append(("Access-Control-Allow-Methods", ",".join(cors["AllowMethods"])))
    if cors.get("AllowHeaders"):
        out.append(("Access-Control-Allow-Headers", ",".join(h.lower() for h in cors["AllowHeaders"])))
    if cors.get("MaxAge") is not None:
        out.append(("Access-Control-Max-Age", str(cors["MaxAge"])))
    return out + _credentials(cors)


def response_cors_headers(cors: dict, headers: dict[str, str]) -> Headers:
    origin = _allowed_origin(cors, headers.get("origin"))
    if origin is None:
        return []
    out = [("Access-Control-Allow-Origin", origin)]
    if cors.get("ExposeHeaders"):
        out.append(("Access-Control-Expose-Headers", ",".join(cors["ExposeHeaders"])))
    return out + _credentials(cors)


def _credentials(cors: dict) -> Headers:
    return [("Access-Control-Allow-Credentials", "true")] if cors.get("AllowCredentials") else []


def decided_by_origin(headers: Headers) -> bool:
    """The integration chose its CORS answer from the request's Origin (the tenant's allowed_origins)."""
    return any(k.lower() == "vary" and "origin" in v.lower() for k, v in headers)
