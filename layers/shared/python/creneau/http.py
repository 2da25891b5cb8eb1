"""The API on Powertools' resolver: auth before anything else, and every error mapped in one place.

A function's app.py declares its routes with `api.get(path, role=...)`, or a kind of record's with
`api.resource(...)`, paths written as in template.yaml (`/v1/services/{id}`). The role of each
route is checked against the caller (an API key, or a Cognito token: see logic/auth.py) before
validation, so a caller without the right role learns nothing about the route. The OpenAPI
document carries each operation's role as `x-creneau-role`.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from typing import Annotated, Any, get_type_hints

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import ValidationError

from creneau import config, json_body, observability
from creneau.clock import Clock, SystemClock
from creneau.errors import (
    Conflict,
    CreneauError,
    HasAppointments,
    NotAuthenticated,
    OriginRefused,
    RouteNotFound,
)
from creneau.logic.auth import Authenticator, Principal, authorize
from creneau.models.common import Key

logger = observability.logger

PUBLIC, AGENT, ADMIN = "public", "agent", "admin"
NO_KEY = "none"  # routes that authenticate otherwise (OAuth callbacks)
_PARAM = re.compile(r"\{([^}+]+)\+?\}")
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
# Either credential works on every route that takes one (docs/accounts.md).
SECURITY = [{"ApiKey": []}, {"CognitoToken": []}]


def security_schemes() -> dict:
    """The OpenAPI security schemes that SECURITY names (for the generated document only)."""
    from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn, HTTPBearer

    return {
        "ApiKey": APIKey(name="X-Api-Key", **{"in": APIKeyIn.header}),
        "CognitoToken": HTTPBearer(
            bearerFormat="JWT", description="a Cognito ID or access token of the deployment's user pool"
        ),
    }


def error_body(code: str, message: str, details: list | None = None) -> str:
    return json.dumps({"error": {"code": code, "message": message, "details": details or []}})


def error_response(error: CreneauError) -> Response:
    return Response(
        status_code=error.status,
        content_type=content_types.APPLICATION_JSON,
        body=error_body(error.code, error.message, error.details),
    )


def validation_details(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    details = []
    for error in errors:
        if error.get("type") == "json_invalid":
            details.append({"field": "body", "message": "the body is not valid JSON"})
            continue
        location = [str(part) for part in error.get("loc", ())]
        if location and location[0] in ("body", "query", "path", "header"):
            location = location[1:]
        message = error.get("msg", "invalid").removeprefix("Value error, ")
        details.append({"field": ".".join(location) or "body", "message": message})
    return details


def origin_headers(allowed: str | None) -> dict[str, str]:
    """CORS headers of a tenant that lists its origins: exactly the caller's origin, varying on it.
    Empty when CORS is the API level's (README, "Deploy")."""
    return {"Access-Control-Allow-Origin": allowed, "Vary": "Origin"} if allowed else {}


@dataclass(frozen=True)
class Operation:
    """What the OpenAPI document says of a route beyond Powertools' view (scripts/openapi.py)."""

    role: str
    summary: str | None
    errors: tuple[type[CreneauError], ...]  # those the route itself raises; auth and input ones are implied


