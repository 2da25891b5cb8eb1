"""The status lifecycle of docs/api.md: which transitions exist, which are final, what frees time."""

import pytest

from creneau.domain.lifecycle import OPEN, Status, check_transition, closes, frees_time, initial_status
from creneau.errors import InvalidStatusTransition

ALLOWED = {
    ("PENDING", "CONFIRMED"),
    ("PENDING", "CANCELLED"),
    ("CONFIRMED", "IN_PROGRESS"),
    ("CONFIRMED", "CANCELLED"),
    ("IN_PROGRESS", "COMPLETED"),
}


@pytest.mark.parametrize("current", list(Status))
@pytest.mark.parametrize("target", list(Status))
def test_only_the_documented_transitions_are_allowed(current, target):
    if (current.value, target.value) in ALLOWED:
        check_transition(current, target)
    else:
        with pytest.raises(InvalidStatusTransition) as refused:
            check_transition(current, target)
        assert current.value in refused.value.message and target.value in refused.value.message


def test_completed_and_cancelled_are_final():
    for final in (Status.COMPLETED, Status.CANCELLED):
        for target in Status:
            with pytest.raises(InvalidStatusTransition):
                check_transition(final, target)


def test_initial_status_follows_auto_confirm():
    assert initial_status(auto_confirm=False) is Status.PENDING
    assert initial_status(auto_confirm=True) is Status.CONFIRMED


def test_only_cancelling_frees_the_calendar_time():
    assert [s for s in Status if frees_time(s)] == [Status.CANCELLED]


def test_leaving_the_open_states_releases_a_customer_place():
    assert {Status.PENDING, Status.CONFIRMED, Status.IN_PROGRESS} == OPEN
    assert closes(Status.PENDING, Status.CANCELLED)
    assert closes(Status.IN_PROGRESS, Status.COMPLETED)
    assert not closes(Status.PENDING, Status.CONFIRMED)
    assert not closes(Status.CONFIRMED, Status.IN_PROGRESS)
