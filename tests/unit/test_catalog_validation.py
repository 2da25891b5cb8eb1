"""Pure checks of the catalog's shapes and rules: models, catalog rules and claim units (no AWS)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from creneau.domain.catalog_rules import service_problems, step_problems
from creneau.domain.units import MAX_UNITS_PER_BOOKING, unit_keys, units_needed
from creneau.models.booking import AppointmentIn
from creneau.models.catalog import (
    ApiKeyIn,
    CalendarFields,
    CalendarPatch,
    CategoryIn,
    ClosedPeriod,
    FieldDefinition,
    HoursRange,
    ServiceFields,
    Settings,
    SettingsPatch,
)
from creneau.models.customers import CustomerFields, CustomerPatch


def error_locations(error: ValidationError) -> set[str]:
    return {".".join(str(part) for part in e["loc"]) for e in error.errors()}


def invalid(model, data: dict) -> set[str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return error_locations(caught.value)


def service(**overrides) -> dict:
    return {
        "name": "Cut",
        "duration_minutes": 30,
        "buffer_before_minutes": 0,
        "buffer_after_minutes": 0,
        **overrides,
    }


def calendar(**overrides) -> dict:
    return {"name": "Alice", "unit_minutes": 5, "slot_step_minutes": 15, **overrides}


# ---- calendars ------------------------------------------------------------------------------------


class TestCalendarModel:
    def test_defaults_follow_the_contract(self):
        cal = CalendarFields.model_validate({"name": "Alice"})
        assert cal.kind == "person"
        assert cal.slot_step_minutes == 15
        assert cal.unit_minutes == 5
        assert cal.min_notice_minutes == 60
        assert cal.horizon_days == 60
        assert cal.active is True
        assert cal.service_ids == []
        assert {day: [] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")} == cal.weekly_hours

    def test_unknown_time_zone_is_refused(self):
        assert invalid(CalendarFields, {"name": "A", "timezone": "Europe/Atlantis"}) == {"timezone"}
        assert invalid(CalendarPatch, {"timezone": "Mars/Olympus"}) == {"timezone"}

    def test_known_time_zone_is_accepted(self):
        assert (
            CalendarFields.model_validate({"name": "A", "timezone": "Asia/Kolkata"}).timezone
            == "Asia/Kolkata"
        )

    @pytest.mark.parametrize(
        ("start", "end"),
        [("12:00", "09:00"), ("09:00", "09:00"), ("9:00", "10:00"), ("09:00", "24:30"), ("25:00", "26:00")],
    )
    def test_bad_interval_is_refused_and_located(self, start, end):
        locations = invalid(
            CalendarFields, {"name": "A", "weekly_hours": {"tue": [{"start": start, "end": end}]}}
        )
        assert locations == {"weekly_hours.tue.0"}

    def test_midnight_end_is_accepted(self):
        cal = CalendarFields.model_validate(
            {"name": "A", "weekly_hours": {"fri": [{"start": "20:00", "end": "24:00"}]}}
        )
        assert cal.weekly_hours["fri"][0].end == "24:00"

    def test_overlapping_intervals_are_refused(self):
        week = {"mon": [{"start": "09:00", "end": "12:00"}, {"start": "11:30", "end": "14:00"}]}
        assert invalid(CalendarFields, {"name": "A", "weekly_hours": week}) == {"weekly_hours"}

    def test_a_nested_overlap_is_refused(self):
        week = {
            "wed": [
                {"start": "08:00", "end": "18:00"},
                {"start": "12:00", "end": "13:00"},
                {"start": "19:00", "end": "20:00"},
            ]
        }
        assert invalid(CalendarFields, {"name": "A", "weekly_hours": week}) == {"weekly_hours"}

    def test_adjacent_intervals_are_accepted_and_sorted(self):
        week = {"mon": [{"start": "14:00", "end": "18:00"}, {"start": "09:00", "end": "14:00"}]}
        cal = CalendarFields.model_validate({"name": "A", "weekly_hours": week})
        assert [(r.start, r.end) for r in cal.weekly_hours["mon"]] == [("09:00", "14:00"), ("14:00", "18:00")]
        assert cal.weekly_hours["sun"] == []

    def test_unknown_day_is_refused(self):
        assert invalid(CalendarFields, {"name": "A", "weekly_hours": {"monday": []}}) == {"weekly_hours"}

    def test_every_bad_field_is_reported(self):
        locations = invalid(
            CalendarFields,
            {
                "name": "A",
                "timezone": "Nowhere/Town",
                "unit_minutes": 7,
                "horizon_days": 731,
                "weekly_hours": {"mon": [{"start": "10:00", "end": "09:00"}]},
            },
        )
        assert {"timezone", "unit_minutes", "horizon_days", "weekly_hours.mon.0"} <= locations

    @pytest.mark.parametrize("unit", [5, 10, 15, 30, 60])
    def test_allowed_units(self, unit):
        assert CalendarFields.model_validate({"name": "A", "unit_minutes": unit}).unit_minutes == unit

    @pytest.mark.parametrize("unit", [0, 1, 20, 45, 120])
    def test_other_units_are_refused(self, unit):
        assert invalid(CalendarFields, {"name": "A", "unit_minutes": unit}) == {"unit_minutes"}

    def test_horizon_bounds(self):
        assert CalendarFields.model_validate({"name": "A", "horizon_days": 730}).horizon_days == 730
        assert invalid(CalendarFields, {"name": "A", "horizon_days": 0}) == {"horizon_days"}

    def test_unknown_fields_are_refused(self):
        assert invalid(CalendarFields, {"name": "A", "colour": "red"}) == {"colour"}

    def test_exception_needs_start_before_end_and_offsets(self):
        assert invalid(ClosedPeriod, {"start": "2026-05-01T10:00:00+02:00", "end": "2026-05-01T08:00:00Z"})
        assert invalid(ClosedPeriod, {"start": "2026-05-01T10:00:00", "end": "2026-05-01T12:00:00"})

    def test_exception_instants_come_out_in_utc_with_z(self):
        period = ClosedPeriod.model_validate(
            {"start": "2026-05-01T10:00:00+02:00", "end": "2026-05-01T12:30:00+02:00", "reason": "Holiday"}
        )
        assert period.model_dump(mode="json") == {
            "start": "2026-05-01T08:00:00Z",
            "end": "2026-05-01T10:30:00Z",
            "reason": "Holiday",
        }

    def test_hours_range_alone(self):
        assert HoursRange(start="00:00", end="24:00").end == "24:00"
        with pytest.raises(ValidationError):
            HoursRange(start="24:00", end="24:00")


# ---- services -------------------------------------------------------------------------------------


class TestServiceModel:
    def test_a_minimal_service(self):
        svc = ServiceFields.model_validate({"name": "Cut", "duration_minutes": 30})
        assert (svc.buffer_before_minutes, svc.buffer_after_minutes, svc.active) == (0, 0, True)
        assert svc.price is None and svc.fields == []

    @pytest.mark.parametrize("duration", [0, -15, 24 * 60 + 5])
    def test_duration_must_be_positive_and_at_most_a_day(self, duration):
        assert invalid(ServiceFields, service(duration_minutes=duration)) == {"duration_minutes"}

    def test_buffers_may_be_zero_but_not_negative(self):
        assert ServiceFields.model_validate(service(buffer_before_minutes=0)).buffer_before_minutes == 0
        assert invalid(ServiceFields, service(buffer_before_minutes=-5, buffer_after_minutes=-5)) == {
            "buffer_before_minutes",
            "buffer_after_minutes",
        }

    def test_money_is_integer_minor_units_with_an_iso_currency(self):
        svc = ServiceFields.model_validate(service(price={"amount": 2500, "currency": "EUR"}))
        assert svc.price.amount == 2500
        assert invalid(ServiceFields, service(price={"amount": -1, "currency": "EUR"})) == {"price.amount"}
        assert invalid(ServiceFields, service(price={"amount": 100, "currency": "eur"})) == {"price.currency"}
        assert invalid(ServiceFields, service(price={"amount": 10.5, "currency": "EUR"})) == {"price.amount"}

    def test_field_keys_must_be_unique(self):
        fields = [{"key": "plate", "label": "Plate"}, {"key": "plate", "label": "Plate again"}]
        assert invalid(ServiceFields, service(fields=fields)) == {"fields"}

    def test_choice_field_needs_options(self):
        with pytest.raises(ValidationError):
            FieldDefinition.model_validate({"key": "size", "label": "Size", "type": "choice"})
        field = FieldDefinition.model_validate(
            {"key": "size", "label": "Size", "type": "choice", "options": ["S", "M"]}
        )
        assert field.options == ["S", "M"]

    @pytest.mark.parametrize("key", ["Plate", "1st", "with-dash", ""])
    def test_field_key_pattern(self, key):
        assert invalid(ServiceFields, service(fields=[{"key": key, "label": "X"}])) == {"fields.0.key"}

    def test_unknown_field_type_is_refused(self):
        assert invalid(ServiceFields, service(fields=[{"key": "x", "label": "X", "type": "date"}])) == {
            "fields.0.type"
        }

    def test_blank_name_is_refused(self):
        assert invalid(ServiceFields, service(name="   ")) == {"name"}


# ---- settings, categories, keys, customers --------------------------------------------------------


class TestOtherModels:
    @pytest.mark.parametrize("ttl", [1, 600, 86400])
    def test_lock_ttl_within_bounds(self, ttl):
        assert SettingsPatch.model_validate({"lock_ttl_seconds": ttl}).lock_ttl_seconds == ttl
        assert Settings.model_validate({"lock_ttl_seconds": ttl}).lock_ttl_seconds == ttl

    @pytest.mark.parametrize("ttl", [0, -1, 86401])
    def test_lock_ttl_outside_bounds(self, ttl):
        assert invalid(SettingsPatch, {"lock_ttl_seconds": ttl}) == {"lock_ttl_seconds"}
        assert invalid(Settings, {"lock_ttl_seconds": ttl}) == {"lock_ttl_seconds"}

    def test_settings_defaults(self):
        s = Settings()
        assert (s.lock_ttl_seconds, s.calendar_choice, s.auto_confirm, s.allowed_origins) == (
            600,
            "service_first",
            False,
            [],
        )

    def test_settings_patch_fields(self):
        assert invalid(SettingsPatch, {"timezone": "Europe/Lutetia"}) == {"timezone"}
        assert invalid(SettingsPatch, {"calendar_choice": "random"}) == {"calendar_choice"}
        assert invalid(SettingsPatch, {"locale": "French"}) == {"locale"}
        assert invalid(SettingsPatch, {"owner": "me"}) == {"owner"}
        assert SettingsPatch.model_validate({"locale": "en-GB"}).locale == "en-GB"

    def test_category(self):
        assert CategoryIn.model_validate({"name": " Hair "}).model_dump() == {"name": "Hair", "position": 0}
        assert invalid(CategoryIn, {"name": ""}) == {"name"}
        assert invalid(CategoryIn, {"name": "A", "position": -1}) == {"position"}

    def test_api_key_roles(self):
        for role in ("public", "agent", "admin"):
            assert ApiKeyIn.model_validate({"role": role, "name": "k"}).role == role
        assert invalid(ApiKeyIn, {"role": "owner", "name": "k"}) == {"role"}
        assert invalid(ApiKeyIn, {"role": "admin", "name": ""}) == {"name"}

    def test_customer(self):
        c = CustomerFields.model_validate({"first_name": "Ada", "email": "ada@example.com"})
        assert (c.last_name, c.phone, c.extra) == ("", None, {})
        assert invalid(CustomerFields, {"first_name": "Ada", "email": "not-an-email"}) == {"email"}
        assert invalid(CustomerFields, {"first_name": "Ada", "nickname": "A"}) == {"nickname"}
        assert invalid(CustomerPatch, {"phone": "1" * 51}) == {"phone"}
        assert CustomerFields.model_validate({"last_name": "Lovelace"}).email is None
        # A name is needed, and blank ones do not count; a blank email or phone reads null.
        assert invalid(CustomerFields, {}) == {"last_name"}
        assert invalid(CustomerFields, {"first_name": "  ", "last_name": ""}) == {"last_name"}
        blank = CustomerFields.model_validate({"first_name": "Ada", "email": " ", "phone": ""})
        assert (blank.email, blank.phone) == (None, None)

    def test_booking_and_service_rules_a_user_expects(self):
        start = "2027-03-02T10:00:00+01:00"
        person = {"first_name": "Ada"}
        twice = {"service_ids": ["a", "b", "a"], "start": start, "customer": person}
        assert invalid(AppointmentIn, twice) == {"service_ids"}
        assert invalid(ServiceFields, {"name": "Odd", "duration_minutes": 7}) == {"duration_minutes"}
        assert invalid(ServiceFields, {"name": "Odd", "duration_minutes": 10, "buffer_after_minutes": 3}) == {
            "buffer_after_minutes"
        }
        assert invalid(ServiceFields, {"name": "S", "duration_minutes": 10, "active": "yes"}) == {"active"}
        assert invalid(SettingsPatch, {"auto_confirm": "false"}) == {"auto_confirm"}
        assert invalid(CalendarPatch, {"active": 1}) == {"active"}
        field = {"key": "n", "label": "N", "type": "text", "min": 1}
        assert invalid(ServiceFields, {"name": "S", "duration_minutes": 10, "fields": [field]}) == {
            "fields.0"
        }


# ---- catalog rules --------------------------------------------------------------------------------


class TestCatalogRules:
    def test_step_must_be_a_multiple_of_the_unit(self):
        assert step_problems(calendar(unit_minutes=15, slot_step_minutes=30)) == []
        problems = step_problems(calendar(unit_minutes=15, slot_step_minutes=20))
        assert [p["field"] for p in problems] == ["slot_step_minutes"]

    def test_service_on_the_grid_has_no_problem(self):
        assert (
            service_problems(service(duration_minutes=45, buffer_after_minutes=15), calendar(unit_minutes=15))
            == []
        )

    def test_zero_buffers_fit_any_unit(self):
        assert service_problems(service(duration_minutes=60), calendar(unit_minutes=60)) == []

    def test_each_timing_off_the_grid_is_named(self):
        svc = service(duration_minutes=25, buffer_before_minutes=5, buffer_after_minutes=10)
        problems = service_problems(svc, calendar(unit_minutes=10))
        assert [p["field"] for p in problems] == ["duration_minutes", "buffer_before_minutes"]
        assert all("Alice" in p["message"] for p in problems)

    def test_field_name_from_the_calendar_side(self):
        problems = service_problems(
            service(duration_minutes=20), calendar(unit_minutes=15), field="service_ids.2"
        )
        assert [p["field"] for p in problems] == ["service_ids.2"]

    def test_too_many_units_for_one_booking(self):
        at_limit = service(duration_minutes=5 * MAX_UNITS_PER_BOOKING - 10, buffer_after_minutes=10)
        assert service_problems(at_limit, calendar(unit_minutes=5)) == []
        over = service(duration_minutes=5 * MAX_UNITS_PER_BOOKING, buffer_after_minutes=5)
        problems = service_problems(over, calendar(unit_minutes=5))
        assert [p["field"] for p in problems] == ["duration_minutes"]
        # A larger unit makes the same service fit.
        assert (
            service_problems(
                service(duration_minutes=150, buffer_after_minutes=30), calendar(unit_minutes=30)
            )
            == []
        )

    def test_units_needed_rounds_up(self):
        assert units_needed(30, 5) == 6
        assert units_needed(31, 5) == 7
        assert units_needed(60, 60) == 1


# ---- claim units ----------------------------------------------------------------------------------


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


class TestUnitKeys:
    def test_units_align_on_the_local_wall_clock_with_a_half_hour_offset(self):
        # 03:30 UTC is 09:00 in Kolkata (+05:30): hour units are local hours, not UTC hours, keyed
        # by the UTC instant each one starts at.
        keys = unit_keys(utc(2026, 3, 2, 3, 30), utc(2026, 3, 2, 5, 30), "Asia/Kolkata", 60)
        assert keys == ["20260302T0330Z", "20260302T0430Z"]

    def test_a_partial_local_hour_takes_its_whole_unit(self):
        keys = unit_keys(utc(2026, 3, 2, 4, 0), utc(2026, 3, 2, 4, 15), "Asia/Kolkata", 60)
        assert keys == ["20260302T0330Z"]

    def test_quarter_hour_offset(self):
        # Kathmandu is +05:45: 03:15 UTC is 09:00 local.
        keys = unit_keys(utc(2026, 3, 2, 3, 15), utc(2026, 3, 2, 4, 0), "Asia/Kathmandu", 15)
        assert keys == ["20260302T0315Z", "20260302T0330Z", "20260302T0345Z"]

    def test_keys_are_in_time_order_one_per_unit(self):
        keys = unit_keys(utc(2026, 6, 1, 7, 0), utc(2026, 6, 1, 8, 0), "Europe/Paris", 5)
        assert len(keys) == 12
        assert keys == sorted(keys)
        assert keys[0] == "20260601T0700Z" and keys[-1] == "20260601T0755Z"

    def test_the_input_offset_does_not_matter(self):
        paris = datetime(2026, 6, 1, 9, 0, tzinfo=timedelta_zone(2))
        assert unit_keys(paris, paris + timedelta(minutes=30), "Europe/Paris", 10) == unit_keys(
            utc(2026, 6, 1, 7, 0), utc(2026, 6, 1, 7, 30), "Europe/Paris", 10
        )

    def test_the_two_passes_of_the_fall_back_hour_are_different_units(self):
        # 2026-10-25 in Paris: 02:00-03:00 CEST (00:00-01:00 UTC), then 02:00-03:00 CET (01:00-02:00 UTC).
        first = unit_keys(utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 1, 0), "Europe/Paris", 15)
        second = unit_keys(utc(2026, 10, 25, 1, 0), utc(2026, 10, 25, 2, 0), "Europe/Paris", 15)
        assert first == ["20261025T0000Z", "20261025T0015Z", "20261025T0030Z", "20261025T0045Z"]
        assert second == ["20261025T0100Z", "20261025T0115Z", "20261025T0130Z", "20261025T0145Z"]

    def test_fall_back_night_for_any_unit(self):
        for unit in (5, 10, 15, 30, 60):
            first = unit_keys(utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 0, 45), "Europe/Paris", unit)
            second = unit_keys(utc(2026, 10, 25, 1, 30), utc(2026, 10, 25, 1, 45), "Europe/Paris", unit)
            assert not set(first) & set(second), unit

    def test_spring_forward_has_no_units_in_the_gap(self):
        # 2026-03-29 in Paris: 02:00 CET jumps to 03:00 CEST (01:00 UTC).
        keys = unit_keys(utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 30), "Europe/Paris", 30)
        assert keys == ["20260329T0030Z", "20260329T0100Z"]

    @pytest.mark.parametrize("length", [0, -5])
    def test_empty_interval_is_refused(self, length):
        start = utc(2026, 6, 1, 9, 0)
        with pytest.raises(ValueError):
            unit_keys(start, start + timedelta(minutes=length), "UTC", 5)


def timedelta_zone(hours: int):
    from datetime import timezone

    return timezone(timedelta(hours=hours))


ZONES = [
    "UTC",
    "Europe/Paris",
    "America/New_York",
    "America/St_Johns",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
]
UNITS = [5, 10, 15, 30, 60]
# Around the DST changes of 2026 in both hemispheres, so the property visits gaps and folds.
BASE = utc(2026, 3, 20)
SPAN_MINUTES = 250 * 24 * 60


@st.composite
def overlapping_pair(draw, grid_minutes: int):
    """Two intervals [a, b) and [c, d) sharing an instant t, both starting on a `grid_minutes` grid."""
    a = BASE + timedelta(minutes=grid_minutes * draw(st.integers(0, SPAN_MINUTES // grid_minutes)))
    b = a + timedelta(minutes=draw(st.integers(1, 120)))
    t = a + timedelta(seconds=draw(st.integers(0, int((b - a).total_seconds()) - 1)))
    before_t = draw(st.integers(0, 120 // grid_minutes)) * grid_minutes
    c = a + ((t - a) // timedelta(minutes=grid_minutes)) * timedelta(minutes=grid_minutes)
    c -= timedelta(minutes=before_t)
    d = t + timedelta(minutes=draw(st.integers(0, 120)), seconds=1)
    return (a, b), (c, d)


@settings(max_examples=300, deadline=None)
@given(pair=overlapping_pair(grid_minutes=5), zone=st.sampled_from(ZONES), unit=st.sampled_from(UNITS))
def test_overlapping_intervals_on_the_five_minute_grid_share_a_unit(pair, zone, unit):
    (a, b), (c, d) = pair
    assert set(unit_keys(a, b, zone, unit)) & set(unit_keys(c, d, zone, unit))


@settings(max_examples=300, deadline=None)
@given(pair=overlapping_pair(grid_minutes=1), zone=st.sampled_from(ZONES), unit=st.sampled_from(UNITS))
def test_overlapping_intervals_at_any_minute_share_a_unit(pair, zone, unit):
    """The module's promise: two intervals that share an instant share the unit holding it.

    Instants in the API are RFC 3339 and need not fall on a 5-minute boundary.
    """
    (a, b), (c, d) = pair
    assert set(unit_keys(a, b, zone, unit)) & set(unit_keys(c, d, zone, unit))


@settings(max_examples=200, deadline=None)
@given(
    start=st.integers(0, SPAN_MINUTES // 5),
    length=st.integers(1, 600),
    zone=st.sampled_from(ZONES),
    unit=st.sampled_from(UNITS),
)
def test_every_instant_of_an_interval_is_covered(start, length, zone, unit):
    """Each minute of [start, end) (start on the 5-minute grid) lies in one of the interval's units."""
    from zoneinfo import ZoneInfo

    begin = BASE + timedelta(minutes=5 * start)
    keys = set(unit_keys(begin, begin + timedelta(minutes=length), zone, unit))
    for offset in range(0, length, 7):
        moment = begin + timedelta(minutes=offset)
        # Its unit starts on the local grid line before it, under the offset in force at it.
        into_unit = timedelta(minutes=moment.astimezone(ZoneInfo(zone)).minute % unit)
        assert (moment - into_unit).astimezone(UTC).strftime("%Y%m%dT%H%MZ") in keys
