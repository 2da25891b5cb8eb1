"""The body check that runs before Powertools' resolver (creneau/json_body.py), and the bounded
shapes of models/common.py: each refusal is a 4xx naming what is wrong."""

from __future__ import annotations

import base64

import pytest
from pydantic import TypeAdapter, ValidationError

from creneau import json_body
from creneau.errors import UnsupportedMediaType, ValidationFailed
from creneau.models.common import Day, Instant, JsonObject, Key


def event(body: str | bytes | None, content_type: str | None = "application/json") -> dict:
    headers = {"content-type": content_type} if content_type else {}
    if isinstance(body, bytes):
        return {"headers": headers, "body": base64.b64encode(body).decode(), "isBase64Encoded": True}
    return {"headers": headers, "body": body, "isBase64Encoded": False}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[1]", "JSON object"),
        ('"text"', "JSON object"),
        ("null", "JSON object"),
        ('{"n": NaN}', "NaN"),
        ('{"n": Infinity}', "Infinity"),
        ('{"n": 1e999}', "out of range"),
        ('{"n": ' + "1" * 39 + "}", "38 digits"),
        ('{"n": -' + "1" * 4300 + "}", "38 digits"),
        ('{"a":' * 33 + "1" + "}" * 33, "deeper than 32"),
        ("[" * 100_000 + "]" * 100_000, "deeper than 32"),  # RecursionError inside the decoder
        ("{", "not valid JSON"),
        (b'{"a": "\xc3"}', "UTF-8"),
    ],
)
def test_refused_bodies_are_422_on_the_body(body, message):
    with pytest.raises(ValidationFailed) as refused:
        json_body.check(event(body))
    assert message in refused.value.message
    assert refused.value.details[0]["field"] == "body"


def test_at_the_limits_is_accepted_and_left_as_text():
    good = event('{"a":' * 31 + "1" * 38 + "}" * 31)
    json_body.check(good)
    utf8 = event('{"name": "Élodie"}'.encode())
    json_body.check(utf8)
    assert utf8["body"] == '{"name": "Élodie"}' and utf8["isBase64Encoded"] is False


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_other_media_types_are_415(content_type):
    with pytest.raises(UnsupportedMediaType):
        json_body.check(event('{"a": 1}', content_type))


@pytest.mark.parametrize(
    "content_type", [None, "application/json; charset=utf-8", "application/merge-patch+json"]
)
def test_json_media_types_and_none_are_read_as_json(content_type):
    json_body.check(event('{"a": 1}', content_type))


def test_no_body_is_not_checked():
    json_body.check(event(None, "text/plain"))
    json_body.check(event("", "text/plain"))


@pytest.mark.parametrize(
    "text",
    [
        "1738400000",
        "2026-03-17T10:30:00",
        "2026-03-17",
        "2026-03-17T10:30+01:00",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:00:00-05:00",
        "1969-12-31T23:59:59Z",
        "3000-01-01T00:00:00Z",
        1738400000,
    ],
)
def test_instants_are_rfc3339_with_an_offset_within_the_years(text):
    with pytest.raises(ValidationError):
        TypeAdapter(Instant).validate_python(text)


@pytest.mark.parametrize(
    "text", ["2026-03-17T10:30:00+01:00", "2026-03-17T09:30:00Z", "2999-12-31T23:59:59.5Z"]
)
def test_good_instants_pass(text):
    assert TypeAdapter(Instant).validate_python(text).utcoffset() is not None


def test_bounded_days_objects_and_keys():
    for day in ("0001-01-01", "9999-12-31"):
        with pytest.raises(ValidationError):
            TypeAdapter(Day).validate_python(day)
    with pytest.raises(ValidationError, match="16 KB"):
        TypeAdapter(JsonObject).validate_python({"notes": "x" * 17_000})
    for key in ("x" * 129, "", "a b", "é"):
        with pytest.raises(ValidationError):
            TypeAdapter(Key).validate_python(key)
    assert TypeAdapter(Key).validate_python("mt_" + "A" * 43) == "mt_" + "A" * 43
