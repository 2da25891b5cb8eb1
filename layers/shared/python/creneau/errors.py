"""Every error the API can answer, mapped to its HTTP status in one place (see http.py)."""

from __future__ import annotations

from typing import Any


class CreneauError(Exception):
    code = "internal"
    status = 500

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or []


class NotAuthenticated(CreneauError):
    code, status = "not-authorized", 401


class Forbidden(CreneauError):
    code, status = "not-authorized", 403


class OriginRefused(Forbidden):
    """A public key used from a page its tenant does not list (allowed_origins)."""


class RouteNotFound(CreneauError):
    code, status = "not-found", 404


class ValidationFailed(CreneauError):
    code, status = "validation-error", 422

    @classmethod
    def field(cls, field: str, message: str) -> ValidationFailed:
        return cls(message, [{"field": field, "message": message}])


class ServiceNotFound(CreneauError):
    code, status = "service-not-found", 404


class CalendarNotFound(CreneauError):
    code, status = "calendar-not-found", 404


class CustomerNotFound(CreneauError):
    code, status = "customer-not-found", 404


class AppointmentNotFound(CreneauError):
    code, status = "appointment-not-found", 404


class SessionNotFound(CreneauError):
    code, status = "session-not-found", 404


class LockNotFound(CreneauError):
    code, status = "lock-not-found", 404


class CategoryNotFound(CreneauError):
    code, status = "category-not-found", 404


class ApiKeyNotFound(CreneauError):
    code, status = "api-key-not-found", 404


class SlotUnavailable(CreneauError):
    code, status = "slot-unavailable", 409


class InvalidStatusTransition(CreneauError):
    code, status = "invalid-status-transition", 409


class TooManyAppointments(CreneauError):
    code, status = "too-many-appointments", 409


class IdempotencyConflict(CreneauError):
    code, status = "idempotency-conflict", 409


class HasAppointments(CreneauError):
    """Deleting what future open appointments still rely on; `details` carries their count."""

    code, status = "has-appointments", 409

    def __init__(self, message: str, count: int):
        super().__init__(message, [{"count": count}])


class Conflict(CreneauError):
    """A concurrent writer changed the object first; the caller may retry."""

    code, status = "conflict", 409


class UnsupportedMediaType(CreneauError):
    code, status = "unsupported-media-type", 415


class ConnectionNotFound(CreneauError):
    code, status = "connection-not-found", 404


class ConnectionExists(CreneauError):
    code, status = "connection-exists", 409


class ConnectionNotReady(CreneauError):
    code, status = "connection-not-ready", 409


class ProviderNotConfigured(CreneauError):
    code, status = "provider-not-configured", 422


class OAuthRefused(CreneauError):
    """An OAuth callback that cannot be honoured (bad, reused or expired state; consent refused)."""

    code, status = "oauth-refused", 400


class WebhookNotFound(CreneauError):
    code, status = "webhook-not-found", 404


class UserNotFound(CreneauError):
    code, status = "user-not-found", 404


class UserExists(CreneauError):
    """Cognito usernames are emails, unique across the whole pool (every tenant)."""

    code, status = "user-exists", 409
