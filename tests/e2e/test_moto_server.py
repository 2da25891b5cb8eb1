"""The local moto server over HTTP (devstack/moto_dynamodb.py's fixes): transactions all-or-nothing and
serialized, memory flat over many transactions, and the stack stopping loudly when moto dies."""

from __future__ import annotations

import os
import random
import signal
import threading
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from devstack.moto_dynamodb import ITERATOR_LIFETIME_S, ExpiringIterators
from devstack.moto_server import MotoServer

pytestmark = pytest.mark.xdist_group("e2e-long")  # its own worker: the suite's time on 2 cores
TABLE = "t"


@pytest.fixture(scope="module")
def moto():
    with MotoServer() as server:
        yield server


@pytest.fixture(scope="module")
def client(moto):
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=moto.url,
        region_name="eu-west-3",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(max_pool_connections=50, retries={"max_attempts": 1}),
    )
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    return dynamodb


def key(pk: str, sk: str = "x") -> dict:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def get(client, pk: str) -> dict | None:
    return client.get_item(TableName=TABLE, Key=key(pk), ConsistentRead=True).get("Item")


def stream_records(moto, client) -> int:
    streams = boto3.client(
        "dynamodbstreams",
        endpoint_url=moto.url,
        region_name="eu-west-3",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    arn = client.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    return len(streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=1000)["Records"])


