"""`creneau tenant create --name NAME`: a new tenant and its first admin key, in the configured tables."""

from __future__ import annotations

import argparse
import json
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

    from creneau.logic.tenants import create_tenant

    tenant_id, admin_key = create_tenant(args.name, args.timezone, args.locale)
    if args.json:
        print(json.dumps({"tenant_id": tenant_id, "admin_key": admin_key}))
    else:
        print(f"Tenant {args.name!r} created: {tenant_id}")
        print(f"Admin API key (shown once, keep it safe): {admin_key}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