class Api:
    def __init__(self, clock: Clock | None = None, authenticator: Authenticator | None = None) -> None:
        config.require()  # at the handler's import: a missing or malformed variable fails the cold start
        self.clock = clock or SystemClock()  # what every route of this function takes `now` from
        self.auth = authenticator or Authenticator()  # one per function: its user cache lives as long
        self.app = APIGatewayHttpResolver(enable_validation=True)
        self.roles: dict[str, str] = {}
        self.manage_token_routes: set[str] = set()
        self.operations: dict[str, Operation] = {}
        self._install_error_handlers()

    # ---- routes -----------------------------------------------------------------------------

    def route(
        self,
        method: str,
        path: str,
        role: str,
        summary: str | None = None,
        errors: tuple[type[CreneauError], ...] = (),
        manage_token: bool = False,
        **options: Any,
    ):
        """`summary`: one line for people reading the API; `errors`: what the route answers beyond
        401/403 (a credential), 415 (a body) and 422 (parameters or a body), which are implied (see
        scripts/openapi.py). `manage_token`: a caller below `role` may still come with
        `?manage_token=` (the handler checks the token itself)."""
        self.roles[f"{method} {path}"] = role
        self.operations[f"{method} {path}"] = Operation(role, summary, tuple(errors))
        if manage_token:
            self.manage_token_routes.add(f"{method} {path}")
        extensions = {"x-creneau-role": role, **({"x-creneau-manage-token": True} if manage_token else {})}
        if role != NO_KEY:
            options.setdefault("security", SECURITY)
        if summary:
            options["summary"] = summary
        return self.app.route(
            _PARAM.sub(r"<\1>", path), method=method, openapi_extensions=extensions, **options
        )

    def get(self, path: str, role: str, **options: Any):
        return self.route("GET", path, role, **options)

    def post(self, path: str, role: str, **options: Any):
        return self.route("POST", path, role, **options)

    def patch(self, path: str, role: str, **options: Any):
        return self.route("PATCH", path, role, **options)

    def delete(self, path: str, role: str, **options: Any):
        return self.route("DELETE", path, role, status_code=204, **options)

    def resource(
        self, path: str, reader: str, writer: str, missing: type[CreneauError], **shape: Any
    ) -> Resource:
        return Resource(self, path, reader, writer, missing, **shape)

    @staticmethod
    def no_content() -> Response:
        return Response(status_code=HTTPStatus.NO_CONTENT, body="")

    def now(self) -> datetime:
        return self.clock.now()

    # ---- the caller ---------------------------------------------------------------------------

    def principal(self) -> Principal:
        principal = self.app.context.get("principal")
        if principal is None:  # a route reached without the auth step: never serve it
            raise NotAuthenticated("missing X-Api-Key header or Authorization: Bearer token")
        return principal

    @property
    def tenant_id(self) -> str:
        return self.principal().tenant_id

    # ---- the Lambda entry point ---------------------------------------------------------------

    def handle(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        answer = self._answer(event, context)
        # One line per request, with the correlation id (the API Gateway request id) like every other.
        logger.info("answered", extra={"route": event.get("routeKey"), "status": answer.get("statusCode")})
        return answer

    def _answer(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        route_key = event.get("routeKey", "")
        role = self.roles.get(route_key)
        cors: dict[str, str] = {}
        if role:
            principal = None
            headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
            try:
                if role != NO_KEY:
                    method = route_key.split(" ", 1)[0]
                    principal = self.auth.authenticate(headers, writes=method not in _READS)
                    if not self._comes_with_manage_token(route_key, event):
                        authorize(principal, role)
                    cors = origin_headers(self.auth.check_origin(principal, headers.get("origin")))
                json_body.check(event)  # after auth: a caller without the right key learns nothing
            except CreneauError as error:
                refused = {"Content-Type": content_types.APPLICATION_JSON}
                if isinstance(error, OriginRefused):
                    refused["Vary"] = "Origin"  # the answer depends on Origin; it allows no origin
                return {
                    "statusCode": error.status,
                    "headers": refused | cors,
                    "body": error_body(error.code, error.message, error.details),
                    "isBase64Encoded": False,
                }
            if principal is not None:
                self.app.append_context(principal=principal)
        result = self.app.resolve(event, context)
        if cors:
            result["headers"] = {**(result.get("headers") or {}), **cors}
        return result

    def _comes_with_manage_token(self, route_key: str, event: dict[str, Any]) -> bool:
        query = event.get("queryStringParameters") or {}
        return route_key in self.manage_token_routes and bool(query.get("manage_token"))

    def _install_error_handlers(self) -> None:
        app = self.app

        @app.exception_handler(CreneauError)
        def _known(error: CreneauError) -> Response:
            if error.status == HTTPStatus.CONFLICT:
                observability.refused(error.code, error.details)
            return error_response(error)

        # A request, or a resource once a PATCH is merged into it, that breaks the models' rules.
        @app.exception_handler([RequestValidationError, ValidationError])
        def _invalid(error: RequestValidationError | ValidationError) -> Response:
            details = validation_details(error.errors())
            return Response(
                status_code=HTTPStatus.UNPROCESSABLE_ENTITY,
                content_type=content_types.APPLICATION_JSON,
                body=error_body("validation-error", "the request is not valid", details),
            )

        @app.not_found
        def _no_route(_error: Exception) -> Response:
            event = app.current_event
            return error_response(RouteNotFound(f"no route {event.http_method} {event.path}"))

        @app.exception_handler(Exception)
        def _unexpected(error: Exception) -> Response:
            logger.exception("unhandled error")
            return error_response(CreneauError("an unexpected error occurred; it has been logged"))


Errors = tuple[type[CreneauError], ...]
RecordId = Annotated[Key, Path()]
Force = Annotated[
    bool, Query(description="delete even though upcoming open appointments use it (they stay readable)")
]


@dataclass(frozen=True)
class Case:
    """A use case that a route serves as it is, and what it answers beyond its kind's errors."""

    run: Callable[..., Any]
    errors: Errors = ()


def _case(use_case: Callable[..., Any] | Case) -> Case:
    return use_case if isinstance(use_case, Case) else Case(use_case)


def _parameter(name: str, annotation: Any, **default: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=annotation, **default)


def _body_type(run: Callable[..., Any]) -> Any:
    """The type of a use case's last parameter: the body it takes."""
    hints = get_type_hints(run)
    hints.pop("return", None)
    return list(hints.values())[-1]


_BODY = _parameter("body", None)  # stands for the use case's own body type


@dataclass(frozen=True)
class Resource:
    """The routes of one kind of record: the collection at `path`, each record at `path/{item}`.

    What every route of the kind answers is declared here once: a route on one record answers
    `missing`, and `within` (the records the path hangs under) on every route; a change answers
    Conflict (the record's version moved). `manage_token` routes on one record let a customer in."""

    api: Api
    path: str
    reader: str  # the role that reads
    writer: str  # the role that writes
    missing: type[CreneauError]
    within: Errors = ()
    item: str = "id"
    manage_token: bool = False

    def collection(self, summary: str, errors: Errors = (), **options: Any):
        return self.api.get(
            self.path, self.reader, summary=summary, errors=(*self.within, *errors), **options
        )

    def create(self, summary: str, errors: Errors = (), **options: Any):
        errors = (*self.within, *errors)
        return self.api.post(
            self.path, self.writer, status_code=201, summary=summary, errors=errors, **options
        )

    def read(self, summary: str, errors: Errors = (), part: str = "", **options: Any):
        return self._one("GET", self.reader, part, summary, errors, **options)

    def change(self, summary: str, errors: Errors = (), **options: Any):
        return self._one("PATCH", self.writer, "", summary, (*errors, Conflict), **options)

    def act(self, part: str, summary: str, errors: Errors = (), **options: Any):
        """POST to `path/{item}/part`: a change that is not a plain edit (status, reschedule...)."""
        return self._one("POST", self.writer, part, summary, (*errors, Conflict), **options)

    def delete(self, summary: str, errors: Errors = (), **options: Any):
        return self._one("DELETE", self.writer, "", summary, errors, status_code=204, **options)

    def serve(
        self,
        store: Any,
        record: type,
        noun: str,
        *,
        create: Callable[..., Any] | Case | None = None,
        read: Callable[..., Any] | Case | None = None,
        change: Callable[..., Any] | Case | None = None,
        delete: Callable[..., Any] | Case | None = None,
        guarded_delete: Callable[..., Any] | Case | None = None,
    ) -> None:
        """The routes of this kind that add nothing to their use case but the store and the
        caller's tenant, which every use case takes first. Then `create` takes the body, `read` and
        `delete` the record's id, `change` the id and the patch, and `guarded_delete` the id, `force`
        and now: it refuses with has-appointments while upcoming appointments use the record.

        The body's and the patch's types are the use case's last parameter's, so what a route
        accepts is written once, in the logic. The record's type is what the routes answer, and its
        name makes the operation ids (create_customer...); `noun` makes the summaries ("Read a
        customer"). Routes that read more of the request than that are written out."""
        name = record.__name__.lower()
        one = _parameter(self.item, RecordId)
        for use_case, declare, verb, operation, takes, returns in (
            (create, self.create, "Create", "create", [_BODY], record),
            (read, self.read, "Read", "get", [one], record),
            (change, self.change, "Change", "patch", [one, _BODY], record),
            (delete, self.delete, "Delete", "delete", [one], None),
        ):
            if use_case is not None:
                case = _case(use_case)
                handler = self._handler(store, case.run, f"{operation}_{name}", takes, returns)
                declare(f"{verb} {noun}", case.errors)(handler)
        if guarded_delete is not None:
            case = _case(guarded_delete)
            takes = [one, _parameter("force", Force, default=False)]
            handler = self._handler(store, case.run, f"delete_{name}", takes, None, now=True)
            summary = f"Delete {noun} (409 while upcoming appointments use it)"
            self.delete(summary, (HasAppointments, *case.errors, Conflict))(handler)

    def _handler(
        self,
        store: Any,
        run: Callable[..., Any],
        name: str,
        takes: list[inspect.Parameter],
        returns: type | None,
        now: bool = False,
    ) -> Callable[..., Any]:
        """A route function as Powertools reads one written out: its name (the operation id) and
        the typed signature it validates the request against. It calls `run` with the store, the
        tenant, what it takes in that order, and now if asked; a route returning None answers 204."""
        api = self.api
        takes = [_parameter(p.name, _body_type(run)) if p is _BODY else p for p in takes]

        def handler(**given: Any) -> Any:
            answer = run(store, api.tenant_id, *(given[p.name] for p in takes), *([api.now()] if now else []))
            return api.no_content() if returns is None else answer

        returned = inspect.Signature.empty if returns is None else returns
        handler.__signature__ = inspect.Signature(takes, return_annotation=returned)  # type: ignore[attr-defined]
        handler.__name__ = handler.__qualname__ = name
        return handler

    def _one(self, method: str, role: str, part: str, summary: str, errors: Errors, **options: Any):
        path = f"{self.path}/{{{self.item}}}" + (f"/{part}" if part else "")
        errors = (*self.within, self.missing, *errors)
        token = self.manage_token
        return self.api.route(method, path, role, summary, errors, manage_token=token, **options)