@pytest.mark.parametrize(
    "failing",
    [
        # A condition that does not hold, on the last item.
        {
            "ConditionCheck": {
                "TableName": TABLE,
                "Key": key("guard"),
                "ConditionExpression": "attribute_exists(pk)",
            }
        },
        # An update DynamoDB refuses while applying it (a number added to a string), on the last item.
        {
            "Update": {
                "TableName": TABLE,
                "Key": key("text"),
                "UpdateExpression": "SET v = v + :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        },
    ],
    ids=["condition", "update-error"],
)
def test_a_failing_last_item_undoes_every_earlier_write(moto, client, failing):
    run = str(time.monotonic_ns())
    for name, value in (("kept", "before"), ("changed", "before"), ("deleted", "before"), ("text", "abc")):
        client.put_item(
            TableName=TABLE, Item={**key(name + run if name != "text" else "text"), "v": {"S": value}}
        )
    before = stream_records(moto, client)
    items = [
        {
            "Put": {
                "TableName": TABLE,
                "Item": {**key("new" + run), "v": {"S": "after"}},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
        {"Put": {"TableName": TABLE, "Item": {**key("kept" + run), "v": {"S": "after"}, "w": {"N": "1"}}}},
        {
            "Update": {
                "TableName": TABLE,
                "Key": key("changed" + run),
                "UpdateExpression": "SET v = :v, n = :n",
                "ExpressionAttributeValues": {":v": {"S": "after"}, ":n": {"N": "7"}},
            }
        },
        {"Delete": {"TableName": TABLE, "Key": key("deleted" + run)}},
        {
            "Update": {
                "TableName": TABLE,
                "Key": key("upserted" + run),
                "UpdateExpression": "SET v = :v",
                "ExpressionAttributeValues": {":v": {"S": "after"}},
            }
        },
        failing,
    ]
    with pytest.raises(ClientError) as refused:
        client.transact_write_items(TransactItems=items)
    error = refused.value.response
    if "ConditionCheck" in failing:  # refused with each item's reason
        assert error["Error"]["Code"] == "TransactionCanceledException"
        reasons = [r["Code"] for r in error["CancellationReasons"]]
        assert reasons == ["None"] * 5 + ["ConditionalCheckFailed"], reasons
    else:  # moto raises the validation error itself, after undoing the earlier writes
        assert error["Error"]["Code"] == "ValidationException", error
    assert get(client, "new" + run) is None
    assert get(client, "upserted" + run) is None
    assert get(client, "kept" + run) == {**key("kept" + run), "v": {"S": "before"}}
    assert get(client, "changed" + run) == {**key("changed" + run), "v": {"S": "before"}}
    assert get(client, "deleted" + run) == {**key("deleted" + run), "v": {"S": "before"}}
    assert stream_records(moto, client) == before  # no change of the cancelled transaction is streamed
    # And the same transaction without the failing item commits every write.
    client.transact_write_items(TransactItems=items[:-1])
    assert get(client, "new" + run)["v"] == {"S": "after"}
    assert get(client, "changed" + run)["n"] == {"N": "7"}
    assert get(client, "deleted" + run) is None
    assert stream_records(moto, client) > before  # (moto streams an upsert as INSERT then MODIFY)


def test_transactions_on_the_same_keys_are_serialized(client):
    for round_number in range(10):
        keys = [f"race{round_number}-a", f"race{round_number}-b"]
        winners, barrier = [], threading.Barrier(20)

        def attempt(number: int, keys=keys, barrier=barrier, winners=winners) -> None:
            items = [
                {
                    "Put": {
                        "TableName": TABLE,
                        "Item": {**key(k), "owner": {"N": str(number)}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
                for k in keys
            ]
            barrier.wait()
            try:
                client.transact_write_items(TransactItems=items)
                winners.append(number)
            except ClientError as exc:
                assert exc.response["Error"]["Code"] == "TransactionCanceledException"

        threads = [threading.Thread(target=attempt, args=(n,)) for n in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert len(winners) == 1, winners
        owners = {get(client, k)["owner"]["N"] for k in keys}
        assert owners == {str(winners[0])}  # both items from the one winner


def write_at_random(client, rng: random.Random, partition: str, steps: int) -> dict[str, int]:
    """Puts, deletes, upserts in transactions and transactions that fail (their rollback puts items
    back): the partition's content, as a reference kept beside it."""
    kept: dict[str, int] = {}
    for step in range(steps):
        sort_key = f"{rng.randrange(60):02d}#{rng.choice('ab')}"
        action = rng.random()
        if action < 0.45:
            client.put_item(TableName=TABLE, Item={**key(partition, sort_key), "v": {"N": str(step)}})
            kept[sort_key] = step
        elif action < 0.65:
            client.delete_item(TableName=TABLE, Key=key(partition, sort_key))
            kept.pop(sort_key, None)
        elif action < 0.85:
            update = {
                "TableName": TABLE,
                "Key": key(partition, sort_key),
                "UpdateExpression": "SET v = :v",
                "ExpressionAttributeValues": {":v": {"N": str(step)}},
            }
            client.transact_write_items(TransactItems=[{"Update": update}])
            kept[sort_key] = step
        else:
            doomed = [{"Delete": {"TableName": TABLE, "Key": key(partition, k)}} for k in list(kept)[:3]] + [
                {"Put": {"TableName": TABLE, "Item": {**key(partition, "zz#new"), "v": {"N": "0"}}}}
            ]
            guard = {"TableName": TABLE, "Key": key("nobody"), "ConditionExpression": "attribute_exists(pk)"}
            with pytest.raises(ClientError):
                client.transact_write_items(TransactItems=[*doomed, {"ConditionCheck": guard}])
    return kept


KEY_CONDITIONS = [
    ("sk = :a", {":a": "20#a"}, lambda k: k == "20#a"),
    ("sk < :a", {":a": "20#a"}, lambda k: k < "20#a"),
    ("sk <= :a", {":a": "31#b"}, lambda k: k <= "31#b"),
    ("sk > :a", {":a": "44"}, lambda k: k > "44"),
    ("sk >= :a", {":a": "07#b"}, lambda k: k >= "07#b"),
    ("sk BETWEEN :a AND :b", {":a": "12#b", ":b": "41#a"}, lambda k: "12#b" <= k <= "41#a"),
    ("begins_with(sk, :a)", {":a": "3"}, lambda k: k.startswith("3")),
]


@pytest.mark.parametrize("condition, values, selects", KEY_CONDITIONS, ids=[c[0] for c in KEY_CONDITIONS])
def test_a_key_condition_on_a_partition_answers_as_a_full_scan_would(client, condition, values, selects):
    """moto is shown only the slice of a partition its key condition selects (a partition keeps its
    sort keys in order): the answer, in both directions and across pages, is the reference's."""
    rng = random.Random(condition)
    partition = f"ordered {condition}"
    kept = write_at_random(client, rng, partition, 300)
    write_at_random(client, rng, partition + " neighbour", 60)  # another partition: never in the answer
    for forward in (True, False):
        found, start = [], None
        while True:
            page = client.query(
                TableName=TABLE,
                KeyConditionExpression=f"pk = :pk AND {condition}",
                ExpressionAttributeValues={
                    ":pk": {"S": partition},
                    **{name: {"S": value} for name, value in values.items()},
                },
                ScanIndexForward=forward,
                Limit=7,
                ConsistentRead=True,
                **({"ExclusiveStartKey": start} if start else {}),
            )
            found += [(item["sk"]["S"], int(item["v"]["N"])) for item in page["Items"]]
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        expected = sorted(((k, v) for k, v in kept.items() if selects(k)), reverse=not forward)
        assert found == expected


def test_shard_iterators_are_forgotten_when_they_expire():
    """The local event loop asks for two iterators per poll: kept forever, an idle stack grew by
    the hour. Like DynamoDB Streams', an iterator lives 15 minutes."""
    now = [0.0]
    iterators = ExpiringIterators(clock=lambda: now[0])
    for number in range(1000):
        iterators[f"old{number}"] = number
    now[0] = ITERATOR_LIFETIME_S - 1
    iterators["recent"] = "recent"
    assert len(iterators) == 1001  # none expired yet
    now[0] = ITERATOR_LIFETIME_S + 1
    iterators["new"] = "new"
    assert iterators == {"recent": "recent", "new": "new"}


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


BASE_ITEMS, TRANSACTIONS = 1000, 400  # a leak of 25 KB per transaction would already show


def test_memory_stays_flat_over_many_transactions(moto, client):
    """Before the fix each transaction item deep-copied the table and moto kept every copy: about a
    gigabyte per hundred transactions here. The transactions rewrite the same items (the data does
    not grow; no stream on this table), so neither may moto; it stops as soon as growth passes 20 MB."""
    client.create_table(
        TableName="flat",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for number in range(BASE_ITEMS):  # a table with some content, as after an hour of use
        client.put_item(TableName="flat", Item={**key(f"base{number}"), "v": {"S": "y" * 200}})

    def transaction(number: int) -> None:
        items = [
            {"Put": {"TableName": "flat", "Item": {**key("claims", str(i)), "v": {"S": str(number)}}}}
            for i in range(8)
        ]
        items.append(
            {
                "Update": {
                    "TableName": "flat",
                    "Key": key("counter"),
                    "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            }
        )
        items.append({"Delete": {"TableName": "flat", "Key": key(f"base{number % BASE_ITEMS}")}})
        client.transact_write_items(TransactItems=items)
        client.put_item(TableName="flat", Item={**key(f"base{number % BASE_ITEMS}"), "v": {"S": "y" * 200}})

    pid = moto.process.pid
    start = None
    for number in range(TRANSACTIONS):
        transaction(number)
        if number == 50:  # warm by then: allocator pools, botocore and werkzeug caches
            start = rss_mb(pid)
        if start is not None and number % 10 == 0:
            assert rss_mb(pid) - start < 20, f"moto grew from {start:.0f} to {rss_mb(pid):.0f} MB"
    assert rss_mb(pid) - start < 20, f"moto grew from {start:.0f} to {rss_mb(pid):.0f} MB"


def test_the_stack_exits_loudly_when_moto_dies(start_stack):
    running = start_stack("--no-seed")
    os.kill(running.info["moto_pid"], signal.SIGKILL)
    deadline = time.monotonic() + 60
    while running.process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert running.process.poll() not in (None, 0), running.output()
    assert "the moto server" in running.output() and "died" in running.output(), running.output()
