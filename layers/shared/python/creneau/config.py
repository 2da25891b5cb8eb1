"""Where the tables are: read once from the environment (template.yaml sets it)."""

from __future__ import annotations

import os
from functools import cache


@cache
def dynamodb():
    import boto3  # imported lazily: it is the largest part of a cold start

    return boto3.resource("dynamodb")


@cache
def client():
    return dynamodb().meta.client


@cache
def _table(name: str):
    return dynamodb().Table(name)  # building a Table resource costs ~0.5 ms: once per name


def catalog_table():
    return _table(os.environ["CATALOG_TABLE"])


def bookings_table():
    return _table(os.environ["BOOKINGS_TABLE"])


def table_name(env_var: str) -> str:
    return os.environ[env_var]


def reset() -> None:
    """Forget every client and table: the next call builds them for the current environment
    (tests and benchmarks that point the process at another endpoint)."""
    for cached in (dynamodb, client, _table):
        cached.cache_clear()
