"""A widget's key is public: it cannot book on someone else's customer record, and the limit of open
appointments holds per person (their email, else their phone) across all their records."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest

from tests.e2e.helpers import assert_error, at, build_shop, created, future_weekday

pytestmark = pytest.mark.xdist_group("e2e")


@pytest.fixture
def hall(api, new_tenant):
    """A town hall allowing one open appointment per person."""
    return build_shop(api, new_tenant, settings={"max_open_appointments_per_customer": 1})


def _person(email: str | None = None, phone: str = "") -> dict:
    return {"first_name": "Jean", "last_name": "Valjean", "email": email, "phone": phone}


def test_a_public_key_cannot_book_on_an_existing_customer_record(hall):
    record = created(hall.agent.post("/v1/customers", json=_person("jean@example.org")))
    body = {"service_id": hall.services["cut"]["id"], "start": at(future_weekday(), "10:00")}
    error = assert_error(hall.book(hall.public, customer_id=record["id"], **body), 422, "validation-error")
    assert [d["field"] for d in error["details"]] == ["customer_id"]
    assert "jean@example.org" not in str(error)
    # An agent may (they know whom they book for).
    assert hall.book(hall.agent, customer_id=record["id"], **body).status_code == 201


def test_the_limit_counts_per_email_across_records(hall):
    day, cut = future_weekday(), hall.services["cut"]["id"]
    first = created(
        hall.book(hall.public, service_id=cut, start=at(day, "09:00"), customer=_person("Jean@Example.org"))
    )
    # A second record of the same person (another spelling of the email) does not get around the limit.
    again = hall.book(
        hall.public, service_id=cut, start=at(day, "10:00"), customer=_person(" jean@example.ORG")
    )
    assert_error(again, 409, "too-many-appointments")
    record = created(hall.agent.post("/v1/customers", json=_person("jean@example.org")))
    assert_error(
        hall.book(customer_id=record["id"], service_id=cut, start=at(day, "11:00")),
        409,
        "too-many-appointments",
    )
    # Someone else is not affected.
    assert (
        hall.book(
            hall.public, service_id=cut, start=at(day, "12:00"), customer=_person("cosette@example.org")
        ).status_code
        == 201
    )
    # Cancelling frees the person's place, whichever record books next.
    reply = hall.agent.post(f"/v1/appointments/{first['id']}/status", json={"status": "CANCELLED"})
    assert reply.status_code == 200, reply.text
    assert hall.book(customer_id=record["id"], service_id=cut, start=at(day, "11:00")).status_code == 201


def test_without_an_email_the_phone_names_the_person(hall):
    day, cut = future_weekday(), hall.services["cut"]["id"]
    created(
        hall.book(
            hall.public, service_id=cut, start=at(day, "09:00"), customer=_person(phone="+33 6 12 34 56 78")
        )
    )
    again = hall.book(
        hall.public, service_id=cut, start=at(day, "10:00"), customer=_person(phone="+33612345678")
    )
    assert_error(again, 409, "too-many-appointments")


def test_concurrent_bookings_from_several_records_of_one_person_open_one(hall):
    day, cut = future_weekday(skip=1), hall.services["cut"]["id"]
    starts = [at(day, f"{9 + i // 4:02d}:{(i % 4) * 15:02d}") for i in range(12)]
    barrier = Barrier(len(starts))

    def book(start: str) -> int:
        barrier.wait(timeout=60)
        return hall.book(
            hall.public, service_id=cut, start=start, customer=_person("fantine@example.org")
        ).status_code

    with ThreadPoolExecutor(len(starts)) as pool:
        answers = list(pool.map(book, starts))
    assert answers.count(201) == 1, answers
    assert set(answers) == {201, 409}, answers
