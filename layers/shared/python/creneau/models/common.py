"""Shapes shared by every resource: instants, money, pages, time zones."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
)

from creneau.clock import iso


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {name}") from exc
    return name


# The years an instant or a date may name: far wider than any booking needs, and narrow enough that
# every computation on them (buffers, horizons, look-backs, local days) stays inside datetime's range.
FIRST_YEAR, LAST_YEAR = 1970, 2999
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")


def _require_text(value: object) -> object:
    """RFC 3339 text only: pydantic would also read "1738400000" as epoch seconds, and an offset-less
    time as valid until _require_offset; the contract says date, time and offset, always."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError("an instant is RFC 3339 text with an offset, e.g. 2026-03-17T10:30:00+01:00")
    return value


def _require_offset(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("an instant needs an offset, e.g. 2026-03-17T10:30:00+01:00")
    if not FIRST_YEAR <= at.year <= LAST_YEAR:  # the local year: converting 0001-01-01+01:00 overflows
        raise ValueError(f"an instant must fall between the years {FIRST_YEAR} and {LAST_YEAR}")
    return at


def _day_in_range(day: date) -> date:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(f"a date must fall between the years {FIRST_YEAR} and {LAST_YEAR}")
    return day


# What a free-form JSON object (a customer's `extra`, a booking's `fields`) may hold once serialized:
# DynamoDB refuses items over 400 KB, and one record carries several of these.
JSON_OBJECT_MAX_BYTES = 16 * 1024


def _bounded_json(value: dict[str, Any]) -> dict[str, Any]:
    size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
    if size > JSON_OBJECT_MAX_BYTES:
        raise ValueError(f"at most {JSON_OBJECT_MAX_BYTES // 1024} KB of JSON (this one is {size} bytes)")
    return value


TimeZoneName = Annotated[str, AfterValidator(_check_timezone)]
# In: RFC 3339 with an offset. Out: UTC with Z.
Instant = Annotated[
    datetime,
    BeforeValidator(_require_text),
    AfterValidator(_require_offset),
    PlainSerializer(iso, return_type=str),
]
Day = Annotated[date, AfterValidator(_day_in_range)]
JsonObject = Annotated[dict[str, Any], AfterValidator(_bounded_json)]
# Ids the API made (hex) and lock codes (A-Za-z0-9_-): bounded at the edge, so that no request can
# hand DynamoDB a key over its size limits (real DynamoDB refuses them; moto does not).
ID_PATTERN = r"^[A-Za-z0-9_-]+$"
Id = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=ID_PATTERN)]
# A path or query parameter naming an id or a lock code (16 to 128 characters).
Key = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=ID_PATTERN)]
# `service_ids=A,B` in a query: ids separated by commas (split and checked by the use case).
ServiceIdList = Annotated[
    str, StringConstraints(min_length=1, max_length=10 * 65, pattern=r"^[A-Za-z0-9_,-]+$")
]
CursorText = Annotated[str, StringConstraints(max_length=1024)]
SearchText = Annotated[str, StringConstraints(max_length=254)]
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


class Patch(Strict):
    """A PATCH body: only the fields the caller sent are changes (a null sent clears a field)."""

    def changes(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True)


class Money(Strict):
    amount: int = Field(ge=0, description="integer minor units (cents)")
    currency: str = Field(pattern=r"^[A-Z]{3}$")


class Page(Model):
    """A collection page; each resource declares its own with a typed `items`."""

    items: list
    next_cursor: str | None = None
