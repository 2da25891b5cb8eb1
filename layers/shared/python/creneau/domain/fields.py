"""Custom booking fields: the values a customer gives, checked against the services' definitions."""

from __future__ import annotations

from typing import Any


def field_problems(definitions: list[dict[str, Any]], values: dict[str, Any]) -> list[dict[str, str]]:
    by_key = {d["key"]: d for d in definitions}
    problems = [
        {"field": f"fields.{key}", "message": "unknown field for the chosen service(s)"}
        for key in values
        if key not in by_key
    ]
    for key, definition in by_key.items():
        value = values.get(key)
        if value is None or value == "":
            if definition.get("required"):
                problems.append({"field": f"fields.{key}", "message": f"{definition['label']} is required"})
            continue
        problem = _type_problem(definition, value)
        if problem:
            problems.append({"field": f"fields.{key}", "message": problem})
    return problems


def _type_problem(definition: dict[str, Any], value: Any) -> str | None:
    kind = definition["type"]
    if kind == "text" and not isinstance(value, str):
        return "must be text"
    if kind == "number":
        return _number_problem(definition, value)
    if kind == "boolean" and not isinstance(value, bool):
        return "must be true or false"
    if kind == "choice" and value not in definition.get("options", []):
        return "must be one of: " + ", ".join(definition.get("options", []))
    return None


def _number_problem(definition: dict[str, Any], value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return "must be a number"
    low, high = definition.get("min"), definition.get("max")
    if low is not None and value < low:
        return f"must be at least {_plain(low)}"
    if high is not None and value > high:
        return f"must be at most {_plain(high)}"
    return None


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)
