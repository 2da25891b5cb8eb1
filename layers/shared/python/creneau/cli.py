"""`creneau tenant create --name NAME`: a new tenant and its first admin key, in the configured tables."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="creneau", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    tenant = commands.add_parser("tenant", help="manage tenants").add_subparsers(dest="action", required=True)
    create = tenant.add_parser("create", help="create a tenant and print its first admin key")
    create.add_argument("--name", required=True)
    create.add_argument("--timezone", default="Europe/Paris", help="IANA time zone (default Europe/Paris)")
    create.add_argument("--locale", default="fr", help="language code, e.g. fr or en-GB (default fr)")
    create.add_argument("--json", action="store_true", help="print {tenant_id, admin_key} as JSON")
    args = parser.parse_args(argv)

    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(args.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        parser.error(f"unknown IANA time zone {args.timezone!r}")

    if not re.fullmatch(r"[a-z]{2}(-[A-Z]{2})?", args.locale):
        parser.error(f"--locale {args.locale!r} is not a language code such as fr or en-GB")

    from botocore.exceptions import BotoCoreError, ClientError, NoRegionError

    from creneau import config

    if os.environ.get("AWS_REGION") and not os.environ.get("AWS_DEFAULT_REGION"):
        os.environ["AWS_DEFAULT_REGION"] = os.environ["AWS_REGION"]  # boto3 reads only the latter
    try:
        config.require()
        from creneau.dal.store import DYNAMODB
        from creneau.logic.tenants import create_tenant

        tenant_id, admin_key = create_tenant(DYNAMODB, args.name, args.timezone, args.locale)
    except config.ConfigurationError as error:
        return _fail(f"{error} (the stack's outputs name the three tables; see the README, Deploy)")
    except NoRegionError:
        return _fail("no AWS region: set AWS_REGION to the stack's (e.g. eu-west-3) or use a profile's")
    except (BotoCoreError, ClientError) as error:  # no credentials, a table not found...
        return _fail(f"AWS: {error}")
    if args.json:
        print(json.dumps({"tenant_id": tenant_id, "admin_key": admin_key}))
    else:
        print(f"Tenant {args.name!r} created: {tenant_id}")
        print(f"Admin API key (shown once, keep it safe): {admin_key}")
    return 0


def _fail(line: str) -> int:
    print(f"creneau: {line}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
