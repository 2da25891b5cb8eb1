"""Shapes shared by every resource: instants, money, pages, time zones."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from creneau.clock import iso


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {name!r}") from exc
    return name


def _require_text(value: object) -> object:
    if not isinstance(value, str | datetime):
        raise ValueError("an instant is RFC 3339 text, e.g. 2026-03-17T10:30:00+01:00")
    return value


def _require_offset(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("an instant needs an offset, e.g. 2026-03-17T10:30:00+01:00")
    return at


TimeZoneName = Annotated[str, AfterValidator(_check_timezone)]
# In: RFC 3339 with an offset. Out: UTC with Z.
Instant = Annotated[
    datetime,
    BeforeValidator(_require_text),
    AfterValidator(_require_offset),
    PlainSerializer(iso, return_type=str),
]
Id = Annotated[str, Field(min_length=1, max_length=64)]
# One @, a dotted domain, no spaces: enough to catch typing mistakes. Deliverability is the mail
# system's business (email-validator's 25 ms of import at every cold start bought nothing more).
Email = Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class Model(BaseModel):
    """Every shape of the API. A handler uses few of its models per invocation: each one's
    validator is built when first used rather than for all of them at import (cold start)."""

    model_config = ConfigDict(defer_build=True)


class Strict(Model):
    """Request bodies: unknown fields are an error the caller should hear about."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class Money(Strict):
    amount: int = Field(ge=0, description="integer minor units (cents)")
    currency: str = Field(pattern=r"^[A-Z]{3}$")


class Page(Model):
    """A collection page; each resource declares its own with a typed `items`."""

    items: list
    next_cursor: str | None = None
