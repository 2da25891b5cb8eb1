"""`python -m bench --quick` still runs and prints every measurement line. Timings are not judged here:
speed is read from the ratios of a full `make bench`, never asserted by a test."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NUMBER = r"\d+(\.\d+)?"
RATIO = rf"ratio {NUMBER}"

EXPECTED = [
    rf"^cold import floor, boto3 \+ a validating Powertools resolver: {NUMBER} ms, {RATIO} to boto3",
    r"^creneau bench \(quick\): \d+ CPUs, Python \d+\.\d+",
    rf"^slots 30d, 1 calendar x \d+ appointments: handler {NUMBER} ms, bare queries {NUMBER} ms, {RATIO} "
    r"\(goal <= 1\.5\)$",
    rf"^slots 30d, any of \d+ calendars x \d+ appointments: handler {NUMBER} ms, bare queries {NUMBER} ms, "
    rf"{RATIO} \(goal <= 1\.5\)$",
    rf"^booking x\d+ sequential, POST /v1/appointments: handler {NUMBER} bookings/s, raw TransactWriteItems "
    rf"of \d+ items {NUMBER}/s, {RATIO} \(goal >= 0\.7\)$",
    rf"^booking x\d+ sequential, POST /v1/appointments: handler {NUMBER} bookings/s, "
    rf"bare reads \(.+\) \+ the same TransactWriteItems {NUMBER}/s, {RATIO} \(goal >= 0\.7\)$",
    rf"^lock-then-book x\d+ sequential .*: {NUMBER} bookings/s, direct booking {NUMBER}/s, {RATIO}$",
    rf"^first answer baseline, boto3 \+ powertools event_handler answering one GetItem: {NUMBER} ms CPU",
    rf"^engine per candidate slot, 90 days, Mon-Fri 2 ranges, \d+ candidates: CPU us 0 busy {NUMBER}, "
    rf"100 busy {NUMBER} \(goal <= 4 with 0 busy\)$",
    r"^engine compute_slots \(pure",
    rf"^ +7 +{NUMBER} \[{NUMBER}\]",
    r"^engine growth: (linear|better than linear|SUPERLINEAR) in days",
    r"^moto memory: RSS \d+ MB with one tenant set up$",
    r"^moto memory after [\d,]+ DynamoDB requests \([\d,]+ API requests, [\d,]+ bookings, \d+ s\): "
    rf"RSS \d+ MB; moto keeps [\d,]+ items and [\d,]+ stream records, -?{NUMBER} KB of growth per "
    r"record kept$",
    rf"^sync google first run, \d+ changed appointments \+ \d+ busy events: {NUMBER} s, "
    rf"\d+ provider requests, {NUMBER} per appointment, \d+ DynamoDB requests",
    rf"^sync outlook quiet run, \d+ changed appointments \+ \d+ busy events: {NUMBER} s, "
    r"\d+ provider requests",
    rf"^events x\d+ bookings, stream -> SNS -> SQS -> email on the local stack: \d+ emails, "
    rf"{NUMBER} events/s",
    rf"^booking x\d+ from \d+ clients on the local stack: with the stream and its readers "
    rf"{NUMBER} bookings/s, without {NUMBER}/s, {RATIO}",
    r"^bench done in \d+ s",
]


def test_quick_bench_prints_every_measurement():
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    missing = [pattern for pattern in EXPECTED if not any(re.search(pattern, line) for line in lines)]
    assert not missing, f"missing lines {missing} in:\n{result.stdout}"
    handlers = sorted(path.parent.name for path in (ROOT / "functions").glob("*/app.py"))
    for name in handlers:
        pattern = rf"^cold import functions/{name}/app\.py: {NUMBER} ms, boto3 \+ powertools event_handler "
        pattern += rf"{NUMBER} ms, {RATIO} \(goal <= 1\.3\); above the floor [0-9.]+$"
        assert any(re.search(pattern, line) for line in lines), f"no cold import line for {name}"
        pattern = (
            rf"^first answer functions/{name}/app\.py: import {NUMBER} ms \+ first request {NUMBER} ms = "
        )
        pattern += rf"{NUMBER} ms CPU \({NUMBER} ms wall\), baseline {NUMBER} ms, {RATIO}$"
        assert any(re.search(pattern, line) for line in lines), f"no first answer line for {name}"
