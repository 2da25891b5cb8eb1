"""The services a query asks for: `service_id=A`, or `service_ids=A,B` (several back to back)."""

from __future__ import annotations

from creneau.errors import ValidationFailed

MAX_SERVICES = 10


def service_list(service_id: str | None, service_ids: str | None) -> list[str]:
    """The services asked for: one `service_id`, or `service_ids=A,B` (in order, each once)."""
    if (service_id is None) == (service_ids is None):
        raise ValidationFailed.field("service_id", "give exactly one of service_id or service_ids")
    if service_id is not None:
        return [service_id]
    listed = [part.strip() for part in service_ids.split(",")]
    if not all(listed) or len(listed) > MAX_SERVICES:
        raise ValidationFailed.field(
            "service_ids", f"comma-separated service ids, 1 to {MAX_SERVICES}, none empty"
        )
    if len(set(listed)) != len(listed):
        raise ValidationFailed.field("service_ids", "lists a service twice: each service is booked once")
    return listed
