"""What scripts/deploy_web.py uploads: every page, the widget under its versioned path with an
immutable cache life, and agenda/config.json from the stack's outputs."""

from __future__ import annotations

import json

from devstack.web import WEB_ROOT, widget_version
from scripts.deploy_web import IMMUTABLE, agenda_config, uploads

OUTPUTS = {
    "ApiUrl": "https://abc.execute-api.eu-west-3.amazonaws.com/",
    "UserPoolId": "eu-west-3_AbCdEf",
    "UserPoolClientId": "client123",
    "CognitoRegion": "eu-west-3",
    "WebBucketName": "bucket",
}


def test_agenda_config_from_outputs():
    assert agenda_config(OUTPUTS) == {
        "api_url": "https://abc.execute-api.eu-west-3.amazonaws.com",
        "cognito": {
            "endpoint": "https://cognito-idp.eu-west-3.amazonaws.com/",
            "region": "eu-west-3",
            "user_pool_id": "eu-west-3_AbCdEf",
            "client_id": "client123",
        },
    }
    assert agenda_config({"ApiUrl": "https://x/"})["cognito"] is None


def test_uploads_version_the_widget_and_skip_the_demo_without_a_key():
    files = {key: (body, cache) for key, body, cache in uploads(WEB_ROOT, OUTPUTS, None)}
    versioned = f"widget/{widget_version()}/creneau-widget.js"
    assert files[versioned] == (files["widget/creneau-widget.js"][0], IMMUTABLE)
    assert "agenda/index.html" in files and "agenda/vendor/event-calendar/LICENSE" in files
    assert not any(key.startswith("widget/demo") for key in files)
    assert (
        json.loads(files["agenda/config.json"][0])["api_url"]
        == "https://abc.execute-api.eu-west-3.amazonaws.com"
    )
    with_demo = {key for key, _, _ in uploads(WEB_ROOT, OUTPUTS, "ck_public")}
    assert {"widget/demo.html", "widget/demo-config.json"} <= with_demo
