"""The local stack's event machinery, without AWS: the event-source filter, batch responses, the
at(...) expressions of one-time schedules, and loops that outlive a failing step."""

from __future__ import annotations

import json
import threading

from devstack.eventbus import _Loop, at_epoch, failed_ids, passes

APPOINTMENT_ONLY = [{"Pattern": json.dumps({"dynamodb": {"Keys": {"sk": {"S": [{"prefix": "APPT#"}]}}}})}]


def record(sk: str) -> dict:
    return {"eventName": "INSERT", "dynamodb": {"Keys": {"pk": {"S": "T#t"}, "sk": {"S": sk}}}}


def test_the_template_filter_keeps_appointment_records_only():
    assert passes(APPOINTMENT_ONLY, record("APPT#a1"))
    assert not passes(APPOINTMENT_ONLY, record("CLAIM#c1#2026-01-01T09:00"))
    assert not passes(APPOINTMENT_ONLY, {"eventName": "INSERT", "dynamodb": {}})
    assert passes([], record("anything"))  # no filter: everything
    exact = [{"Pattern": json.dumps({"eventName": ["INSERT", "MODIFY"]})}]
    assert passes(exact, record("x")) and not passes(exact, {**record("x"), "eventName": "REMOVE"})


def test_batch_responses():
    assert failed_ids({"batchItemFailures": []}) is None
    assert failed_ids({"batchItemFailures": [{"itemIdentifier": "m2"}]}) == ["m2"]
    assert failed_ids(None) is None


def test_one_time_schedule_expressions():
    assert at_epoch("at(2026-01-12T08:30:00)", "UTC") == 1768206600
    assert at_epoch("at(2026-01-12T09:30:00)", "Europe/Paris") == 1768206600
    assert at_epoch("rate(5 minutes)", None) is None


def test_a_failing_step_never_stops_the_loop(capsys):
    calls: list[int] = []
    stop = threading.Event()

    def step() -> int:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("moto went away")
        if len(calls) >= 3:
            stop.set()
        return 1

    loop = _Loop("test loop", step, stop, lambda: None)
    loop.thread.start()
    loop.thread.join(60)
    assert len(calls) >= 3
    assert "test loop failed" in capsys.readouterr().err
