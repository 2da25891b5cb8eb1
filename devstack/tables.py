"""Create template.yaml's DynamoDB tables (keys, indexes, billing, TTL) in the local moto server."""

from __future__ import annotations

from devstack.lambda_runtime import local_name
from devstack.template import Template

_COPIED = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "LocalSecondaryIndexes")


def create_tables(client, template: Template) -> dict[str, str]:
    """Returns {logical id: local table name}."""
    names = {}
    for logical_id, props in template.tables().items():
        name = local_name(logical_id)
        kwargs = {key: props[key] for key in _COPIED if key in props}
        kwargs["BillingMode"] = props.get("BillingMode", "PROVISIONED")
        if "ProvisionedThroughput" in props:
            kwargs["ProvisionedThroughput"] = props["ProvisionedThroughput"]
        if "StreamSpecification" in props:
            kwargs["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        client.create_table(TableName=name, **kwargs)
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            client.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
            )
        names[logical_id] = name
    return names
