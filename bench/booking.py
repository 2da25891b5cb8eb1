"""2. Booking throughput vs the bare DynamoDB work of a booking; 5. lock-then-book vs direct booking.

Sequential, in interleaved rounds; after every side of every round all booking data is deleted
(untimed). That is not cosmetic: moto's TransactWriteItems deep-copies each table it touches once per
item, so a transaction's cost grows with the table, and without the cleanup whichever side ran later
would pay for the other's items.

Baselines, with a low-level boto3 client:
- raw: one TransactWriteItems per booking holding the items a handler booking wrote (captured from
  one, re-keyed to fresh keys: same count, sizes, conditions and indexes);
- reads + raw: before it, the reads a booking needs (API key, settings, service, calendar GetItems
  and the occupancy Query around the start), as logic/appointments.create does them.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bench import setup, timing
from bench.stack import CallRecorder, Stack, call_differences, recorded, typed

GOAL = 0.7
HOURS = setup.week(setup.WEEKDAYS, [("07:00", "21:00")])


def _sizes(quick: bool, locked: bool = False) -> tuple[int, int]:
    """(bookings per round and side, measured rounds): 100 bookings a side, 50 for lock-then-book
    (two requests and two transactions each: the slowest section, kept within the run's budget)."""
    if quick:
        return 1, 2
    return (5, 10) if locked else (5, 20)


class Booker:
    def __init__(self, stack: Stack, name: str) -> None:
        self.stack = stack
        calendar = {"name": "Guichet", "weekly_hours": HOURS, "slot_step_minutes": 60, "horizon_days": 365}
        self.tenant = setup.make_tenant(stack, name, [calendar])
        self.calendar_id = self.tenant.calendars[0]["id"]
        self._starts = setup.starts_on_grid(setup.tomorrow(), 365, HOURS, 60)
        self.number = 0

    def next_start(self) -> datetime:
        return next(self._starts)

    def _body(self, start: datetime, lock_code: str | None = None) -> dict:
        self.number += 1
        body = {
            "service_id": self.tenant.service_id,
            "calendar_id": self.calendar_id,
            "start": start.isoformat(),
            "customer": setup.customer(self.number),
        }
        return {**body, "lock_code": lock_code} if lock_code else body

    def book(self, start: datetime | None = None) -> None:
        body = self._body(start or self.next_start())
        self.stack.call("POST", "/v1/appointments", self.tenant.public, expect=201, body=body)

    def lock_then_book(self) -> None:
        start = self.next_start()
        lock = {"service_id": self.tenant.service_id, "calendar_id": self.calendar_id}
        reply = self.stack.call(
            "POST", "/v1/locks", self.tenant.public, expect=201, body=lock | {"start": start.isoformat()}
        )
        code = reply.body["lock_code"]
        body = self._body(start, lock_code=code)
        self.stack.call("POST", "/v1/appointments", self.tenant.public, expect=201, body=body)


class BareBooking:
    """The DynamoDB work of one booking with a low-level client: optional reads, then the transaction."""

    def __init__(self, stack: Stack, booker: Booker, transaction: list[dict]) -> None:
        from creneau.dal.api_keys import ApiKeyRepository
        from creneau.dal.catalog_records import calendars, services
        from creneau.dal.settings import SettingsRepository
        from creneau.security import hash_secret

        tenant = booker.tenant
        self.client = stack.client
        self.catalog = stack.tables["CatalogTable"]
        self.bookings = stack.tables["BookingsTable"]
        self.booker = booker
        self.transaction = transaction
        self.gets = [
            typed(ApiKeyRepository.lookup_key(hash_secret(tenant.public))),
            typed(SettingsRepository.key(tenant.id)),
            typed(services.records.key(tenant.id, tenant.service_id)),
            typed(calendars.records.key(tenant.id, booker.calendar_id)),
        ]
        self.serial = 0

    def prepared(self, count: int) -> list[list[dict]]:
        """`count` copies of the captured transaction, each on fresh keys (built outside the timing)."""
        batches = []
        for _ in range(count):
            self.serial += 1
            items = copy.deepcopy(self.transaction)
            for operation in items:
                ((_kind, request),) = operation.items()
                target = request.get("Item") or request["Key"]
                target["pk"] = {"S": f"{target['pk']['S']}#bench{self.serial}"}
            batches.append(items)
        return batches

    def reads(self, start: datetime) -> None:
        from creneau.clock import iso
        from creneau.dal.calendar_time import _occupancy_pk
        from creneau.domain.units import MAX_UNITS_PER_BOOKING

        for key in self.gets:
            self.client.get_item(TableName=self.catalog, Key=key, ConsistentRead=True)
        # logic/schedule.place: the occupied span, looked up MAX_UNITS_PER_BOOKING units further back.
        service = setup.SERVICE
        before = timedelta(minutes=service.get("buffer_before_minutes", 0))
        after = timedelta(minutes=service["duration_minutes"] + service.get("buffer_after_minutes", 0))
        unit = self.booker.tenant.calendars[0]["unit_minutes"]
        lookback = timedelta(minutes=MAX_UNITS_PER_BOOKING * unit)
        self.client.query(
            TableName=self.bookings,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :low AND :high",
            ExpressionAttributeValues={
                ":pk": {"S": _occupancy_pk(self.booker.tenant.id, self.booker.calendar_id)},
                ":low": {"S": iso(start - before - lookback)},
                ":high": {"S": iso(start + after) + "~"},
            },
            ConsistentRead=True,
        )

    def write(self, items: list[dict]) -> None:
        self.client.transact_write_items(TransactItems=items)


def cleanup(stack: Stack) -> None:
    """Delete every booking-side item (claims, occupancy, appointments, locks) and every customer."""
    client = stack.client
    doomed: dict[str, list[dict]] = {}
    scans = [
        (stack.tables["BookingsTable"], {}),
        (
            stack.tables["CatalogTable"],
            {
                "FilterExpression": "begins_with(sk, :customer)",
                "ExpressionAttributeValues": {":customer": {"S": "CUSTOMER#"}},
            },
        ),
    ]
    for table, extra in scans:
        params = {"TableName": table, "ProjectionExpression": "pk, sk", **extra}
        while True:
            page = client.scan(**params)
            doomed.setdefault(table, []).extend({"DeleteRequest": {"Key": item}} for item in page["Items"])
            if "LastEvaluatedKey" not in page:
                break
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    for table, requests in doomed.items():
        for first in range(0, len(requests), 25):
            pending = {table: requests[first : first + 25]}
            while pending:
                pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems")


@dataclass
class Rate:
    per_second: float  # median over rounds, wall time
    cpu_each: float  # median over rounds, CPU seconds of this process per operation


def rounds(stack: Stack, sides: dict[str, Callable[[int], timing.Stopwatch]], per_round: int, measured: int):
    """Each side's Rate over interleaved rounds, after a warm-up round. `side(n)` performs n
    operations and returns the Stopwatch of just that (it prepares what it needs before)."""
    samples = {name: timing.Samples() for name in sides}
    for index in range(1 + measured):
        for name, side in sides.items():
            watch = side(per_round)
            if index:
                samples[name].wall.append(per_round / watch.wall)
                samples[name].cpu.append(watch.cpu / per_round)
            cleanup(stack)
    return {name: Rate(s.median_wall, s.median_cpu) for name, s in samples.items()}


def _timed(work: Callable[[], object]) -> timing.Stopwatch:
    with timing.Stopwatch() as watch:
        work()
    return watch


def _item_kinds(transaction: list[dict]) -> str:
    kinds = Counter()
    for operation in transaction:
        ((kind, request),) = operation.items()
        target = request.get("Item") or request["Key"]
        pk, sk = target["pk"]["S"], target["sk"]["S"]
        name = pk.split("#", 1)[0] if not pk.startswith("T#") else sk.split("#", 1)[0]
        kinds[name if kind == "Put" else f"{kind} {name}"] += 1
    return ", ".join(f"{n} {k}" for k, n in kinds.items())


def run_throughput(stack: Stack, recorder: CallRecorder, quick: bool, print_line) -> None:
    per_round, measured = _sizes(quick)
    booker = Booker(stack, "bench booking")
    booker.book()  # warm: handler imported, clients made

    # One recorded handler booking: its transaction is the baseline's template.
    start = booker.next_start()
    with recorder.recording() as handler_calls:
        booker.book(start)
    transactions = [body["TransactItems"] for op, body in handler_calls if op == "TransactWriteItems"]
    if len(transactions) != 1:
        raise RuntimeError(f"expected one TransactWriteItems per booking, saw {len(transactions)}")
    bare = BareBooking(stack, booker, transactions[0])
    bare_calls = recorded(stack.client, lambda: (bare.reads(start), bare.write(bare.prepared(1)[0])))
    cleanup(stack)

    def handler_side(count: int) -> timing.Stopwatch:
        return _timed(lambda: [booker.book() for _ in range(count)])

    def raw_side(count: int) -> timing.Stopwatch:
        batches = bare.prepared(count)
        return _timed(lambda: [bare.write(items) for items in batches])

    def reads_and_raw_side(count: int) -> timing.Stopwatch:
        batches = bare.prepared(count)
        starts = [booker.next_start() for _ in range(count)]

        def work() -> None:
            for items, at in zip(batches, starts, strict=True):
                bare.reads(at)
                bare.write(items)

        return _timed(work)

    rates = rounds(
        stack,
        {"handler": handler_side, "raw": raw_side, "reads+raw": reads_and_raw_side},
        per_round,
        measured,
    )
    total = per_round * measured
    items = len(transactions[0])
    handler, raw, fair = rates["handler"], rates["raw"], rates["reads+raw"]
    print_line(
        f"booking x{total} sequential, POST /v1/appointments: handler {handler.per_second:.1f} bookings/s, "
        f"raw TransactWriteItems of {items} items {raw.per_second:.1f}/s, "
        f"ratio {timing.ratio(handler.per_second, raw.per_second)} (goal >= {GOAL})"
    )
    reads = Counter(op for op, _ in bare_calls if op != "TransactWriteItems")
    read_text = " + ".join(f"{n} {op}" for op, n in reads.items())
    print_line(
        f"booking x{total} sequential, POST /v1/appointments: handler {handler.per_second:.1f} bookings/s, "
        f"bare reads ({read_text}) + the same TransactWriteItems {fair.per_second:.1f}/s, "
        f"ratio {timing.ratio(handler.per_second, fair.per_second)} (goal >= {GOAL})"
    )
    print_line(
        f"  (a booking writes {items} items: {_item_kinds(transactions[0])}; "
        f"CPU in this process per booking: handler {timing.ms(handler.cpu_each)} ms, "
        f"bare reads + write {timing.ms(fair.cpu_each)} ms, raw write {timing.ms(raw.cpu_each)} ms; "
        f"DynamoDB requests: handler {len(handler_calls)}, bare {len(bare_calls)}"
        f"{call_differences(handler_calls, bare_calls)})"
    )


def run_lock_then_book(stack: Stack, recorder: CallRecorder, quick: bool, print_line) -> None:
    per_round, measured = _sizes(quick, locked=True)
    booker = Booker(stack, "bench locks")
    booker.book()
    with recorder.recording() as calls:
        booker.lock_then_book()
    writes = [body["TransactItems"] for op, body in calls if op == "TransactWriteItems"]
    cleanup(stack)

    def locked_side(count: int) -> timing.Stopwatch:
        return _timed(lambda: [booker.lock_then_book() for _ in range(count)])

    def direct_side(count: int) -> timing.Stopwatch:
        return _timed(lambda: [booker.book() for _ in range(count)])

    rates = rounds(stack, {"locked": locked_side, "direct": direct_side}, per_round, measured)
    total = per_round * measured
    locked, direct = rates["locked"], rates["direct"]
    print_line(
        f"lock-then-book x{total} sequential (POST /v1/locks, POST /v1/appointments with its lock_code): "
        f"{locked.per_second:.1f} bookings/s, direct booking {direct.per_second:.1f}/s, "
        f"ratio {timing.ratio(locked.per_second, direct.per_second)}"
    )
    if len(writes) == 2:
        print_line(
            f"  (CPU in this process per booking: lock-then-book {timing.ms(locked.cpu_each)} ms, "
            f"direct {timing.ms(direct.cpu_each)} ms; DynamoDB requests for lock + book: {len(calls)}; "
            f"the lock writes {len(writes[0])} items ({_item_kinds(writes[0])}), "
            f"the booking then {len(writes[1])} ({_item_kinds(writes[1])}))"
        )
