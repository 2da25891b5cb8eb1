"""HTTP API route matching, as API Gateway HTTP APIs do it.

The most specific route wins: segment by segment, a literal beats `{param}`, which beats `{greedy+}`;
for the same path, an explicit method beats ANY. `$default` catches what nothing else matches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import unquote

DEFAULT = "$default"
_LITERAL, _PARAM, _GREEDY = 0, 1, 2


@dataclass(frozen=True)
class Route:
    method: str  # GET, POST, ... or ANY
    path: str  # /v1/services/{id}, /{proxy+}, or $default
    function: str  # logical id of the AWS::Serverless::Function
    segments: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", self.method.upper())
        object.__setattr__(self, "segments", tuple(self.path.split("/")[1:]))

    @property
    def route_key(self) -> str:
        return DEFAULT if self.path == DEFAULT else f"{self.method} {self.path}"


def _kind(segment: str) -> int:
    if segment.startswith("{") and segment.endswith("+}"):
        return _GREEDY
    if segment.startswith("{") and segment.endswith("}"):
        return _PARAM
    return _LITERAL


def _bind(route: Route, parts: list[str]) -> dict[str, str] | None:
    """Path parameters if `parts` (raw path segments) fit the route's template, else None."""
    params: dict[str, str] = {}
    for i, segment in enumerate(route.segments):
        kind = _kind(segment)
        if kind == _GREEDY:
            rest = "/".join(parts[i:])
            if not rest:
                return None
            params[segment[1:-2]] = unquote(rest)
            return params
        if i >= len(parts):
            return None
        if kind == _PARAM:
            if not parts[i]:
                return None
            params[segment[1:-1]] = unquote(parts[i])
        elif segment != parts[i]:
            return None
    return params if len(parts) == len(route.segments) else None


def _specificity(route: Route) -> tuple:
    return (tuple(_kind(s) for s in route.segments), route.method == "ANY")


def match(routes: list[Route], method: str, raw_path: str) -> tuple[Route, dict[str, str]] | None:
    """The route that serves `method raw_path` and its decoded path parameters, or None (404)."""
    parts = raw_path.split("/")[1:]
    method = method.upper()
    candidates = []
    for route in routes:
        if route.path == DEFAULT or route.method not in (method, "ANY"):
            continue
        params = _bind(route, parts)
        if params is not None:
            candidates.append((_specificity(route), route, params))
    if candidates:
        _, route, params = min(candidates, key=lambda c: c[0])
        return route, params
    default = next((r for r in routes if r.path == DEFAULT), None)
    return (default, {}) if default else None
