"""The deployment's configuration: one model over the environment (template.yaml sets it), validated
at each handler's import so that a missing or malformed variable fails the cold start naming it,
instead of a 500 on the first request. Also where the tables are (one client per environment)."""

from __future__ import annotations

import os
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator


class ConfigurationError(RuntimeError):
    """A variable of the environment is missing or malformed; the message names it."""


def _blank_is_unset(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


MaybeText = Annotated[str | None, BeforeValidator(_blank_is_unset)]  # the template sets "" for "none"


class Settings(BaseModel):
    """Every variable a function reads, by its environment name. Each handler requires, at import, the
    three tables and its own extras (`require`); a pure helper reads only what it needs (a test of
    sealed cursors sets the secret alone)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    catalog_table: MaybeText = Field(None, alias="CATALOG_TABLE")
    bookings_table: MaybeText = Field(None, alias="BOOKINGS_TABLE")
    idempotency_table: MaybeText = Field(None, alias="IDEMPOTENCY_TABLE")
    manage_token_secret: MaybeText = Field(None, alias="MANAGE_TOKEN_SECRET")
    default_email_from: MaybeText = Field(None, alias="DEFAULT_EMAIL_FROM")
    # Sign-in (creneau/tokens.py): the pool's issuer and client; the JWKS URL only locally.
    cognito_user_pool_id: MaybeText = Field(None, alias="COGNITO_USER_POOL_ID")
    cognito_client_id: MaybeText = Field(None, alias="COGNITO_CLIENT_ID")
    cognito_issuer: MaybeText = Field(None, alias="COGNITO_ISSUER")
    cognito_jwks_url: MaybeText = Field(None, alias="COGNITO_JWKS_URL")
    # The local stack only: every email (and invitation password) is also written here as .eml.
    outbox_dir: MaybeText = Field(None, alias="OUTBOX_DIR")
    ses_configuration_set: MaybeText = Field(None, alias="SES_CONFIGURATION_SET")
    # Change events (functions/events).
    events_topic_arn: MaybeText = Field(None, alias="EVENTS_TOPIC_ARN")
    reminder_schedule_group: MaybeText = Field(None, alias="REMINDER_SCHEDULE_GROUP")
    reminder_target_arn: MaybeText = Field(None, alias="REMINDER_TARGET_ARN")
    reminder_role_arn: MaybeText = Field(None, alias="REMINDER_ROLE_ARN")
    # Webhooks (functions/webhooks).
    webhooks_queue_url: MaybeText = Field(None, alias="WEBHOOKS_QUEUE_URL")
    webhooks_allow_private: bool = Field(False, alias="WEBHOOKS_ALLOW_PRIVATE")
    webhook_retry_delays: tuple[int, ...] | None = Field(None, alias="WEBHOOK_RETRY_DELAYS")
    # Calendar sync (docs/calendar-sync.md, "Configuration"): empty client ids refuse a provider.
    tokens_key_id: MaybeText = Field(None, alias="TOKENS_KEY_ID")
    oauth_state_secret: MaybeText = Field(None, alias="OAUTH_STATE_SECRET")
    oauth_redirect_base: MaybeText = Field(None, alias="OAUTH_REDIRECT_BASE")
    google_client_id: MaybeText = Field(None, alias="GOOGLE_CLIENT_ID")
    google_client_secret: MaybeText = Field(None, alias="GOOGLE_CLIENT_SECRET")
    google_auth_url: MaybeText = Field(None, alias="GOOGLE_AUTH_URL")
    google_token_url: MaybeText = Field(None, alias="GOOGLE_TOKEN_URL")
    google_api_base: MaybeText = Field(None, alias="GOOGLE_API_BASE")
    google_revoke_url: MaybeText = Field(None, alias="GOOGLE_REVOKE_URL")
    google_userinfo_url: MaybeText = Field(None, alias="GOOGLE_USERINFO_URL")
    ms_client_id: MaybeText = Field(None, alias="MS_CLIENT_ID")
    ms_client_secret: MaybeText = Field(None, alias="MS_CLIENT_SECRET")
    ms_authority: MaybeText = Field(None, alias="MS_AUTHORITY")
    graph_api_base: MaybeText = Field(None, alias="GRAPH_API_BASE")
    # Extra CA bundles (local fakes with their own CA); the system's trust store is always used too.
    ssl_cert_file: MaybeText = Field(None, alias="SSL_CERT_FILE")
    requests_ca_bundle: MaybeText = Field(None, alias="REQUESTS_CA_BUNDLE")

    @field_validator("webhooks_allow_private", mode="before")
    @classmethod
    def _flag(cls, value: Any) -> Any:
        if value in ("", "0", "1", False, True):
            return value == "1" or value is True
        raise ValueError("must be 1 (allowed) or 0 or empty (refused)")

    @field_validator("webhook_retry_delays", mode="before")
    @classmethod
    def _delays(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if not value.strip():
            return None
        try:
            delays = tuple(int(part) for part in value.split(","))
        except ValueError:
            raise ValueError("must be seconds separated by commas, e.g. 10,60,300") from None
        if any(d < 0 for d in delays):
            raise ValueError("must be seconds separated by commas, e.g. 10,60,300")
        return delays


NAMES = tuple(field.alias for field in Settings.model_fields.values())
_ALIAS = {name: field.alias for name, field in Settings.model_fields.items()}
_loaded: tuple[tuple, Settings] | None = None


def _fingerprint() -> tuple:
    """The variables' raw values, cheaply: CPython's os.environ keeps them encoded in `_data` (a look-up
    there costs ~0.1 µs, os.environ.get ~2 µs; settings() runs on every table access)."""
    raw = getattr(os.environ, "_data", None)
    if raw is not None and os.name == "posix":
        return tuple(map(raw.get, _ENCODED))
    return tuple(map(os.environ.get, NAMES))


_ENCODED = tuple(name.encode() for name in NAMES)


def settings() -> Settings:
    """The configuration of this execution environment, validated once. Read again only when one of
    its variables changed (the local stack runs several functions in one process; tests change it)."""
    global _loaded
    seen = _fingerprint()
    if _loaded is None or _loaded[0] != seen:
        given = {name: os.environ[name] for name in NAMES if name in os.environ}
        try:
            _loaded = seen, Settings.model_validate(given)
        except ValidationError as error:
            raise ConfigurationError(_explain(error)) from None
    return _loaded[1]


TABLES = ("catalog_table", "bookings_table", "idempotency_table")


def require(*fields: str) -> Settings:
    """At a handler's import: the configuration, with the tables and these fields set."""
    current = settings()
    for name in (*TABLES, *fields):
        if getattr(current, name) is None:
            variable = _ALIAS[name]
            raise ConfigurationError(f"environment variable {variable} is not set")
    return current


def _explain(error: ValidationError) -> str:
    first = error.errors()[0]
    variable = str(first["loc"][0]) if first.get("loc") else "?"
    if first["type"] == "missing":
        return f"environment variable {variable} is not set"
    reason = first.get("msg", "invalid").removeprefix("Value error, ")
    return f"environment variable {variable} is malformed: {reason}"


@cache
def dynamodb():
    import boto3  # imported lazily: it is the largest part of a cold start

    return boto3.resource("dynamodb")


@cache
def client():
    return dynamodb().meta.client


@cache
def _table(name: str):
    return dynamodb().Table(name)  # building a Table resource costs ~0.5 ms: once per name


def catalog_table():
    return _table(catalog_table_name())


def bookings_table():
    return _table(bookings_table_name())


def catalog_table_name() -> str:
    return table_name("CATALOG_TABLE")


def bookings_table_name() -> str:
    return table_name("BOOKINGS_TABLE")


def table_name(env_var: str) -> str:
    name = getattr(settings(), env_var.lower())
    if name is None:  # a handler fails at import instead (require); a script may get here
        raise ConfigurationError(f"environment variable {env_var} is not set")
    return name


def reset() -> None:
    """Forget every client and table and the configuration: the next call builds them for the current
    environment (tests and benchmarks that point the process at another endpoint)."""
    global _loaded
    _loaded = None
    for cached in (dynamodb, client, _table):
        cached.cache_clear()
