"""The part of a DynamoDB Table that a repository reads, in memory: items by key, as get_item answers.

For unit tests of records and repositories without moto: a test puts the items a repository's
transaction would have written, and the repository reads them back."""

from __future__ import annotations


class InMemoryTable:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict] = {}

    def get_item(self, Key: dict, ConsistentRead: bool = False) -> dict:  # noqa: N803 (boto3's names)
        item = self.items.get((Key["pk"], Key["sk"]))
        return {"Item": dict(item)} if item else {}

    def put(self, item: dict) -> None:
        """What a committed Put of `item` leaves in the table."""
        self.items[(item["pk"], item["sk"])] = item
