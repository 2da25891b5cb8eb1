"""The request body, checked once before Powertools' resolver reads it.

Strict where the contract is: JSON only (no Content-Type means JSON), UTF-8 only, one object at the
top, no NaN or Infinity, integers DynamoDB can hold, nesting no deeper than DynamoDB allows. Each
refusal is a 4xx naming the body, never a 500 from deeper down (a RecursionError in a decoder, an
OverflowError, a ValueError from int()).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from creneau.errors import UnsupportedMediaType, ValidationFailed

MAX_DEPTH = 32  # DynamoDB's limit on nested attributes; our own shapes nest 5 deep at most
MAX_INTEGER_DIGITS = 38  # DynamoDB's number precision


class _Refused(ValueError):
    """A JSON value the contract refuses, raised from inside the decoder."""


def _no_constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON number")


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _Refused(f"an integer has at most {MAX_INTEGER_DIGITS} digits")
    return int(text)


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _Refused(f"{text} is out of range for a number")
    return value


def is_json(content_type: str | None) -> bool:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type in ("", "application/json") or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def _depth_exceeds(value: Any, limit: int) -> bool:
    pending = [(value, 1)]
    while pending:
        node, level = pending.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        if level > limit:
            return True
        pending.extend((child, level + 1) for child in children)
    return False


_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}
_KINDS[type(None)] = "null"


def _refused(message: str) -> ValidationFailed:
    return ValidationFailed.field("body", message)


def check(event: dict[str, Any]) -> None:
    """Raise the 415 or 422 a body deserves; leave a good one in the event as UTF-8 text."""
    body = event.get("body")
    if not body:
        return
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    if not is_json(headers.get("content-type")):
        raise UnsupportedMediaType(
            f"the body must be JSON (Content-Type: application/json), not {headers['content-type']}",
            [{"field": "Content-Type", "message": "application/json is the only media type accepted"}],
        )
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise _refused("the body is not valid base64") from exc
        try:
            event["body"], event["isBase64Encoded"] = raw.decode("utf-8"), False
        except UnicodeDecodeError as exc:
            raise _refused(f"the body is not valid UTF-8 (byte {exc.start})") from exc
    try:
        value = json.loads(
            event["body"], parse_constant=_no_constant, parse_int=_integer, parse_float=_finite
        )
    except _Refused as exc:
        raise _refused(str(exc)) from exc
    except RecursionError as exc:
        raise _refused(f"the body nests deeper than {MAX_DEPTH} levels") from exc
    except ValueError as exc:  # JSONDecodeError, or int() past Python's own digit limit
        raise _refused(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise _refused(f"the body must be a JSON object, not {_KINDS.get(type(value), 'that')}")
    if _depth_exceeds(value, MAX_DEPTH):
        raise _refused(f"the body nests deeper than {MAX_DEPTH} levels")
