"""The template's KMS keys in moto: one key per AWS::KMS::Alias, reachable by that alias name."""

from __future__ import annotations

from devstack.template import Template


def create_keys(kms, template: Template) -> list[str]:
    aliases = template.kms_aliases()
    for alias in aliases:
        key_id = kms.create_key(Description=f"local key behind {alias}")["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    return aliases
