"""Every slot shown is bookable on the nights clocks go back (Paris, New York, and Lord Howe, whose
clocks go back 30 minutes): a booking in one pass of the repeated wall-clock time never refuses a
disjoint slot in the other pass, although the two share their wall-clock labels.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.helpers import created, instant

pytestmark = pytest.mark.xdist_group("e2e-long")  # its own worker: the suite's time on 2 cores

NIGHTS = {
    "Europe/Paris": date(2027, 10, 31),  # 03:00 CEST -> 02:00 CET
    "America/New_York": date(2027, 11, 7),  # 02:00 EDT -> 01:00 EST
    "Australia/Lord_Howe": date(2027, 4, 4),  # 02:00 (+11) -> 01:30 (+10:30)
}
SERVICES = {"short": 30, "long": 60}
MAX_PAIRS = int(os.environ.get("FALL_BACK_PAIRS", "6"))  # per night (suite time); 0: every pair


def wall_minutes(span: tuple[datetime, datetime], zone: ZoneInfo) -> set[datetime]:
    """The local wall-clock times (fold dropped) of each 5 minutes of `span`."""
    minutes, moment = set(), span[0]
    while moment < span[1]:
        minutes.add(moment.astimezone(zone).replace(tzinfo=None, fold=0))
        moment += timedelta(minutes=5)
    return minutes


class Night:
    def __init__(self, api, new_tenant, zone: str, night: date) -> None:
        assert (night - datetime.now(UTC).date()).days < 730, "the night must lie within the horizon"
        self.zone, self.night = ZoneInfo(zone), night
        tenant = new_tenant()
        admin = api(tenant["admin_key"])
        agent_key = admin.post("/v1/api-keys", json={"role": "agent", "name": "desk"}).json()["key"]
        self.agent = api(agent_key)
        self.services = {
            name: created(admin.post("/v1/services", json={"name": name, "duration_minutes": minutes}))["id"]
            for name, minutes in SERVICES.items()
        }
        day = [{"start": "00:00", "end": "24:00"}]
        body = {
            "name": f"Night desk {zone}",
            "timezone": zone,
            "service_ids": list(self.services.values()),
            "weekly_hours": {d: day for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
            "slot_step_minutes": 15,
            "min_notice_minutes": 0,
            "horizon_days": 730,
        }
        self.calendar_id = created(admin.post("/v1/calendars", json=body))["id"]

    def slots(self) -> list[tuple[str, tuple[datetime, datetime]]]:
        found = []
        for name, service_id in self.services.items():
            params = {
                "service_id": service_id,
                "calendar_id": self.calendar_id,
                "from": self.night.isoformat(),
                "to": self.night.isoformat(),
                "timezone": str(self.zone),
            }
            reply = self.agent.get("/v1/slots", params=params)
            assert reply.status_code == 200, reply.text
            found += [(name, (instant(s["start"]), instant(s["end"]))) for s in reply.json()["slots"]]
        return found

    def book(self, service: str, span: tuple[datetime, datetime]):
        body = {
            "service_id": self.services[service],
            "calendar_id": self.calendar_id,
            "start": span[0].isoformat(),
            "customer": {"first_name": "Night", "email": f"{uuid.uuid4().hex[:10]}@example.org"},
        }
        return self.agent.post("/v1/appointments", json=body)

    def cancel(self, appointment_id: str) -> None:
        reply = self.agent.post(f"/v1/appointments/{appointment_id}/status", json={"status": "CANCELLED"})
        assert reply.status_code == 200, reply.text


def neighbours(night: Night, shown) -> list[tuple[tuple, tuple]]:
    """(neighbour, slot) pairs: disjoint in time, but sharing wall-clock minutes (the other pass)."""
    pairs = []
    for slot in shown:
        for other in shown:
            disjoint = other[1][1] <= slot[1][0] or slot[1][1] <= other[1][0]
            if disjoint and wall_minutes(other[1], night.zone) & wall_minutes(slot[1], night.zone):
                pairs.append((other, slot))
                break
    return pairs


@pytest.mark.parametrize("zone", list(NIGHTS))
def test_every_slot_shown_books_after_its_neighbour_in_the_other_pass(api, new_tenant, zone):
    night = Night(api, new_tenant, zone, NIGHTS[zone])
    shown = night.slots()
    pairs = neighbours(night, shown)
    assert pairs, "the night has slots in both passes of the repeated time"
    # An even sample across the night: every pair straddles the repeated hour, where the bug lived.
    if MAX_PAIRS:
        pairs = pairs[:: max(1, len(pairs) // MAX_PAIRS)]
    refused = []
    for (first_service, first), (service, slot) in pairs:
        booked_first = created(night.book(first_service, first))
        assert (service, slot) in night.slots(), "still shown after its neighbour was booked"
        reply = night.book(service, slot)
        if reply.status_code != 201:
            refused.append((first[0].isoformat(), slot[0].isoformat(), reply.status_code, reply.text))
        else:
            night.cancel(reply.json()["id"])
        night.cancel(booked_first["id"])
    assert not refused, f"{len(refused)} of {len(pairs)} shown slots refused: {refused[:3]}"
