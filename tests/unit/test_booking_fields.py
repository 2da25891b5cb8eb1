"""Booking fields are checked against the services' definitions, each problem naming its field."""

from creneau.domain.fields import field_problems

DEFINITIONS = [
    {"key": "plate", "label": "Plate", "type": "text", "required": True},
    {"key": "mileage", "label": "Mileage", "type": "number", "required": False},
    {"key": "tyres", "label": "Tyres", "type": "choice", "required": False, "options": ["summer", "winter"]},
    {"key": "courtesy_car", "label": "Courtesy car", "type": "boolean", "required": False},
]


def fields_named(problems):
    return sorted(p["field"] for p in problems)


def test_valid_values_pass():
    values = {"plate": "AB-123-CD", "mileage": 42000.5, "tyres": "winter", "courtesy_car": False}
    assert field_problems(DEFINITIONS, values) == []


def test_a_missing_or_empty_required_field_is_named():
    assert fields_named(field_problems(DEFINITIONS, {})) == ["fields.plate"]
    assert fields_named(field_problems(DEFINITIONS, {"plate": ""})) == ["fields.plate"]


def test_each_wrong_type_is_named():
    values = {"plate": 12, "mileage": "far", "tyres": "all-season", "courtesy_car": "yes"}
    assert fields_named(field_problems(DEFINITIONS, values)) == [
        "fields.courtesy_car",
        "fields.mileage",
        "fields.plate",
        "fields.tyres",
    ]


def test_a_boolean_is_not_a_number():
    assert fields_named(field_problems(DEFINITIONS, {"plate": "x", "mileage": True})) == ["fields.mileage"]


def test_unknown_keys_are_refused():
    assert fields_named(field_problems(DEFINITIONS, {"plate": "x", "colour": "red"})) == ["fields.colour"]


def test_a_number_outside_its_bounds_is_named_with_the_bound():
    bounded = [{"key": "children", "label": "Children", "type": "number", "min": 0, "max": 6}]
    assert field_problems(bounded, {"children": 3}) == []
    assert field_problems(bounded, {"children": 0}) == []
    assert field_problems(bounded, {"children": 7}) == [
        {"field": "fields.children", "message": "must be at most 6"}
    ]
    assert field_problems(bounded, {"children": -1}) == [
        {"field": "fields.children", "message": "must be at least 0"}
    ]


def test_choice_messages_list_the_options_in_plain_words():
    problems = field_problems(DEFINITIONS, {"plate": "x", "tyres": "all-season"})
    assert problems == [{"field": "fields.tyres", "message": "must be one of: summer, winter"}]
