"""Upload web/ to the deployed stack's web bucket, behind its CloudFront distribution.

    .venv/bin/python -m scripts.deploy_web --stack-name creneau [--public-key KEY]

Reads the stack's outputs, writes `agenda/config.json` from them (API URL and the Cognito pool), and
uploads every page with its Cache-Control: the widget twice, at `widget/creneau-widget.js` (revalidated
after 5 minutes) and at `widget/<VERSION>/creneau-widget.js` (immutable for a year: a tenant's site
that pins a version is served from CloudFront's and the browsers' caches). `--public-key` also writes
the demo page's `widget/demo-config.json`; without it the demo page is not uploaded.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
from pathlib import Path

from devstack.web import WEB_ROOT, WIDGET, widget_version

SHORT = "public, max-age=300"
IMMUTABLE = "public, max-age=31536000, immutable"
CONFIG = "no-cache"


def stack_outputs(cloudformation, stack_name: str) -> dict[str, str]:
    (stack,) = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def agenda_config(outputs: dict[str, str]) -> dict:
    """config.json of docs/web.md; cognito is null when the stack has no user pool."""
    cognito = None
    if "UserPoolId" in outputs:
        region = outputs.get("CognitoRegion") or outputs["UserPoolId"].split("_")[0]
        cognito = {
            "endpoint": f"https://cognito-idp.{region}.amazonaws.com/",
            "region": region,
            "user_pool_id": outputs["UserPoolId"],
            "client_id": outputs["UserPoolClientId"],
        }
    return {"api_url": outputs["ApiUrl"].rstrip("/"), "cognito": cognito}


def uploads(root: Path, outputs: dict[str, str], public_key: str | None) -> list[tuple[str, bytes, str]]:
    """(key, body, Cache-Control) of every object to put."""
    files = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        key = path.relative_to(root).as_posix()
        if key.startswith("widget/demo") and public_key is None:
            continue
        files.append((key, path.read_bytes(), SHORT))
    files.append(
        (f"widget/{widget_version(root)}/creneau-widget.js", (root / WIDGET).read_bytes(), IMMUTABLE)
    )
    files.append(("agenda/config.json", json.dumps(agenda_config(outputs)).encode(), CONFIG))
    if public_key is not None:
        demo = {"api_url": outputs["ApiUrl"].rstrip("/"), "api_key": public_key}
        files.append(("widget/demo-config.json", json.dumps(demo).encode(), CONFIG))
    return files


def main(argv: list[str] | None = None) -> int:
    import boto3

    p = argparse.ArgumentParser(prog="python -m scripts.deploy_web", description=__doc__)
    p.add_argument("--stack-name", required=True)
    p.add_argument("--public-key", help="a public API key for the demo page (omit: no demo page)")
    args = p.parse_args(argv)
    outputs = stack_outputs(boto3.client("cloudformation"), args.stack_name)
    s3 = boto3.client("s3")
    for key, body, cache in uploads(WEB_ROOT, outputs, args.public_key):
        content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
        s3.put_object(
            Bucket=outputs["WebBucketName"], Key=key, Body=body, ContentType=content_type, CacheControl=cache
        )
        print(f"s3://{outputs['WebBucketName']}/{key}  ({cache})")
    print(f"agenda: {outputs['AgendaUrl']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
