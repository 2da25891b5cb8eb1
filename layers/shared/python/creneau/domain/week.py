"""Weekdays as the API names them, in the order of date.weekday()."""

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
